"""One resolution for every shape (scripts/lib/stats/smooth_fit.py) and bounded fits (bounds.py), BIG-G ladder."""

import numpy as np
import pytest

from scripts.lib.ladders import BIG_G, GPT
from scripts.lib.stats.bounds import Bounds, bounds_for, fit_bounded, least_rss, solve_bounded
from scripts.lib.stats.smooth_fit import (
    GUMBEL_WIDTH,
    KIND_LINEAR,
    KIND_MIRRORED,
    KIND_POWER,
    SIGMOID_KINDS,
    build_cells,
    power_rise,
    project,
)

T = np.log10(np.array([n for _, n in BIG_G], dtype=float))


def test_resolution_units_by_hand():
    # Gumbel exp(-exp(-x)): 10 % at -ln ln 10 = -0.834, 50 % at -ln ln 2 = 0.367, 90 % at 2.250;
    # its steeper half (10 -> 50 %) is 1.200 w, so its resolution width is 2.401 w.
    assert GUMBEL_WIDTH == pytest.approx(2.401, abs=1e-3)
    # u^1: halves 0.4 and 0.4 -> 0.8; u^2: 0.707 - 0.316 = 0.391 and 0.949 - 0.707 = 0.242 -> 0.484.
    assert power_rise(1.0) == pytest.approx(0.8)
    assert power_rise(2.0) == pytest.approx(0.484, abs=1e-3)


def half_rises(t: np.ndarray, g: np.ndarray) -> np.ndarray:
    """(10 -> 50 %, 50 -> 90 %) rise widths of increasing curves g (K, m) on the grid t (m,)."""
    lo, hi = g[:, :1], g[:, -1:]
    frac = (g - lo) / (hi - lo)
    at = np.stack([[np.interp(p, f, t) for p in (0.1, 0.5, 0.9)] for f in frac])
    return np.diff(at, axis=1)


@pytest.mark.parametrize("ladder", [BIG_G, GPT])
def test_every_smooth_shape_is_at_least_min_width_decades_wide(ladder):
    # Twice the steeper half-rise of every smooth sigmoid and power cell is >= min_width_decades
    # (1.5 here), and the boundary cells are exactly at it: one resolution for every shape.
    t = np.log10(np.array([n for _, n in ladder], dtype=float))
    cells = build_cells(t[None, :], min_width_decades=1.5)
    grid = np.linspace(t[0] - 12, t[-1] + 12, 24001)
    sig = cells.smooth & np.isin(cells.kind, SIGMOID_KINDS)
    widths = 2 * half_rises(grid, cells.basis(grid[None, :])[0, sig]).min(axis=1)
    assert widths.min() == pytest.approx(1.5, abs=1e-3)
    assert np.allclose(widths[cells.boundary[sig]], 1.5, atol=1e-3)
    powers = np.isin(cells.kind, [KIND_POWER, KIND_MIRRORED])
    span_grid = np.linspace(t[0] - 20, t[-1] + 20, 40001)
    g = np.clip(cells.basis(span_grid[None, :])[0, powers], 0.0, 1.0)
    assert (2 * half_rises(span_grid, g).min(axis=1) >= 1.5 - 1e-3).all()


def test_bounded_fit_by_hand():
    # y = (0, 0, 2), sigma 1, a step g = (0, 0, 1), bounds [0, 1]: the unconstrained fit a = 0,
    # b = 2 leaves the bounds (a + b = 2); the best edge is a + b = 1 with a = 0: RSS (2 - 1)^2 = 1.
    g = np.array([[[0.0, 0.0, 1.0]]])
    sigma = np.ones((1, 3))
    pr = project(g, sigma)
    bd = Bounds(
        pr.norm1[:, None], pr.gbar * pr.norm1[:, None], pr.rnorm, np.zeros((1, 1)), np.ones((1, 1)),
        np.array([[0.0]]), np.array([[1.0]]),
    )  # fmt: skip
    fit = fit_bounded(np.array([[0.0, 0.0, 2.0]]), sigma, pr, bd)
    assert (fit.a[0, 0], fit.b[0, 0], fit.rss[0, 0]) == pytest.approx((0.0, 1.0, 1.0))
    # Unbounded (NaN bounds -> +-inf): the unconstrained least squares, RSS 0.
    free = bounds_for_step(pr)
    assert fit_bounded(np.array([[0.0, 0.0, 2.0]]), sigma, pr, free).rss[0, 0] == pytest.approx(0.0)


def bounds_for_step(pr) -> Bounds:
    inf = np.array([[np.inf]])
    return Bounds(
        pr.norm1[:, None], pr.gbar * pr.norm1[:, None], pr.rnorm, np.zeros((1, 1)), np.ones((1, 1)), -inf, inf
    )


def random_curves(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Jumps, lines, curves above and below chance: 40 curves with sigma 0.01-0.05."""
    rng = np.random.default_rng(seed)
    base = np.stack(
        [np.r_[np.full(11, 0.25), 0.95], np.linspace(0.1, 1.05, 12), np.r_[np.full(6, 0.24), np.full(6, 0.9)]]
        + [rng.uniform(0.2, 1.0) * (T > rng.uniform(6, 11)) + 0.25 for _ in range(37)]
    )
    sigma = rng.uniform(0.01, 0.05, base.shape)
    return base + sigma * rng.standard_normal(base.shape), sigma


def test_no_fitted_curve_leaves_the_metric_range():
    # Every cell of H0 and of the alternative, fitted to curves that jump to the top, overshoot and
    # dip below chance: the fitted curve, evaluated on the ladder and (sigmoids) 10 decades beyond
    # it on both sides, stays in [0.25, 1].
    y, sigma = random_curves(5)
    t = np.broadcast_to(T, y.shape)
    cells = build_cells(t, min_width_decades=1.0)
    g = cells.basis(t)
    pr = project(g, sigma)
    lo, hi = np.full(len(y), 0.25), np.full(len(y), 1.0)
    fit = fit_bounded(y, sigma, pr, bounds_for(cells, g, pr, lo, hi))
    wide = np.linspace(T[0] - 10, T[-1] + 10, 401)
    on_axis = cells.basis(np.broadcast_to(wide, (len(y), len(wide))))
    on_ladder = cells.basis(np.broadcast_to(np.linspace(T[0], T[-1], 101), (len(y), 101)))
    sigmoid = np.isin(cells.kind, SIGMOID_KINDS)[None, :, None]
    for basis in (on_axis, on_ladder):
        values = fit.a[..., None] + fit.b[..., None] * basis
        if basis is on_axis:
            values = np.where(sigmoid, values, 0.5)  # lines and powers are bounded on the ladder only
        assert values.min() >= 0.25 - 1e-9
        assert values.max() <= 1.0 + 1e-9
    assert np.isfinite(fit.rss).all()


def test_least_rss_matches_the_full_bounded_fit():
    # The pruned search (only cells whose unconstrained fit leaves the bounds and could win are
    # solved again) gives the same least RSS as solving every cell.
    y, sigma = random_curves(8)
    t = np.broadcast_to(T, y.shape)
    cells = build_cells(t, min_width_decades=1.0)
    g = cells.basis(t)
    pr = project(g, sigma)
    bd = bounds_for(cells, g, pr, np.full(len(y), 0.25), np.full(len(y), 1.0))
    fit = fit_bounded(y, sigma, pr, bd)
    yw = y / sigma
    p1 = np.einsum("cn,cn->c", yw, pr.q1)
    proj = np.einsum("ckn,cn->ck", pr.q, yw)
    r0 = np.sum(yw**2, axis=1) - p1**2
    smooth = least_rss(bd, p1, proj, r0, cells.smooth_cols, upward=False)
    narrow = least_rss(bd, p1, proj, r0, cells.narrow_cols, upward=True)
    assert smooth == pytest.approx(np.where(cells.smooth, fit.rss, np.inf).min(axis=1), rel=1e-9)
    ref = np.where(~cells.smooth & (fit.b > 0), fit.rss, np.inf).min(axis=1)
    assert narrow == pytest.approx(ref, rel=1e-9)


def test_solve_bounded_is_the_least_rss_on_a_grid():
    # Brute force over (u, v) = values at g_lo, g_hi on a 401 x 401 grid of [0.25, 1]^2 for one line cell.
    y, sigma = random_curves(3)
    t = np.broadcast_to(T, y.shape)
    cells = build_cells(t, min_width_decades=1.0)
    k = int(np.flatnonzero(cells.kind == KIND_LINEAR)[0])
    g = cells.basis(t)[:, k : k + 1]
    pr = project(g, sigma)
    bd = Bounds(pr.norm1[:, None], pr.gbar * pr.norm1[:, None], pr.rnorm, g.min(-1), g.max(-1),
                np.full((len(y), 1), 0.25), np.full((len(y), 1), 1.0))  # fmt: skip
    yw = y / sigma
    p1 = np.einsum("cn,cn->c", yw, pr.q1)[:, None]
    _, _, rss = solve_bounded(bd, p1, np.einsum("ckn,cn->ck", pr.q, yw), np.sum(yw**2, 1)[:, None] - p1**2)
    u, v = np.meshgrid(np.linspace(0.25, 1, 401), np.linspace(0.25, 1, 401), indexing="ij")
    s = (g[0, 0] - g[0, 0].min()) / np.ptp(g[0, 0])
    grid = (((y[0][:, None, None] - u - (v - u) * s[:, None, None]) / sigma[0][:, None, None]) ** 2).sum(0)
    assert rss[0, 0] <= grid.min() + 1e-9
    assert rss[0, 0] == pytest.approx(grid.min(), rel=1e-3)
