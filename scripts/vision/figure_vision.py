"""Rule figure_vision: the metric, not the model, makes the jump (Mirage Sec. 5, on scikit-learn digits).

Two rows (MLP classifier, MLP autoencoder), two columns (smooth metric left, sharp metric right);
x = parameter count (log), line = mean over seeds, band = min-max over seeds, the ES of the mean
curve and the spread over seed curves written on each panel. The subset-accuracy panel also draws
(mean accuracy)^K, the value it would take if test images were drawn with replacement; the MSE
panel draws the error threshold c that defines the sharp metric below it.

Inputs: curves, emergence (vision/*.parquet from rule vision_scores). Outputs: figure (one file per
format), data (CSV of the plotted numbers). Params: subset_size, error_threshold, label; the
screen's criterion is read from the emergence table. The digits are real images whatever the
BIG-bench source, so the figure has no SYNTHETIC banner; `label` says where the data come from.
"""

import logging
import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

from scripts.lib.io import run_rule, write_csv
from scripts.lib.present.plot_style import (
    METRIC_PALETTE,
    figure_style,
    format_params,
    label_figure,
    log_x,
    new_figure,
    save_figure,
)
from scripts.lib.present.text import es_text, threshold_text
from scripts.lib.sources.vision_models import FAMILIES, METRICS, metric_label, size_from_params
from scripts.lib.stats.emergence import screen_setting

logger = logging.getLogger(__name__)

TITLE = "A sharp metric induces emergence: small MLPs on scikit-learn digits (Mirage Sec. 5)"
KIND_COLORS = {"smooth": METRIC_PALETTE[0], "sharp": METRIC_PALETTE[2]}
SIZE_NAMES = {"classifier": "hidden width", "autoencoder": "bottleneck"}
REFERENCE_COLOR = "#555555"


def plotted_points(curves: pd.DataFrame) -> pd.DataFrame:
    """Per (metric, parameter count): mean (the mean curve), min and max over the seed curves."""
    seeds = curves.loc[curves["subtask"].notna()]
    spread = seeds.groupby(["metric", "x"], sort=False)["value"].agg(seed_min="min", seed_max="max", n_seeds="size")
    mean = curves.loc[curves["subtask"].isna()].set_index(["metric", "x"])["value"].rename("mean")
    table = pd.concat([mean, spread], axis=1).reset_index().rename(columns={"x": "n_params"})
    order = {m: i for i, m in enumerate(METRICS)}
    table["model"] = table["metric"].map({m: f["model"] for m, f in METRICS.items()})
    table["kind"] = table["metric"].map({m: f["kind"] for m, f in METRICS.items()})
    table = table.sort_values(["metric", "n_params"], key=lambda s: s.map(order) if s.name == "metric" else s)
    table["n_params"] = table["n_params"].astype("int64")
    return table[["model", "metric", "kind", "n_params", "mean", "seed_min", "seed_max", "n_seeds"]].reset_index(
        drop=True
    )


def accuracy_power(points: pd.DataFrame, subset_size: int) -> pd.Series:
    """(mean accuracy)^K at each classifier size, indexed by parameter count."""
    acc = points.loc[points["metric"] == "accuracy"].set_index("n_params")["mean"]
    return acc**subset_size


def score_text(row: pd.Series, seeds: pd.DataFrame) -> str:
    """'ES = 24.2 > 9: emergent' on the first line, the seed spread on the second."""
    verdict = "emergent" if bool(row["emergent"]) else "not emergent"
    relation = ">" if row["es"] > row["threshold"] else "≤"
    first = f"{es_text(float(row['es']), float(row['es_floored']))} {relation} {row['threshold']:g}: {verdict}"
    finite = seeds["es"].replace([np.inf, -np.inf], np.nan)
    low, high = seeds["es"].min(), seeds["es"].max()
    spread = f"{low:.3g}–{high:.3g}" if math.isfinite(low) and math.isfinite(high) else f"{finite.min():.3g}–∞"
    second = f"seed curves: ES {spread}, {int(seeds['emergent'].sum())}/{len(seeds)} emergent"
    return f"{first}\n{second}"


def draw_panel(
    ax: Axes,
    points: pd.DataFrame,
    scored: pd.DataFrame,
    metric: str,
    *,
    subset_size: int,
    error_threshold: float,
) -> None:
    facts = METRICS[metric]
    color = KIND_COLORS[facts["kind"]]
    data = points.loc[points["metric"] == metric]
    x = data["n_params"].to_numpy(dtype=float)
    ax.fill_between(
        x,
        data["seed_min"],
        data["seed_max"],
        color=color,
        alpha=0.2,
        linewidth=0,
        label=f"min–max over {int(data['n_seeds'].max())} seeds",
    )
    ax.plot(x, data["mean"], marker="o", markersize=3.5, linewidth=1.6, color=color, label="mean over seeds")
    if metric == "subset_accuracy":
        ref = accuracy_power(points, subset_size)
        ax.plot(
            ref.index.to_numpy(dtype=float),
            ref.to_numpy(),
            linestyle="--",
            linewidth=1.1,
            color=REFERENCE_COLOR,
            label=f"(mean accuracy)$^{{{subset_size}}}$",
        )
    if metric == "reconstruction_mse":
        ax.axhline(
            error_threshold,
            linestyle="--",
            linewidth=1.1,
            color=REFERENCE_COLOR,
            label=f"c = {error_threshold:g} (right panel)",
        )
    log_x(ax, "parameters")
    # The ladders span little more than a decade: label 200, 500, 2K, 5K too.
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
    ax.xaxis.set_minor_formatter(FuncFormatter(format_params))
    ax.tick_params(axis="x", which="both", labelsize=8, length=3, pad=3)
    ax.set_xlabel("Parameters (weights + biases)")
    name = metric_label(metric, subset_size=subset_size, error_threshold=error_threshold)
    if facts["higher_is_better"]:
        ax.set_ylabel(name)
        ax.set_ylim(-0.03, 1.03)
    else:
        ax.set_ylabel(f"{name} (lower is better)")
        ax.set_ylim(0, None)
    sizes = [size_from_params(facts["model"], p) for p in x]
    ax.set_title(
        f"{FAMILIES[facts['model']]} ({SIZE_NAMES[facts['model']]} {min(sizes)}–{max(sizes)}): {facts['kind']} metric",
        loc="left",
    )
    mean_row = scored.loc[(scored["metric"] == metric) & scored["subtask"].isna()].iloc[0]
    seeds = scored.loc[(scored["metric"] == metric) & scored["subtask"].notna()]
    # Rising curves leave the upper left and lower right free; the falling MSE curve the other two.
    text_x, text_ha, legend_loc = (
        (0.02, "left", "center left") if facts["higher_is_better"] else (0.98, "right", "lower left")
    )
    ax.text(
        text_x,
        0.97,
        score_text(mean_row, seeds),
        transform=ax.transAxes,
        ha=text_ha,
        va="top",
        fontsize=7.5,
        bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#cccccc", "alpha": 0.9},
    )
    ax.legend(loc=legend_loc, fontsize=7, frameon=True)


def make_figure(
    points: pd.DataFrame,
    scored: pd.DataFrame,
    *,
    subset_size: int,
    error_threshold: float,
    emergence_threshold: Any,
    min_effect: float,
    label: str,
) -> Figure:
    fig = new_figure(10, 7.2)
    axes = fig.subplots(2, 2)
    for ax, metric in zip(axes.flat, METRICS, strict=True):
        draw_panel(ax, points, scored, metric, subset_size=subset_size, error_threshold=error_threshold)
    subtitle = (
        f"Same models, same test images; only the metric differs. Emergent curve: "
        f"{threshold_text(emergence_threshold, min_effect)} (range not checked for MSE)"
    )
    label_figure(fig, title=TITLE, subtitle=subtitle, data_label=label, synthetic=False)
    return fig


def run(
    *,
    curves: str,
    emergence: str,
    figure: Any,
    data: str,
    subset_size: int,
    error_threshold: float,
    label: str,
) -> None:
    points = plotted_points(pd.read_parquet(curves))
    scored = pd.read_parquet(emergence)
    emergence_threshold, min_effect = screen_setting(scored)
    write_csv(points, data, label=label)
    with figure_style():
        fig = make_figure(
            points,
            scored,
            subset_size=subset_size,
            error_threshold=error_threshold,
            emergence_threshold=emergence_threshold,
            min_effect=min_effect,
            label=label,
        )
        save_figure(fig, figure)


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
