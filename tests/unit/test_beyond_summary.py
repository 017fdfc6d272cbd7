"""beyond_summary.json is read back from the tables of docs/design.md §9, and its rules run on the sample."""

import json

import pandas as pd
import pytest

from scripts.beyond.beyond_summary import summarise
from scripts.lib.io import read_csv

HEADLINE = "multiple_choice_grade+exact_str_match"


def tables() -> dict[str, pd.DataFrame]:
    trend = pd.DataFrame(
        {
            "scope": ["preferred", "preferred", "all", "all"],
            "metric": ["m", "(total)", "m", "(total)"],
            "observed_emergent": [5, 5, 7, 7],
            "expected_emergent": [1.5, 1.5, 2.25, 2.25],
            "null_ci_low": [0, 0, 0, 0],
            "null_ci_high": [3, 3, 5, 5],
            "count_p_value": [0.001, 0.001, 0.002, 0.002],
            "emergent_surviving_fdr": [4, 4, 6, 6],
        }
    )
    bootstrap = pd.DataFrame(
        {
            "scope": ["annotated", "preferred"],
            "metric": [HEADLINE, HEADLINE],
            "share": [0.9, 0.6],
            "share_ci_low": [0.8, 0.5],
            "share_ci_high": [1.0, 0.7],
        }
    )
    grid = pd.DataFrame(
        {
            "is_configured": [False, True, False],
            "few_metrics_holds": [True, False, True],
            "headline_share_holds": pd.array([True, pd.NA, True], dtype="boolean"),
            "paper_few_metrics_holds": [False, False, True],
            "paper_headline_share_holds": pd.array([False, pd.NA, True], dtype="boolean"),
            "few_metrics_max_fraction": 0.5,
            "headline_share_min": 0.5,
            "paper_headline_share_min": 0.92,
        }
    )
    agreement = pd.DataFrame(
        {
            "comparison": ["all tasks", "all tasks", "scale-matched", "scale-matched"],
            "family": ["F", "all families", "F", "all families"],
            "tasks": [3, 4, 2, 3],
            "precision": [1.0, 0.5, 1.0, 0.5],
            "precision_ci_low": [0.2, 0.1, 0.2, 0.1],
            "precision_ci_high": [1.0, 0.9, 1.0, 0.9],
            "recall": [0.5, 0.25, 1.0, 0.5],
            "recall_ci_low": [0.1, 0.05, 0.2, 0.1],
            "recall_ci_high": [0.9, 0.7, 1.0, 0.9],
            "cohen_kappa": [0.1, float("nan"), 0.2, 0.3],
        }
    )
    toy = pd.DataFrame(
        {
            "length": [5, 5, 5, 1],
            "test_size": pd.array([None, 1000, 10, None], dtype="Int64"),
            "es": [37.0, 40.0, float("inf"), 10.0],
            "es_infinite": [False, False, True, False],
        }
    )
    return {"trend": trend, "bootstrap": bootstrap, "grid": grid, "agreement": agreement, "toy": toy}


def test_summary_numbers_come_from_the_tables():
    out = summarise(**tables())
    assert out["n_screened"] == 7 and out["n_screened_preferred"] == 5
    assert out["trend_expected_screened"] == 2.25 and out["trend_expected_screened_ci_high"] == 5
    assert out["n_screened_with_trend"] == 6 and out["n_screened_with_trend_preferred"] == 4
    assert out["trend_count_p_value"] == 0.002 and out["trend_count_p_value_preferred"] == 0.001
    assert (out["share_mcg_exact"], out["share_mcg_exact_ci_low"], out["share_mcg_exact_ci_high"]) == (0.9, 0.8, 1.0)
    assert out["share_detected_mcg_exact"] == 0.6
    # the grid: few metrics fails at one point; the headline share holds wherever it is defined
    assert out["few_metrics_holds_across_grid"] is False and out["headline_share_holds_across_grid"] is True
    assert out["sensitivity_grid_points_headline_share_defined"] == 2
    assert "<= 0.5 x preferred metrics" in out["few_metrics_definition"]
    assert ">= 0.92" in out["few_metrics_definition"]
    # the paper's bars: few metrics holds at 1 of 3 points; the share holds at 1 of its 2 defined points
    assert out["sensitivity_grid_points_paper_few_metrics_holds"] == 1
    assert out["sensitivity_grid_points_paper_headline_share_holds"] == 1
    assert (
        out["paper_few_metrics_holds_across_grid"] is False and out["paper_headline_share_holds_across_grid"] is False
    )
    # at the configured point (the second row): few metrics fails under both bars; the share is vacuous
    assert out["configured_few_metrics_holds"] is False and out["configured_paper_few_metrics_holds"] is False
    assert out["configured_headline_share_holds"] is None
    assert (out["agreement_precision"], out["agreement_recall"], out["agreement_tasks"]) == (0.5, 0.25, 4)
    assert out["agreement_cohen_kappa"] is None  # NaN -> null in JSON
    assert (out["agreement_scale_matched_tasks"], out["agreement_scale_matched_recall"]) == (3, 0.5)
    assert out["toy_es_exact"] == 37.0 and out["toy_smallest_test_size"] == 10
    assert out["toy_es_smallest_test_size"] is None and out["toy_es_smallest_test_size_infinite"] is True
    json.dumps(out, allow_nan=False)


BEYOND_FIGURES = {
    "trend_observed_vs_expected": "figure_trend",
    "emergent_share_bootstrap": "figure_bootstrap",
    "threshold_sensitivity": "figure_sensitivity",
    "agreement": "figure_agreement",
    "mirage_toy_model": "figure_toy",
}


@pytest.mark.integration
def test_issue7_rules_run_on_the_sample(sample_run):
    # Which edits rerun these rules (trend.permutations, figures.formats, sample.seed) is checked
    # against the README's table in tests/integration/test_reruns.py.
    run = sample_run / "results" / "sample"
    summary = json.loads((run / "beyond_summary.json").read_text())
    assert summary["data_label"].startswith("SYNTHETIC DATA")
    trend = read_csv(run / "tables/trend_by_metric.csv")
    total = trend[(trend["scope"] == "all") & (trend["metric"] == "(total)")].iloc[0]
    assert summary["n_screened_with_trend"] == total["emergent_surviving_fdr"]
    assert summary["n_screened"] == int(pd.read_parquet(run / "emergence.parquet")["emergent"].sum())
    assert summary["share_mcg_exact_ci_low"] <= summary["share_mcg_exact"] <= summary["share_mcg_exact_ci_high"]
    for name in BEYOND_FIGURES:
        assert (run / f"figures/{name}.pdf").stat().st_size > 0
        # the toy model has no data: its outputs say so, not SYNTHETIC
        label = "# Mirage mathematical model" if name == "mirage_toy_model" else "# SYNTHETIC DATA"
        assert (run / f"figures/{name}.csv").read_text().startswith(label)
    assert (run / "tables/toy_resolution.csv").read_text().startswith("# Mirage mathematical model")
