"""Rule figure_calibration: false-positive rates and coverage per smooth shape; power by gap position. SYNTHETIC.

docs/statistics.md, "Calibration". Input: figures/calibration.csv (written by calibration_study,
one row per cell and rate). Outputs: figures/calibration.{formats} (every smooth cell's rate of
`sharp`, `unpredictable`, `emergent_tested` and the backtest's coverage, one dot per ladder, n and
phi; crosses fail level + 2 MC SE; open circles: not judged, the rise's onset hidden from the
smaller models, where unpredictable is the right answer) and figures/calibration_power.{formats}
(the share of jump curves flagged, by the position of the jump's gap on each ladder). Params: label.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scripts.lib.io import run_rule
from scripts.lib.present.plot_style import draw_table, label_figure, new_figure

logger = logging.getLogger(__name__)

TITLE = "Calibration of the tested verdicts on smooth curves (SYNTHETIC curves, real ladders)"
POWER_TITLE = "Power by the position of the jump (SYNTHETIC curves, real ladders)"
RATES = ("sharp", "unpredictable", "emergent_tested", "coverage")
LADDER_COLORS = {"BIG-G": "#4e79a7", "GPT-3": "#f28e2b", "PaLM": "#59a14f"}
JUMP_COLORS = ("#bab0ac", "#76b7b2", "#4e79a7", "#1f3b73")


def plot_rates(data: pd.DataFrame, *, label: str) -> Figure:
    """One panel per rate; rows are smooth shapes, one dot per (ladder, n, phi) cell."""
    smooth = data[data["smooth"].astype(bool)]
    shapes = list(dict.fromkeys(smooth["shape"]))
    fig = new_figure(12, 2.0 + 0.22 * len(shapes))
    axes = fig.subplots(1, len(RATES), sharey=True)
    ys = dict(zip(shapes, np.arange(len(shapes)), strict=True))
    for ax, rate in zip(axes, RATES, strict=True):
        part = smooth[smooth["rate"] == rate]
        for i, (ladder, cells) in enumerate(part.groupby("ladder", sort=True)):
            y = cells["shape"].map(ys).to_numpy(float) + (i - 1) * 0.2
            ok = cells["ok"].astype("boolean")
            judged, passed = ok.notna().to_numpy(bool), ok.fillna(False).to_numpy(bool)
            color = LADDER_COLORS.get(str(ladder), "#999999")
            x = cells["value"].to_numpy(float)
            ax.scatter(x[passed], y[passed], s=9, color=color, alpha=0.6, label=str(ladder), linewidths=0)
            ax.scatter(x[judged & ~passed], y[judged & ~passed], s=22, color=color, marker="x", linewidths=1)
            ax.scatter(x[~judged], y[~judged], s=12, facecolors="none", edgecolors=color, linewidths=0.8)
        level = part["level"].dropna()
        if len(level):
            ax.axvline(float(level.iloc[0]), color="#c00000", linestyle="--", linewidth=1)
        ax.set_xlim(-0.02, 1.02)
        ax.set_title("backtest coverage" if rate == "coverage" else f"false {rate}", fontsize=9)
        ax.set_xlabel("share of curves (line: " + ("floor)" if rate == "coverage" else "level)"), fontsize=8)
    axes[0].set_yticks(list(ys.values()), shapes, fontsize=7)
    axes[0].set_ylim(len(shapes) - 0.5, -0.5)
    axes[0].legend(fontsize=7, loc="lower right")
    subtitle = (
        "One dot per ladder, n and phi; x: cell fails rate <= level + 2 Monte-Carlo SE; "
        "o: onset hidden from the smaller models, not judged"
    )
    label_figure(fig, title=TITLE, subtitle=subtitle, data_label=label, synthetic=True)
    return fig


def plot_power(data: pd.DataFrame, *, label: str) -> Figure:
    """Rows: sharp, unpredictable, emergent_tested; columns: ladders; one line per jump size (mean over n, phi)."""
    jumps = data[~data["smooth"].astype(bool) & data["rate"].isin(RATES[:3])]
    ladders = list(dict.fromkeys(jumps["ladder"]))
    sizes = sorted(jumps["jump_se"].dropna().unique())
    fig = new_figure(3.2 * max(len(ladders), 1), 7.5)
    axes = np.atleast_2d(fig.subplots(3, max(len(ladders), 1), sharey=True, squeeze=False))
    power = jumps.groupby(["rate", "ladder", "jump_se", "gap_log10_x"], sort=True)["value"].mean()
    for r, rate in enumerate(RATES[:3]):
        for c, ladder in enumerate(ladders):
            ax = axes[r, c]
            for k, size in enumerate(sizes):
                line = power.get((rate, ladder, size))
                if line is None:
                    continue
                color = JUMP_COLORS[min(k, len(JUMP_COLORS) - 1)]
                ax.plot(line.index, line.to_numpy(), marker="o", markersize=3, color=color, label=f"{size:g} SE")
            ax.set_ylim(-0.02, 1.02)
            if r == 0:
                ax.set_title(str(ladder), fontsize=9)
            if c == 0:
                ax.set_ylabel(f"share {rate}", fontsize=8)
            if r == 2:
                ax.set_xlabel("jump's gap (log10 parameters, midpoint)", fontsize=8)
    axes[0, 0].legend(fontsize=7, title="jump", title_fontsize=7, loc="upper left")
    span = f"{min(sizes, default=0):g}-{max(sizes, default=0):g}"
    subtitle = f"Flat at chance, then a jump of {span} SE at one gap; mean over n and phi"
    label_figure(fig, title=POWER_TITLE, subtitle=subtitle, data_label=label, synthetic=True)
    return fig


def run(*, data: str, figure: Any, figure_power: Any, label: str) -> None:
    draw_table(data, figure, lambda table: plot_rates(table, label=label))
    draw_table(data, figure_power, lambda table: plot_power(table, label=label))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
