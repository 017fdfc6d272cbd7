"""Rule figure_gallery: the most emergent curves, each beside the same curve under a continuous metric.

Inputs: emergence.parquet, curves.parquet, metrics.yaml. Output: figures/emergence_gallery.{formats}
and the CSV of the plotted points. Params: n_curves (gallery size), scale,
data_label, synthetic; the screen's criterion is read from emergence.parquet. docs/design.md §5 ("our own" figures).

Why: the paper's argument is that a sharp (all-or-nothing) metric can make smooth progress look
sudden. For each of the top-N emergent curves by es_floored, the partner panel shows the same
(family, task, subtask, shots) under a continuous metric (`sharp: false` in metrics.yaml), chosen by
CONTINUOUS_PREFERENCE, then metrics.yaml order; unknown metrics are never chosen, because whether
they are continuous is not known. "No continuous metric" is drawn when the entry has none.
"""

import logging
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from scripts.lib.io import load_metric_facts, run_rule, write_csv
from scripts.lib.present.plot_style import (
    figure_style,
    label_figure,
    log_x,
    message_figure,
    metric_color,
    new_figure,
    plot_curve,
    save_figure,
)
from scripts.lib.present.text import direction_text, es_text, metric_name, shots_text, threshold_text
from scripts.lib.stats.emergence import screen_setting

logger = logging.getLogger(__name__)

TITLE = "Top curves with possible emergence (Mirage screen), each beside a continuous metric of the same entry"
DEFAULT_N_CURVES = 12
PAIRS_PER_ROW = 3
KEY = ["family", "task", "subtask", "shots"]
CONTINUOUS_PREFERENCE = (
    "calibration_multiple_choice_brier_score",
    "log_likelihood",
    "weighted_log_probabilities",
    "sequence_f1",
    "bleu",
    "rougeLsum",
    "rouge2",
    "rouge1",
    "bleurt",
    "macro_f1",
    "expected_calibration_error",
)
"""Partner metric choice: closest to the paper's Brier / log-likelihood swap first."""
PANEL_COLUMNS = [
    "panel",
    "family",
    "task",
    "subtask",
    "shots",
    "metric",
    "curve_id",
    "es",
    "es_floored",
    "partner_metric",
    "partner_curve_id",
    "partner_es",
    "partner_es_floored",
]
POINT_COLUMNS = ["panel", "role", "family", "task", "subtask", "shots", "metric", "curve_id", "x", "value", "es"]


def continuous_metrics(facts: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Known non-sharp metrics in partner-preference order (the aggregate score is not a partner)."""
    known = [m for m, f in facts.items() if f.get("sharp") is False and m != "normalized_aggregate_score"]
    preferred = [m for m in CONTINUOUS_PREFERENCE if m in known]
    return preferred + [m for m in known if m not in preferred]


def gallery_panels(emergence: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]], *, n_curves: int) -> pd.DataFrame:
    """Top-n emergent curves by es_floored with their continuous partner curve (if any)."""
    flags = emergence["emergent"].astype("boolean").fillna(False).astype(bool)
    top = emergence[flags.to_numpy()].sort_values(
        ["es_floored", "family", "task", "subtask", "shots", "metric"],
        ascending=[False, True, True, True, True, True],
        na_position="first",
        kind="mergesort",
    )
    top = top.head(n_curves).reset_index(drop=True)
    if top.empty:
        return pd.DataFrame(columns=PANEL_COLUMNS)
    top["panel"] = range(len(top))
    order = {m: i for i, m in enumerate(continuous_metrics(facts))}
    cands = emergence[emergence["metric"].isin(list(order))][KEY + ["metric", "curve_id", "es", "es_floored"]]
    cands = cands.assign(_pref=cands["metric"].map(order)).rename(
        columns={
            "metric": "partner_metric",
            "curve_id": "partner_curve_id",
            "es": "partner_es",
            "es_floored": "partner_es_floored",
        }
    )
    pairs = top[KEY + ["panel", "metric"]].merge(cands, on=KEY, how="inner")
    pairs = pairs[pairs["partner_metric"] != pairs["metric"]]  # an emergent continuous curve is not its own partner
    pairs = pairs.sort_values(["panel", "_pref"], kind="mergesort").drop_duplicates("panel", keep="first")
    partner_cols = ["partner_metric", "partner_curve_id", "partner_es", "partner_es_floored"]
    out = top.merge(pairs[["panel"] + partner_cols], on="panel", how="left")
    out["partner_curve_id"] = out["partner_curve_id"].astype("Int64")
    return out.sort_values("panel", kind="mergesort")[PANEL_COLUMNS].reset_index(drop=True)


def gallery_points(panels: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Long table of every plotted point (role = emergent | continuous)."""
    rows = []
    for p in panels.itertuples(index=False):
        for role, metric, cid, es in (
            ("emergent", p.metric, p.curve_id, p.es),
            ("continuous", p.partner_metric, p.partner_curve_id, p.partner_es),
        ):
            if cid is pd.NA or (isinstance(cid, float) and math.isnan(cid)):
                continue
            pts = curves.loc[curves["curve_id"] == cid, ["x", "value"]].sort_values("x", kind="mergesort")
            rows.append(
                pts.assign(
                    panel=p.panel,
                    role=role,
                    family=p.family,
                    task=p.task,
                    subtask=p.subtask,
                    shots=p.shots,
                    metric=metric,
                    curve_id=int(cid),
                    es=es,
                )
            )
    if not rows:
        return pd.DataFrame(columns=POINT_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    out["shots"] = out["shots"].astype("Int64")
    out["_role"] = out["role"].map({"emergent": 0, "continuous": 1})
    return out.sort_values(["panel", "_role", "x"], kind="mergesort")[POINT_COLUMNS].reset_index(drop=True)


def plot_gallery(
    panels: pd.DataFrame,
    points: pd.DataFrame,
    facts: Mapping[str, Mapping[str, Any]],
    *,
    emergence_threshold: Any,
    min_effect: float,
    scale: str,
    data_label: str,
    synthetic: bool,
) -> Figure:
    """Small multiples: per emergent curve, its panel and its continuous partner side by side."""
    criterion = threshold_text(emergence_threshold, min_effect)
    if panels.empty:
        return message_figure(
            f"No curve passes the Mirage screen ({criterion}).", title=TITLE, data_label=data_label, synthetic=synthetic
        )
    n_rows = math.ceil(len(panels) / PAIRS_PER_ROW)
    n_cols = 2 * min(PAIRS_PER_ROW, len(panels))
    fig = new_figure(3.0 * n_cols, 2.6 * n_rows + 0.8)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)
    for i, p in enumerate(panels.itertuples(index=False)):
        row, col = divmod(i, PAIRS_PER_ROW)
        left, right = axes[row][2 * col], axes[row][2 * col + 1]
        name = p.task if pd.isna(p.subtask) else f"{p.task}:{p.subtask}"
        for ax, role, metric, es, floored in (
            (left, "emergent", p.metric, p.es, p.es_floored),
            (right, "continuous", p.partner_metric, p.partner_es, p.partner_es_floored),
        ):
            ax.set_visible(True)
            if pd.isna(metric):
                ax.text(
                    0.5,
                    0.5,
                    "no continuous metric\nfor this entry",
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                    fontsize=8,
                    color="#555555",
                )
                ax.set_xticks([])
                ax.set_yticks([])
                continue
            pts = points[(points["panel"] == p.panel) & (points["role"] == role)]
            plot_curve(ax, pts["x"], pts["value"], color=metric_color(metric, facts))
            log_x(ax, scale)
            if row != n_rows - 1:
                ax.set_xlabel("")
            ax.set_ylabel(f"{metric_name(metric, facts)}\n({direction_text(metric, facts)})", fontsize=7)
            ax.tick_params(labelsize=7)
            heading = f"{name}\n{p.family}, {shots_text(p.shots)}" if role == "emergent" else "\nsame entry, continuous"
            ax.set_title(f"{heading}\n{es_text(es, floored)}", fontsize=8, loc="left")
    subtitle = (
        f"Top {len(panels)} curves with possible emergence (Mirage screen) by ES (floored), each (left) beside the "
        f"same entry under a continuous metric (right)\nMirage screen: {criterion} · ES of lower-is-better metrics "
        "is on negated values"
    )
    label_figure(fig, title=TITLE, subtitle=subtitle, data_label=data_label, synthetic=synthetic)
    return fig


def run(
    *,
    emergence: str,
    curves: str,
    metrics: str,
    figure: Any,
    data: str,
    n_curves: int = DEFAULT_N_CURVES,
    scale: str,
    data_label: str,
    synthetic: bool,
) -> None:
    facts = load_metric_facts(metrics)
    scored = pd.read_parquet(emergence)
    panels = gallery_panels(scored, facts, n_curves=int(n_curves))
    emergence_threshold, min_effect = screen_setting(scored)
    ids = sorted({int(c) for c in panels["curve_id"]} | {int(c) for c in panels["partner_curve_id"].dropna()})
    if ids:
        src = pd.read_parquet(curves, columns=["curve_id", "x", "value"], filters=[("curve_id", "in", ids)])
        points = gallery_points(panels, src)
    else:
        points = pd.DataFrame(columns=POINT_COLUMNS)
    with figure_style():
        fig = plot_gallery(
            panels,
            points,
            facts,
            emergence_threshold=emergence_threshold,
            min_effect=min_effect,
            scale=scale,
            data_label=data_label,
            synthetic=synthetic,
        )
        save_figure(fig, figure)
    write_csv(points, data, label=data_label)
    n_partner = int(panels["partner_metric"].notna().sum())
    logger.info("gallery: %d emergent curves, %d with a continuous partner", len(panels), n_partner)


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
