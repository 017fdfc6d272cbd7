"""Rule figure_verdicts: per metric, curves passing the Mirage screen, unpredictable, and the tested classes.

docs/statistics.md, "Verdicts": the figure beside Fig. 5A. Per metric (identical curves counted
once): the curves that pass the possible emergence (Mirage screen), those also unpredictable from
smaller models, and the emergent ones (screen, unpredictable, not resolved as smooth) stacked by
cause (`emergence_verdict`: metric-induced, emergent under the continuous metric too, no
continuous metric to tell). Input: figures/verdicts_by_metric.csv (written by curve_verdicts; scope
`all`), metrics.yaml (names). Output: figures/verdicts_by_metric.{formats}. Params: label, synthetic.
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

TITLE = "Possible emergence (Mirage screen) against the tested verdicts and their cause, per metric"
BARS = [
    ("screen", "passes the Mirage screen", "#bab0ac"),
    ("screen_unpredictable", "… and unpredictable from smaller models", "#f28e2b"),
]
CLASS_BARS = [
    ("metric_induced", "emergent, metric-induced", "#59a14f"),
    ("continuous_too", "emergent under the continuous metric too", "#e15759"),
    ("no_continuous", "emergent, no continuous metric to tell", "#9c755f"),
]


def plot_verdicts(data: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]], *, label: str, synthetic: bool) -> Figure:
    """Per metric with a screened curve: two bars, then the emergent curves stacked by class."""
    rows = data[(data["scope"] == "all") & (data["metric"] != "(total)") & (data["screen"] > 0)]
    if rows.empty:
        return message_figure("No curve passes the Mirage screen.", title=TITLE, data_label=label, synthetic=synthetic)
    rows = rows.sort_values(["screen", "metric"], ascending=[False, True], kind="stable")
    fig = new_figure(7.5, 1.4 + 0.6 * len(rows))
    ax = fig.add_subplot()
    ys = np.arange(len(rows))
    slots = len(BARS) + 1
    height = 0.8 / slots
    offset = [(i - (slots - 1) / 2) * height for i in range(slots)]
    for i, (col, text, color) in enumerate(BARS):
        vals = rows[col].to_numpy(float)
        ax.barh(ys + offset[i], vals, height=height, color=color, label=text)
        for y, v in zip(ys, vals, strict=True):
            ax.text(v, y + offset[i], f" {int(v)}", va="center", fontsize=7)
    left = np.zeros(len(rows))
    for col, text, color in CLASS_BARS:
        vals = rows[col].to_numpy(float)
        ax.barh(ys + offset[-1], vals, left=left, height=height, color=color, label=text)
        left += vals
    for y, v in zip(ys, left, strict=True):
        ax.text(v, y + offset[-1], f" {int(v)}", va="center", fontsize=7)
    ax.set_yticks(ys, [metric_name(m, facts) for m in rows["metric"]])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("distinct curves (identical copies counted once)")
    ax.legend(loc="lower right", fontsize=7)
    total = data[(data["scope"] == "all") & (data["metric"] == "(total)")].iloc[0]
    subtitle = (
        f"{int(total['screen'])} screened, {int(total['screen_unpredictable'])} unpredictable, "
        f"{int(total['emergent_tested'])} emergent by the tests: "
        + ", ".join(f"{int(total[col])} {text.removeprefix('emergent, ')}" for col, text, _ in CLASS_BARS)
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
