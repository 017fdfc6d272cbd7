"""The smooth family of curves (the sharpness test's H0, the backtest's model) and its fits.

A curve is fitted as y = a + b * g_k(t) over a fixed set of shapes ("cells") g_k of t = log10 x,
with (a, b) in closed form by weighted least squares for every cell and the best cell chosen by
its residual sum of squares (docs/statistics.md, "The smooth null"). Cells:

- smooth (H0): logistics s((t - c) / w) and Gumbel curves exp(-exp(-(t - c) / w)) (the Mirage
  model's p = exp(-(N / c)^alpha)) and their mirror images, whose 10-90 % rise takes at least
  `min_width` decades, centres from t_min - W to t_max + W; the straight line in t; power laws in
  log N, ((t - t_min) / span)^k and 1 - ((t_max - t) / span)^k;
- narrow (the alternative): steps and logistics narrower than `min_width`, centred at the middle
  of each gap between neighbouring points.

Everything works on stacks of curves of equal length (arrays (C, n)) at once: weighted bases are
orthonormalised against the intercept, so the drop in residual sum of squares of cell k is
proj_k^2 with proj_k = q_k . y~ (y~ = y / sigma), and a fit, a refit of many simulated curves and
a prediction are matrix products. Every g_k is increasing in t, so proj_k > 0 means b > 0.
"""

from dataclasses import dataclass

import numpy as np

LOGISTIC_10_90 = 2.0 * np.log(9.0)
"""A logistic s(t / w) rises from 10 % to 90 % over 2 ln 9 * w (about 4.39 w) decades."""

SMOOTH_WIDTHS = (1.0, 1.5, 2.5, 4.0, 7.0)
"""Widths (10-90 % rise, in units of min_width) of the smooth logistic cells."""
NARROW_WIDTHS = (0.0, 0.25, 0.5, 0.75)
"""Widths (in units of min_width) of the alternative's cells; 0 is a pure step."""
POWERS = (1 / 3, 1 / 2, 2 / 3, 1.5, 2.0, 3.0)
"""Exponents of the power-law-in-log-N cells ((t - t_min) / span)^k."""
MIRRORED_POWERS = (1.5, 2.0, 3.0)
"""Exponents of the mirrored cells 1 - ((t_max - t) / span)^k (concave, saturating)."""
MID_CENTRED_MAX = 2.5
"""Smooth sigmoid widths (units of min_width) up to this one are also centred at the gaps' midpoints."""
CENTRES_PER_WIDTH = 8.0
"""Logistic centres per width W along the axis (a step of W / 8 decades)."""

KIND_LOGISTIC, KIND_LINEAR, KIND_POWER, KIND_MIRRORED, KIND_GUMBEL, KIND_GUMBEL_MIRRORED = range(6)
GUMBEL_10_90 = float(np.log(-np.log(0.1)) - np.log(-np.log(0.9)))
"""exp(-exp(-t / w)) rises from 10 % to 90 % over about 3.08 w decades (the Mirage model's shape)."""


@dataclass(frozen=True)
class Cells:
    """The shapes g_k for a stack of curves: kind (K,), width w (K,), power (K,), centre c (C, K)."""

    kind: np.ndarray
    w: np.ndarray
    power: np.ndarray
    centre: np.ndarray
    t_min: np.ndarray
    span: np.ndarray
    smooth: np.ndarray
    """(K,) True for the cells of the smooth family (H0)."""
    boundary: np.ndarray
    """(K,) True for the sharpest smooth cells (sigmoids exactly min_width wide): H0's boundary."""

    def basis(self, t: np.ndarray) -> np.ndarray:
        """g_k evaluated at t (C, m) -> (C, K, m); each kind's formula only on its own cells."""
        t = np.asarray(t, dtype=float)[:, None, :]
        out = np.empty((t.shape[0], len(self.kind), t.shape[2]))
        for kind in np.unique(self.kind):
            cols = np.flatnonzero(self.kind == kind)
            c = self.centre[:, cols, None]
            w = self.w[None, cols, None]
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                if kind == KIND_LOGISTIC:
                    safe = np.where(w > 0, w, 1.0)
                    value = np.where(w > 0, 0.5 * (1.0 + np.tanh((t - c) / (2.0 * safe))), (t > c).astype(float))
                elif kind == KIND_LINEAR:
                    value = t - c
                elif kind in (KIND_POWER, KIND_MIRRORED):
                    span = self.span[:, None, None]
                    dist = t - self.t_min[:, None, None] if kind == KIND_POWER else self.t_min[:, None, None] + span - t
                    value = np.clip(dist / span, 0.0, None) ** self.power[None, cols, None]
                    if kind == KIND_MIRRORED:
                        value = 1.0 - value
                elif kind == KIND_GUMBEL:
                    value = np.exp(-np.exp(np.clip(-(t - c) / w, None, 700.0)))
                else:
                    value = 1.0 - np.exp(-np.exp(np.clip((t - c) / w, None, 700.0)))
            out[:, cols, :] = value
        return out


def build_cells(t: np.ndarray, *, min_width: float) -> Cells:
    """The smooth and narrow cells for curves at log-scales t (C, n), sorted along each row."""
    t = np.asarray(t, dtype=float)
    n_curves, n = t.shape
    t_min = t[:, 0]
    span = np.maximum(t[:, -1] - t_min, 1e-9)
    widest = float(span.max())
    kinds, widths, powers, centres = [], [], [], []
    mids = 0.5 * (t[:, 1:] + t[:, :-1])
    for rel in SMOOTH_WIDTHS:
        big_w = rel * min_width
        m = int(np.clip(np.ceil(CENTRES_PER_WIDTH * (widest + 2 * big_w) / big_w), 5, 160))
        grid = np.linspace(0.0, 1.0, m)
        cs = (t_min - big_w)[:, None] + (span + 2 * big_w)[:, None] * grid[None, :]
        if rel <= MID_CENTRED_MAX:
            # Also centred where the narrow cells are (between neighbouring points), so that a
            # smooth rise centred there is fitted as well by H0 as by the alternative.
            cs = np.concatenate([cs, mids], axis=1)
            m = cs.shape[1]
        for kind, unit in (
            (KIND_LOGISTIC, LOGISTIC_10_90),
            (KIND_GUMBEL, GUMBEL_10_90),
            (KIND_GUMBEL_MIRRORED, GUMBEL_10_90),
        ):
            kinds += [kind] * m
            widths += [big_w / unit] * m
            powers += [0.0] * m
            centres.append(cs)
    kinds.append(KIND_LINEAR)
    widths.append(0.0)
    powers.append(0.0)
    centres.append(t_min[:, None])
    for kind, exps in ((KIND_POWER, POWERS), (KIND_MIRRORED, MIRRORED_POWERS)):
        kinds += [kind] * len(exps)
        widths += [0.0] * len(exps)
        powers += list(exps)
        centres.append(np.repeat(t_min[:, None], len(exps), axis=1))
    n_smooth = len(kinds)
    for rel in NARROW_WIDTHS:
        kinds += [KIND_LOGISTIC] * (n - 1)
        widths += [rel * min_width / LOGISTIC_10_90] * (n - 1)
        powers += [0.0] * (n - 1)
        centres.append(mids)
    smooth = np.arange(len(kinds)) < n_smooth
    kind_arr = np.asarray(kinds)
    sigmoid = np.isin(kind_arr, [KIND_LOGISTIC, KIND_GUMBEL, KIND_GUMBEL_MIRRORED])
    unit = np.where(kind_arr == KIND_LOGISTIC, LOGISTIC_10_90, GUMBEL_10_90)
    boundary = smooth & sigmoid & np.isclose(np.asarray(widths) * unit, SMOOTH_WIDTHS[0] * min_width)
    centre = np.concatenate(centres, axis=1)
    assert centre.shape == (n_curves, len(kinds))
    return Cells(
        kind=np.asarray(kinds),
        w=np.asarray(widths, dtype=float),
        power=np.asarray(powers, dtype=float),
        centre=centre,
        t_min=t_min,
        span=span,
        smooth=smooth,
        boundary=boundary,
    )


@dataclass(frozen=True)
class Projection:
    """Weighted, intercept-orthonormalised bases of every cell for a stack of curves."""

    q1: np.ndarray
    """(C, n) unit vector of the intercept in whitened units (1 / sigma, normalised)."""
    q: np.ndarray
    """(C, K, n) unit vectors of each cell's basis with the intercept projected out (0 if degenerate)."""
    norm1: np.ndarray
    """(C,) norm of the whitened intercept, sqrt(sum 1 / sigma^2)."""
    rnorm: np.ndarray
    """(C, K) norm of each whitened basis after removing the intercept."""
    gbar: np.ndarray
    """(C, K) weighted mean of each basis over the points."""
    ok: np.ndarray
    """(C, K) False for cells that are constant on the points (no information beyond the intercept)."""


def project(g: np.ndarray, sigma: np.ndarray) -> Projection:
    """Orthonormalise the bases g (C, K, n) with weights 1 / sigma^2 (sigma (C, n), all > 0)."""
    inv = 1.0 / np.asarray(sigma, dtype=float)
    norm1 = np.sqrt(np.sum(inv**2, axis=-1))
    q1 = inv / norm1[:, None]
    gw = g * inv[:, None, :]
    along = np.einsum("ckn,cn->ck", gw, q1)
    r = gw - along[..., None] * q1[:, None, :]
    rnorm = np.sqrt(np.sum(r**2, axis=-1))
    scale = np.sqrt(np.sum(gw**2, axis=-1))
    ok = rnorm > 1e-7 * np.maximum(scale, 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(ok[..., None], r / np.where(ok, rnorm, 1.0)[..., None], 0.0)
    return Projection(q1=q1, q=q, norm1=norm1, rnorm=np.where(ok, rnorm, np.inf), gbar=along / norm1[:, None], ok=ok)


def best_smooth(proj: np.ndarray, smooth: np.ndarray) -> np.ndarray:
    """Index of the best allowed cell per curve (largest proj^2). proj (C, K, ...), smooth (K,) or (C, K)."""
    mask = smooth if smooth.ndim == 2 else smooth[None, :]
    score = np.where(mask.reshape(mask.shape + (1,) * (proj.ndim - 2)), proj**2, -1.0)
    return score.argmax(axis=1)


def sharpness_statistic(proj: np.ndarray, smooth: np.ndarray) -> np.ndarray:
    """Drop in weighted RSS when the best upward narrow cell replaces the best smooth fit (>= 0).

    proj (..., K) -> (...), cells on the last axis. The likelihood-ratio statistic of "smooth"
    against "a step or a rise narrower than min_width" under Gaussian noise of known sigma
    (2 log LR = the RSS drop). Reduces max and min instead of squaring every projection.
    """
    n_smooth = int(smooth.sum())
    if not smooth[:n_smooth].all():
        raise ValueError("smooth cells must come first")
    s_proj, n_proj = proj[..., :n_smooth], proj[..., n_smooth:]
    best0 = np.maximum(s_proj.max(axis=-1), -s_proj.min(axis=-1)) ** 2
    best1 = np.clip(n_proj.max(axis=-1), 0.0, None) ** 2
    return np.clip(best1 - best0, 0.0, None)


@dataclass(frozen=True)
class SmoothFit:
    """The best smooth fit of each curve: cell index, fitted values and weighted RSS."""

    cell: np.ndarray
    fitted: np.ndarray
    rss: np.ndarray
    intercept_proj: np.ndarray
    proj: np.ndarray


def fit_smooth(
    y: np.ndarray, sigma: np.ndarray, cells: Cells, pr: Projection, allowed: np.ndarray | None = None
) -> SmoothFit:
    """Weighted least squares of y (C, n) on the smooth family (or `allowed` cells); fitted values in y units."""
    yw = y / sigma
    p1 = np.einsum("cn,cn->c", yw, pr.q1)
    proj = np.einsum("ckn,cn->ck", pr.q, yw)
    cell = best_smooth(proj, cells.smooth if allowed is None else allowed)
    rows = np.arange(len(y))
    fitted_w = p1[:, None] * pr.q1 + proj[rows, cell][:, None] * pr.q[rows, cell]
    rss = np.sum(yw**2, axis=-1) - p1**2 - proj[rows, cell] ** 2
    return SmoothFit(cell=cell, fitted=fitted_w * sigma, rss=np.clip(rss, 0.0, None), intercept_proj=p1, proj=proj)


def prediction_weights(cells: Cells, pr: Projection, t_new: np.ndarray) -> np.ndarray:
    """Linear functionals h (C, K, n) with prediction_k(t_new) = h_k . (y / sigma) for cell k's fit.

    pred = weighted mean of y + b_k (g_k(t_new) - weighted mean of g_k), b_k = proj_k / rnorm_k.
    t_new is (C,): one new point per curve.
    """
    g_new = cells.basis(np.asarray(t_new, dtype=float)[:, None])[:, :, 0]
    slope = np.where(pr.ok, (g_new - pr.gbar) / pr.rnorm, 0.0)
    return pr.q1[:, None, :] / pr.norm1[:, None, None] + slope[..., None] * pr.q
