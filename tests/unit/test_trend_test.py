"""The permutation null (rule null_model) and the shared ES kernel es_matrix, on hand-made curves."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control

from scripts.figure_null import run as draw_null
from scripts.lib.emergence import curve_statistics, es_matrix, score_curves
from scripts.lib.io import parquet_label, read_csv
from scripts.null_model import (
    TOTAL,
    benjamini_hochberg,
    effect_mask,
    group_weights,
    permutation_null,
    run,
)

XS = np.logspace(6, 11, 12)
RNG = np.random.default_rng(0)
NOISE = RNG.normal(0, 0.01, 12)
# A clean step: ~0 for six sizes, ~1 for six. Steps: ten of ~0.014 (noise), one of ~1, so
# ES ~ 1 / 0.014 ~ 70; a random order puts ~6 of the 11 steps between the levels (median step ~1).
STEP = np.r_[np.zeros(6), np.ones(6)] + NOISE
# The same values in an order with no relation to size.
SHUFFLED = STEP[[7, 0, 9, 2, 11, 4, 1, 8, 3, 10, 5, 6]]


def points_frame(curves: list[tuple[str, bool, np.ndarray]], xs: np.ndarray = XS) -> pd.DataFrame:
    """curves.parquet rows for one family/task: (metric, is_preferred, y values) per curve, metric range [0, 1]."""
    rows = []
    for cid, (metric, preferred, ys) in enumerate(curves):
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
    assert stats["null_exceed_prob"].iloc[1] == 0.0


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
    # the mean null count of a group = the sum of its curves' exceedance probabilities
    expected = weights @ stats["null_exceed_prob"].to_numpy()
    assert counts.mean(axis=1) == pytest.approx(expected)


def test_chunking_does_not_change_the_per_curve_statistics_shape():
    points = points_frame([("m", True, STEP), ("m", True, SHUFFLED), ("m", True, STEP[::-1])])
    table = scored(points)
    ok = effect_mask(table, min_effect=0.05)
    _groups, weights = group_weights(table, ok)
    stats, counts = permutation_null(points, table, weights, permutations=50, seed=3, chunk_elements=1)
    assert len(stats) == 3 and counts.shape == (weights.shape[0], 50)
    assert stats["p_value"].between(1 / 51, 1).all()


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
    points = points_frame(
        [("m", True, STEP), ("m", True, SHUFFLED), ("e", False, STEP[::-1]), ("e", False, np.linspace(0, 0.01, 12))]
    )
    points.to_parquet(tmp_path / "curves.parquet")
    scored(points).to_parquet(tmp_path / "emergence.parquet")
    metrics = tmp_path / "metrics.yaml"
    metrics.write_text("m: {higher_is_better: true, low: 0, high: 1, name: Metric M, sharp: true}\n")
    out = {
        "pvalues": tmp_path / "null_pvalues.parquet",
        "table_csv": tmp_path / "null_by_metric.csv",
        "table_tex": tmp_path / "null_by_metric.tex",
        "figure_csv": tmp_path / "null.csv",
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
        min_effect=0.05,
        emergence_threshold="auto",
        label="SYNTHETIC DATA test",
    )
    per_curve = pd.read_parquet(out["pvalues"])
    assert parquet_label(out["pvalues"]) == "SYNTHETIC DATA test"
    assert per_curve["curve_id"].tolist() == [0, 1, 2, 3]
    # curve 0 (clean step) is emergent and survives BH; curve 3 is too small an effect (1% of the range)
    assert per_curve["emergent"].tolist() == [True, False, False, False]
    assert per_curve["survives_fdr"].tolist() == [True, False, False, False]
    assert not per_curve["effect_ok"].iloc[3]
    table = read_csv(out["table_csv"])
    total = table[(table["scope"] == "all") & (table["metric"] == TOTAL)].iloc[0]
    assert total["curves"] == 4 and total["observed_emergent"] == 1 and total["emergent_surviving_fdr"] == 1
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
    # rule figure_null draws it, the same bytes every time
    figures = [[tmp_path / f"null{i}.png", tmp_path / f"null{i}.pdf"] for i in range(2)]
    for figure in figures:
        draw_null(data=out["figure_csv"], metrics=metrics, figure=figure, label="SYNTHETIC DATA test", synthetic=True)
    assert figures[0][0].stat().st_size > 0
    assert [f.read_bytes() for f in figures[0]] == [f.read_bytes() for f in figures[1]]


def test_figure_of_a_table_without_curves_is_a_message(tmp_path):
    # only (total) rows: nothing to plot per metric -> a figure that says so, not an error
    data = tmp_path / "null.csv"
    data.write_text("# x\nscope,metric,name,observed_emergent\npreferred,(total),All metrics,0\n")
    (tmp_path / "metrics.yaml").write_text("{}\n")
    draw_null(data=data, metrics=tmp_path / "metrics.yaml", figure=[tmp_path / "f.png"], label="x", synthetic=False)
    assert (tmp_path / "f.png").stat().st_size > 0


def test_run_rejects_an_emergence_table_made_with_another_min_effect(tmp_path):
    points = points_frame([("m", True, STEP), ("m", True, np.linspace(0, 0.03, 12) ** 3)])
    points.to_parquet(tmp_path / "curves.parquet")
    scored(points, min_effect=0.0).to_parquet(tmp_path / "emergence.parquet")
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
            min_effect=0.05,
            emergence_threshold="auto",
            label="x",
        )
