"""Rule figure_lm_eval_pairs: one ability, two metrics, on real models (the Mirage Fig. 6 idea; docs/lm-eval.md).

Why: the Mirage claim is that a sharp metric can make smooth progress look emergent. The harness
reports two metrics of the same predictions for LAMBADA (accuracy, sharp, and perplexity, smooth)
and for MMLU (acc and acc_norm, both argmax scores), so real models can be put through the same
comparison. Perplexity is exp(cross-entropy): its log is linear in the per-token log-probability,
the raw value is not, so both are scored (docs/lm-eval.md).

Panels (zero-shot): A-C across model size, each model's final checkpoint, one line per family
(x = non_embedding_params): A LAMBADA accuracy, B LAMBADA ln(perplexity), C MMLU acc and acc_norm
(unweighted mean over the subjects). D-F the same along training for each size of the standard
Pythia suite (x = training step; step 0, the untrained model, cannot sit on a log axis and is left out).

The ES table scores every plotted curve, and the five-shot and deduplicated-Pythia ones too, with
the pipeline's emergence score (scripts/lib/stats/emergence.py, improvement oriented upwards: perplexity
negated) against the auto threshold n_points - 1 ("sharper than a straight line").

Inputs: checkpoints (lm_eval/checkpoints.parquet). Outputs: figure (one file per format),
data (the plotted points), es (tables/lm_eval_pairs_es.csv). Params: data_label.
"""

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scripts.lib.io import run_rule, write_csv
from scripts.lib.present.plot_style import (
    figure_style,
    format_params,
    label_figure,
    log_x,
    message_figure,
    new_figure,
    save_figure,
    task_colors,
)
from scripts.lib.sources.lm_eval_results import final_checkpoints
from scripts.lib.stats.emergence import above_threshold, auto_threshold, es_matrix

logger = logging.getLogger(__name__)

LAMBADA_TASK = "lambada_openai"
PPL_METRICS = ("ppl", "perplexity")
"""LAMBADA's perplexity: `ppl` in harness 0.3, `perplexity` in 0.4."""
MMLU_PREFIXES = ("hendrycksTest-", "mmlu_")
"""MMLU subject tasks: `hendrycksTest-<subject>` in 0.3, `mmlu_<subject>` in 0.4."""

QUANTITIES = {
    "lambada_acc": ("LAMBADA accuracy", False),
    "lambada_ppl": ("LAMBADA perplexity", True),
    "lambada_log_ppl": ("LAMBADA ln(perplexity)", True),
    "mmlu_acc": ("MMLU acc (mean over subjects)", False),
    "mmlu_acc_norm": ("MMLU acc_norm (mean over subjects)", False),
}
"""Plotted quantity -> (label, lower is better)."""

POINT_COLUMNS = ["view", "curve", "family", "size", "model_name", "shots", "x", "quantity", "value", "n_subjects"]
ES_COLUMNS = ["view", "curve", "shots", "quantity", "n_points", "es", "threshold", "sharper_than_linear"]


def quantity_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """LAMBADA acc, ppl, ln(ppl) and MMLU mean acc/acc_norm (over subjects) per checkpoint."""
    keys = ["family", "size", "model_name", "revision", "training_step", "non_embedding_params", "shots"]
    rows = rows.assign(revision=rows["revision"].fillna(""), shots=rows["shots"].astype("Int64").fillna(-1))
    lam = rows.loc[rows["task"] == LAMBADA_TASK]
    acc = lam.loc[lam["metric"] == "acc"].assign(quantity="lambada_acc")
    ppl = lam.loc[lam["metric"].isin(PPL_METRICS)]
    parts = [
        acc,
        ppl.assign(quantity="lambada_ppl"),
        ppl.assign(quantity="lambada_log_ppl", value=np.log(ppl["value"])),
    ]
    lam_rows = pd.concat(parts, ignore_index=True)[[*keys, "quantity", "value"]].assign(n_subjects=pd.NA)
    mmlu = rows.loc[rows["task"].str.startswith(MMLU_PREFIXES) & rows["metric"].isin(["acc", "acc_norm"])]
    mmlu = (
        mmlu.groupby([*keys, "metric"], dropna=False)["value"]
        .agg(value="mean", n_subjects="size")
        .reset_index()
        .assign(quantity=lambda d: "mmlu_" + d["metric"])
        .drop(columns="metric")
    )
    out = pd.concat([lam_rows, mmlu], ignore_index=True)
    return out.assign(shots=out["shots"].where(out["shots"] >= 0)).astype({"n_subjects": "Int64"})


def pair_points(checkpoints: pd.DataFrame) -> pd.DataFrame:
    """Points of both views: 'size' (final checkpoints, x = non-embedding params) and 'training' (x = step)."""
    values = quantity_rows(checkpoints)
    final = quantity_rows(final_checkpoints(checkpoints))
    size_view = final.assign(view="size", curve=final["family"], x=final["non_embedding_params"])
    stepped = values.loc[values["training_step"] > 0]
    training_view = stepped.assign(
        view="training", curve=stepped["family"] + " " + stepped["size"], x=stepped["training_step"]
    )
    points = pd.concat([size_view, training_view], ignore_index=True)
    points = points.loc[np.isfinite(points["x"].astype(float)) & (points["x"] > 0)]
    return (
        points[POINT_COLUMNS]
        .sort_values(["view", "quantity", "curve", "shots", "x"], kind="stable")
        .reset_index(drop=True)
    )


def pair_es(points: pd.DataFrame) -> pd.DataFrame:
    """ES of every (view, curve, shots, quantity) curve, improvement upwards (perplexities negated)."""
    rows = []
    for (view, curve, shots, quantity), group in points.groupby(
        ["view", "curve", "shots", "quantity"], sort=True, dropna=False
    ):
        ordered = group.sort_values("x", kind="stable")
        y = ordered["value"].to_numpy(dtype=float)
        y = y[np.isfinite(y)]
        if QUANTITIES[quantity][1]:
            y = -y
        n = len(y)
        es = float(es_matrix(y[None, :])[0]) if n >= 2 else np.nan
        threshold = float(auto_threshold(np.array([n]))[0])
        sharp = bool(above_threshold(np.array([es]), np.array([threshold]))[0]) if n >= 2 else False
        rows.append((view, curve, shots, quantity, n, es, threshold, sharp))
    return pd.DataFrame(rows, columns=ES_COLUMNS)


def size_value(label: str) -> float:
    """'70M' -> 7e7, '1.4B' -> 1.4e9: the model-size labels of the model table, for ordering."""
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}.get(label[-1:].upper())
    try:
        return float(label[:-1]) * scale if scale else float(label)
    except ValueError:
        return np.inf


def _es_of(es: pd.DataFrame, view: str, curve: str, quantity: str) -> float:
    hit = es.loc[(es["view"] == view) & (es["curve"] == curve) & (es["quantity"] == quantity) & (es["shots"] == 0)]
    return float(hit["es"].iloc[0]) if len(hit) else np.nan


def _draw(
    ax: Axes, pts: pd.DataFrame, es: pd.DataFrame, view: str, quantities: list[str], colors: Mapping[str, str]
) -> None:
    """One panel: a line per curve and quantity (acc solid, acc_norm dashed), ES in the legend."""
    for quantity, style in zip(quantities, ("-", "--"), strict=False):
        sub = pts.loc[pts["quantity"] == quantity]
        for curve in colors:
            line = sub.loc[sub["curve"] == curve].sort_values("x")
            if line.empty:
                continue
            tag = quantity.rsplit("_", 1)[-1] if len(quantities) > 1 else ""
            label = f"{curve} {tag} (ES {_es_of(es, view, curve, quantity):.1f})".replace("  ", " ")
            ax.plot(line["x"], line["value"], style, marker="o", markersize=3, linewidth=1.3, color=colors[curve])
            ax.lines[-1].set_label(label)
    ax.legend(fontsize=5.5, loc="best", frameon=False, ncol=2 if len(quantities) > 1 else 1)


def plot_pairs(points: pd.DataFrame, es: pd.DataFrame, *, data_label: str) -> Figure:
    """The 2 x 3 panel figure (zero-shot points only)."""
    pts = points.loc[points["shots"] == 0]
    size_pts, train_pts = pts.loc[pts["view"] == "size"], pts.loc[pts["view"] == "training"]
    families = sorted(size_pts["curve"].unique())
    train_pts = train_pts.loc[train_pts["family"] == "Pythia"]
    sizes = sorted(train_pts["curve"].unique(), key=lambda c: size_value(c.rsplit(" ", 1)[-1]))
    cmap = colormaps["viridis"]
    size_colors = {c: cmap(i / max(1, len(sizes) - 1) * 0.9) for i, c in enumerate(sizes)}
    fig = new_figure(13, 7.5)
    axes = fig.subplots(2, 3)
    panels = [
        ("LAMBADA accuracy (sharp)", "LAMBADA accuracy", ["lambada_acc"], "Accuracy"),
        (
            "LAMBADA ln(perplexity) (linear)",
            "LAMBADA ln(perplexity)",
            ["lambada_log_ppl"],
            "ln perplexity (lower is better)",
        ),
        ("MMLU acc (solid), acc_norm (dashed)", "MMLU acc, acc_norm", ["mmlu_acc", "mmlu_acc_norm"], "Mean accuracy"),
    ]
    for col, (title, short, quantities, ylabel) in enumerate(panels):
        top, bottom = axes[0, col], axes[1, col]
        _draw(top, size_pts, es, "size", quantities, task_colors(families))
        log_x(top, "non_embedding_params")
        top.set(title=f"{'ABC'[col]}. {title}", ylabel=ylabel)
        _draw(bottom, train_pts, es, "training", quantities, size_colors)
        bottom.set_xscale("log")
        bottom.xaxis.set_major_formatter(format_params)
        bottom.set(title=f"{'DEF'[col]}. {short}: Pythia over training", ylabel=ylabel)
        bottom.set_xlabel("Training step (2,097,152 tokens per step)")
        if col > 0 and bottom.get_legend() is not None:
            bottom.get_legend().remove()
    label_figure(
        fig,
        title="One ability, two metrics, on real models: LAMBADA and MMLU (lm-evaluation-harness, zero-shot)",
        subtitle=(
            "Top: final checkpoints across model size, one line per family. Bottom: the standard Pythia suite "
            "along training, one line per size (legend in D). ES: the emergence score of each curve "
            "(perplexity negated); a straight line scores n_points - 1."
        ),
        data_label=data_label,
        synthetic=False,
    )
    return fig


def run(*, checkpoints: str, figure: Any, data: str, es: str, data_label: str) -> None:
    rows = pd.read_parquet(checkpoints)
    points = pair_points(rows)
    table = pair_es(points)
    write_csv(points, data, label=data_label)
    write_csv(table, es, label=data_label)
    with figure_style():
        if points.loc[points["shots"] == 0].empty:
            fig = message_figure(
                "No zero-shot LAMBADA or MMLU results in this folder.",
                title="LAMBADA and MMLU metric pairs",
                data_label=data_label,
                synthetic=False,
            )
        else:
            fig = plot_pairs(points, table, data_label=data_label)
        save_figure(fig, figure)
    for row in table.loc[(table["view"] == "size") & (table["shots"] == 0)].itertuples(index=False):
        logger.info(
            "%s %s: ES %.2f over %d points (threshold %.0f)",
            row.curve,
            row.quantity,
            row.es,
            row.n_points,
            row.threshold,
        )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
