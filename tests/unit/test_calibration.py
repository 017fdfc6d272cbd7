"""A small version of the calibration study (scripts/verdicts/calibration_study.py): SYNTHETIC curves.

Seeded, so the numbers are fixed; the bounds are the claims of docs/statistics.md with room for
the Monte-Carlo error of 40 curves per shape.
"""

import numpy as np
import pytest

from scripts.verdicts.calibration_study import JUMPS_SE, SMOOTH_SHAPES, calibrate, shape, summary_rows


@pytest.fixture(scope="module")
def table():
    return calibrate(
        n_examples=[1000],
        reps=40,
        draws=400,
        seed=3,
        level=0.05,
        stop_after=10,
        min_width=1.0,
        holdout=1,
        alpha=0.05,
    )


def test_one_row_per_ladder_shape_and_statistic(table):
    assert len(table) == 2 * (len(SMOOTH_SHAPES) + len(JUMPS_SE)) * 2
    assert set(table["statistic"]) == {"lr", "es"}


def test_lr_false_positive_rate_on_smooth_shapes_is_at_most_the_level(table):
    smooth = table[table["smooth"] & (table["statistic"] == "lr")]
    # 12 rows x 40 curves = 480 smooth curves: level 0.05 + 2 SE (2 sqrt(0.05 * 0.95 / 480) = 0.02).
    assert smooth["rejection_rate"].mean() <= 0.07


def test_lr_power_grows_with_the_jump(table):
    lr = table[~table["smooth"] & (table["statistic"] == "lr")]
    power = lr.groupby("shape")["rejection_rate"].mean()
    assert power["jump_2se"] < power["jump_4se"] < power["jump_8se"]
    assert power["jump_8se"] >= 0.7


def test_backtest_covers_smooth_shapes(table):
    smooth = table[table["smooth"] & (table["statistic"] == "lr")]
    assert smooth["backtest_coverage"].mean() >= 0.9


def test_summary_has_one_row_per_statistic(table):
    summary = summary_rows(table, 0.05)
    assert sorted(summary["statistic"]) == ["es", "lr"]
    assert {"max_fpr", "fpr_ok", "min_backtest_coverage", "power_jump_8se"} <= set(summary.columns)


def test_jump_shape_by_hand():
    # jump of 4 SE at p = 0.25, n = 100: SE = sqrt(0.25 * 0.75 / 100) = 0.0433, so 0.25 -> 0.4232.
    x = np.logspace(6, 11, 6)
    p = shape("jump_4se", x, 100)
    assert p[:3] == pytest.approx([0.25] * 3)
    assert p[3:] == pytest.approx([0.25 + 4 * np.sqrt(0.1875 / 100)] * 3)
