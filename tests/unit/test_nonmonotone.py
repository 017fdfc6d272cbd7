"""The non-monotonicity test (scripts/lib/stats/nonmonotone.py) on hand-made curves.

Curves sit on the real BIG-G ladder (12 sizes, 2M to 137B parameters) with the binomial SE of
n = 1000 questions at p = 0.5, sqrt(0.25 / 1000) = 0.0158, unless a test says otherwise.
"""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import isotonic_regression

from scripts.lib.ladders import BIG_G
from scripts.lib.stats.nonmonotone import isotonic_fit, nonmonotone_curves, prefix_isotonic, shape_fits
from scripts.lib.stats.nonmonotone_calibration import calibrate

X = np.array([n for _, n in BIG_G], dtype=float)
T = np.log10(X)
SE = np.sqrt(0.25 / 1000)
U = np.array([0.60, 0.56, 0.52, 0.48, 0.44, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70])
"""Falls 0.04 (2.5 SE) a size for five sizes to 0.40 at X[5] (422M), then rises 0.05 a size."""


def frame(y: np.ndarray, x: np.ndarray = X, curve_id: str = "c", sigma: float = SE) -> pd.DataFrame:
    return pd.DataFrame({"curve_id": curve_id, "x": x, "y": y, "sigma": sigma, "y_low": 0.0, "y_high": 1.0})


def verdict(points: pd.DataFrame) -> pd.DataFrame:
    return nonmonotone_curves(points, alpha=0.05, draws=200, seed=1)


def test_clear_u_is_u_with_its_turn() -> None:
    row = verdict(frame(U)).loc["c"]
    assert bool(row["nonmonotone"]) and row["nonmonotone_kind"] == "U"
    assert row["turn_x"] == pytest.approx(X[5])
    # The decreasing fit of the first six points is exact: the fall is 0.60 - 0.40 = 0.20.
    assert row["dip_depth"] == pytest.approx(0.20)
    assert 0.0 < row["p_nonmonotone"] < 0.05


def test_mirrored_hump_is_inverted_u() -> None:
    row = verdict(frame(1.0 - U)).loc["c"]
    assert bool(row["nonmonotone"]) and row["nonmonotone_kind"] == "inverted_U"
    assert row["turn_x"] == pytest.approx(X[5])


@pytest.mark.parametrize(
    "y",
    [
        0.25 + 0.5 / (1.0 + np.exp(-(T - 9.5) * 2.0)),  # a logistic rise around 3B
        np.minimum(0.3 + 0.15 * np.arange(12), 0.9),  # rises 0.15 a size, flat at 0.9 from X[4] on
    ],
    ids=["logistic", "rise_then_flat"],
)
def test_monotone_curves_are_not_flagged(y: np.ndarray) -> None:
    row = verdict(frame(y)).loc["c"]
    assert not bool(row["nonmonotone"]) and row["nonmonotone_kind"] is None
    assert row["nonmonotone_statistic"] == 0.0 and row["p_nonmonotone"] == 1.0  # monotone data: T = 0, p = 1
    assert np.isnan(row["turn_x"])


def test_ties_are_pooled() -> None:
    # Every size twice, the pair +-0.01 about U: pooled means are exactly U, so the verdict is U's,
    # and the pairs' scatter (24 points, 12 distinct) enters phi through 12 more degrees of freedom.
    x = np.repeat(X, 2)
    y = np.repeat(U, 2) + np.tile([0.01, -0.01], 12)
    tied = verdict(frame(y, x=x, sigma=SE * np.sqrt(2.0))).loc["c"]
    assert bool(tied["nonmonotone"]) and tied["nonmonotone_kind"] == "U"
    assert tied["turn_x"] == pytest.approx(X[5])
    assert tied["dip_depth"] == pytest.approx(0.20)


def test_too_few_distinct_x_is_na() -> None:
    # 6 points but only 4 distinct sizes (< min_points = 5): not tested.
    points = frame(np.array([0.5, 0.4, 0.45, 0.3, 0.5, 0.6]), x=X[[0, 1, 1, 2, 3, 3]])
    points = pd.concat([points, frame(U, curve_id="d")])
    out = verdict(points)
    assert list(out.index) == ["c", "d"]
    assert pd.isna(out.loc["c", "nonmonotone"]) and np.isnan(out.loc["c", "p_nonmonotone"])
    assert out["nonmonotone"].dtype == "boolean"


def brute_isotonic_rss(y: np.ndarray, w: np.ndarray) -> float:
    """The increasing fit by scipy's PAVA, as the reference."""
    return float(np.sum(w * (y - isotonic_regression(y, weights=w).x) ** 2)) if len(y) else 0.0


def test_fits_equal_a_brute_force_reference() -> None:
    rng = np.random.default_rng(20230428)
    for _ in range(100):
        n = int(rng.integers(5, 10))
        y, w = rng.normal(size=n), rng.uniform(0.2, 3.0, size=n)
        rss, _ = prefix_isotonic(y[None], w[None])
        assert rss[0] == pytest.approx([brute_isotonic_rss(y[:m], w[:m]) for m in range(n + 1)], abs=1e-9)
        fit = isotonic_fit(y[None], w[None], np.array([1]), np.array([n - 1]))[0]
        assert fit[1 : n - 1] == pytest.approx(isotonic_regression(y[1 : n - 1], weights=w[1 : n - 1]).x)
        fits = shape_fits(y[None], w[None])
        mono = min(brute_isotonic_rss(y, w), brute_isotonic_rss(-y, w))
        # Every split with at least 2 points a side, falling then rising (U) or rising then falling.
        uni = min(
            brute_isotonic_rss(s * -y[:m], w[:m]) + brute_isotonic_rss(s * y[m:], w[m:])
            for m in range(2, n - 1)
            for s in (1.0, -1.0)
        )
        assert fits.rss_mono[0] == pytest.approx(mono, abs=1e-9)
        assert fits.rss_uni[0] == pytest.approx(min(uni, mono), abs=1e-9)


def test_p_values_lie_in_zero_one() -> None:
    rng = np.random.default_rng(3)
    y = np.clip(U + rng.normal(0.0, SE, size=(20, 12)), 0, 1)
    points = pd.concat([frame(row, curve_id=f"c{i:02d}") for i, row in enumerate(y)], ignore_index=True)
    p = verdict(points)["p_nonmonotone"].to_numpy()
    assert np.all((p > 0.0) & (p <= 1.0))


def test_small_calibration() -> None:
    # GPT-3's 8 sizes, n = 1000, phi = 1: 400 flat curves at the level (MC SE sqrt(.05 .95 / 400) = 0.011);
    # then 100 BIG-G curves with a V planted 6 SE deep (turn mid-ladder) are found to be U > 80 % of the time.
    table = calibrate(
        reps_null=400, reps_planted=0, alpha=0.05, draws=100, seed=7, ns=(1000,), phis=(1.0,), ladder_names=("GPT-3",)
    )
    flat = table.set_index("shape").loc["flat_half"]
    assert flat["rate"] <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 400)
    rng = np.random.default_rng(11)
    v = np.abs(np.linspace(0, 1, 12) - 0.5) / 0.5
    y = np.clip(0.5 + 6 * SE * v + rng.normal(0.0, SE, size=(100, 12)), 0, 1)
    points = pd.concat([frame(row, curve_id=f"c{i:03d}") for i, row in enumerate(y)], ignore_index=True)
    out = verdict(points)
    assert (out["nonmonotone_kind"] == "U").mean() > 0.8
