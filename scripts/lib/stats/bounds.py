"""The metric's range per curve and the fits that respect it (docs/statistics.md, "Bounded fits").

Both tests fit y = a + b g(log N) over the cells of scripts/lib/stats/smooth_fit.py inside
[y_low, y_high]: without the bounds, the lower tail of a sigmoid centred beyond the ladder,
scaled by a large b, fits any last-gap jump with an asymptote far outside the metric (an
accuracy above 1). The fitted curve stays inside for a sigmoid over the whole axis (its
asymptotes a and a + b), for a line or power law over the ladder: a box on the values at the two
ends of g's range, solved in closed form (`solve_bounded`), vectorised over curves x cells.
"""

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from scripts.lib.stats.smooth_fit import Cells, Projection

RANGE_SLACK = 0.01
"""A curve leaving its metric's range by more than this fraction of it is taken as unbounded."""


def y_bounds(points: pd.DataFrame) -> pd.DataFrame:
    """[y_low, y_high] per curve_id (sorted), NaN = unbounded on that side.

    The rule: the stated range is the entry's own low_score / high_score for the task's preferred
    metric (BIG-bench states them, low_score being chance for multiple choice; columns optional),
    else the metric's metric_low / metric_high (config/metrics.yaml). Lower-is-better curves
    (`oriented`, y = -value) get it negated and swapped. A bound never cuts off an observed point:
    a curve below chance (biased distractors) has its lowest point as y_low. A curve outside the
    metric's own range by more than RANGE_SLACK of it (a 0-100 score stated as 0-1) is unbounded.
    """
    first = points.groupby("curve_id", sort=True).first()
    m_lo, m_hi = first["metric_low"].to_numpy(float), first["metric_high"].to_numpy(float)
    lo, hi = m_lo.copy(), m_hi.copy()
    if {"is_preferred", "low_score", "high_score"} <= set(first.columns):
        stated = first["is_preferred"].fillna(False).to_numpy(bool)
        s_lo, s_hi = first["low_score"].to_numpy(float), first["high_score"].to_numpy(float)
        stated &= np.isfinite(s_lo) & np.isfinite(s_hi) & (s_hi > s_lo)
        lo, hi = np.where(stated, s_lo, lo), np.where(stated, s_hi, hi)
    neg = first["oriented"].fillna(False).to_numpy(bool) if "oriented" in first else np.zeros(len(first), bool)
    y_lo, y_hi = np.where(neg, -hi, lo), np.where(neg, -lo, hi)
    ym_lo, ym_hi = np.where(neg, -m_hi, m_lo), np.where(neg, -m_lo, m_hi)
    span = points.groupby("curve_id", sort=True)["y"].agg(["min", "max"])
    y_min, y_max = span["min"].to_numpy(float), span["max"].to_numpy(float)
    slack = RANGE_SLACK * np.where(np.isfinite(ym_hi - ym_lo), ym_hi - ym_lo, 0.0)
    inside = ~(y_min < ym_lo - slack) & ~(y_max > ym_hi + slack)
    y_lo = np.where(np.isfinite(y_lo) & inside, np.minimum(y_lo, y_min), np.nan)
    y_hi = np.where(np.isfinite(y_hi) & inside, np.maximum(y_hi, y_max), np.nan)
    return pd.DataFrame({"y_low": y_lo, "y_high": y_hi}, index=first.index)


def clip(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Clip to [lo, hi] where those are finite."""
    values = np.where(np.isfinite(lo) & (values < lo), lo, values)
    return np.where(np.isfinite(hi) & (values > hi), hi, values)


@dataclass(frozen=True)
class Bounds:
    """What a bounded fit needs per (curve, cell) besides the data, broadcastable to (C, K): the
    whitened intercept norm, the basis' component along it and remaining norm (0 if constant), the
    range [g_lo, g_hi] the bounds apply over, and the metric's [lo, hi] in y units (+-inf if none)."""

    norm1: np.ndarray
    along: np.ndarray
    rnorm: np.ndarray
    g_lo: np.ndarray
    g_hi: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    def rows(self, index: np.ndarray) -> "Bounds":
        """Some rows: of the curves (still (C', K)), or of the entries of 1-D Bounds from `take`."""
        return Bounds(*(getattr(self, f.name)[index] for f in fields(self)))

    def take(self, rows: np.ndarray, cols: np.ndarray) -> "Bounds":
        """The entries at (rows, cols): 1-D arrays for a gathered set of (curve, cell) pairs."""
        return Bounds(
            self.norm1[rows, 0], self.along[rows, cols], self.rnorm[rows, cols],
            self.g_lo[rows, cols], self.g_hi[rows, cols], self.lo[rows, 0], self.hi[rows, 0],
        )  # fmt: skip


def bounds_for(cells: Cells, g: np.ndarray, pr: Projection, lo: np.ndarray, hi: np.ndarray) -> Bounds:
    """Bounds of a stack: g = cells.basis(t) (C, K, n), lo / hi (C,) in y units, NaN = unbounded."""
    g_lo, g_hi = cells.g_range(g)
    lo = np.where(np.isfinite(lo), lo, -np.inf)[:, None]
    hi = np.where(np.isfinite(hi), hi, np.inf)[:, None]
    rnorm = np.where(pr.ok, pr.rnorm, 0.0)
    return Bounds(pr.norm1[:, None], pr.gbar * pr.norm1[:, None], rnorm, g_lo, g_hi, lo, hi)


def _free_fit(bd: Bounds, p1: np.ndarray, proj: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The unconstrained fit (a, b) and whether a + b g stays in [lo, hi] over [g_lo, g_hi] (rel. 1e-9)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.where(bd.rnorm > 0, proj / np.where(bd.rnorm > 0, bd.rnorm, 1.0), 0.0)
        a = (p1 - b * bd.along) / bd.norm1
        tol = 1e-9 * np.where(np.isfinite(bd.hi - bd.lo), bd.hi - bd.lo, 1.0)
        v_lo, v_hi = a + b * bd.g_lo, a + b * bd.g_hi
        inside = (v_lo >= bd.lo - tol) & (v_lo <= bd.hi + tol) & (v_hi >= bd.lo - tol) & (v_hi <= bd.hi + tol)
    return a, b, inside


def _rss_lower_bound(bd: Bounds, p1: np.ndarray, proj: np.ndarray, r0: np.ndarray) -> np.ndarray:
    """A lower bound on the bounded RSS: the unconstrained RSS plus the cost of moving the fitted
    value at the worse end of g's range back inside (violation^2 over its variance)."""
    a, b, _ = _free_fit(bd, p1, proj)
    excess = np.zeros_like(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        for g_end in (bd.g_lo, bd.g_hi):
            v = a + b * g_end
            viol = np.maximum(np.maximum(bd.lo - v, v - bd.hi), 0.0)
            var = (1.0 + (bd.along - g_end * bd.norm1) ** 2 / bd.rnorm**2) / bd.norm1**2
            excess = np.maximum(excess, np.where(bd.rnorm > 0, viol**2 / var, 0.0))
    return r0 - proj**2 + excess


def solve_bounded(bd: Bounds, p1: np.ndarray, proj: np.ndarray, r0: np.ndarray) -> tuple[np.ndarray, ...]:
    """Weighted least squares of y on (1, g) with lo <= a + b g <= hi for g in [g_lo, g_hi].

    The data enter as p1 = q1 . y~, proj = q_k . y~ and r0 = |y~|^2 - p1^2 (broadcast with bd).
    The constraints are a box on the values at the two ends, u = a + b g_lo and v = a + b g_hi;
    the RSS is a convex quadratic in (u, v), so its minimum over the box is the unconstrained
    one when that is inside, else the least of the four edges' minima (u or v fixed at lo or hi,
    the other one's 1-D optimum clipped to the box; vertices included). Returns (a, b, rss) in
    y units and weighted RSS. Derivation: docs/statistics.md, "Bounded fits".
    """
    a, b, inside = _free_fit(bd, p1, proj)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        best_rss = np.where(inside, r0 - proj**2, np.inf)
        best_a, best_b = a, b
        for g_end, g_other in ((bd.g_lo, bd.g_hi), (bd.g_hi, bd.g_lo)):
            d = bd.along - g_end * bd.norm1
            s_dd = bd.rnorm**2 + d**2
            span = g_other - g_end
            for c in (bd.lo, bd.hi):
                pc = p1 - c * bd.norm1
                s_yd = bd.rnorm * proj + d * pc
                b_e = np.where(s_dd > 0, s_yd / np.where(s_dd > 0, s_dd, 1.0), 0.0)
                end_lo, end_hi = (bd.lo - c) / span, (bd.hi - c) / span
                b_e = np.clip(b_e, np.fmin(end_lo, end_hi), np.fmax(end_lo, end_hi))
                rss_e = np.where(np.isfinite(c), r0 + pc**2 - 2.0 * b_e * s_yd + b_e**2 * s_dd, np.inf)
                better = rss_e < best_rss
                best_rss = np.where(better, rss_e, best_rss)
                best_a = np.where(better, c - b_e * g_end, best_a)
                best_b = np.where(better, b_e, best_b)
    return best_a, best_b, np.clip(best_rss, 0.0, None)


@dataclass(frozen=True)
class BoundedFit:
    """Bounded fits of some cells (global indices `cols` (k,)) to a stack of curves: a, b (C, k) in
    y units, weighted rss (C, k)."""

    cols: np.ndarray
    a: np.ndarray
    b: np.ndarray
    rss: np.ndarray

    def best(self, *, upward: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Per curve the least-RSS fit (its position j among cols) and its RSS; among b > 0 if `upward`
        (inf where there is none)."""
        rss = np.where(self.b > 0, self.rss, np.inf) if upward else self.rss
        j = rss.argmin(axis=1)
        return j, rss[np.arange(len(j)), j]

    def fitted(self, j: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Fitted values (C, n) of the fits at positions j (C,), on the bases g (C, K, n)."""
        rows = np.arange(len(j))
        return self.a[rows, j][:, None] + self.b[rows, j][:, None] * g[rows, self.cols[j]]


def whiten(y: np.ndarray, sigma: np.ndarray, pr: Projection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What every fit needs of curves y (C, n): p1 = q1 . y~ (C,), proj = q_k . y~ (C, K) and
    r0 = |y~|^2 - p1^2 (C,), with y~ = y / sigma."""
    yw = y / sigma
    p1 = np.einsum("cn,cn->c", yw, pr.q1)
    return p1, np.einsum("ckn,cn->ck", pr.q, yw), np.sum(yw**2, axis=-1) - p1**2


def fit_bounded(
    y: np.ndarray, sigma: np.ndarray, pr: Projection, bd: Bounds, cols: np.ndarray | None = None
) -> BoundedFit:
    """Bounded weighted least squares of y (C, n) on the cells `cols` (default: every cell)."""
    cols = np.arange(pr.q.shape[1]) if cols is None else np.asarray(cols)
    p1, proj, r0 = whiten(y, sigma, pr)
    sub = Bounds(bd.norm1, bd.along[:, cols], bd.rnorm[:, cols], bd.g_lo[:, cols], bd.g_hi[:, cols], bd.lo, bd.hi)
    a, b, rss = solve_bounded(sub, p1[:, None], proj[:, cols], r0[:, None])
    return BoundedFit(cols, a, b, rss)


def least_rss(
    bd: Bounds,
    p1: np.ndarray,
    proj: np.ndarray,
    r0: np.ndarray,
    cols: slice,
    *,
    upward: bool,
    anchor: np.ndarray | None = None,
) -> np.ndarray:
    """Least bounded RSS over the cells `cols` of each curve or draw: proj (..., C, K), p1 and r0 (..., C).

    A bounded RSS is never below the unconstrained one. So where the unconstrained best cell is
    inside the bounds it is the answer (most bootstrap draws); elsewhere that cell's bounded RSS
    is an upper bound, and only the cells whose unconstrained RSS lies below it are solved with
    `solve_bounded`. `upward`: only fits with b > 0 count (an emergent rise, not a drop); inf
    where there is none. `anchor` (C,), a cell of `cols` per curve likely to fit well (the cell a
    bootstrap draw came from), tightens that upper bound.
    """
    shape = proj.shape[:-1]
    curve = np.broadcast_to(np.arange(shape[-1]), shape).ravel()
    sub = proj.reshape(-1, proj.shape[-1])[:, cols]
    p1, r0 = np.broadcast_to(p1, shape).ravel(), r0.ravel()
    rows = np.arange(len(sub))
    # The unconstrained best cell: largest proj (upward) or largest |proj|, without squaring all cells.
    top = sub.argmax(axis=1)
    if not upward:
        low = sub.argmin(axis=1)
        top = np.where(sub[rows, top] >= -sub[rows, low], top, low)
    top_proj = sub[rows, top]
    allowed = top_proj > 0 if upward else np.ones(len(sub), dtype=bool)
    _, _, inside = _free_fit(bd.take(curve, top + cols.start), p1, top_proj)
    best = np.where(allowed & inside, r0 - top_proj**2, np.inf)
    slow = np.flatnonzero(allowed & ~inside)
    if len(slow):
        # Upper bounds from the bounded fits of the top cell and of the anchor.
        first = top[slow] + cols.start if anchor is None else np.r_[top[slow] + cols.start, anchor[curve[slow]]]
        row = np.tile(slow, len(first) // len(slow))
        _, b_k, rss_k = solve_bounded(bd.take(curve[row], first), p1[row], sub[row, first - cols.start], r0[row])
        np.minimum.at(best, row, np.where(b_k > 0, rss_k, np.inf) if upward else rss_k)
        # Then every cell whose unconstrained RSS is below them.
        rss = r0[slow, None] - sub[slow] ** 2
        if upward:
            rss[sub[slow] <= 0] = np.inf
        row, k = np.nonzero(rss < best[slow, None])
        row, bd_k, args = slow[row], bd.take(curve[slow][row], k + cols.start), (sub[slow][row, k], r0[slow][row])
        keep = _rss_lower_bound(bd_k, p1[row], *args) < best[row]
        _, b_k, rss_k = solve_bounded(bd_k.rows(keep), p1[row][keep], *(x[keep] for x in args))
        np.minimum.at(best, row[keep], np.where(b_k > 0, rss_k, np.inf) if upward else rss_k)
    return best.reshape(shape)
