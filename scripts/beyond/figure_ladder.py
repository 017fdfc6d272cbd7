"""Rule figure_ladder: the ladder, the targets and every method's prediction, one panel per task (docs/ladder.md).

Draws figures/ladder_predictions.{formats} from what rule ladder_predictions wrote: the table
(tables/ladder_predictions.csv: per task and target, the observed accuracy and each method's
prediction with its interval) and the points (figures/ladder_predictions_points.csv: accuracy
and compute of the 16 fitted ladder runs and of the targets). x: compute 6ND (log); the ladder
coloured by model size; each target's observed accuracy as a black star at its compute, each
method's prediction just left of it (shifted so the intervals do not overlap) with its
interval (the table's `level`). Nothing is recomputed here.

Inputs: table, points. Output: figure (every format). Params: label.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from scripts.lib.io import read_csv, run_rule
from scripts.lib.present.plot_style import figure_style, label_figure, new_figure, save_figure

logger = logging.getLogger(__name__)

TITLE = "OLMo 2 7B and 13B predicted from the small-model ladder"
SIZE_COLORS = {"190M": "#9ecae1", "370M": "#6baed6", "760M": "#3182bd", "1B": "#08519c"}
METHOD_STYLE = {
    "direct": ("#e15759", "o", "direct: accuracy vs compute"),
    "via_bpb": ("#f28e2b", "s", "via bpb: L(N, D), then our metric map"),
    "two_step": ("#59a14f", "D", "two-step: the paper's L(N, D) and sigmoid"),
}
SHIFT = 0.09
"""Sideways shift between methods at a target, in decades of compute."""
COLUMNS = 5


def methods_of(table: pd.DataFrame) -> list[str]:
    """The methods the table holds, in METHOD_STYLE order."""
    return [m for m in METHOD_STYLE if f"{m}_pred" in table]


def plot_ladder(table: pd.DataFrame, points: pd.DataFrame, *, label: str) -> Figure:
    """One panel per task: ladder accuracy vs compute, targets observed and predicted with intervals."""
    tasks = sorted(table["task"].unique())
    rows = int(np.ceil(len(tasks) / COLUMNS))
    fig = new_figure(3.0 * COLUMNS, 2.7 * rows + 0.8)
    axes = np.atleast_1d(fig.subplots(rows, COLUMNS, squeeze=False).ravel())
    methods = methods_of(table)
    for ax, task in zip(axes, tasks, strict=False):
        ladder = points[(points["task"] == task) & ~points["is_target"].astype(bool)]
        for size, color in SIZE_COLORS.items():
            part = ladder[ladder["size_label"] == size]
            ax.scatter(part["flops"], part["accuracy"], s=14, color=color, zorder=3)
        cells = table[table["task"] == task]
        for i, method in enumerate(methods):
            color, marker, _ = METHOD_STYLE[method]
            x = cells["flops"].to_numpy(float) * 10 ** (-SHIFT * (len(methods) - i))
            y = cells[f"{method}_pred"].to_numpy(float)
            err = np.abs(np.vstack([y - cells[f"{method}_lower"], cells[f"{method}_upper"] - y]))
            ax.errorbar(x, y, yerr=err, fmt=marker, color=color, markersize=4, capsize=2, linewidth=1, zorder=4)
        ax.scatter(cells["flops"], cells["observed"], marker="*", s=70, color="black", zorder=5)
        for _, cell in cells.iterrows():
            ax.annotate(str(cell["target"]), (cell["flops"], cell["observed"]), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")  # fmt: skip
        ax.set_xscale("log")
        ax.set_title(str(task), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[len(tasks) :]:
        ax.axis("off")
    for ax in axes[::COLUMNS]:
        ax.set_ylabel("accuracy", fontsize=8)
    for ax in axes[-COLUMNS:]:
        ax.set_xlabel("compute 6ND (FLOPs)", fontsize=8)
    handles = [Line2D([], [], marker="o", linestyle="", color=c, label=f"ladder {s}") for s, c in SIZE_COLORS.items()]
    handles.append(Line2D([], [], marker="*", linestyle="", color="black", markersize=9, label="target, observed"))
    handles += [
        Line2D([], [], marker=METHOD_STYLE[m][1], color=METHOD_STYLE[m][0], label=METHOD_STYLE[m][2]) for m in methods
    ]
    fig.legend(handles=handles, loc="outside right upper", ncol=1, fontsize=7)
    level = float(table["level"].iloc[0]) if len(table) else float("nan")
    subtitle = f"Fitted on the 16 ladder runs only (190M-1.3B, 1-10x Chinchilla tokens); bars: {level:.0%} intervals"
    label_figure(fig, title=TITLE, subtitle=subtitle, data_label=label, synthetic=False)
    return fig


def run(*, table: str, points: str, figure: Any, label: str) -> None:
    predictions, ladder = read_csv(table), read_csv(points)
    with figure_style():
        save_figure(plot_ladder(predictions, ladder, label=label), figure)
    logger.info("%d tasks, %d methods drawn", predictions["task"].nunique(), len(methods_of(predictions)))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
