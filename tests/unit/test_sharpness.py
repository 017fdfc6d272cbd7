"""The sharpness test (scripts/lib/stats/sharpness.py, smooth_fit.py) on hand-made curves.

The curves sit on the real BIG-G ladder (12 sizes, 2M to 137B non-embedding parameters, about
0.4 decades apart), with the binomial noise of n examples. Verdicts pinned here, as docs/statistics.md states them:
flat-then-jump with n = 1000 is sharp; the same shape with n = 20 is not; a
straight line is not; a logistic 1 decade wide (the boundary of the smooth null) is not.
"""

import numpy as np
import pandas as pd
import pytest

from scripts.lib.ladders import BIG_G
from scripts.lib.stats.noise import agresti_coull_se
from scripts.lib.stats.sharpness import Stack, benjamini_hochberg, check_columns, p_sharp_stack, sharpness_table
from scripts.lib.stats.smooth_fit import build_cells, fit_smooth, project, sharpness_statistic

X = np.array([n for _, n in BIG_G], dtype=float)
T = np.log10(X)
JUMP = np.r_[np.full(8, 0.25), np.full(4, 0.45)]
"""Flat at chance 0.25 for 8 sizes, then 0.45: a jump of 0.2 between 4B and 8B."""
LINE = np.linspace(0.25, 0.6, 12)
LOGISTIC_1DEC = 0.25 + 0.3 / (1 + np.exp(-(T - 9.0) * 2 * np.log(9.0)))
"""Rises 10 % -> 90 % of 0.3 over exactly one decade around 1B."""


def stack(y: np.ndarray, n: int) -> Stack:
    sigma = agresti_coull_se(y, np.full(len(y), n), 0.0, 1.0)
    return Stack(np.array([0]), T[None, :], y[None, :], sigma[None, :], np.array([0.01]))


def p_sharp(y: np.ndarray, n: int) -> float:
    res = p_sharp_stack(stack(y, n), min_width=1.0, draws=1000, stop_after=20, seed=7, statistic="lr")
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
    # Noiseless step of height 1 with sigma 0.1 everywhere: the best narrow cell (a step in the gap)
    # fits exactly, so the statistic equals the smooth fit's weighted RSS.
    y = np.r_[np.zeros(6), np.ones(6)][None, :]
    sigma = np.full((1, 12), 0.1)
    cells = build_cells(T[None, :], min_width=1.0)
    pr = project(cells.basis(T[None, :]), sigma)
    proj = np.einsum("ckn,cn->ck", pr.q, y / sigma)
    fit = fit_smooth(y, sigma, cells, pr)
    assert sharpness_statistic(proj, cells.smooth)[0] == pytest.approx(fit.rss[0], rel=1e-9)
    assert fit.rss[0] > 10.0


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
        min_width=1.0,
        min_df=10,
        draws=200,
        stop_after=20,
        seed=1,
        statistic="lr",
        fdr=0.05,
    )
    assert list(table["noise_source"]) == ["residual", "residual"]
    assert table["noise_sd_residual"].nunique() == 1
    assert not table["sharp"].any()


def test_a_curves_file_without_noise_columns_fails_with_its_name():
    with pytest.raises(ValueError, match=r"old/curves.parquet: missing column\(s\) \['value_se'"):
        check_columns(pd.DataFrame(columns=["curve_id", "x", "y", "value"]), "old/curves.parquet")
