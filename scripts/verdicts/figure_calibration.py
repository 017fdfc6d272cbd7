"""Rule figure_calibration: false-positive rate and power of the sharpness test, backtest coverage. SYNTHETIC.

docs/statistics.md. Input: figures/calibration.csv (written by calibration_study). Output:
figures/calibration.{formats}. Params: label, level (the nominal level, drawn as a line).
"""

import logging
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scripts.lib.io import run_rule
from scripts.lib.present.plot_style import draw_table, label_figure, new_figure

logger = logging.getLogger(__name__)

TITLE = "Calibration of the sharpness test and the backtest (SYNTHETIC curves, real ladders and test sizes)"
COLORS = {"lr": "#4e79a7", "es": "#f28e2b"}


def plot_calibration(data: pd.DataFrame, *, label: str, level: float) -> Figure:
    """Left: rejection rate per shape and statistic (mean over ladders and n); right: backtest coverage."""
    fig = new_figure(10, 4.2)
    left, right = fig.subplots(1, 2, width_ratios=[2, 1])
    rates = data.groupby(["shape", "statistic"])["rejection_rate"].mean().unstack("statistic")
    order = data.drop_duplicates("shape").sort_values(["smooth", "shape"], ascending=[False, True])["shape"].tolist()
    rates = rates.reindex(order)
    ys = np.arange(len(rates))
    for i, stat in enumerate(sorted(rates.columns)):
        left.barh(ys + (i - 0.5) * 0.4, rates[stat], height=0.4, color=COLORS.get(stat, "#999999"), label=stat)
    left.axvline(level, color="#c00000", linestyle="--", linewidth=1, label=f"level {level:g}")
    left.set_yticks(ys, order)
    left.set_ylim(len(order) - 0.5, -0.5)
    left.set_xlim(0, 1)
    left.set_xlabel("share of curves with p_sharp ≤ level (smooth: false positives; jump: power)")
    left.legend(fontsize=7, loc="lower right")
    cover = data[data["smooth"] & (data["statistic"] == data["statistic"].iloc[0])]
    cov = cover.groupby("shape")["backtest_coverage"].mean()
    yc = np.arange(len(cov))
    right.barh(yc, cov.to_numpy(), color="#59a14f", height=0.6)
    right.axvline(0.95, color="#c00000", linestyle="--", linewidth=1)
    right.axvline(0.90, color="#555555", linestyle=":", linewidth=1)
    right.set_yticks(yc, cov.index.tolist())
    right.set_ylim(len(cov) - 0.5, -0.5)
    right.set_xlim(0, 1)
    right.set_xlabel("backtest coverage (nominal 0.95)")
    label_figure(fig, title=TITLE, subtitle=None, data_label=label, synthetic=True)
    return fig


def run(*, data: str, figure: Any, label: str, level: float) -> None:
    draw_table(data, figure, lambda table: plot_calibration(table, label=label, level=float(level)))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
