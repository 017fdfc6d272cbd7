"""Noise per point (scripts/lib/stats/noise.py): Agresti-Coull SE, sources, pooled residual SD."""

import numpy as np
import pandas as pd
import pytest

from scripts.lib.stats.noise import agresti_coull_se, curve_noise_source, point_sigma, pooled_residual_sigma


def test_agresti_coull_does_not_collapse_at_zero_or_one():
    # p = 0, n = 1000: p~ = 2 / 1004, SE = sqrt(p~ (1 - p~) / 1004) = 0.001407 (hand calculation).
    se0 = agresti_coull_se(np.array([0.0]), np.array([1000.0]), 0.0, 1.0)[0]
    assert se0 == pytest.approx(np.sqrt((2 / 1004) * (1002 / 1004) / 1004), rel=1e-12)
    assert se0 == pytest.approx(0.001407, abs=1e-6)
    # p = 1 is symmetric to p = 0.
    assert agresti_coull_se(np.array([1.0]), np.array([1000.0]), 0.0, 1.0)[0] == pytest.approx(se0)
    # n = 20, p = 0: p~ = 2 / 24, SE = sqrt((1/12)(11/12) / 24) = 0.05641 (hand calculation).
    assert agresti_coull_se(np.array([0.0]), np.array([20.0]), 0.0, 1.0)[0] == pytest.approx(0.05641, abs=1e-5)


def test_agresti_coull_in_value_units_of_a_0_100_metric():
    # value 50 of 0..100 with n = 96: p~ = (48 + 2) / 100 = 0.5, SE = 100 * sqrt(0.25 / 100) = 5.
    assert agresti_coull_se(np.array([50.0]), np.array([96.0]), 0.0, 100.0)[0] == pytest.approx(5.0)


def _points(**overrides):
    base = {
        "curve_id": [0, 0, 1, 1, 2, 2],
        "value": [0.0, 0.5, 0.3, 0.4, 0.2, 0.3],
        "value_se": [0.0, 0.0158, 0.02, 0.02, np.nan, 0.01],
        "se_source": ["binomial", "binomial", "reported", "reported", None, "seeds"],
        "n_examples": pd.array([1000, 1000, pd.NA, pd.NA, pd.NA, pd.NA], dtype="Int64"),
        "metric_low": [0.0] * 6,
        "metric_high": [1.0] * 6,
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_point_sigma_sources():
    points = _points()
    ps = point_sigma(points)
    # binomial recomputed (Agresti-Coull), not the stated 0 at a value of 0
    assert ps["sigma"].iloc[0] == pytest.approx(0.001407, abs=1e-6)
    assert ps["sigma"].iloc[2] == pytest.approx(0.02)
    assert np.isnan(ps["sigma"].iloc[4])
    assert list(ps["source"]) == ["binomial", "binomial", "reported", "reported", None, "seeds"]
    per_curve = curve_noise_source(points["curve_id"], ps["source"])
    assert per_curve.to_dict() == {0: "binomial", 1: "reported", 2: "residual"}


def test_pooled_residual_sigma_falls_back_to_the_metric_pool():
    groups = pd.DataFrame({"task": ["a", "a", "b"], "subtask": ["", "", ""], "metric": ["m", "m", "m"]})
    # Pool (a, m): RSS 2 + 6 over df 4 + 4 -> sqrt(8 / 8) = 1 (enough df at min_df = 8).
    # Pool (b, m) has df 2 < 8: the metric pool, (2 + 6 + 10) / (4 + 4 + 2) = 1.8.
    sd = pooled_residual_sigma(groups, np.array([2.0, 6.0, 10.0]), np.array([4.0, 4.0, 2.0]), min_df=8)
    assert sd == pytest.approx([1.0, 1.0, np.sqrt(1.8)])


def test_seeds_noise_adds_the_test_sets_binomial_variance():
    # strategyqa-like: three runs 0.51, 0.50, 0.47 on n = 1000 examples with an SD/sqrt(3) of 0.012,
    # and three runs that agree exactly (SE 0). Binomial part at 0.5, n = 1000: p~ = 502 / 1004 = 0.5,
    # SE = sqrt(0.25 / 1004) = 0.015779 (hand calculation); combined sqrt(0.012^2 + 0.015779^2) = 0.019824.
    points = _points(
        value=[0.5, 0.5, 0.3, 0.4, 0.2, 0.3],
        value_se=[0.012, 0.0, 0.02, 0.02, np.nan, 0.01],
        se_source=["seeds", "seeds", "reported", "reported", None, "seeds"],
    )
    sigma = point_sigma(points)["sigma"]
    assert sigma.iloc[0] == pytest.approx(0.019824, abs=1e-6)
    assert sigma.iloc[1] == pytest.approx(0.015779, abs=1e-6)
    # Without a known n_examples the seeds' SE stays as given.
    assert sigma.iloc[5] == pytest.approx(0.01)
