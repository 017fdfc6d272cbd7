"""Rule figure_verdicts: per metric, curves passing the Mirage screen, sharp, and sharp and unpredictable.

docs/statistics.md: the figure beside Fig. 5A. Input: figures/verdicts_by_metric.csv (written by
curve_verdicts; scope `all`), metrics.yaml (names, colours). Output: figures/verdicts_by_metric.{formats}.
Params: label, synthetic.
"""

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scripts.lib.io import load_metric_facts, run_rule
from scripts.lib.present.plot_style import draw_table, label_figure, message_figure, new_figure
from scripts.lib.present.text import metric_name

logger = logging.getLogger(__name__)

TITLE = "Possible emergence (Mirage screen) against the tested properties, per metric"
BARS = [
    ("screen", "passes the Mirage screen", "#bab0ac"),
    ("screen_sharp", "… and sharp against noise", "#4e79a7"),
    ("screen_unpredictable", "… and unpredictable from smaller models", "#f28e2b"),
    ("emergent_tested", "… and both (emergent, tested)", "#e15759"),
]


def plot_verdicts(data: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]], *, label: str, synthetic: bool) -> Figure:
    """Grouped horizontal bars per metric (scope all, metrics with at least one screened curve)."""
    rows = data[(data["scope"] == "all") & (data["metric"] != "(total)") & (data["screen"] > 0)]
    if rows.empty:
        return message_figure("No curve passes the Mirage screen.", title=TITLE, data_label=label, synthetic=synthetic)
    rows = rows.sort_values(["screen", "metric"], ascending=[False, True], kind="stable")
    fig = new_figure(7.5, 1.2 + 0.55 * len(rows))
    ax = fig.add_subplot()
    ys = np.arange(len(rows))
    height = 0.8 / len(BARS)
    for i, (col, text, color) in enumerate(BARS):
        vals = rows[col].to_numpy(float)
        ax.barh(ys + (i - (len(BARS) - 1) / 2) * height, vals, height=height, color=color, label=text)
        for y, v in zip(ys, vals, strict=True):
            ax.text(v, y + (i - (len(BARS) - 1) / 2) * height, f" {int(v)}", va="center", fontsize=7)
    ax.set_yticks(ys, [metric_name(m, facts) for m in rows["metric"]])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("curves")
    ax.legend(loc="lower right", fontsize=7)
    total = data[(data["scope"] == "all") & (data["metric"] == "(total)")].iloc[0]
    subtitle = (
        f"{int(total['screen_sharp'])} of {int(total['screen'])} screened curves are sharp against a smooth null "
        f"with their sampling noise, {int(total['screen_unpredictable'])} unpredictable from smaller models, "
        f"{int(total['emergent_tested'])} both"
    )
    label_figure(fig, title=TITLE, subtitle=subtitle, data_label=label, synthetic=synthetic)
    return fig


def run(*, data: str, metrics: str, figure: Any, label: str, synthetic: bool) -> None:
    facts = load_metric_facts(metrics)
    draw_table(data, figure, lambda table: plot_verdicts(table, facts, label=label, synthetic=synthetic))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
