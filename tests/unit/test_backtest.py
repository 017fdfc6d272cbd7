"""The unpredictability backtest (scripts/lib/stats/backtest.py) on hand-made curves (BIG-G ladder)."""

import numpy as np
import pandas as pd
import pytest

from scripts.lib.ladders import BIG_G
from scripts.lib.stats.backtest import backtest_stack, curve_tests, map_predictions, shape_prior, y_bounds
from scripts.lib.stats.noise import agresti_coull_se
from scripts.lib.stats.sharpness import Stack
from scripts.lib.stats.smooth_fit import build_cells

T = np.log10(np.array([n for _, n in BIG_G], dtype=float))


def backtest(y: np.ndarray, n: int):
    sigma = agresti_coull_se(y, np.full(len(y), n), 0.0, 1.0)
    st = Stack(np.array([0]), T[None, :], y[None, :], sigma[None, :], np.array([0.01]))
    return backtest_stack(st, np.array([[0.0, 1.0]]), holdout=1, min_width=1.0, alpha=0.05).iloc[0]


def test_smooth_curve_whose_last_point_jumps_is_unpredictable():
    # 11 points on a line from 0.25 to 0.40 (step 0.015 per size) extrapolate to about 0.42-0.44;
    # the largest model scores 0.80, about 12 predictive SD above (n = 1000).
    y = np.r_[np.linspace(0.25, 0.40, 11), 0.80]
    row = backtest(y, 1000)
    assert row["upper"] < 0.6
    assert y[-1] > row["upper"]


def test_a_straight_line_is_predictable():
    y = np.linspace(0.25, 0.6, 12)
    row = backtest(y, 1000)
    assert row["backtest_pred_y"] == pytest.approx(0.6, abs=0.05)
    assert y[-1] <= row["upper"]


def test_flat_then_a_jump_at_the_last_size_is_unpredictable_with_1000_examples():
    y = np.r_[np.full(11, 0.25), 0.5]
    row = backtest(y, 1000)
    assert row["backtest_pred_y"] == pytest.approx(0.25, abs=0.02)
    assert y[-1] > row["upper"]


def test_shape_prior_gives_every_kind_the_same_mass():
    cells = build_cells(T[None, :-1], min_width=1.0)
    prior = shape_prior(cells)
    smooth_kinds = np.unique(cells.kind[cells.smooth])
    mass = {int(k): prior[cells.kind == k].sum() for k in smooth_kinds}
    assert all(m == pytest.approx(1.0) for m in mass.values())


def test_metric_map_recovers_a_step_function_of_the_continuous_metric():
    # sharp = 0 while continuous < 0.5, else 1; the continuous value of the held-out model is 0.9.
    cont = np.linspace(0.0, 0.8, 9)[None, :]
    sharp = (cont > 0.5).astype(float)
    pred = map_predictions(cont, sharp, np.full_like(cont, 0.05), np.array([0.9]), np.array([[0.0, 1.0]]))
    assert pred[0] == pytest.approx(1.0, abs=0.05)


def _points(curves: dict[int, np.ndarray], n: int | None, high: float = 1.0):
    rows = []
    for cid, y in curves.items():
        for x, v in zip(10**T, y, strict=True):
            rows.append(
                {
                    "curve_id": cid,
                    "x": x,
                    "y": v,
                    "value": v,
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
    return pd.DataFrame(rows).astype({"n_examples": "Int64"})


def test_curve_tests_pins_both_verdicts():
    # curve 0: flat, then a jump in the middle (sharp, and predictable from its plateau);
    # curve 1: a line to 0.40, then 0.80 at the largest model (unpredictable, not sharp).
    points = _points({0: np.r_[np.full(6, 0.25), np.full(6, 0.6)], 1: np.r_[np.linspace(0.25, 0.40, 11), 0.8]}, 1000)
    out = curve_tests(
        points,
        min_width=1.0,
        draws=1000,
        stop_after=20,
        seed=1,
        fdr=0.05,
        holdout=1,
        alpha=0.05,
        residual_min_df=10,
    ).set_index("curve_id")
    assert out.loc[0, "sharp"] and not out.loc[0, "unpredictable"]
    assert out.loc[1, "unpredictable"] and not out.loc[1, "sharp"]
    assert list(out["noise_source"]) == ["binomial", "binomial"]


def test_y_bounds_drop_a_range_the_curve_leaves():
    # A 0-100 score under a metric stated as 0-1 is treated as unbounded (NaN bounds).
    points = _points({0: np.linspace(0.2, 0.6, 12), 1: np.linspace(20, 60, 12)}, None)
    bounds = y_bounds(points)
    assert bounds.loc[0].tolist() == [0.0, 1.0]
    assert bounds.loc[1].isna().all()
