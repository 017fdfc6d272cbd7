"""metric_pairs: the screen under a sharp and a continuous metric on the same cases; exact McNemar and its calibration.

Hand-made emergence tables (hand counts in comments). The calibration is computed exactly, not
simulated: under the null (each discordant case equally likely to fall either way) the size of the
exact McNemar test is sum_b P(b) [p(b) <= alpha], and the coverage of the Clopper-Pearson interval
at a true share q is sum_k P(k) [q in CI(k)].
"""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from scripts.lib.sources.extracts.curves import with_source
from scripts.verdicts.metric_pairs import POOLED, clopper_pearson, mcnemar_exact, metric_cases, pair_table, run, summary
from tests.helpers.extracts_testing import FACTS


def test_mcnemar_exact_hand_values():
    assert mcnemar_exact(3, 0) == pytest.approx(0.25)  # 2 * 0.5^3
    assert mcnemar_exact(5, 1) == pytest.approx(14 / 64)  # 2 * (C(6,0) + C(6,1)) / 2^6
    assert mcnemar_exact(0, 0) == 1.0 and mcnemar_exact(4, 4) == 1.0


def test_clopper_pearson_hand_values():
    lo, hi = clopper_pearson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025**0.1)  # 0.3085: solves (1 - p)^10 = 0.025
    lo, hi = clopper_pearson(10, 10)
    assert hi == 1.0 and lo == pytest.approx(0.025**0.1)
    assert all(math.isnan(v) for v in clopper_pearson(0, 0))


@pytest.mark.parametrize("n", [1, 5, 10, 13, 20, 38, 60])
def test_mcnemar_size_is_at_most_alpha_under_the_null(n):
    # Exact size of "reject when p <= 0.05" with b ~ Binomial(n, 1/2); measured values: n = 13 -> 0.0225,
    # n = 20 -> 0.0414, n = 38 -> 0.0336, n = 60 -> 0.0273 (conservative, as an exact test is).
    pmf = binom.pmf(np.arange(n + 1), n, 0.5)
    size = sum(p for b, p in enumerate(pmf) if mcnemar_exact(b, n - b) <= 0.05)
    assert size <= 0.05


@pytest.mark.parametrize("q", [0.05, 0.25, 0.5, 0.75, 0.9, 0.99])
@pytest.mark.parametrize("n", [5, 13, 38])
def test_clopper_pearson_coverage_is_at_least_nominal(n, q):
    pmf = binom.pmf(np.arange(n + 1), n, q)
    coverage = sum(p for k, p in enumerate(pmf) if clopper_pearson(k, n)[0] <= q <= clopper_pearson(k, n)[1])
    assert coverage >= 0.95 - 1e-12


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
    return frame.assign(subtask=None, shots=pd.array([3] * len(frame), dtype="Int64"))


def test_pair_table_counts_the_four_cells():
    scored = with_source(emergence_rows(), emergence_rows().assign(extract="x"))
    cases = metric_cases(scored, FACTS)
    table = pair_table(cases, with_verdicts=False).set_index(["source", "sharp_metric"])
    pooled = table.loc[("x", POOLED)]
    # 3 cases: sharp only 1 (A t1), continuous only 0, both 1 (A t2), neither 1 (B t1); p = 1 (one discordant case)
    assert (pooled.n_cases, pooled.sharp_only, pooled.continuous_only, pooled.both, pooled.neither) == (3, 1, 0, 1, 1)
    assert pooled.p_mcnemar == 1.0 and pooled.sharp_share == 1.0
    assert pooled.share_lo == pytest.approx(0.025) and pooled.share_hi == 1.0  # CP for 1 of 1: [0.025, 1]
    assert table.loc[("x", "multiple_choice_grade"), "continuous_metric"] == "calibration_multiple_choice_brier_score"
    assert "t9" not in set(cases.task)


def test_verdicts_add_the_tested_cells():
    em = emergence_rows()
    verdicts = em.assign(emergent_tested=[True, False, False, False, False, False, False])
    scored = with_source(em, em.assign(extract="x"))
    table = pair_table(metric_cases(scored, FACTS, verdicts), with_verdicts=True).set_index("sharp_metric")
    # emergent_tested: only (A, t1) under MCG -> sharp only 1, the other two cases neither.
    row = table.loc[POOLED]
    assert (row.tested_sharp_only, row.tested_continuous_only, row.tested_both, row.tested_neither) == (1, 0, 0, 2)


def test_a_source_without_extract_column_uses_the_run_source():
    em = emergence_rows()
    scored = with_source(em, em.assign(extract=None), default="sample")
    assert set(pair_table(metric_cases(scored, FACTS), with_verdicts=False).source) == {"sample"}


def test_headline_sentence_per_source():
    scored = with_source(emergence_rows(), emergence_rows().assign(extract="x"))
    out = summary(pair_table(metric_cases(scored, FACTS), with_verdicts=False))
    assert out["headlines"] == [
        "x: of 3 (family, task, shots) cases scored under a sharp and a continuous metric, the Mirage screen "
        "fires under the sharp metric only in 1, under the continuous metric only in 0, under both in 1 and under "
        "neither in 1; the sharp metric is the one that fires in 100% of the 1 discordant cases (95% CI 3%-100%); "
        "exact McNemar p = 1."
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
