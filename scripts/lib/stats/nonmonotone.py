"""The non-monotonicity test: does a curve dip (fall, then rise: "U") or hump (rise, then fall:
"inverted_U") beyond its noise? (docs/nonmonotone.md)

H0: y_i = f(log10 x_i) + e_i with f monotone (increasing or decreasing, any shape, flat stretches
allowed), e_i ~ N(0, phi sigma_i^2), phi >= 1. H1: f unimodal (U or inverted U). Both are fitted
by weighted least squares without a parametric form: the monotone fit is isotonic regression
(PAVA), the unimodal fit is isotonic regression falling (rising) up to a split and rising
(falling) after it, every split tried (Stout 2008: a split's RSS is the sum of a prefix and a
suffix isotonic RSS, and one PAVA pass gives the RSS of every prefix). The statistic is

    T = (RSS_monotone - RSS_unimodal) / phi_hat,
    phi_hat = max(1, (RSS_unimodal + RSS_ties) / max(N - levels, 1)),

with `levels` the number of distinct values of the unimodal fit: the effective degrees of freedom
of an isotonic fit (Meyer & Woodroofe 2000); a fixed k, as the sharpness test's n - 4, does not suit
a fit whose size varies with the data. Tied x (several models at one scale) are pooled to their
weighted mean before the fits (any function of x gives them one value); their scatter about that
mean (RSS_ties, N - distinct x degrees of freedom) is pure model-to-model noise and enters phi.

Each side of the split is fitted on at least MIN_SIDE distinct x, so a U needs two scales on its
falling side and two on its rising side; min_points = 5 distinct x is the least that allows one.

The null distribution is a parametric bootstrap, refitted, with phi_hat re-estimated in every draw
as in the sharpness test (scripts/lib/stats/sharpness.py). Three choices, each measured on the
calibration curves (docs/nonmonotone.md), differ from plugging in the fit and phi_hat:
- the draws come from `null_curve`, the monotone fit with its steps shrunk by NULL_SHRINK_SE:
  a flat stretch is the least favourable null, and a fit's small steps are mostly noise;
- their noise has SD sqrt(phi_b) sigma with phi_b drawn per draw from the distribution of phi given
  the MONOTONE fit's RSS (the null's own estimate; scaled inverse chi2, truncated to phi_b >= 1).
  phi_hat of the unimodal fit, plugged in, let flat curves with phi = 2 be flagged 15-25 % of the
  time at alpha = 0.05: a low phi_hat both inflates T and quietens the draws;
- they are clipped to [y_low, y_high], as real scores are. Tied points are drawn pooled (SD of
  the pooled mean), with RSS_ties* = phi_b chi2(N - distinct).
p = (1 + #{T* >= T}) / (1 + draws), or STOP_AFTER / draws used once STOP_AFTER draws reached T
(Besag & Clifford 1991): monotone curves stop after a few dozen draws, and T = 0 (the data are
monotone) gives p = 1 without drawing.
Calibration (false-positive rate on flat, rising, saturating and falling curves at the real
ladders and question counts; power on planted dips): scripts/lib/stats/nonmonotone_calibration.py.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import chdtr, gammaincinv  # scipy.stats' chi2 (cdf, ppf), without its import cost

from scripts.lib.stats.bounds import clip

DEFAULT_DRAWS = 200
"""Draws per curve: enough to resolve p = 0.05 (MC SE of p about 0.015 there), and Besag-Clifford
stops the monotone majority after ~2 STOP_AFTER draws, so the cost is paid by the few dipping curves."""
STOP_AFTER = 10
"""Stop drawing for a curve once this many draws reach its observed statistic."""
MIN_SIDE = 2
"""Distinct x on each side of the split of a unimodal fit."""
CELLS = 2_000_000
"""Curve-draws x points per block of work (bounds memory at about 30 arrays of this many floats)."""
NULL_SHRINK_SE = 1.0
"""Steps of the monotone fit shrink by this many SE before it serves as the bootstrap's null."""
STAT_TOLERANCE = 1e-9
"""A draw ties with the observed statistic within this relative distance (counts as >=)."""
COLUMNS = [
    "nonmonotone_statistic",
    "p_nonmonotone",
    "nonmonotone",
    "nonmonotone_kind",
    "turn_x",
    "dip_depth",
    "nonmonotone_dispersion",
]


@dataclass(frozen=True)
class Pooled:
    """Curves with the same number of distinct x, ties pooled: ids (C,), t = log10 x, y, w = 1/sigma^2
    (C, n), the tied points' weighted RSS about their means and its df, the point count N, bounds (C,)."""

    ids: np.ndarray
    t: np.ndarray
    y: np.ndarray
    w: np.ndarray
    tie_rss: np.ndarray
    tie_df: np.ndarray
    n_points: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    def take(self, rows: np.ndarray | slice) -> "Pooled":
        return Pooled(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


def pool_ties(points: pd.DataFrame) -> list[Pooled]:
    """Pool the points of each (curve_id, x) to their inverse-variance weighted mean; one Pooled per
    number of distinct x. Curves with a non-finite y or sigma are left out (not testable)."""
    p = points.assign(w=1.0 / points["sigma"].to_numpy(float) ** 2)
    p = p.assign(wy=p["w"] * p["y"], wyy=p["w"] * p["y"] ** 2)
    bad = ~np.isfinite(p[["x", "y", "w"]].to_numpy(float)).all(axis=1) | (p["x"].to_numpy(float) <= 0)
    p = p[~p["curve_id"].isin(p.loc[bad, "curve_id"])]
    g = p.groupby(["curve_id", "x"], sort=True)[["w", "wy", "wyy"]].sum()
    g["y"] = g["wy"] / g["w"]
    g["rss"] = np.clip(g["wyy"] - g["wy"] * g["y"], 0.0, None)
    ids = g.index.get_level_values("curve_id")
    per = pd.DataFrame({"distinct": g.groupby(level="curve_id").size(), "tie_rss": g["rss"].groupby(ids).sum()})
    per["n_points"] = p.groupby("curve_id").size()
    per[["lo", "hi"]] = p.groupby("curve_id")[["y_low", "y_high"]].first().to_numpy(float)
    out = []
    for n, sub in per.groupby("distinct"):
        rows = g.loc[sub.index]
        shape = (len(sub), int(n))
        out.append(
            Pooled(
                ids=sub.index.to_numpy(),
                t=np.log10(rows.index.get_level_values("x").to_numpy(float)).reshape(shape),
                y=rows["y"].to_numpy(float).reshape(shape),
                w=rows["w"].to_numpy(float).reshape(shape),
                tie_rss=sub["tie_rss"].to_numpy(float),
                tie_df=(sub["n_points"] - n).to_numpy(float),
                n_points=sub["n_points"].to_numpy(float),
                lo=sub["lo"].to_numpy(float),
                hi=sub["hi"].to_numpy(float),
            )
        )
    return out


def prefix_isotonic(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted RSS and number of levels of the increasing isotonic fit of every prefix: (R, n + 1) each,
    column m for the first m points. PAVA, one point at a time, vectorised over rows: a merge of
    adjacent blocks a, b adds W_a W_b / (W_a + W_b) (mean_a - mean_b)^2 to the RSS, exactly."""
    r, n = y.shape
    bw, bs = np.zeros((r, n)), np.zeros((r, n))
    top = np.zeros(r, dtype=np.intp)
    rows = np.arange(r)
    rss, levels = np.zeros((r, n + 1)), np.zeros((r, n + 1))
    acc = np.zeros(r)
    for i in range(n):
        bw[rows, top], bs[rows, top] = w[:, i], w[:, i] * y[:, i]
        top += 1
        act = rows
        while True:
            t = top[act]
            keep = t >= 2
            act, t = act[keep], t[keep]
            wa, sa, wb, sb = bw[act, t - 2], bs[act, t - 2], bw[act, t - 1], bs[act, t - 1]
            viol = sa * wb > sb * wa  # the earlier block's mean is above the later one's
            if not viol.any():
                break
            act, t, wa, sa, wb, sb = act[viol], t[viol], wa[viol], sa[viol], wb[viol], sb[viol]
            acc[act] += (sa * wb - sb * wa) ** 2 / (wa * wb * (wa + wb))
            bw[act, t - 2], bs[act, t - 2] = wa + wb, sa + sb
            top[act] -= 1
        rss[:, i + 1], levels[:, i + 1] = acc, top
    return rss, levels


@dataclass(frozen=True)
class ShapeFits:
    """Per row: RSS of the best monotone fit and whether it rises; RSS, kind (0 = U, 1 = inverted U),
    split (the first index of the second side) and number of levels of the best unimodal fit."""

    rss_mono: np.ndarray
    rising: np.ndarray
    rss_uni: np.ndarray
    kind: np.ndarray
    split: np.ndarray
    levels: np.ndarray
    levels_mono: np.ndarray


def shape_fits(y: np.ndarray, w: np.ndarray, *, min_side: int = MIN_SIDE) -> ShapeFits:
    """The best monotone and unimodal fits' RSS of rows y (R, n), weights w, from four PAVA passes:
    rising / falling prefixes, and rising / falling suffixes (prefixes of the reversed rows)."""
    r, n = y.shape
    yr, wr = y[:, ::-1], w[:, ::-1]
    rss, lev = prefix_isotonic(np.concatenate([y, -y, -yr, yr]), np.concatenate([w, w, wr, wr]))
    up, down, suf_up, suf_down = (rss[k * r : (k + 1) * r] for k in range(4))
    l_up, l_down, l_suf_up, l_suf_down = (lev[k * r : (k + 1) * r] for k in range(4))
    m = np.arange(min_side, n - min_side + 1)
    if not len(m):  # too short for a turn with min_side points on each side
        m = np.array([n])
    cand = np.stack([down[:, m] + suf_up[:, n - m], up[:, m] + suf_down[:, n - m]], axis=1)  # (R, 2, M)
    lvl = np.stack([l_down[:, m] + l_suf_up[:, n - m], l_up[:, m] + l_suf_down[:, n - m]], axis=1)
    flat = cand.reshape(r, -1).argmin(axis=1)
    rows = np.arange(r)
    rss_uni = cand.reshape(r, -1)[rows, flat]
    rising = up[:, n] <= down[:, n]
    rss_mono = np.where(rising, up[:, n], down[:, n])
    # With min_side > 0 the unimodal family need not contain every monotone fit: never count it worse.
    better = rss_uni < rss_mono
    levels_mono = np.where(rising, l_up[:, n], l_down[:, n])
    levels = np.where(better, lvl.reshape(r, -1)[rows, flat], levels_mono)
    return ShapeFits(
        rss_mono, rising, np.minimum(rss_uni, rss_mono), flat // len(m), m[flat % len(m)], levels, levels_mono
    )


def dispersion_raw(fits: ShapeFits, tie_rss: np.ndarray, n_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(RSS of the monotone fit and of the ties / df, df = N - levels of the monotone fit, at least 1).

    From the null's fit, not the alternative's: the unimodal fit chases the very noise a spurious
    dip is made of, so its phi is smallest exactly where T is largest."""
    df = np.maximum(n_points - fits.levels_mono, 1.0)
    return (fits.rss_mono + tie_rss) / df, df


def dispersion(fits: ShapeFits, tie_rss: np.ndarray, n_points: np.ndarray) -> np.ndarray:
    """phi = max(1, (RSS of the unimodal fit and of the ties) / (N - its levels)): the statistic's
    scale, from the alternative's fit, which a real dip does not inflate."""
    return np.maximum(1.0, (fits.rss_uni + tie_rss) / np.maximum(n_points - fits.levels, 1.0))


def null_curve(mono: np.ndarray, w: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """The monotone fit with every step shrunk by NULL_SHRINK_SE of its own noise (soft threshold),
    re-centred on the fit's weighted mean: flatter than the fit, nearer the least favourable null
    (a flat stretch leaves most room for spurious dips), since the fit's own steps are partly noise."""
    step = np.diff(mono, axis=1)
    se = np.sqrt(phi[:, None] * (1.0 / w[:, 1:] + 1.0 / w[:, :-1]))
    shrunk = np.sign(step) * np.clip(np.abs(step) - NULL_SHRINK_SE * se, 0.0, None)
    g = np.concatenate([np.zeros((len(mono), 1)), np.cumsum(shrunk, axis=1)], axis=1)
    shift = np.sum(w * (mono - g), axis=1, keepdims=True) / np.sum(w, axis=1, keepdims=True)
    return g + shift


def statistic(fits: ShapeFits, phi: np.ndarray) -> np.ndarray:
    """(RSS_monotone - RSS_unimodal) / phi, >= 0."""
    return np.clip(fits.rss_mono - fits.rss_uni, 0.0, None) / phi


def isotonic_fit(y: np.ndarray, w: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Increasing weighted isotonic fit of each row's points [start, stop) (C,), NaN elsewhere:
    f_i = max_{j <= i} min_{k >= i} mean_w(y_j..y_k) over the segment (C x n x n; data, not draws)."""
    c, n = y.shape
    cw = np.concatenate([np.zeros((c, 1)), np.cumsum(w, axis=1)], axis=1)
    cs = np.concatenate([np.zeros((c, 1)), np.cumsum(w * y, axis=1)], axis=1)
    idx = np.arange(n)
    inside = (idx >= start[:, None]) & (idx < stop[:, None])
    j, k = idx[:, None], idx[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (cs[:, None, 1:] - cs[:, :-1, None]) / (cw[:, None, 1:] - cw[:, :-1, None])  # [c, j, k]
    ok = (k >= j)[None] & inside[:, :, None] & inside[:, None, :]
    smin = np.minimum.accumulate(np.where(ok, mean, np.inf)[:, :, ::-1], axis=2)[:, :, ::-1]
    fit = np.where((j <= k)[None] & inside[:, :, None], smin, -np.inf).max(axis=1)
    return np.where(inside, fit, np.nan)


def fitted_curves(y: np.ndarray, w: np.ndarray, fits: ShapeFits) -> tuple[np.ndarray, np.ndarray]:
    """The fitted values (C, n) of the best monotone fit and of the best unimodal fit."""
    c, n = y.shape
    zero, full = np.zeros(c, dtype=np.intp), np.full(c, n)
    sign = np.where(fits.rising, 1.0, -1.0)[:, None]
    mono = sign * isotonic_fit(sign * y, w, zero, full)
    first = np.where(fits.kind == 0, -1.0, 1.0)[:, None]  # U falls first: fit -y rising
    head = first * isotonic_fit(first * y, w, zero, fits.split)
    tail = -first * isotonic_fit(-first * y, w, fits.split, full)
    return mono, np.where(np.isnan(head), tail, head)


def p_values(
    observed: np.ndarray, null: np.ndarray, phi: tuple[np.ndarray, np.ndarray], pool: Pooled, *, draws: int, seed: int
) -> np.ndarray:
    """Bootstrap p-values of one Pooled's curves, drawn from `null` (C, n) with noise of SD sqrt(phi_b)
    sigma, phi_b = phi_raw df / chi2_df given phi_b >= 1, drawn anew per draw from the monotone fit's
    raw estimate and its df (`phi`, `dispersion_raw`), so phi's own uncertainty enters the null."""
    phi_raw, phi_df = phi
    c, n = pool.y.shape
    exceed, used = np.zeros(c), np.zeros(c)
    stopped = observed <= 0  # every draw reaches T = 0: p = 1 without drawing
    settled = stopped.copy()
    tol = STAT_TOLERANCE * np.maximum(1.0, observed)
    round_, total = 0, 0
    while total < draws and not stopped.all():
        active = np.flatnonzero(~stopped)
        b = min(2 * STOP_AFTER if round_ == 0 else max(STOP_AFTER * 10, CELLS // (n * len(active))), draws - total)
        for start in range(0, len(active), max(CELLS // (n * b), 1)):
            a = active[start : start + max(CELLS // (n * b), 1)]
            # One stream per (seed, curve length, round, block, first curve): reruns draw the same numbers.
            rng = np.random.default_rng([seed, n, round_, start, int(a[0])])
            # phi_b = phi_raw df / chi2_df given phi_b >= 1, i.e. chi2 truncated to [0, phi_raw df].
            top = chdtr(phi_df[a, None], phi_raw[a, None] * phi_df[a, None])
            q = 2.0 * gammaincinv(phi_df[a, None] / 2.0, rng.uniform(size=(len(a), b)) * top)
            phi_b = np.where(top > 1e-12, phi_raw[a, None] * phi_df[a, None] / np.maximum(q, 1e-300), 1.0)
            sd = np.sqrt(phi_b[:, :, None] / pool.w[a, None, :])
            ystar = null[a, None, :] + sd * rng.standard_normal((len(a), b, n))
            ystar = clip(ystar, pool.lo[a, None, None], pool.hi[a, None, None]).reshape(-1, n)
            df = np.repeat(pool.tie_df[a], b)
            ties = phi_b.ravel() * np.where(df > 0, rng.chisquare(np.maximum(df, 1.0)), 0.0)
            fits = shape_fits(ystar, np.repeat(pool.w[a], b, axis=0))
            tstar = statistic(fits, dispersion(fits, ties, np.repeat(pool.n_points[a], b)))
            hit = tstar.reshape(len(a), b) >= (observed[a] - tol[a])[:, None]
            cum = exceed[a][:, None] + np.cumsum(hit, axis=1)
            reach = cum >= STOP_AFTER
            done = reach.any(axis=1)
            used[a] += np.where(done, reach.argmax(axis=1) + 1, b)
            exceed[a] = np.where(done, STOP_AFTER, cum[:, -1])
            stopped[a] = done
        round_, total = round_ + 1, total + b
    p = np.where(stopped, exceed / np.maximum(used, 1), (exceed + 1) / (used + 1))
    return np.clip(np.where(settled, 1.0, p), 0.0, 1.0)


def describe(pool: Pooled, uni: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """turn_x (the mid log-x of the unimodal fit's bottom (U) or top (hump) level) and dip_depth (the
    fall before the bottom of a U, or after the top of a hump, in y units)."""
    sign = np.where(kind == 0, -1.0, 1.0)[:, None]  # turn = max of sign * fit
    s = sign * uni
    at_turn = np.isclose(s, s.max(axis=1, keepdims=True), rtol=0.0, atol=1e-12 * (1.0 + np.abs(s).max()))
    t_turn = np.where(at_turn, pool.t, np.nan)
    turn_x = 10.0 ** (0.5 * (np.nanmin(t_turn, axis=1) + np.nanmax(t_turn, axis=1)))
    depth = np.where(kind == 0, uni[:, 0] - uni.min(axis=1), uni.max(axis=1) - uni[:, -1])
    return turn_x, depth


def test_pool(pool: Pooled, *, draws: int, seed: int) -> pd.DataFrame:
    """Statistic, p-value, phi, kind (0 = U, 1 = inverted U), turn_x and dip_depth of one Pooled's curves."""
    fits = shape_fits(pool.y, pool.w)
    raw = dispersion_raw(fits, pool.tie_rss, pool.n_points)
    phi = dispersion(fits, pool.tie_rss, pool.n_points)
    observed = statistic(fits, phi)
    mono, uni = fitted_curves(pool.y, pool.w, fits)
    null = clip(null_curve(mono, pool.w, np.maximum(1.0, raw[0])), pool.lo[:, None], pool.hi[:, None])
    p = p_values(observed, null, raw, pool, draws=draws, seed=seed)
    turn_x, depth = describe(pool, uni, fits.kind)
    return pd.DataFrame(
        {
            "nonmonotone_statistic": observed,
            "p_nonmonotone": p,
            "kind": fits.kind,
            "turn_x": turn_x,
            "dip_depth": depth,
            "nonmonotone_dispersion": phi,
        },
        index=pd.Index(pool.ids, name="curve_id"),
    )


def nonmonotone_curves(
    points: pd.DataFrame, *, alpha: float, draws: int, seed: int, min_points: int = 5
) -> pd.DataFrame:
    """One row per curve_id (sorted): the statistic, p_nonmonotone, nonmonotone (True if p < alpha;
    NA with fewer than min_points distinct x or a non-finite y / sigma), its kind ("U" / "inverted_U"),
    turn_x, dip_depth (both NaN unless nonmonotone) and the dispersion phi.

    `points`: curve_id, x (> 0), y (higher is better), sigma (> 0), y_low, y_high (NaN = unbounded),
    sorted by curve_id, x. Use draws = DEFAULT_DRAWS unless the p-values must be finer than 1 / 200.
    """
    ids = pd.Index(np.sort(points["curve_id"].unique()), name="curve_id")
    parts = [test_pool(pool, draws=draws, seed=seed) for pool in pool_ties(points) if pool.t.shape[1] >= min_points]
    tested = pd.concat(parts) if parts else pd.DataFrame(columns=["kind", *COLUMNS]).set_index(pd.Index([]))
    out = pd.DataFrame(index=ids).join(tested)
    p = out["p_nonmonotone"].to_numpy(float)
    yes = p < alpha
    out["nonmonotone"] = pd.array(np.where(np.isnan(p), None, yes), dtype="boolean")
    kind = out["kind"].to_numpy(float)
    out["nonmonotone_kind"] = np.where(yes, np.where(kind == 0, "U", "inverted_U"), None)
    out["turn_x"] = out["turn_x"].where(yes)
    out["dip_depth"] = out["dip_depth"].where(yes)
    return out[COLUMNS].astype({"nonmonotone_statistic": float, "p_nonmonotone": float})
