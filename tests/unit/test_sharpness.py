"""The sharpness test (scripts/lib/stats/sharpness.py, smooth_fit.py) on hand-made curves.

The curves sit on the real BIG-G ladder (12 sizes, 2M to 137B non-embedding parameters, about
0.4 decades apart) or GPT-3's (8 sizes, last gap 1.14 decades), with the binomial noise of n
examples and chance 0.25 as the metric's floor. Verdicts pinned here, as docs/statistics.md states
them: flat-then-jump with n = 1000 is sharp, mid-ladder and at the last BIG-G gap; the same with
n = 20 is not; a last-gap jump on GPT-3 is NA (unresolvable), not False; a straight line, a
logistic 1 decade wide (the boundary of the smooth null) and a Mirage-mechanism curve are not.
"""

import numpy as np
import pandas as pd
import pytest

from scripts.lib.ladders import BIG_G, GPT
from scripts.lib.stats import verdict_curves  # a module import: pytest would collect tests_from_config
from scripts.lib.stats.bounds import bounds_for, fit_bounded
from scripts.lib.stats.multiplicity import benjamini_hochberg
from scripts.lib.stats.noise import agresti_coull_se
from scripts.lib.stats.sharpness import (
    Stack,
    check_columns,
    dispersion,
    lr_statistic,
    p_sharp_stack,
    sharpness_table,
)
from scripts.lib.stats.smooth_fit import GUMBEL_WIDTH, build_cells, project
from scripts.lib.stats.verdict_classes import emergence_tested

X = np.array([n for _, n in BIG_G], dtype=float)
T = np.log10(X)
JUMP = np.r_[np.full(8, 0.25), np.full(4, 0.45)]
"""Flat at chance 0.25 for 8 sizes, then 0.45: a jump of 0.2 between 4B and 8B."""
LINE = np.linspace(0.25, 0.6, 12)
LOGISTIC_1DEC = 0.25 + 0.3 / (1 + np.exp(-(T - 9.0) * 2 * np.log(9.0)))
"""Rises 10 % -> 90 % of 0.3 over exactly one decade around 1B."""


def stack(y: np.ndarray, n: int) -> Stack:
    """One curve of accuracies with chance 0.25: bounds [0.25, 1]."""
    sigma = agresti_coull_se(y, np.full(len(y), n), 0.0, 1.0)
    return Stack(np.array([0]), T[None, :], y[None, :], sigma[None, :], np.array([0.01]), np.array([[0.25, 1.0]]))


def p_sharp(y: np.ndarray, n: int) -> float:
    res = p_sharp_stack(stack(y, n), min_width_decades=1.0, draws=1000, stop_after=20, seed=7, statistic="lr")
    return float(res["p_sharp"].iloc[0])


def test_flat_then_jump_with_1000_examples_is_sharp():
    # The jump is 0.2 / 0.0137 = 14.6 binomial SE (SE at 0.25, n = 1000): no rise 1 decade wide fits it.
    # No bootstrap draw reaches the observed statistic, so p = 1 / (1 + 1000).
    assert p_sharp(JUMP, 1000) == pytest.approx(1 / 1001)


def test_the_same_shape_with_20_examples_is_not_sharp():
    # SE at 0.25 with n = 20 is about 0.09 (Agresti-Coull): the jump is about 2 SE.
    assert p_sharp(JUMP, 20) > 0.05


@pytest.mark.parametrize("n", [20, 1000])
def test_a_straight_line_is_not_sharp(n):
    # A line is in the smooth family: the narrow rise improves nothing, the statistic is 0, p = 1.
    assert p_sharp(LINE, n) == 1.0


def test_a_one_decade_logistic_is_not_sharp():
    assert p_sharp(LOGISTIC_1DEC, 1000) > 0.05


def test_statistic_is_the_rss_drop_of_the_narrow_rise():
    # Noiseless step from 0 to 1 with sigma 0.1 everywhere, bounds [0, 1]: the best narrow cell (a
    # step in the gap) fits exactly (RSS 0, so phi = 1), and the statistic is the smooth fit's RSS.
    y = np.r_[np.zeros(6), np.ones(6)][None, :]
    sigma = np.full((1, 12), 0.1)
    cells = build_cells(T[None, :], min_width_decades=1.0)
    g = cells.basis(T[None, :])
    pr = project(g, sigma)
    fit = fit_bounded(y, sigma, pr, bounds_for(cells, g, pr, np.array([0.0]), np.array([1.0])))
    rss_smooth = fit.rss[0, cells.smooth].min()
    rss_narrow = fit.rss[0, ~cells.smooth].min()
    assert rss_narrow == pytest.approx(0.0, abs=1e-9)
    assert lr_statistic(np.array([rss_smooth]), np.array([rss_narrow]), 12)[0] == pytest.approx(rss_smooth)
    assert rss_smooth > 10.0


def test_phi_is_the_best_fits_rss_per_residual_df():
    # 12 points, 4 parameters: RSS 16 -> phi = 16 / 8 = 2; RSS below 8 -> 1 (never below the stated noise).
    assert dispersion(np.array([16.0, 5.0]), 12).tolist() == [2.0, 1.0]
    # The statistic is the RSS drop over phi: (16 - 10) / max(1, 10 / 8) = 4.8.
    assert lr_statistic(np.array([16.0]), np.array([10.0]), 12)[0] == pytest.approx(4.8)


def test_downward_steps_are_not_sharp_rises():
    # Oriented y: a sharp drop is not an emergent rise; only upward narrow cells count.
    assert p_sharp(JUMP[::-1].copy(), 1000) == 1.0


def test_benjamini_hochberg_by_hand():
    # p = (0.01, 0.04, 0.03, NaN): sorted 0.01, 0.03, 0.04 with m = 3 -> 0.03, 0.045, 0.04 ->
    # monotone from the top: 0.03, 0.04, 0.04; NaN stays NaN.
    q = benjamini_hochberg(np.array([0.01, 0.04, 0.03, np.nan]))
    assert q[:3] == pytest.approx([0.03, 0.04, 0.04])
    assert np.isnan(q[3])


def test_sharpness_table_uses_residual_noise_when_unknown():
    # Two curves of one (task, metric) without a stated SE: the residual SD pooled over both.
    rows = []
    for cid, y in enumerate([LINE, LINE + 0.01 * np.sin(np.arange(12))]):
        for xi, yi in zip(X, y, strict=True):
            rows.append(
                {
                    "curve_id": cid,
                    "x": xi,
                    "y": yi,
                    "value": yi,
                    "value_se": np.nan,
                    "se_source": None,
                    "n_examples": pd.NA,
                    "metric_low": 0.0,
                    "metric_high": 1.0,
                    "task": "t",
                    "subtask": None,
                    "metric": "m",
                }
            )
    points = pd.DataFrame(rows).astype({"n_examples": "Int64"})
    table = sharpness_table(
        points,
        pd.Series([0.01, 0.01]),
        min_width_decades=1.0,
        residual_min_df=10,
        draws=200,
        stop_after=20,
        seed=1,
        statistic="lr",
        fdr=0.05,
    )
    assert list(table["noise_source"]) == ["residual", "residual"]
    assert table["noise_sd_residual"].nunique() == 1
    assert table["sharp"].dtype == "boolean"
    assert list(table["sharp"]) == [False, False]


def test_a_curves_file_without_noise_columns_fails_with_its_name():
    with pytest.raises(ValueError, match=r"old/curves.parquet: missing column\(s\) \['value_se'"):
        check_columns(pd.DataFrame(columns=["curve_id", "x", "y", "value"]), "old/curves.parquet")


def bigbench_points(x: np.ndarray, curves: dict[int, np.ndarray], n: int) -> pd.DataFrame:
    """Multiple-choice curves as curves.parquet holds them: chance 0.25 stated as low_score, binomial noise."""
    frames = [
        pd.DataFrame(
            {
                "curve_id": cid,
                "x": x,
                "y": y,
                "value": y,
                "value_se": np.nan,
                "se_source": "binomial",
                "n_examples": n,
                "metric_low": 0.0,
                "metric_high": 1.0,
                "low_score": 0.25,
                "high_score": 1.0,
                "is_preferred": True,
                "oriented": False,
                "task": f"task{cid}",
                "subtask": None,
                "metric": "multiple_choice_grade",
            }
        )
        for cid, y in curves.items()
    ]
    return pd.concat(frames, ignore_index=True).astype({"n_examples": "Int64"})


def table_of(points: pd.DataFrame, **kw) -> pd.DataFrame:
    settings = dict(min_width_decades=1.0, residual_min_df=10, draws=1000, stop_after=20, seed=7, statistic="lr")
    floor = pd.Series(0.01, index=sorted(points["curve_id"].unique()))
    return sharpness_table(points, floor, **(settings | {"fdr": 0.05} | kw)).set_index("curve_id")


LAST_GAP = np.r_[np.full(11, 0.25), 0.70]
"""At chance 0.25 for 11 BIG-G models, +0.45 at 128B (the last gap, 0.68 decades)."""


def test_a_last_gap_jump_on_big_g_with_1000_examples_is_sharp():
    # The smooth member closest to the jump (a 1-decade Gumbel with its asymptote at 1) is at
    # 0.25 + 0.75 * 0.075 = 0.306 at 27B, 4 SE (0.0137) above chance: no bootstrap draw from H0
    # reaches the observed statistic, so p = 1 / (1 + 1000).
    table = table_of(bigbench_points(X, {0: LAST_GAP}, 1000))
    row = table.loc[0]
    assert row["p_sharp"] == pytest.approx(1 / 1001)
    assert table["sharp"].tolist() == [True]
    assert row["sharp_reason"] == "sharp: q_sharp <= fdr"
    assert row["rise_gap_decades"] == pytest.approx(np.log10(137440272384 / 28991404032))


def test_the_same_last_gap_jump_with_20_examples_is_not_sharp():
    # SE at chance with n = 20 is 0.09 (Agresti-Coull): the Gumbel's 0.056 at 27B is 0.6 SE.
    table = table_of(bigbench_points(X, {0: LAST_GAP}, 20))
    assert table.loc[0, "p_sharp"] > 0.05
    assert table["sharp"].tolist() == [False]


def test_a_last_gap_jump_on_gpt3_is_unresolvable_not_false():
    # GPT-3's 13B -> 175B gap is log10(174.6 / 12.6) = 1.14 decades > min_width_decades: a rise of
    # H0's boundary width fits inside it, so sharp is NA whatever the p-value.
    x = np.array([n for _, n in GPT], dtype=float)
    row = table_of(bigbench_points(x, {0: np.r_[np.full(7, 0.25), 0.70]}, 1000)).loc[0]
    assert row["rise_gap_decades"] == pytest.approx(1.1417, abs=1e-4)
    assert pd.isna(row["sharp"])
    assert row["sharp_reason"].startswith("unresolvable")


def test_a_mirage_mechanism_curve_is_not_sharp():
    # Kaplan et al. (2020, "Scaling laws for neural language models", eq. 1.1): per-token loss
    # L(N) = (N_c / N)^alpha_N with alpha_N = 0.076, N_c = 8.8e13 non-embedding parameters; the
    # Mirage model's per-token probability exp(-L) then rises smoothly from 0.022 (2M) to 0.195
    # (137B), and 5 seeded binomial draws of it at n = 1000 stay smooth.
    p = np.exp(-((8.8e13 / X) ** 0.076))
    assert p[[0, -1]] == pytest.approx([0.022, 0.195], abs=5e-4)
    rng = np.random.default_rng(11)
    curves = {0: p} | {i: rng.binomial(1000, p) / 1000 for i in range(1, 6)}
    points = bigbench_points(X, curves, 1000).assign(low_score=0.0)
    table = table_of(points)
    assert (table["p_sharp"] > 0.05).all()
    assert not table["sharp"].fillna(False).any()
    # Through both tests, even if every curve passed the Mirage screen: not emergent.
    sharpness = {
        "min_width_decades": 1.0,
        "residual_min_df": 10,
        "draws": 200,
        "stop_after": 20,
        "seed": 7,
        "fdr": 0.05,
    }
    backtest = {"holdout": 1, "alpha": 0.05, "min_train": 4, "extrapolation": 0.5}
    tests = verdict_curves.tests_from_config(points, sharpness, backtest).set_index("curve_id")
    screen = pd.Series(True, index=tests.index)
    assert not emergence_tested(screen, tests["sharp"], tests["unpredictable"]).any()


def test_sharp_is_na_outside_the_preferred_family():
    points = bigbench_points(X, {0: JUMP, 1: JUMP}, 1000)
    points.loc[points["curve_id"] == 1, "is_preferred"] = False
    table = table_of(points, fdr_scope="preferred")
    assert table["sharp"].tolist()[0] is True
    assert pd.isna(table.loc[1, "sharp"]) and np.isnan(table.loc[1, "q_sharp"])
    assert table.loc[1, "sharp_reason"] == "not tested: outside the fdr_scope family"
    with pytest.raises(ValueError, match="fdr_scope"):
        table_of(points, fdr_scope="screened")


def test_too_few_points_are_not_tested():
    table = table_of(bigbench_points(X[:4], {0: np.array([0.25, 0.25, 0.25, 0.7])}, 1000))
    assert pd.isna(table.loc[0, "sharp"]) and np.isnan(table.loc[0, "p_sharp"])
    assert table.loc[0, "sharp_reason"] == "not tested: fewer than 5 points"


@pytest.mark.parametrize("centre", [9.0, 10.8])
def test_a_gumbel_at_the_resolution_is_not_sharp(centre):
    # A Gumbel from chance 0.25 to 0.95 whose steeper half-rise (10 -> 50 %) is half a decade, i.e.
    # H0's boundary at min_width_decades = 1 (GUMBEL_WIDTH), centred mid-ladder or in the last gap.
    y = 0.25 + 0.7 * np.exp(-np.exp(-(T - centre) * GUMBEL_WIDTH))
    assert p_sharp(y, 1000) > 0.05


def test_a_run_where_no_curve_can_be_tested_still_writes_every_column():
    # Four points (an extract with four model sizes): below MIN_POINTS, so nothing is tested and
    # the verdict is NA; the table keeps the columns the rule and the verdicts read.
    table = table_of(bigbench_points(X[:4], {0: LAST_GAP[:4], 1: LAST_GAP[:4]}, 1000))
    assert {"sharp_statistic", "p_sharp", "sharp_draws", "noise_dispersion", "q_sharp", "sharp"} <= set(table.columns)
    assert table["sharp"].isna().all()
    assert set(table["sharp_reason"]) == {"not tested: fewer than 5 points"}
