"""The unpredictability backtest (scripts/lib/stats/backtest.py) on hand-made curves (BIG-G ladder).

The noisy values below were drawn once (binomial, n = 1000, numpy seed 22) and written out.
"""

import numpy as np
import pandas as pd
import pytest

from scripts.lib.ladders import BIG_G
from scripts.lib.stats.backtest import (
    backtest_stack,
    curve_tests,
    shape_prior,
    sym_inv,
)
from scripts.lib.stats.metric_map import map_predictions, map_predictive
from scripts.lib.stats.multiplicity import holm
from scripts.lib.stats.noise import agresti_coull_se
from scripts.lib.stats.sharpness import Stack
from scripts.lib.stats.smooth_fit import build_cells

X = np.array([n for _, n in BIG_G], dtype=float)
T = np.log10(X)
CHANCE_11 = [0.26, 0.236, 0.243, 0.237, 0.273, 0.261, 0.238, 0.264, 0.241, 0.261, 0.239]
"""11 models at chance 0.25 (binomial, n = 1000)."""
LATE_JUMP = np.r_[CHANCE_11, 0.704]
"""Chance for 11 models, +0.45 at 128B."""
MID_JUMP = np.r_[[0.263, 0.236, 0.265, 0.243, 0.225, 0.221], [0.705, 0.695, 0.714, 0.668, 0.706, 0.704]]
"""Chance up to 422M (6 models), 0.70 from 1B (the 7th) on: flat before and after the jump."""
LOGISTIC = np.array([0.249, 0.254, 0.262, 0.286, 0.325, 0.329, 0.406, 0.476, 0.533, 0.592, 0.672, 0.744])
"""0.25 + 0.5 / (1 + exp(-(t - 9.5) / w)), a 10-90 % rise of 2.5 decades centred at 10^9.5."""


def backtest(
    curves: list[np.ndarray], n: int = 1000, bounds: tuple[float, float] = (0.0, 1.0), extrapolation: float = 0.5
) -> pd.DataFrame:
    y = np.asarray(curves, dtype=float)
    sigma = agresti_coull_se(y, np.full_like(y, n), 0.0, 1.0)
    st = Stack(np.arange(len(y)), np.tile(T, (len(y), 1)), y, sigma, np.zeros(len(y)))
    return backtest_stack(
        st,
        np.tile(bounds, (len(y), 1)),
        min_train=4,
        holdout=1,
        min_width_decades=1.0,
        alpha=0.05,
        extrapolation=extrapolation,
    )


def test_a_jump_at_the_largest_model_is_unpredictable_there():
    row = backtest([LATE_JUMP]).iloc[0]
    assert row["unpredictable"]
    assert row["unpredictable_at"] == pytest.approx(X[-1])
    assert row["backtest_pred_y"] == pytest.approx(0.25, abs=0.03)
    assert row["upper"] < 0.5
    assert row["backtest_z"] > 5
    assert row["backtest_tests"] == 8  # models 5 to 12, each with at least 4 smaller ones


def test_a_jump_from_422m_to_1b_is_unpredictable_at_1b_whatever_follows():
    row = backtest([MID_JUMP]).iloc[0]
    assert row["unpredictable"]
    assert row["unpredictable_at"] == pytest.approx(X[6])
    assert row["unpredictable_pred_y"] < 0.3  # the six models below 1B: 0.22-0.27
    assert row["backtest_p"] <= 0.05


def test_a_smooth_bounded_logistic_and_a_line_are_predictable():
    out = backtest([LOGISTIC, np.linspace(0.25, 0.6, 12)])
    assert not out["unpredictable"].any()
    assert out["unpredictable_at"].isna().all()
    assert (out["backtest_p"] > 0.05).all()
    assert out["backtest_pred_y"].iloc[1] == pytest.approx(0.6, abs=0.05)


@pytest.mark.parametrize("n", [1000, 10000])
def test_the_bound_covers_a_noise_free_gumbel_between_grid_widths(n):
    # The audited case of docs/statistics.md: exp(-exp(-(t - 10.5) / w)), 10-90 % rise 3 decades (w = 3 / 3.0844),
    # truth 0.595 at 128B (hand calculation: u = 0.655, exp(-exp(-u)) = 0.595). The old grid average
    # predicted 0.497 +- 0.050 at n = 1000 and 0.513 +- 0.0125 at n = 10,000 (truth at z = 6.6).
    y = np.exp(-np.exp(-(T - 10.5) / (3.0 / 3.0844)))
    assert y[-1] == pytest.approx(0.595, abs=1e-3)
    row = backtest([y], n=n).iloc[0]
    assert row["upper"] >= y[-1]
    assert (y[-1] - row["backtest_pred_y"]) / row["backtest_sd"] < 1.645


def test_a_mirage_curve_tending_to_the_bound_is_covered():
    # exp(-(N_0 / N)^0.34) (Hoffmann et al.'s exponent) from the smallest model: 0.977 at 128B, tending to 1.
    # When the range weight bounded a sigmoid's asymptotes, the shapes that reach 1 lost half their weight to
    # those levelling off lower: predicted 0.959, truth at z = 2.4 (docs/statistics.md, Calibration).
    y = np.exp(-((X[0] / X) ** 0.34))
    row = backtest([y]).iloc[0]
    assert row["upper"] >= y[-1]
    assert (y[-1] - row["backtest_pred_y"]) / row["backtest_sd"] < 1.645


def test_the_extrapolation_term_widens_a_rise_and_leaves_a_flat_curve_alone():
    curves = [LOGISTIC, np.full(12, 0.3)]
    with_term = backtest(curves)
    without = backtest(curves, extrapolation=0.0)
    assert with_term["backtest_pred_y"].to_numpy() == pytest.approx(without["backtest_pred_y"].to_numpy())
    assert with_term["backtest_sd"].iloc[0] > 1.1 * without["backtest_sd"].iloc[0]
    assert with_term["backtest_sd"].iloc[1] == pytest.approx(without["backtest_sd"].iloc[1], rel=1e-9)


def test_no_prediction_leaves_the_metric_range():
    # A line to 0.99, a curve pinned at 1 and one at 0: means, bounds and the first rejected model's
    # prediction all inside [0, 1].
    out = backtest([np.linspace(0.3, 0.99, 12), np.r_[np.linspace(0.5, 1.0, 6), np.ones(6)], np.zeros(12)])
    for column in ("backtest_pred_y", "upper", "unpredictable_pred_y"):
        values = out[column].dropna()
        assert ((values >= 0.0) & (values <= 1.0)).all(), column


def test_holm_adjusts_within_each_row_and_skips_untested_models():
    # m = 3 tested: sorted 0.01, 0.03, 0.04 -> 3 x 0.01 = 0.03, 2 x 0.03 = 0.06, 1 x 0.04 -> 0.06
    # after the running maximum (hand calculation).
    adjusted = holm(np.array([[0.01, 0.04, 0.03, np.nan]]))
    assert adjusted[0, :3] == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(adjusted[0, 3])


def test_sym_inv_matches_numpy():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((5, 3, 3))
    a = m @ np.swapaxes(m, -1, -2) + np.eye(3)
    inv, logdet = sym_inv(a)
    assert inv == pytest.approx(np.linalg.inv(a))
    assert logdet == pytest.approx(np.linalg.slogdet(a)[1])


def test_shape_prior_gives_every_kind_the_same_mass():
    cells = build_cells(T[None, :-1], min_width_decades=1.0)
    prior = shape_prior(cells)
    mass = {int(k): prior[cells.kind == k].sum() for k in np.unique(cells.kind)}
    assert all(m == pytest.approx(1.0) for m in mass.values())


def test_metric_map_recovers_a_step_function_of_the_continuous_metric():
    # sharp = 0 while continuous < 0.5, else 1; the continuous value of the held-out model is 0.9.
    cont = np.linspace(0.0, 0.8, 9)[None, :]
    sharp = (cont > 0.5).astype(float)
    args = (cont, sharp, np.full_like(cont, 0.05), np.array([0.9]), np.array([[0.0, 1.0]]))
    assert map_predictions(*args)[0] == pytest.approx(1.0, abs=0.05)
    mean, sd = map_predictive(*args)
    assert mean[0] == pytest.approx(map_predictions(*args)[0])
    assert 0.0 < sd[0] < 0.1


def _points(curves: dict[int, np.ndarray], n: int | None, high: float = 1.0) -> pd.DataFrame:
    frames = [
        pd.DataFrame(
            {
                "curve_id": cid,
                "x": X,
                "y": y,
                "value": y,
                "value_se": np.nan,
                "se_source": "binomial" if n else None,
                "n_examples": n,
                "metric_low": 0.0,
                "metric_high": high,
                "oriented": False,
                "task": "t",
                "subtask": None,
                "metric": "m",
            }
        )
        for cid, y in curves.items()
    ]
    return pd.concat(frames, ignore_index=True).astype({"n_examples": "Int64"})


def test_curve_tests_returns_both_verdicts_and_where_the_curve_is_unpredictable():
    # Changed with the per-model backtest: the mid-ladder jump (curve 0), once "predictable from its
    # plateau", is now unpredictable at the jump (1B), as Wei et al.'s definition asks.
    points = _points({0: MID_JUMP, 1: LATE_JUMP, 2: LOGISTIC}, 1000)
    out = curve_tests(
        points,
        min_width_decades=1.0,
        draws=400,
        stop_after=20,
        seed=1,
        fdr=0.05,
        holdout=1,
        alpha=0.05,
        residual_min_df=10,
    ).set_index("curve_id")
    assert out.loc[0, "unpredictable_at"] == pytest.approx(X[6])
    assert out.loc[1, "unpredictable_at"] == pytest.approx(X[-1])
    assert not out.loc[2, "unpredictable"]
    assert bool(out.loc[0, "sharp"])
    assert list(out["noise_source"]) == ["binomial"] * 3
