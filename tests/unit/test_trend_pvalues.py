"""The trend test (rule trend_pvalues, kernel scripts/lib/stats/trend.py) and the ES kernel es_matrix, by hand."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control

from scripts.beyond.figure_trend import run as draw_trend
from scripts.beyond.trend_pvalues import TOTAL, effect_mask, group_weights, run
from scripts.lib.io import parquet_label, read_csv
from scripts.lib.stats.emergence import curve_statistics, es_matrix, score_curves
from scripts.lib.stats.multiplicity import benjamini_hochberg
from scripts.lib.stats.trend import all_orderings, at_least, permutation_null

XS = np.logspace(6, 11, 12)
RNG = np.random.default_rng(0)
NOISE = RNG.normal(0, 0.01, 12)
# A clean step: ~0 for six sizes, ~1 for six. Steps: ten of ~0.014 (noise), one of ~1, so
# ES ~ 1 / 0.014 ~ 70; a random order puts ~6 of the 11 steps between the levels (median step ~1).
STEP = np.r_[np.zeros(6), np.ones(6)] + NOISE
# The same values in an order with no relation to size.
SHUFFLED = STEP[[7, 0, 9, 2, 11, 4, 1, 8, 3, 10, 5, 6]]


def points_frame(curves: list[tuple[str, bool, np.ndarray]]) -> pd.DataFrame:
    """curves.parquet rows for one family/task: (metric, is_preferred, y values) per curve, metric range [0, 1]."""
    rows = []
    for cid, (metric, preferred, ys) in enumerate(curves):
        xs = XS if len(ys) == len(XS) else np.logspace(6, 11, len(ys))
        for x, y in zip(xs, ys, strict=True):
            rows.append(
                {
                    "curve_id": cid,
                    "family": "F",
                    "task": f"t{cid}",
                    "subtask": None,
                    "shots": 0,
                    "metric": metric,
                    "is_preferred": preferred,
                    "x": x,
                    "value": y,
                    "y": y,
                    "n_duplicates": 0,
                    "n_nan_dropped": 0,
                    "oriented": False,
                    "known_metric": True,
                    "higher_is_better": True,
                    "low_score": 0.0,
                    "high_score": 1.0,
                    "metric_low": 0.0,
                    "metric_high": 1.0,
                }
            )
    return pd.DataFrame(rows).astype({"shots": "Int64", "subtask": object})


def scored(points: pd.DataFrame, threshold="auto", min_effect=0.05) -> pd.DataFrame:
    return score_curves(points, zero_median_floor=0.01, emergence_threshold=threshold, min_effect=min_effect)


# --- es_matrix -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        ([0.0, 1.0, 2.0, 10.0], 10.0),  # steps 1, 1, 8 -> median sq. 1 -> ES = (10 - 0) / 1
        ([10.0, 2.0, 1.0, 0.0], -10.0),  # reversed: argmax before argmin -> negative
        ([0.0, 1.0, 2.0, 3.0], 3.0),  # a straight line scores n - 1
        ([0.5, 0.5, 0.5, 0.5], 0.0),  # flat -> 0
        ([0.0, 0.0, 0.0, 0.0, 1.0], math.inf),  # flat then one jump: median sq. step 0 -> inf
    ],
)
def test_es_matrix_hand_cases(y, expected):
    assert es_matrix(np.array(y)) == pytest.approx(expected)


def test_es_matrix_equals_curve_statistics_exactly():
    ys = [RNG.random(7) for _ in range(20)] + [np.r_[np.zeros(5), [0.3, 0.9]], np.full(7, 0.2)]
    pts = pd.DataFrame(
        {"curve_id": np.repeat(np.arange(len(ys)), 7), "x": np.tile(np.arange(7.0), len(ys)), "y": np.concatenate(ys)}
    )
    reference = curve_statistics(pts)["es"].to_numpy()
    assert np.array_equal(es_matrix(np.vstack(ys)), reference)


def test_es_matrix_works_on_stacks():
    y = np.array([[[0.0, 1.0, 2.0, 10.0], [0.0, 1.0, 2.0, 3.0]]])  # shape (1, 2, 4)
    assert es_matrix(y).tolist() == [[10.0, 3.0]]


# --- p-values --------------------------------------------------------------------------------------


def null_of(curves, permutations=500, seed=1):
    points = points_frame(curves)
    table = scored(points)
    ok = effect_mask(table, min_effect=0.05)
    _groups, weights = group_weights(table, ok)
    stats, counts = permutation_null(points, table, weights, permutations=permutations, seed=seed)
    return table, stats, counts, weights


def test_clean_step_has_a_small_p_value_and_a_shuffled_step_a_large_one():
    table, stats, _counts, _weights = null_of([("m", True, STEP), ("m", True, SHUFFLED)])
    assert table["es"].iloc[0] > 30  # ~70, see STEP
    assert stats["p_value"].iloc[0] <= 0.01  # at most a few of 500 shuffles are as sharp
    assert stats["p_value"].iloc[1] > 0.2
    assert stats["es_check"].tolist() == table["es"].tolist()  # the kernel reproduces the emergence rule


def test_p_value_floor_and_flat_curve():
    # (1 + 0) / (1 + 99) = 0.01 is the smallest possible value; a flat curve (ES 0 under every order) gets 1
    _table, stats, _counts, _weights = null_of(
        [("m", True, STEP * 100), ("m", True, np.full(12, 0.3))], permutations=99
    )
    assert stats["p_value"].iloc[0] == pytest.approx(0.01)
    assert stats["p_value"].iloc[1] == 1.0
    assert stats["exceed_any_effect"].iloc[1] == 0.0


def test_flat_then_jump_is_not_significant():
    # 11 zeros then 1: every order has at most 2 non-zero steps of 11 -> median 0 -> ES = +inf unless
    # the 1 comes first (then -inf): P(ES >= inf) = 11/12, so p ~ 0.92 however large the jump.
    jump = np.r_[np.zeros(11), 1.0]
    _table, stats, _counts, _weights = null_of([("m", True, jump)], permutations=2000)
    assert stats["p_value"].iloc[0] == pytest.approx(11 / 12, abs=0.03)


def test_draws_are_seeded_and_null_counts_add_up():
    curves = [("m", True, STEP), ("m", False, SHUFFLED), ("e", True, RNG.random(12))]
    table, stats, counts, weights = null_of(curves, seed=5)
    _t2, stats2, counts2, _w2 = null_of(curves, seed=5)
    assert stats.equals(stats2) and np.array_equal(counts, counts2)
    # the mean null count of a group = the sum of its curves' exceedance probabilities (12 points: all random)
    expected = weights @ stats["exceed_any_effect"].to_numpy()
    assert counts.mean(axis=1) == pytest.approx(expected)


def test_chunking_does_not_change_the_per_curve_statistics_shape():
    points = points_frame([("m", True, STEP), ("m", True, SHUFFLED), ("m", True, STEP[::-1])])
    table = scored(points)
    ok = effect_mask(table, min_effect=0.05)
    _groups, weights = group_weights(table, ok)
    stats, counts = permutation_null(points, table, weights, permutations=50, seed=3, chunk_elements=1)
    assert len(stats) == 3 and counts.shape == (weights.shape[0], 50)
    assert stats["p_value"].between(1 / 51, 1).all()


# --- ties, infinities and exact enumeration (docs/statistics.md) --------------------------------------


def test_at_least_counts_ties_within_the_tolerance_and_infinities_exactly():
    # observed 3: 3 - 1e-12 is a tie (within 1e-9 x 3), 2.9999 is not, +inf reaches it
    assert at_least(np.array([3.0 - 1e-12, 2.9999, math.inf, 3.0]), 3.0).tolist() == [True, False, True, True]
    # observed +inf: only +inf reaches it (inf - tolerance would be nan and count nothing)
    assert at_least(np.array([math.inf, 1e300, -math.inf]), math.inf).tolist() == [True, False, False]
    # observed -inf: everything reaches it
    assert at_least(np.array([-math.inf, -1e300, 0.0]), -math.inf).tolist() == [True, True, True]


def test_all_orderings_are_the_n_factorial_permutations():
    orderings = all_orderings(4)
    assert orderings.shape == (24, 4) and orderings[0].tolist() == [0, 1, 2, 3]
    assert len({tuple(o) for o in orderings}) == 24


def test_exact_p_value_counts_floating_point_ties():
    # y = 0.1, 0.2, 0.3, 0.4 (a straight line, ES = 3 up to the last bits). In units of 0.1, an ordering of
    # 1..4 scores +3 when at least two of its three steps are 1 (median squared step 1) and the maximum comes
    # after the minimum: 1234, 1243, 2134, 2143, 1432, 3214 -> 6 of 4! = 24 orderings, p = 6 / 24 = 0.25.
    # In floating point 4 of those 6 score 2.9999999999999996 < 3.0000000000000004: a strict >= finds 2.
    y = np.array([0.1, 0.2, 0.3, 0.4])
    null = es_matrix(y[all_orderings(4)])
    assert int((null >= es_matrix(y)).sum()) == 2  # the bug this fixes
    _table, stats, _counts, _weights = null_of([("m", True, y)], permutations=24)
    assert bool(stats["p_exact"].iloc[0]) and stats["n_orderings"].iloc[0] == 24
    assert stats["p_value"].iloc[0] == pytest.approx(6 / 24)


def test_exact_p_value_of_an_infinite_es():
    # 0, 0, 0, 1: ES = +inf. Of 24 orderings, the 1 is last in 6 (ES +inf), first in 6 (-inf), second or
    # third in 12 (steps 1, 1, 0 -> median 1 -> ES 1). p = 6 / 24 = 0.25; a 5th random ordering would not
    # change it: 4! = 24 <= 30 permutations, so the p-value is exact.
    _table, stats, _counts, _weights = null_of([("m", True, np.array([0.0, 0.0, 0.0, 1.0]))], permutations=30)
    assert bool(stats["p_exact"].iloc[0]) and stats["p_value"].iloc[0] == pytest.approx(0.25)
    # P(a reordering passes ES > n - 1 = 3): the six +inf orderings -> 6 / 24
    assert stats["exceed_any_effect"].iloc[0] == pytest.approx(0.25)


def test_random_p_value_when_n_factorial_exceeds_the_permutations():
    # 5! = 120 > 100 permutations: random orderings, p = (1 + k) / 101, never exact
    _table, stats, counts, _weights = null_of([("m", True, np.array([0.0, 0.1, 0.2, 0.3, 0.9]))], permutations=100)
    assert not bool(stats["p_exact"].iloc[0]) and stats["n_orderings"].iloc[0] == 100
    assert (stats["p_value"].iloc[0] * 101) == pytest.approx(round(stats["p_value"].iloc[0] * 101))
    assert counts.shape[1] == 100  # the joint draws of the null count are kept


def test_benjamini_hochberg_by_hand():
    # sorted p 0.01, 0.03, 0.04, 0.5 (m = 4) -> p * m / rank = 0.04, 0.06, 0.0533, 0.5
    # -> running min from the top: 0.04, 0.0533, 0.0533, 0.5
    p = np.array([0.01, 0.04, 0.03, 0.5])
    q = benjamini_hochberg(p)
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert q == pytest.approx(false_discovery_control(p))


def test_benjamini_hochberg_keeps_nan():
    q = benjamini_hochberg(np.array([0.01, np.nan, 0.02]))
    assert math.isnan(q[1]) and q[[0, 2]] == pytest.approx([0.02, 0.02])


# --- the rule --------------------------------------------------------------------------------------


def test_run_writes_consistent_outputs(tmp_path):
    # curve 4 rises 1% of the range, below min_effect 0.05, in the shape of STEP: its reorderings often
    # score above 11, but none can pass the screen, so its null_exceed_prob is 0 (it once was not)
    points = points_frame(
        [
            ("m", True, STEP),
            ("m", True, SHUFFLED),
            ("e", False, STEP[::-1]),
            ("e", False, np.linspace(0, 0.01, 12)),
            ("e", False, SHUFFLED * 0.01),
        ]
    )
    points.to_parquet(tmp_path / "curves.parquet")
    scored(points).to_parquet(tmp_path / "emergence.parquet")
    metrics = tmp_path / "metrics.yaml"
    metrics.write_text("m: {higher_is_better: true, low: 0, high: 1, name: Metric M, sharp: true}\n")
    out = {
        "pvalues": tmp_path / "trend_pvalues.parquet",
        "table_csv": tmp_path / "trend_by_metric.csv",
        "table_tex": tmp_path / "trend_by_metric.tex",
        "figure_csv": tmp_path / "trend.csv",
    }
    run(
        curves=tmp_path / "curves.parquet",
        emergence=tmp_path / "emergence.parquet",
        metrics=metrics,
        **out,
        permutations=200,
        seed=1,
        fdr=0.05,
        level=0.95,
        label="SYNTHETIC DATA test",
    )
    per_curve = pd.read_parquet(out["pvalues"])
    assert parquet_label(out["pvalues"]) == "SYNTHETIC DATA test"
    assert per_curve["curve_id"].tolist() == [0, 1, 2, 3, 4]
    # curve 0 (clean step) passes the screen and has a trend; curves 3, 4 are too small an effect (1% of the range)
    assert per_curve["emergent"].tolist() == [True, False, False, False, False]
    assert per_curve["survives_fdr"].tolist() == [True, False, False, False, False]
    assert per_curve["effect_ok"].tolist() == [True, True, True, False, False]
    assert per_curve["null_exceed_prob"].iloc[3:].tolist() == [0.0, 0.0]
    assert per_curve["null_exceed_prob"].iloc[1] > 0  # the same values at full size do pass when reordered
    assert not per_curve["p_exact"].any()  # 12! > 200
    table = read_csv(out["table_csv"])
    total = table[(table["scope"] == "all") & (table["metric"] == TOTAL)].iloc[0]
    assert total["curves"] == 5 and total["observed_emergent"] == 1 and total["emergent_surviving_fdr"] == 1
    # the expected count is the sum of the curves' null_exceed_prob (curves 3, 4 add nothing)
    assert total["expected_emergent"] == pytest.approx(per_curve["null_exceed_prob"].sum(), rel=1e-5)
    assert total["null_ci_low"] <= total["expected_emergent"] <= total["null_ci_high"]
    assert set(table.loc[table["scope"] == "preferred", "metric"]) == {"m", TOTAL}
    assert out["table_csv"].read_text().startswith("# SYNTHETIC DATA test")
    assert "\\toprule" in out["table_tex"].read_text()
    # the figure's CSV: every table row (the totals title the panels) and the settings the figure states
    plotted = read_csv(out["figure_csv"])
    assert plotted[table.columns].equals(table)
    assert plotted[
        ["permutations", "level", "fdr", "emergence_threshold", "min_effect"]
    ].drop_duplicates().values.tolist() == [[200, 0.95, 0.05, "auto", 0.05]]
    assert out["figure_csv"].read_text().startswith("# SYNTHETIC DATA test")
    # rule figure_trend draws it, the same bytes every time
    figures = [[tmp_path / f"trend{i}.png", tmp_path / f"trend{i}.pdf"] for i in range(2)]
    for figure in figures:
        draw_trend(data=out["figure_csv"], metrics=metrics, figure=figure, label="SYNTHETIC DATA test", synthetic=True)
    assert figures[0][0].stat().st_size > 0
    assert [f.read_bytes() for f in figures[0]] == [f.read_bytes() for f in figures[1]]


def test_figure_of_a_table_without_curves_is_a_message(tmp_path):
    # only (total) rows: nothing to plot per metric -> a figure that says so, not an error
    data = tmp_path / "trend.csv"
    data.write_text("# x\nscope,metric,name,observed_emergent\npreferred,(total),All metrics,0\n")
    (tmp_path / "metrics.yaml").write_text("{}\n")
    draw_trend(data=data, metrics=tmp_path / "metrics.yaml", figure=[tmp_path / "f.png"], label="x", synthetic=False)
    assert (tmp_path / "f.png").stat().st_size > 0


def test_run_rejects_an_emergence_table_whose_flags_disagree_with_its_settings(tmp_path):
    points = points_frame([("m", True, STEP), ("m", True, np.linspace(0, 0.03, 12) ** 3)])
    points.to_parquet(tmp_path / "curves.parquet")
    # flagged with min_effect 0 but saying 0.05: the small curve passes although its range is below 5 %
    scored(points, min_effect=0.0).assign(min_effect=0.05).to_parquet(tmp_path / "emergence.parquet")
    (tmp_path / "metrics.yaml").write_text("{}\n")
    with pytest.raises(ValueError, match="emergent flags disagree"):
        run(
            curves=tmp_path / "curves.parquet",
            emergence=tmp_path / "emergence.parquet",
            metrics=tmp_path / "metrics.yaml",
            pvalues=tmp_path / "p.parquet",
            table_csv=tmp_path / "t.csv",
            table_tex=tmp_path / "t.tex",
            figure_csv=tmp_path / "f.csv",
            permutations=10,
            seed=1,
            fdr=0.05,
            level=0.95,
            label="x",
        )
