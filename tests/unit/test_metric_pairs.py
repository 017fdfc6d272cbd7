"""metric_pairs: sharp against continuous metric on the same cases, the test clustered by task, Holm.

Hand-made emergence and verdict tables (hand counts in comments). The calibration of the
clustered test is computed exactly, not simulated: under the null each cluster's difference
d = b - c is as likely to be -d, so the size of "p <= alpha" is the share of the 2^k sign patterns
that reject.
"""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from scripts.lib.sources.extracts.curves import with_source
from scripts.lib.stats.multiplicity import holm
from scripts.verdicts.metric_pairs import (
    POOLED,
    SCREEN_NOT_COMPARED,
    cluster_sign_test,
    metric_cases,
    pair_table,
    run,
    summary,
)
from tests.helpers.extracts_testing import FACTS


def test_cluster_sign_test_hand_values():
    assert cluster_sign_test(np.array([1, 1, 1]), np.array([0, 0, 0])) == pytest.approx(0.25)  # 2 * 0.5^3
    assert cluster_sign_test(np.array([0]), np.array([0])) == 1.0
    # one task with 3 sharp-only cases is one cluster: d = 3, signs +-3 -> p = 1, not McNemar's 0.25
    assert cluster_sign_test(np.array([3]), np.array([0])) == 1.0
    # d = (3, 1): S in {4, 2, -2, -4} -> P(|S| >= 4) = 1/2
    assert cluster_sign_test(np.array([3, 1]), np.array([0, 0])) == pytest.approx(0.5)


@pytest.mark.parametrize("b", range(0, 9))
def test_one_case_per_cluster_is_the_exact_mcnemar_test(b):
    n = 8
    bs = np.array([1] * b + [0] * (n - b))
    expected = binomtest(b, n, 0.5).pvalue
    assert cluster_sign_test(bs, 1 - bs) == pytest.approx(expected)


@pytest.mark.parametrize("d", [[1] * 13, [3, 1, 2, 1, 1, 4, 2, 1, 1, 1], [19, 2, 2, 1, 1, 1]])
def test_cluster_test_size_is_at_most_alpha_under_the_null(d):
    d = np.array(d)
    patterns = np.array(list(itertools.product([-1, 1], repeat=len(d))))
    rejects = [cluster_sign_test(np.maximum(s * d, 0), np.maximum(-s * d, 0)) <= 0.05 for s in patterns]
    assert np.mean(rejects) <= 0.05


def test_holm_hand_values():
    adjusted = holm(np.array([0.01, 0.04, np.nan, 0.03]))
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1 -> 0.03, 0.06, 0.04 -> monotone 0.03, 0.06, 0.06
    assert adjusted[[0, 3, 1]] == pytest.approx([0.03, 0.06, 0.06]) and np.isnan(adjusted[2])


def emergence_rows():
    """Three cases of source x: (A, t1) sharp fires only; (A, t2) both; (B, t1) neither; plus a lone sharp curve."""
    rows = [
        ("A", "t1", "multiple_choice_grade", True),
        ("A", "t1", "calibration_multiple_choice_brier_score", False),
        ("A", "t2", "multiple_choice_grade", True),
        ("A", "t2", "calibration_multiple_choice_brier_score", True),
        ("B", "t1", "multiple_choice_grade", False),
        ("B", "t1", "calibration_multiple_choice_brier_score", False),
        ("B", "t9", "exact_str_match", True),  # no continuous curve: not a case
    ]
    frame = pd.DataFrame(rows, columns=["family", "task", "metric", "emergent"])
    return frame.assign(subtask=None, shots=pd.array([3] * len(frame), dtype="Int64"), effect_checked=True)


def test_pair_table_counts_the_four_cells():
    scored = with_source(emergence_rows(), emergence_rows().assign(extract="x"))
    cases = metric_cases(scored, FACTS)
    table = pair_table(cases, with_verdicts=False).set_index(["source", "sharp_metric"])
    pooled = table.loc[("x", POOLED)]
    # 3 cases in 2 tasks: sharp only 1 (A t1), continuous only 0, both 1 (A t2), neither 1 (B t1); p = 1
    assert (pooled.n_cases, pooled.n_clusters) == (3, 2)
    assert (pooled.sharp_only, pooled.continuous_only, pooled.both, pooled.neither) == (1, 0, 1, 1)
    assert pooled.p_cluster == 1.0 and pooled.sharp_share == 1.0 and pooled.p_holm == 1.0
    assert table.loc[("x", "multiple_choice_grade"), "continuous_metric"] == "calibration_multiple_choice_brier_score"
    assert "t9" not in set(cases.task)


def with_edit_distance() -> pd.DataFrame:
    """emergence_rows plus an unbounded continuous metric that passes the screen in every case (range rule skipped),
    and a case (C, t3) whose only continuous metric is that one."""
    em = emergence_rows()
    unbounded = em[em["metric"] == "multiple_choice_grade"].assign(metric="edit_distance", emergent=True)
    lone = em.iloc[[0, 0]].assign(family="C", task="t3", metric=["multiple_choice_grade", "edit_distance"])
    rows = pd.concat([em, unbounded, lone.assign(emergent=[False, True])], ignore_index=True)
    return rows.assign(effect_checked=rows["metric"] != "edit_distance")


def test_an_unbounded_metric_is_left_out_of_the_screen_comparison_not_the_tests():
    em = with_edit_distance()
    verdicts = em.assign(
        sharp=pd.array([pd.NA] * len(em), dtype="boolean"),
        unpredictable=(em["metric"] == "edit_distance") & (em["task"] == "t3"),  # C t3: tested under edit distance
        duplicate_of=pd.array([pd.NA] * len(em), dtype="Int64"),
    )
    scored = with_source(em, em.assign(extract="x"))
    cases = metric_cases(scored, FACTS, verdicts)
    table = pair_table(cases, with_verdicts=True).set_index("continuous_metric")
    # MCG vs edit distance, 4 cases (A t1, A t2, B t1, C t3): no screen cell, no screen test; the tests count all.
    ed = table.loc["edit_distance"]
    assert ed.n_cases == 4 and all(pd.isna(ed[c]) for c in ["sharp_only", "both", "sharp_share", "p_cluster", "p_holm"])
    assert (ed.tested_sharp_only, ed.tested_continuous_only, ed.tested_neither) == (0, 1, 3)
    # Pooled: the screen from the Brier pairs only, as in test_pair_table_counts_the_four_cells (1, 0, 1, 1);
    # C t3 has no comparable pair, so its screen is NA and the screen cells sum to 3 of the 4 cases.
    # Counted under edit distance the cells were sharp only 0, continuous only 2 (B t1, C t3), both 2: reversed.
    pooled = table.loc[POOLED]
    assert pooled.n_cases == 4
    assert (pooled.sharp_only, pooled.continuous_only, pooled.both, pooled.neither) == (1, 0, 1, 1)
    assert (pooled.tested_continuous_only, pooled.tested_neither) == (1, 3)
    lone = cases[(cases["task"] == "t3") & (cases["sharp_metric"] == POOLED)].iloc[0]
    assert pd.isna(lone.sharp_fires) and pd.isna(lone.continuous_fires) and lone.continuous_tested


def test_a_source_with_only_unbounded_partners_says_the_screen_is_not_compared():
    em = with_edit_distance()
    em = em[em["task"] == "t3"]
    out = summary(pair_table(metric_cases(with_source(em, em.assign(extract="x")), FACTS), with_verdicts=False))
    assert out["headlines"] == [
        "x: of 1 (family, task, shots) cases in 1 tasks scored under a sharp and a continuous metric, "
        + SCREEN_NOT_COMPARED
        + "."
    ]
    assert out["sources"]["x"]["sharp_only"] is None and out["sources"]["x"]["n_cases"] == 1


def test_tested_cells_read_the_tests_not_the_screen_and_skip_copies():
    em = emergence_rows()
    verdicts = em.assign(
        # A t1 MCG: unpredictable, sharp NA -> tested; its Brier twin: unpredictable but resolved smooth -> not;
        # A t2 MCG: unpredictable, screen irrelevant; B t1 both predictable.
        sharp=pd.array([pd.NA, False, True, pd.NA, pd.NA, pd.NA, True], dtype="boolean"),
        unpredictable=[True, True, True, True, False, False, True],
        duplicate_of=pd.array([pd.NA] * 7, dtype="Int64"),
    )
    scored = with_source(em, em.assign(extract="x"))
    row = pair_table(metric_cases(scored, FACTS, verdicts), with_verdicts=True).set_index("sharp_metric").loc[POOLED]
    # A t1: sharp only; A t2: both; B t1: neither
    assert (row.tested_sharp_only, row.tested_continuous_only, row.tested_both, row.tested_neither) == (1, 0, 1, 1)
    copies = verdicts.assign(duplicate_of=pd.array([pd.NA, pd.NA, pd.NA, pd.NA, 0, 1, pd.NA], dtype="Int64"))
    cases = metric_cases(scored, FACTS, copies)
    assert "B" not in set(cases.family)  # B t1 copies A t1 under both metrics: counted once


def test_cases_are_clustered_by_task():
    # One pooled family, 6 tasks x 2 shot counts: the sharp metric fires alone in both shot counts of 5 tasks.
    rows = []
    for task, shots in itertools.product([f"t{i}" for i in range(6)], [0, 3]):
        fires = task != "t5"
        rows += [("F", task, shots, "multiple_choice_grade", fires), ("F", task, shots, "brier_score", False)]
    em = pd.DataFrame(rows, columns=["family", "task", "shots", "metric", "emergent"])
    em = em.assign(subtask=None, effect_checked=True)
    em["shots"] = em["shots"].astype("Int64")
    table = pair_table(metric_cases(with_source(em, em.assign(extract="x")), FACTS), with_verdicts=False)
    pooled = table.set_index("sharp_metric").loc[POOLED]
    # 10 discordant cases would give McNemar p = 2^-9 = 0.002; as 5 tasks with d = 2 each: p = 2 * 2^-5 = 0.0625
    assert (pooled.n_cases, pooled.n_clusters, pooled.sharp_only) == (12, 6, 10)
    assert pooled.p_cluster == pytest.approx(0.0625)
    # Holm over the two rows' p-values (the pooled row and accuracy/brier, both 0.0625): 2 x 0.0625
    assert table["p_holm"].tolist() == pytest.approx([0.125, 0.125])


def test_a_source_without_extract_column_uses_the_run_source():
    em = emergence_rows()
    scored = with_source(em, em.assign(extract=None), default="sample")
    assert set(pair_table(metric_cases(scored, FACTS), with_verdicts=False).source) == {"sample"}


def test_headline_sentence_per_source():
    scored = with_source(emergence_rows(), emergence_rows().assign(extract="x"))
    out = summary(pair_table(metric_cases(scored, FACTS), with_verdicts=False))
    assert out["headlines"] == [
        "x: of 3 (family, task, shots) cases in 2 tasks scored under a sharp and a continuous metric, the Mirage "
        "screen holds under the sharp metric only in 1, under the continuous metric only in 0, under both in 1 and "
        "under neither in 1; the sharp metric is the one in 100% of the 1 discordant cases (test clustered by task: "
        "p = 1, Holm-adjusted 1)."
    ]


def test_run_writes_every_output(tmp_path):
    em = emergence_rows()
    em.to_parquet(tmp_path / "emergence.parquet")
    em.assign(extract="x", model_name="m", value=0.5).to_parquet(tmp_path / "scores.parquet")
    out = {
        k: tmp_path / v
        for k, v in {"table": "t.csv", "tex": "t.tex", "cases": "c.csv", "summary_json": "s.json"}.items()
    }
    run(
        emergence=str(tmp_path / "emergence.parquet"),
        scores=str(tmp_path / "scores.parquet"),
        metrics="config/metrics.yaml",
        source="extracts",
        label="real scores, test",
        **{k: str(v) for k, v in out.items()},
    )
    assert out["table"].read_text().startswith("# real scores, test\nsource,sharp_metric")
    assert "\\begin{table}" in out["tex"].read_text()
    assert json.loads(out["summary_json"].read_text())["sources"]["x"]["sharp_only"] == 1
