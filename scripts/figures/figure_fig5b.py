"""Rule figure_fig5b: hand-annotated emergent tasks per preferred metric (Mirage Fig. 5B).

Inputs: tables/annotated_by_metric.csv and tables/annotated_missing.csv (from tally_metrics),
metrics.yaml. Output: figures/fig5b_annotated_by_metric.{formats} and the CSV of the plotted bars.
Params: annotations (the annotation file, named in the title), data_label, synthetic. docs/design.md §4-§5.

The annotation source gives no metric; each task gets its BIG-bench preferred metric (tally_metrics
says how). Annotated tasks the data lacks are counted in the subtitle, not dropped silently.
When no annotated task has scores in the data (lm-eval runs: the harness's tasks are not BIG-bench
tasks), every bar would come from BIG-bench's task metadata alone, the same on any such run, under
a "Data:" line naming data they do not come from; the figure then says so in one line and plots
nothing (the metadata counts stay in tables/annotated_by_metric.csv and annotated_missing.csv).
"""

import logging
from collections.abc import Mapping
from pathlib import Path
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
from scripts.lib.present.text import metric_name

logger = logging.getLogger(__name__)

TITLE = "Hand-annotated emergent tasks by preferred metric (Mirage Fig. 5B)"
BAR_COLUMNS = ["metric", "name", "annotated_cases", "annotated_tasks"]


def fig5b_data(annotated: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """The plotted bars: one per preferred metric, most annotated cases first."""
    if annotated.empty:
        return pd.DataFrame(columns=BAR_COLUMNS)
    out = annotated.sort_values(["annotated_cases", "metric"], ascending=[False, True], kind="mergesort")
    out = out.assign(name=[metric_name(m, facts) for m in out["metric"]])
    return out[BAR_COLUMNS].reset_index(drop=True)


def cases_with_scores(bars: pd.DataFrame, n_from_metadata: int) -> int:
    """Annotated cases counted because their task has scores in the data (the rest came from task metadata)."""
    return int(bars["annotated_cases"].sum()) - n_from_metadata


def no_scores_message(n_cases: int) -> str:
    """The one line shown instead of bars when no annotated case has scores in the data."""
    return f"None of the {n_cases} annotated cases has scores in this data."


def plot_fig5b(
    bars: pd.DataFrame,
    facts: Mapping[str, Mapping[str, Any]],
    *,
    n_missing: int,
    n_from_metadata: int = 0,
    source: str,
    data_label: str,
    synthetic: bool,
) -> Figure:
    """Horizontal bars of annotated (task, model family) cases per preferred metric."""
    in_data = cases_with_scores(bars, n_from_metadata)
    not_counted = n_missing - n_from_metadata
    subtitle = (
        f"Annotations: {source} · {in_data + n_missing} annotated cases: {in_data} with scores in the data"
        + (f", {n_from_metadata} by BIG-bench task metadata (no scores)" if n_from_metadata else "")
        + (f", {not_counted} not counted" if not_counted else "")
        + (" (tables/annotated_missing.csv)" if n_missing else "")
        + f" · {len(bars)} preferred metrics"
    )
    if in_data == 0:
        return message_figure(no_scores_message(n_missing), title=TITLE, data_label=data_label, synthetic=synthetic)
    fig = new_figure(7.0, 1.6 + 0.35 * len(bars))
    ax = fig.add_subplot()
    metric_bars(
        ax,
        list(bars["metric"]),
        bars["annotated_cases"],
        facts,
        labels=[str(int(v)) for v in bars["annotated_cases"]],
        xlabel="Annotated emergent (task, model family) cases",
    )
    ax.set_ylabel("BIG-bench preferred metric")
    label_figure(fig, title=TITLE, subtitle=subtitle, data_label=data_label, synthetic=synthetic)
    return fig


def run(
    *,
    annotated: str,
    missing: str,
    metrics: str,
    figure: Any,
    data: str,
    annotations: str,
    data_label: str,
    synthetic: bool,
) -> None:
    facts = load_metric_facts(metrics)
    missing_table = read_csv(missing)
    n_missing = len(missing_table)
    n_from_metadata = int(missing_table["counted_by_metadata"].sum()) if n_missing else 0
    bars = fig5b_data(read_csv(annotated), facts)
    drawn = cases_with_scores(bars, n_from_metadata) > 0
    if not drawn:
        logger.info("no annotated case has scores in the data (%d by task metadata alone): not drawn", n_from_metadata)
    with figure_style():
        fig = plot_fig5b(
            bars,
            facts,
            n_missing=n_missing,
            n_from_metadata=n_from_metadata,
            source=Path(annotations).name,
            data_label=data_label,
            synthetic=synthetic,
        )
        save_figure(fig, figure)
    write_csv(bars if drawn else bars.iloc[:0], data, label=data_label)  # the CSV holds what is plotted
    logger.info(
        "%d preferred metrics, %d annotated cases, %d missing", len(bars), bars["annotated_cases"].sum(), n_missing
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
