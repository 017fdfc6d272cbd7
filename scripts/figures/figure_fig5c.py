"""Rule figure_fig5c: each metric's share of the emergent cases (Mirage Fig. 5C).

Inputs: tables/emergent_share_by_metric.csv (from tally_metrics), emergence.parquet (the screen's
criterion, for the title), metrics.yaml. Output:
figures/fig5c_emergent_share_by_metric.{formats} and the CSV of the plotted bars. Params:
triplet_rule (titles), data_label, synthetic. docs/design.md §4-§5.

Two panels with the same metric order and colours: the hand-annotated emergent cases (the paper's
Fig. 5C) and the preferred-metric triplets our emergence score calls emergent, so the reader sees
whether the paper's "> 92% under two metrics" holds for both.
"""

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from scripts.lib.io import load_metric_facts, read_csv, run_rule, write_csv
from scripts.lib.present.plot_style import (
    figure_style,
    label_figure,
    message_figure,
    metric_bars,
    new_figure,
    save_figure,
)
from scripts.lib.present.text import metric_name, threshold_text, triplet_rule_text
from scripts.lib.score_table import HEADLINE_METRICS
from scripts.lib.stats.emergence import SETTING_COLUMNS, screen_setting
from scripts.lib.stats.tally import combined_share, parse_triplet_rule

logger = logging.getLogger(__name__)

TITLE = "Share of emergent cases per metric (Mirage Fig. 5C)"
PANELS = (
    ("annotated", "annotated_cases", "annotated_share", "Hand-annotated emergent cases"),
    (
        "detected",
        "detected_emergent_triplets",
        "detected_share",
        "Preferred-metric triplets, possible emergence (Mirage screen)",
    ),
)
BAR_COLUMNS = ["panel", "metric", "name", "count", "share"]


def fig5c_data(share: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Long table of the plotted bars: one row per (panel, metric), in the table's metric order."""
    rows = []
    for panel, count_col, share_col, _ in PANELS:
        for row in share.itertuples(index=False):
            rows.append(
                {
                    "panel": panel,
                    "metric": row.metric,
                    "name": metric_name(row.metric, facts),
                    "count": int(getattr(row, count_col)),
                    "share": float(getattr(row, share_col)),
                }
            )
    return pd.DataFrame(rows, columns=BAR_COLUMNS)


def _pct(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{100 * value:.1f}%"


def plot_fig5c(
    bars: pd.DataFrame,
    share: pd.DataFrame,
    facts: Mapping[str, Mapping[str, Any]],
    *,
    emergence_threshold: Any,
    min_effect: float,
    triplet_rule: Any,
    data_label: str,
    synthetic: bool,
) -> Figure:
    """Two bar panels (annotated, detected) of the share per metric, same order and colours."""
    if bars.empty:
        return message_figure(
            "No emergent cases: nothing annotated was found in the data and no curve is emergent.",
            title=TITLE,
            data_label=data_label,
            synthetic=synthetic,
        )
    metrics = list(dict.fromkeys(bars["metric"]))
    fig = new_figure(10.0, 1.8 + 0.35 * len(metrics))
    axes = fig.subplots(1, 2, sharey=True)
    names = " or\n".join(metric_name(m, facts) for m in HEADLINE_METRICS)
    for ax, (panel, count_col, _, heading) in zip(axes, PANELS, strict=True):
        sub = bars[bars["panel"] == panel].set_index("metric").loc[metrics]
        values = sub["share"].fillna(0.0) * 100
        labels = [f"{_pct(s)} ({c})" for s, c in zip(sub["share"], sub["count"], strict=True)]
        metric_bars(ax, metrics, values, facts, labels=labels, xlabel="Share of emergent cases (%)")
        total = int(sub["count"].sum())
        ax.set_title(f"{heading} (n = {total})\n{_pct(combined_share(share, count_col))} under {names}", fontsize=9)
    criterion = (
        f"{threshold_text(emergence_threshold, min_effect)}; {triplet_rule_text(parse_triplet_rule(triplet_rule))}"
    )
    label_figure(fig, title=TITLE, subtitle=f"Right panel: {criterion}", data_label=data_label, synthetic=synthetic)
    return fig


def run(
    *,
    share: str,
    emergence: str,
    metrics: str,
    figure: Any,
    data: str,
    triplet_rule: Any,
    data_label: str,
    synthetic: bool,
) -> None:
    facts = load_metric_facts(metrics)
    table = read_csv(share)
    bars = fig5c_data(table, facts)
    emergence_threshold, min_effect = screen_setting(pd.read_parquet(emergence, columns=SETTING_COLUMNS))
    with figure_style():
        fig = plot_fig5c(
            bars,
            table,
            facts,
            emergence_threshold=emergence_threshold,
            min_effect=min_effect,
            triplet_rule=triplet_rule,
            data_label=data_label,
            synthetic=synthetic,
        )
        save_figure(fig, figure)
    write_csv(bars, data, label=data_label)
    logger.info("%d metrics with emergent cases", table["metric"].nunique())


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
