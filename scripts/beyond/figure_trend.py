"""Rule figure_trend: curves passing the Mirage screen, observed vs expected without a trend (docs/statistics.md).

Draws figures/trend_observed_vs_expected.{formats} from figures/trend_observed_vs_expected.csv, which
rule trend_pvalues writes: per (scope, metric) the curves passing the screen ("possible emergence (Mirage
screen)"), the count expected if point order carried no information about scale, with its interval,
the screened curves whose trend test survives Benjamini-Hochberg, the `(total)` row of
each scope (panel titles) and the settings stated in the legend and subtitle (permutations, level,
fdr, emergence_threshold, min_effect). Nothing is recomputed here, so editing `figures.formats`
reruns only this drawing.

Inputs: the figure CSV, metrics.yaml (metric colours). Output: the figure in every format.
Params: label, synthetic.
"""

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scripts.lib.io import load_metric_facts, run_rule
from scripts.lib.present.names import NULL_SCOPES, TOTAL
from scripts.lib.present.plot_style import draw_table, label_figure, message_figure, metric_color, new_figure
from scripts.lib.present.text import SCREEN_NAME, threshold_text

logger = logging.getLogger(__name__)

TITLE = "Trend test: curves passing the Mirage screen, observed vs expected without a trend"


def plot_trend(data: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]], *, label: str, synthetic: bool) -> Figure:
    """Per metric and scope: screened curves (dot), expectation without a trend with interval, BH survivors."""
    rows = data[data["metric"] != TOTAL]
    if rows.empty:
        return message_figure("No scored curves.", title=TITLE, data_label=label, synthetic=synthetic)
    first = data.iloc[0]
    permutations, level, fdr = int(first["permutations"]), float(first["level"]), float(first["fdr"])
    criterion = threshold_text(first["emergence_threshold"], float(first["min_effect"]))
    scopes = [s for s in NULL_SCOPES if (rows["scope"] == s).any()]
    heights = [max(2, (rows["scope"] == s).sum()) for s in scopes]
    fig = new_figure(9.5, 1.6 + 0.32 * sum(heights))  # 2 in. for the legend right of the panels
    axes = fig.subplots(len(scopes), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    for ax, scope in zip(axes, scopes, strict=True):
        part = rows[rows["scope"] == scope].reset_index(drop=True)
        ys = np.arange(len(part))
        exp = part["expected_emergent"].to_numpy()
        err = np.vstack([exp - part["null_ci_low"], part["null_ci_high"] - exp]).clip(min=0)
        ax.errorbar(
            exp,
            ys + 0.15,
            xerr=err,
            fmt="D",
            color="#777777",
            mfc="white",
            ms=5,
            capsize=3,
            label=f"expected without a trend ({level:.0%} interval)",
        )
        colors = [metric_color(m, facts) for m in part["metric"]]
        ax.scatter(part["observed_emergent"], ys, color=colors, s=40, zorder=3, label=SCREEN_NAME)
        ax.scatter(
            part["emergent_surviving_fdr"],
            ys - 0.15,
            marker="x",
            color="black",
            s=28,
            zorder=3,
            label=f"screened, trend q ≤ {fdr:g}",
        )
        ax.set_yticks(ys, part["name"])
        ax.set_ylim(len(part) - 0.5, -0.5)
        ax.set_xlim(left=-0.5)
        total = data[(data["scope"] == scope) & (data["metric"] == TOTAL)].iloc[0]
        what = "preferred-metric curves" if scope == "preferred" else "all curves"
        ax.set_title(
            f"{what}: screened {total['observed_emergent']}, expected {total['expected_emergent']:.1f} "
            f"[{total['null_ci_low']}, {total['null_ci_high']}], with a trend {total['emergent_surviving_fdr']}",
            loc="left",
            fontsize=9,
        )
        ax.set_xlabel("curves passing the Mirage screen")
        ax.grid(axis="y", visible=False)
    # Right of the first panel, outside the axes: inside, it hid a metric's point wherever the counts fell.
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    label_figure(
        fig,
        title=TITLE,
        subtitle=(
            f"H0: point order says nothing about scale (all orderings if n! ≤ {permutations}, else {permutations} "
            f"random); {criterion}; BH over all scored curves. Tests a trend, not sharpness: "
            "flat-then-jump curves (ES = ∞) rarely pass."
        ),
        data_label=label,
        synthetic=synthetic,
    )
    return fig


def run(*, data: str, metrics: str, figure: Any, label: str, synthetic: bool) -> None:
    facts = load_metric_facts(metrics)
    table = draw_table(data, figure, lambda t: plot_trend(t, facts, label=label, synthetic=synthetic))
    logger.info("drew %d (scope, metric) rows", int((table["metric"] != TOTAL).sum()))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
