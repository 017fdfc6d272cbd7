"""Rule figure_verdicts_gallery: the curves that come out emergent, each with the band its smaller models predicted.

docs/statistics.md, "Verdicts". One panel per curve of figures/verdicts_gallery.csv (rule
verdict_bands): the measured points, and at every model the prediction from the models below it
with its one-sided bound (shaded); a point beyond the bound is where the curve became unpredictable.
The panel title gives the verdict, the sharpness p-value and the largest backtest z. Inputs: that
CSV, metrics.yaml (names, colours). Output: figures/verdicts_gallery.{formats}. Params: scale,
label, synthetic.
"""

import logging
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from scripts.lib.io import load_metric_facts, run_rule
from scripts.lib.present.plot_style import (
    draw_table,
    format_params,
    label_figure,
    log_x,
    message_figure,
    metric_color,
    new_figure,
    plot_curve,
)
from scripts.lib.present.text import metric_name, shots_text

logger = logging.getLogger(__name__)

TITLE = "The curves closest to emergence, with what their smaller models predicted"
PER_ROW = 3


def panel_title(row: Any) -> str:
    """Task, family and shots; the verdict; p_sharp, the largest z and the model it first failed at."""
    name = row.task if pd.isna(row.subtask) else f"{row.task}:{row.subtask}"
    at = "" if pd.isna(row.unpredictable_at) else f" at {format_params(row.unpredictable_at)}"
    p = "p_sharp n/a" if pd.isna(row.p_sharp) else f"p_sharp {row.p_sharp:.3g}"
    return f"{name}\n{row.family}, {shots_text(row.shots)}\n{row.emergence_verdict}\n{p}, z {row.backtest_z:.1f}{at}"


def plot_gallery(
    data: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]], *, scale: str, label: str, synthetic: bool
) -> Figure:
    """Small multiples, one per curve: points, predictions from the smaller models and their bounds."""
    if data.empty:
        return message_figure(
            "No curve passes the Mirage screen and is unpredictable from its smaller models.",
            title=TITLE,
            data_label=label,
            synthetic=synthetic,
        )
    curves = data.drop_duplicates("panel")
    n_rows = math.ceil(len(curves) / PER_ROW)
    n_cols = min(PER_ROW, len(curves))
    fig = new_figure(3.4 * n_cols, 2.9 * n_rows + 0.9)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for ax in axes.flat[len(curves) :]:
        ax.set_visible(False)
    for ax, row in zip(axes.flat, curves.itertuples(index=False), strict=False):
        pts = data[data["panel"] == row.panel]
        color = metric_color(row.metric, facts)
        band = pts.dropna(subset=["pred"])
        ax.fill_between(band["x"], band["pred"], band["bound"], color=color, alpha=0.18, linewidth=0)
        ax.plot(band["x"], band["pred"], linestyle="--", linewidth=1.0, color=color, label="predicted from smaller")
        plot_curve(ax, pts["x"], pts["value"], color=color, label="measured")
        log_x(ax, scale)
        ax.set_ylabel(metric_name(row.metric, facts), fontsize=7)
        ax.tick_params(labelsize=7)
        ax.set_title(panel_title(row), fontsize=7, loc="left")
    axes.flat[0].legend(loc="upper left", fontsize=6)
    n_emergent = int((curves["emergence_verdict"] != "not emergent").sum())
    subtitle = (
        f"{n_emergent} emergent by the tests, then screened and unpredictable curves · dashed: each model "
        "predicted from the smaller ones, shaded: up to the one-sided bound"
    )
    label_figure(fig, title=TITLE, subtitle=subtitle, data_label=label, synthetic=synthetic)
    return fig


def run(*, data: str, metrics: str, figure: Any, scale: str, label: str, synthetic: bool) -> None:
    facts = load_metric_facts(metrics)
    draw_table(data, figure, lambda table: plot_gallery(table, facts, scale=scale, label=label, synthetic=synthetic))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
