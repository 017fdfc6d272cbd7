"""Multiple-testing adjustments shared by the tests: Holm (family-wise) and Benjamini-Hochberg (FDR).

NaN is "not tested" in both: kept as NaN and not counted in the family's size.
"""

import numpy as np


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values along the last axis (each row of a 2-D array its own family).

    Valid under any dependence: the backtest's models of one curve, the metric-pair table's tests.
    """
    p = np.asarray(p, dtype=float)
    rows = np.atleast_2d(p)
    tested = np.isfinite(rows)
    m = tested.sum(axis=1, keepdims=True)
    order = np.argsort(np.where(tested, rows, np.inf), axis=1, kind="stable")
    ranked = np.take_along_axis(np.where(tested, rows, np.inf), order, 1)
    factor = np.maximum(m - np.arange(rows.shape[1])[None, :], 1)
    adjusted = np.maximum.accumulate(np.minimum(ranked * factor, 1.0), axis=1)
    out = np.empty_like(adjusted)
    np.put_along_axis(out, order, adjusted, 1)
    return np.where(tested, out, np.nan).reshape(p.shape)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH adjusted p-values (q-values): q_(k) = min_{j >= k} p_(j) * m / j, capped at 1; NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return q
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q
