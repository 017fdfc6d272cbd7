"""The smooth family of curves (the sharpness test's H0, the backtest's model) and its fits.

A curve is fitted as y = a + b * g_k(t) over a fixed set of shapes ("cells") g_k of t = log10 x,
with (a, b) in closed form by weighted least squares for every cell and the best cell chosen by
its residual sum of squares (docs/statistics.md, "The smooth null"). Cells:

- smooth (H0): logistics s((t - c) / w), Gumbel curves exp(-exp(-(t - c) / w)) (the Mirage
  model's p = exp(-(N / c)^alpha)) and mirrored Gumbels, centres from t_min - W to t_max + W; the
  straight line in t; power laws ((t - t_min) / s)^k and 1 - ((t_max - t) / s)^k. Every one rises
  over at least `min_width_decades` by one measure for all shapes (`GUMBEL_WIDTH`, `power_rise`);
- narrow (the alternative): steps and logistics narrower than that, centred in each gap.

Every fit is bounded, inside the metric's [lo, hi]: scripts/lib/stats/bounds.py.

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
"""Widths (10-90 % rise, in units of min_width_decades) of the smooth sigmoid cells."""
NARROW_WIDTHS = (0.0, 0.25, 0.5, 0.75)
"""Widths (in units of min_width_decades) of the alternative's cells; 0 is a pure step."""
POWERS = (1 / 3, 1 / 2, 2 / 3, 1.5, 2.0, 3.0)
"""Exponents of the power-law-in-log-N cells ((t - t_min) / span)^k."""
MIRRORED_POWERS = (1.5, 2.0, 3.0)
"""Exponents of the mirrored cells 1 - ((t_max - t) / span)^k (concave, saturating)."""
MID_CENTRED_MAX = 2.5
"""Smooth sigmoid widths (units of min_width_decades) up to this one are also centred at the gaps' midpoints."""
CENTRES_PER_WIDTH = 8.0
"""Logistic centres per width W along the axis (a step of W / 8 decades)."""

KIND_LOGISTIC, KIND_LINEAR, KIND_POWER, KIND_MIRRORED, KIND_GUMBEL, KIND_GUMBEL_MIRRORED = range(6)
GUMBEL_10_90 = float(np.log(-np.log(0.1)) - np.log(-np.log(0.9)))
"""exp(-exp(-t / w)) rises from 10 % to 90 % over about 3.08 w decades (the Mirage model's shape)."""
GUMBEL_WIDTH = float(2.0 * (np.log(-np.log(0.1)) - np.log(-np.log(0.5))))
"""A Gumbel's resolution width, 2.40 w: twice its steeper half-rise (10 -> 50 %, 1.20 w decades).

One resolution for every shape (docs/statistics.md, "The smooth null"): a shape's width is twice
the shorter of its 10 -> 50 % and 50 -> 90 % rises (a logistic's 10-90 % rise). A Gumbel of 10-90 %
width W goes from 2 % to 60 % across 0.67 W (doubly exponential lower tail), a flat-then-jump that
a logistic of width W cannot make; the smooth Gumbels now start at 1.28 x min_width_decades 10-90 %.
"""


def power_rise(k: float) -> float:
    """Resolution width of u^k and 1 - (1 - u)^k on u in [0, 1]: twice the shorter half-rise."""
    q10, q50, q90 = (p ** (1.0 / k) for p in (0.1, 0.5, 0.9))
    return 2.0 * min(q50 - q10, q90 - q50)


SIGMOID_KINDS = (KIND_LOGISTIC, KIND_GUMBEL, KIND_GUMBEL_MIRRORED)


@dataclass(frozen=True)
class Cells:
    """The shapes g_k for a stack of curves: kind (K,), width w (K,), power (K,), centre c (C, K)."""

    kind: np.ndarray
    w: np.ndarray
    power: np.ndarray
    centre: np.ndarray
    span: np.ndarray
    """(C, K) the span s of each power-law cell (the ladder's, or wider; see module docstring)."""
    smooth: np.ndarray
    """(K,) True for the cells of the smooth family (H0)."""
    boundary: np.ndarray
    """(K,) True for the sharpest smooth cells (sigmoids exactly min_width_decades wide): H0's boundary."""

    @property
    def smooth_cols(self) -> slice:
        """The smooth cells, which come first."""
        return slice(0, int(self.smooth.sum()))

    @property
    def narrow_cols(self) -> slice:
        """The alternative's cells, after the smooth ones."""
        return slice(int(self.smooth.sum()), len(self.smooth))

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
                    # Power cells start at t_min (KIND_POWER) or end at t_max = c (KIND_MIRRORED).
                    span = self.span[:, cols, None]
                    dist = t - c if kind == KIND_POWER else c - t
                    value = np.clip(dist / span, 0.0, None) ** self.power[None, cols, None]
                    if kind == KIND_MIRRORED:
                        value = 1.0 - value
                elif kind == KIND_GUMBEL:
                    value = np.exp(-np.exp(np.clip(-(t - c) / w, None, 700.0)))
                else:
                    value = 1.0 - np.exp(-np.exp(np.clip((t - c) / w, None, 700.0)))
            out[:, cols, :] = value
        return out

    def g_range(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(g_lo, g_hi) (C, K) over which a + b g must stay in bounds: a sigmoid's whole range
        (0, 1), the other cells' values on the points g (C, K, n)."""
        sigmoid = np.isin(self.kind, SIGMOID_KINDS)[None, :]
        return np.where(sigmoid, 0.0, g.min(axis=-1)), np.where(sigmoid, 1.0, g.max(axis=-1))


def build_cells(t: np.ndarray, *, min_width_decades: float) -> Cells:
    """The smooth and narrow cells for curves at log-scales t (C, n), sorted along each row.

    Every smooth shape's 10-90 % rise is at least `min_width_decades`: sigmoids by their width,
    power laws by a span s >= min_width_decades / power_rise(k) (wider than a short ladder).
    """
    t = np.asarray(t, dtype=float)
    n_curves, n = t.shape
    t_min = t[:, 0]
    span = np.maximum(t[:, -1] - t_min, 1e-9)
    widest = float(span.max())
    kinds, widths, powers, centres, spans = [], [], [], [], []
    mids = 0.5 * (t[:, 1:] + t[:, :-1])
    for rel in SMOOTH_WIDTHS:
        big_w = rel * min_width_decades
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
            (KIND_GUMBEL, GUMBEL_WIDTH),
            (KIND_GUMBEL_MIRRORED, GUMBEL_WIDTH),
        ):
            kinds += [kind] * m
            widths += [big_w / unit] * m
            powers += [0.0] * m
            centres.append(cs)
            spans.append(np.repeat(span[:, None], m, axis=1))
    kinds.append(KIND_LINEAR)
    widths.append(0.0)
    powers.append(0.0)
    centres.append(t_min[:, None])
    spans.append(span[:, None])
    for kind, exps, anchor in ((KIND_POWER, POWERS, t_min), (KIND_MIRRORED, MIRRORED_POWERS, t[:, -1])):
        kinds += [kind] * len(exps)
        widths += [0.0] * len(exps)
        powers += list(exps)
        centres.append(np.repeat(anchor[:, None], len(exps), axis=1))
        spans.append(np.maximum(span[:, None], min_width_decades / np.array([power_rise(k) for k in exps])[None, :]))
    n_smooth = len(kinds)
    for rel in NARROW_WIDTHS:
        kinds += [KIND_LOGISTIC] * (n - 1)
        widths += [rel * min_width_decades / LOGISTIC_10_90] * (n - 1)
        powers += [0.0] * (n - 1)
        centres.append(mids)
        spans.append(np.repeat(span[:, None], n - 1, axis=1))
    smooth = np.arange(len(kinds)) < n_smooth
    kind_arr = np.asarray(kinds)
    sigmoid = np.isin(kind_arr, SIGMOID_KINDS)
    unit = np.where(kind_arr == KIND_LOGISTIC, LOGISTIC_10_90, GUMBEL_WIDTH)
    boundary = smooth & sigmoid & np.isclose(np.asarray(widths) * unit, SMOOTH_WIDTHS[0] * min_width_decades)
    centre = np.concatenate(centres, axis=1)
    assert centre.shape == (n_curves, len(kinds))
    return Cells(
        kind=kind_arr,
        w=np.asarray(widths, dtype=float),
        power=np.asarray(powers, dtype=float),
        centre=centre,
        span=np.concatenate(spans, axis=1),
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
