"""Rule beyond_summary: the headline numbers of issue 7 ("is it emergent?" as a tested claim) in one JSON.

Every number is read back from a table another rule wrote (never recomputed or typed in), so
beyond_summary.json cannot disagree with the tables; the lead merges it into summary.json.

Inputs: tables/null_by_metric.csv (rule null_model), tables/bootstrap_by_metric.csv
(bootstrap_tasks), tables/threshold_sensitivity_grid.csv (threshold_sensitivity),
tables/agreement_confusion.csv (human_agreement), tables/toy_resolution.csv (toy_model).
Output: beyond_summary.json. Params: label.

Keys (scope `all` = every scored curve, comparable to summary.json's n_emergent_curves; the
`_preferred` keys = preferred-metric curves only, comparable to n_emergent_preferred_curves):
- null model: n_emergent_observed[_preferred], expected_emergent_under_null[_preferred] and its
  null_ci_low/high[_preferred], null_count_p_value[_preferred], n_emergent_surviving_fdr[_preferred];
- bootstrap: share_mcg_exact (hand-annotated cases, the paper's "> 92%") with
  share_mcg_exact_ci_low/high; share_detected_mcg_exact (emergent preferred-metric triplets) with
  its interval;
- sensitivity: few_metrics_holds_across_grid, headline_share_holds_across_grid, the grid size, the
  points where each holds, few_metrics_definition;
- agreement (all families): agreement_tasks, agreement_precision, agreement_recall (with 95%
  Wilson intervals), agreement_cohen_kappa;
- toy model: for the longest target, toy_es_exact and toy_es_smallest_test_size (null when
  infinite; toy_es_smallest_test_size_infinite says so).
"""

import logging
import math
from typing import Any

import pandas as pd

from scripts.lib.io import json_safe, read_csv, run_rule, write_json
from scripts.lib.names import ALL_FAMILIES, HEADLINE, TOTAL
from scripts.lib.text import few_metrics_definition

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


def summarise(
    *,
    null: pd.DataFrame,
    bootstrap: pd.DataFrame,
    grid: pd.DataFrame,
    agreement: pd.DataFrame,
    toy: pd.DataFrame,
) -> dict[str, Any]:
    """The headline numbers of the five analyses (module docstring), from their tables."""
    out: dict[str, Any] = {}
    for scope, suffix in (("all", ""), ("preferred", "_preferred")):
        row = _row(null, scope=scope, metric=TOTAL)
        out[f"n_emergent_observed{suffix}"] = _get(row, "observed_emergent")
        out[f"expected_emergent_under_null{suffix}"] = _get(row, "expected_emergent")
        out[f"expected_emergent_under_null_ci_low{suffix}"] = _get(row, "null_ci_low")
        out[f"expected_emergent_under_null_ci_high{suffix}"] = _get(row, "null_ci_high")
        out[f"null_count_p_value{suffix}"] = _get(row, "count_p_value")
        out[f"n_emergent_surviving_fdr{suffix}"] = _get(row, "emergent_surviving_fdr")

    for scope, prefix in (("annotated", "share_mcg_exact"), ("preferred", "share_detected_mcg_exact")):
        row = _row(bootstrap, scope=scope, metric=HEADLINE)
        out[prefix] = _get(row, "share")
        out[f"{prefix}_ci_low"] = _get(row, "share_ci_low")
        out[f"{prefix}_ci_high"] = _get(row, "share_ci_high")

    holds = grid["few_metrics_holds"].astype(bool)
    share = grid["headline_share_holds"]
    defined = share.notna()
    out["sensitivity_grid_points"] = len(grid)
    out["sensitivity_grid_points_few_metrics_holds"] = int(holds.sum())
    out["sensitivity_grid_points_headline_share_defined"] = int(defined.sum())
    out["sensitivity_grid_points_headline_share_holds"] = int(share[defined].astype(bool).sum())
    out["few_metrics_holds_across_grid"] = bool(len(grid) and holds.all())
    out["headline_share_holds_across_grid"] = bool(defined.any() and share[defined].astype(bool).all())
    out["few_metrics_definition"] = (
        few_metrics_definition(
            float(grid["few_metrics_max_fraction"].iloc[0]), float(grid["headline_share_min"].iloc[0])
        )
        if len(grid)
        else None
    )

    row = _row(agreement, family=ALL_FAMILIES)
    out["agreement_tasks"] = _get(row, "tasks")
    for column in (
        "precision",
        "precision_ci_low",
        "precision_ci_high",
        "recall",
        "recall_ci_low",
        "recall_ci_high",
        "cohen_kappa",
    ):
        out[f"agreement_{column}"] = _get(row, column)

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
    null: str,
    bootstrap: str,
    grid: str,
    agreement: str,
    toy: str,
    summary: str,
    label: str,
) -> None:
    numbers = summarise(
        null=read_csv(null),
        bootstrap=read_csv(bootstrap),
        grid=read_csv(grid),
        agreement=read_csv(agreement),
        toy=read_csv(toy),
    )
    write_json(summary, {"data_label": label, **numbers})
    logger.info(
        "null: %s emergent observed, %.1f expected, %s survive FDR; MCG+exact share %s [%s, %s]; few metrics across "
        "grid: %s; agreement precision %s recall %s",
        numbers["n_emergent_observed"],
        numbers["expected_emergent_under_null"] or math.nan,
        numbers["n_emergent_surviving_fdr"],
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
