"""Rule beyond_summary: the headline numbers of docs/design.md §9 ("is it emergent?" as a tested claim) in one JSON.

Every number is read back from a table another rule wrote (never recomputed or typed in), so
beyond_summary.json cannot disagree with the tables; the lead merges it into summary.json.

Inputs: tables/trend_by_metric.csv (rule trend_pvalues), tables/bootstrap_by_metric.csv
(bootstrap_tasks), tables/threshold_sensitivity_grid.csv (threshold_sensitivity),
tables/agreement_confusion.csv (human_agreement), tables/toy_resolution.csv (toy_model).
Output: beyond_summary.json. Params: label.

"Screened" = passes the possible emergence (Mirage screen), the `emergent` column. Keys (scope
`all` = every scored curve, comparable to summary.json's n_emergent_curves; the `_preferred` keys =
preferred-metric curves only, comparable to n_emergent_preferred_curves):
- trend test (does performance depend on scale? not sharpness): n_screened[_preferred],
  trend_expected_screened[_preferred] (expected to pass the screen if point order carried no
  information about scale) with _ci_low/_ci_high, trend_count_p_value[_preferred],
  n_screened_with_trend[_preferred] (screened and trend q <= fdr);
- bootstrap: share_mcg_exact (hand-annotated cases, those counted from task metadata included: the
  paper's "> 92%") with share_mcg_exact_ci_low/high; share_detected_mcg_exact (screened
  preferred-metric triplets) with its interval;
- sensitivity: few_metrics_holds_across_grid, headline_share_holds_across_grid and the paper's own
  bars paper_few_metrics_holds_across_grid, paper_headline_share_holds_across_grid; each also at
  the configured point (`configured_` + the grid column); the grid size, the points where each
  holds, few_metrics_definition;
- agreement (all families): agreement_tasks, agreement_precision, agreement_recall (with 95%
  Wilson intervals), agreement_cohen_kappa over all classed tasks, and the same with
  agreement_scale_matched_ (human positives the families' sizes can reach);
- toy model: for the longest target, toy_es_exact and toy_es_smallest_test_size (null when
  infinite; toy_es_smallest_test_size_infinite says so).
"""

import logging
import math
from typing import Any

import pandas as pd

from scripts.lib.io import json_safe, read_csv, run_rule, write_json
from scripts.lib.present.names import AGREEMENT_STATS, ALL_FAMILIES, COMPARISONS, HEADLINE, TOTAL
from scripts.lib.present.text import few_metrics_definition

logger = logging.getLogger(__name__)


def _row(table: pd.DataFrame, **match: Any) -> pd.Series | None:
    """The single row matching every column=value, or None."""
    sel = pd.Series(True, index=table.index)
    for column, value in match.items():
        sel &= table[column] == value
    rows = table[sel]
    if len(rows) > 1:
        raise ValueError(f"more than one row matches {match}")
    return rows.iloc[0] if len(rows) else None


def _get(row: pd.Series | None, column: str) -> Any:
    return None if row is None else json_safe(row[column])


SENSITIVITY_TESTS = ("few_metrics", "headline_share", "paper_few_metrics", "paper_headline_share")
"""The grid table's tests, each a `<test>_holds` column (headline-share tests are NA when vacuous)."""

AGREEMENT_COLUMNS = ("tasks", *AGREEMENT_STATS)


def summarise(
    *,
    trend: pd.DataFrame,
    bootstrap: pd.DataFrame,
    grid: pd.DataFrame,
    agreement: pd.DataFrame,
    toy: pd.DataFrame,
) -> dict[str, Any]:
    """The headline numbers of the five analyses (module docstring), from their tables."""
    out: dict[str, Any] = {}
    for scope, suffix in (("all", ""), ("preferred", "_preferred")):
        row = _row(trend, scope=scope, metric=TOTAL)
        out[f"n_screened{suffix}"] = _get(row, "observed_emergent")
        out[f"trend_expected_screened{suffix}"] = _get(row, "expected_emergent")
        out[f"trend_expected_screened_ci_low{suffix}"] = _get(row, "null_ci_low")
        out[f"trend_expected_screened_ci_high{suffix}"] = _get(row, "null_ci_high")
        out[f"trend_count_p_value{suffix}"] = _get(row, "count_p_value")
        out[f"n_screened_with_trend{suffix}"] = _get(row, "emergent_surviving_fdr")

    for scope, prefix in (("annotated", "share_mcg_exact"), ("preferred", "share_detected_mcg_exact")):
        row = _row(bootstrap, scope=scope, metric=HEADLINE)
        out[prefix] = _get(row, "share")
        out[f"{prefix}_ci_low"] = _get(row, "share_ci_low")
        out[f"{prefix}_ci_high"] = _get(row, "share_ci_high")

    out["sensitivity_grid_points"] = len(grid)
    out["sensitivity_grid_points_headline_share_defined"] = int(grid["headline_share_holds"].notna().sum())
    configured = grid[grid["is_configured"].astype(bool)]
    for test in SENSITIVITY_TESTS:
        holds = grid[f"{test}_holds"]
        defined = holds.notna()
        out[f"sensitivity_grid_points_{test}_holds"] = int(holds[defined].astype(bool).sum())
        out[f"{test}_holds_across_grid"] = bool(defined.any() and holds[defined].astype(bool).all())
        here = configured[f"{test}_holds"].iloc[0] if len(configured) else None
        out[f"configured_{test}_holds"] = None if here is None or pd.isna(here) else bool(here)
    out["few_metrics_definition"] = (
        few_metrics_definition(
            float(grid["few_metrics_max_fraction"].iloc[0]),
            float(grid["headline_share_min"].iloc[0]),
            paper_share=float(grid["paper_headline_share_min"].iloc[0]),
        )
        if len(grid)
        else None
    )

    for comparison, prefix in zip(COMPARISONS, ("agreement_", "agreement_scale_matched_"), strict=True):
        row = _row(agreement, family=ALL_FAMILIES, comparison=comparison)
        for column in AGREEMENT_COLUMNS:
            out[f"{prefix}{column}"] = _get(row, column)

    longest = toy[toy["length"] == toy["length"].max()]
    exact = longest[longest["test_size"].isna()]
    measured = longest[longest["test_size"].notna()].sort_values("test_size")
    out["toy_longest_length"] = json_safe(toy["length"].max()) if len(toy) else None
    out["toy_es_exact"] = json_safe(float(exact["es"].iloc[0])) if len(exact) else None
    smallest = measured.iloc[0] if len(measured) else None
    out["toy_smallest_test_size"] = None if smallest is None else int(smallest["test_size"])
    out["toy_es_smallest_test_size"] = _get(smallest, "es")
    out["toy_es_smallest_test_size_infinite"] = None if smallest is None else bool(smallest["es_infinite"])
    return out


def run(
    *,
    trend: str,
    bootstrap: str,
    grid: str,
    agreement: str,
    toy: str,
    summary: str,
    label: str,
) -> None:
    numbers = summarise(
        trend=read_csv(trend),
        bootstrap=read_csv(bootstrap),
        grid=read_csv(grid),
        agreement=read_csv(agreement),
        toy=read_csv(toy),
    )
    write_json(summary, {"data_label": label, **numbers})
    logger.info(
        "trend test: %s screened, %.1f expected without a trend, %s screened with a trend; MCG+exact share %s "
        "[%s, %s]; few metrics across grid: %s; agreement precision %s recall %s",
        numbers["n_screened"],
        numbers["trend_expected_screened"] or math.nan,
        numbers["n_screened_with_trend"],
        numbers["share_mcg_exact"],
        numbers["share_mcg_exact_ci_low"],
        numbers["share_mcg_exact_ci_high"],
        numbers["few_metrics_holds_across_grid"],
        numbers["agreement_precision"],
        numbers["agreement_recall"],
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
