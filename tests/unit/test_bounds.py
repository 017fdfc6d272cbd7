"""The metric's range in y units (scripts/lib/stats/bounds.py): chance as the floor, orientation, the data."""

import numpy as np
import pandas as pd
import pytest

from scripts.lib.stats.bounds import clip, y_bounds


def points(rows: dict[int, dict]) -> pd.DataFrame:
    """Three points per curve (y = 0.30, 0.40, 0.50 unless given) with the given curve-level columns."""
    base = {"metric_low": 0.0, "metric_high": 1.0, "low_score": np.nan, "high_score": np.nan}
    base |= {"is_preferred": False, "oriented": False}
    frames = []
    for cid, cols in rows.items():
        y = cols.pop("y", [0.3, 0.4, 0.5])
        frames.append(pd.DataFrame({"curve_id": cid, "x": [1e8, 1e9, 1e10], "y": y} | base | cols))
    return pd.concat(frames, ignore_index=True)


def test_chance_is_the_floor_of_the_preferred_metric():
    # curve 0: preferred, low_score 0.25 (4 choices) -> [0.25, 1]; curve 1: the same numbers on a
    # non-preferred metric (BIG-bench states low_score for the preferred one only) -> [0, 1].
    b = y_bounds(points({0: {"is_preferred": True, "low_score": 0.25, "high_score": 1.0}, 1: {"low_score": 0.25}}))
    assert b.loc[0].tolist() == [0.25, 1.0]
    assert b.loc[1].tolist() == [0.0, 1.0]


def test_a_curve_below_chance_keeps_its_points():
    # Chance 0.25, lowest point 0.20: the floor is 0.20, never cutting off an observed point.
    rows = {0: {"is_preferred": True, "low_score": 0.25, "high_score": 1.0, "y": [0.2, 0.3, 0.6]}}
    assert y_bounds(points(rows)).loc[0].tolist() == [0.2, 1.0]


def test_lower_is_better_metrics_are_negated_and_swapped():
    # A Brier score in [0, 1] plotted as y = -value: [-1, 0].
    b = y_bounds(points({0: {"oriented": True, "y": [-0.5, -0.4, -0.3]}}))
    assert b.loc[0].tolist() == [-1.0, 0.0]


def test_unbounded_sides_stay_unbounded():
    # Log-likelihood: high 0, no low -> (NaN, 0); a metric with no range at all -> (NaN, NaN).
    b = y_bounds(
        points(
            {
                0: {"metric_low": np.nan, "metric_high": 0.0, "y": [-9, -5, -2]},
                1: {"metric_low": np.nan, "metric_high": np.nan},
            }
        )
    )
    assert np.isnan(b.loc[0, "y_low"]) and b.loc[0, "y_high"] == 0.0
    assert b.loc[1].isna().all()


def test_a_curve_outside_its_metric_range_is_unbounded():
    # 0-100 values under a metric stated as 0-1 (more than 1 % of the range outside) -> unbounded;
    # 1.005 is within the 1 % slack and only widens the top to 1.005.
    b = y_bounds(points({0: {"y": [20, 40, 60]}, 1: {"y": [0.5, 0.9, 1.005]}}))
    assert b.loc[0].isna().all()
    assert b.loc[1].tolist() == pytest.approx([0.0, 1.005])


def test_clip_only_where_bounded():
    lo, hi = np.array([0.0, np.nan]), np.array([1.0, np.nan])
    assert clip(np.array([1.5, 1.5]), lo, hi).tolist() == [1.0, 1.5]
    assert clip(np.array([-0.5, -0.5]), lo, hi).tolist() == [0.0, -0.5]
