"""Rule figure_bootstrap: each metric's share of the emergent cases with bootstrap intervals (docs/design.md §9.2).

Draws figures/emergent_share_bootstrap.{formats} from figures/emergent_share_bootstrap.csv, which
rule bootstrap_tasks writes: for the hand-annotated cases and the detected emergent
preferred-metric triplets, each metric's share of the emergent cases with its percentile interval
over task resamples, the combined Multiple choice grade + Exact string match bar (dark), the
`(total)` row of each scope (panel titles) and the settings the subtitle states (samples, level,
triplet_rule). Nothing is recomputed here, so editing `figures.formats` reruns only this drawing.

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
from scripts.lib.present.names import BOOTSTRAP_FIGURE_SCOPES, HEADLINE, TOTAL
from scripts.lib.present.plot_style import draw_table, label_figure, message_figure, metric_color, new_figure
from scripts.lib.present.text import triplet_rule_text
from scripts.lib.stats.tally import parse_triplet_rule

logger = logging.getLogger(__name__)

TITLE = "Share of emergent cases per metric, with bootstrap intervals over tasks"

PAPER_SHARE = 0.92
"""Mirage Sec. 4: "over 92%" of the annotated emergent abilities are under MCG or exact match (drawn as a reference)."""


def plot_share_bootstrap(
    data: pd.DataFrame,
    facts: Mapping[str, Mapping[str, Any]],
    *,
    label: str,
    synthetic: bool,
) -> Figure:
    """Per scope (annotated, preferred): each metric's share of emergent cases with its bootstrap interval."""
    rows = data[data["scope"].isin(BOOTSTRAP_FIGURE_SCOPES) & (data["metric"] != TOTAL)]
    rows = rows[rows["emergent"] > 0]
    if rows.empty:
        return message_figure("No emergent cases to resample.", title=TITLE, data_label=label, synthetic=synthetic)
    first = data.iloc[0]
    samples, level = int(first["samples"]), float(first["level"])
    rule_text = triplet_rule_text(parse_triplet_rule(first["triplet_rule"]))
    scopes = [s for s in BOOTSTRAP_FIGURE_SCOPES if (rows["scope"] == s).any()]
    fig = new_figure(5.2 * len(scopes), 1.8 + 0.35 * rows.groupby("scope").size().max())
    axes = fig.subplots(1, len(scopes), squeeze=False)[0]
    for ax, scope in zip(axes, scopes, strict=True):
        part = rows[rows["scope"] == scope].reset_index(drop=True)
        ys = np.arange(len(part))
        share = part["share"].to_numpy()
        err = np.vstack([share - part["share_ci_low"], part["share_ci_high"] - share]).clip(min=0)
        colors = ["#333333" if m == HEADLINE else metric_color(m, facts) for m in part["metric"]]
        ax.barh(ys, share, color=colors, height=0.7, xerr=err, capsize=3, error_kw={"elinewidth": 1})
        for y, row in zip(ys, part.itertuples(), strict=True):
            ax.text(
                min(row.share_ci_high, 1.0) + 0.02,
                y,
                f"{row.share:.0%} [{row.share_ci_low:.0%}, {row.share_ci_high:.0%}]",
                va="center",
                fontsize=7,
            )
        ax.set_yticks(ys, part["name"])
        ax.set_ylim(len(part) - 0.5, -0.5)
        ax.set_xlim(0, 1.45)
        ax.set_xticks([0, 0.5, 1.0], ["0%", "50%", "100%"])
        if scope == "annotated":
            ax.axvline(PAPER_SHARE, color="#c00000", linestyle="--", linewidth=1)
            ax.text(PAPER_SHARE, len(part) - 0.45, " paper: > 92%", color="#c00000", fontsize=7, va="bottom")
        total = data[(data["scope"] == scope) & (data["metric"] == TOTAL)].iloc[0]
        what = "hand-annotated emergent cases" if scope == "annotated" else "triplets passing the Mirage screen"
        ax.set_title(f"{what} (n = {total['emergent']}, {total['tasks']} tasks)", loc="left", fontsize=9)
        ax.set_xlabel("share of emergent cases")
        ax.grid(axis="y", visible=False)
    label_figure(
        fig,
        title=TITLE,
        subtitle=f"{samples} resamples of tasks with replacement; {level:.0%} percentile intervals; {rule_text}",
        data_label=label,
        synthetic=synthetic,
    )
    return fig


def run(*, data: str, metrics: str, figure: Any, label: str, synthetic: bool) -> None:
    facts = load_metric_facts(metrics)
    table = draw_table(data, figure, lambda t: plot_share_bootstrap(t, facts, label=label, synthetic=synthetic))
    logger.info("drew %d bars", int((table["metric"] != TOTAL).sum()))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
