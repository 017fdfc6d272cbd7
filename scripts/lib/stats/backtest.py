"""The unpredictability backtest: predict every model from the smaller ones (docs/statistics.md).

Model k of a curve (with at least `min_train` smaller ones) is predicted from the models below it
only, by the smooth family (`smooth_fit`, the sharpness test's H0) averaged over its shapes: every
cell y = a + b g_k(t) is widened by its first-order change in centre and in log width over one grid
step (so the average does not collapse onto one coarse grid shape at large n), fitted by Bayesian
least squares, weighted by its evidence times the posterior probability that the fitted curve
stays inside the metric's range (`bounds`) from the first training model to the model predicted,
its prediction clipped to that range. The predictive SD adds a model-form term proportional to the
change predicted from the last training model (`extrapolation`) and the point's own
noise; sigma is scaled by the overdispersion factor phi of the training
points' best fit, and z_k = (observed - mean) / SD is referred to a t distribution with phi's
k - 4 degrees of freedom.
`unpredictable` = some model rejected by Holm's procedure at `alpha` over the models tested within
the curve; `unpredictable_at` its x (the first such model). The largest-model columns: the largest
model predicted from all but the largest `holdout`. The metric map asks Wei et al.'s question: a
sharp metric predicted from a continuous metric of the same (family, task, subtask, shots)
through a map fitted on smaller models, is `metric_map`'s.
"""

from dataclasses import fields, replace

import numpy as np
import pandas as pd
from scipy.special import ndtr, stdtr, stdtrit  # scipy.stats' t, without its 0.5 s import per rule

from scripts.lib.stats.bounds import clip, y_bounds
from scripts.lib.stats.multiplicity import holm
from scripts.lib.stats.noise import SMOOTH_FIT_PARAMS
from scripts.lib.stats.sharpness import Stack, curve_noise, sharpness_table, stack_curves
from scripts.lib.stats.smooth_fit import SIGMOID_KINDS, Cells, build_cells

MIN_TRAIN_POINTS = 4
"""Default of `backtest.min_train`: a model is predicted only from at least this many smaller ones."""
CHUNK = 200
"""Curves per block of work (the expanded design is (CHUNK, cells, points, 3) floats)."""
CENTRE_STEP = 1.0
"""Centre step of the local expansion, in units of the cell's scale w (W / 4.4 for a logistic, W / 3.1 for a Gumbel)."""
LOG_WIDTH_STEP = 0.5
"""Log-width step of the local expansion (a width ratio of e^0.5 = 1.65, the grid's ratio of widths)."""
EXPANSION_PRIOR = 0.5
"""Prior SD of a cell's shift in centre and in log width, in grid steps (the truth is within half a step of a cell)."""
EXTRAPOLATION_DISCREPANCY = 0.5
"""Default of `backtest.extrapolation`: SD of the model-form error of a prediction, in units of the
change it predicts from the last training model (a rise the smaller models show may continue faster
or slower than any smooth shape fitted to them; a flat curve predicted flat keeps its power against
a jump)."""
LAST_MIN_TRAIN = 3
"""Fewer training points than this: no largest-model prediction (NaN), as before the per-model test."""


def shape_prior(cells: Cells) -> np.ndarray:
    """Prior weight per cell: each kind of shape (logistic, Gumbel, mirrored Gumbel, line, power,
    mirrored power) has the same mass, split evenly over its widths or exponents, then centres."""
    prior = np.zeros(len(cells.kind))
    for kind in np.unique(cells.kind):
        in_kind = cells.kind == kind
        key = np.stack([cells.w[in_kind], cells.power[in_kind]], axis=1)
        _, group, count = np.unique(key, axis=0, return_inverse=True, return_counts=True)
        prior[in_kind] = 1.0 / (len(count) * count[group.ravel()])
    return prior


def _subset(cells: Cells, *, keep: np.ndarray | None = None, rows: np.ndarray | None = None) -> Cells:
    """Cells restricted to the cells `keep` and/or the curves `rows` ((K,) and (C, K) fields)."""
    subset = {}
    for field in fields(cells):
        value = getattr(cells, field.name)
        if isinstance(value, np.ndarray) and value.ndim in (1, 2) and value.shape[-1] == len(cells.kind):
            value = value[..., keep] if keep is not None else value
            subset[field.name] = value[rows] if rows is not None and value.ndim == 2 else value
    return replace(cells, **subset)


def backtest_cells(cells: Cells) -> Cells:
    """The backtest's family: the smooth (H0) cells, sigmoids at every other centre of their grid.

    The local expansion in centre (`design`, one step = CENTRE_STEP w, about W / 4) spans the gap
    that thinning leaves, at half the cost.
    """
    sigmoid = np.isin(cells.kind, SIGMOID_KINDS)
    group = np.unique(np.stack([cells.kind, cells.w], axis=1), axis=0, return_inverse=True)[1].ravel()
    order = np.argsort(group, kind="stable")
    rank = np.empty(len(group), dtype=int)
    rank[order] = np.arange(len(group)) - np.searchsorted(group[order], group[order])
    return _subset(cells, keep=np.flatnonzero(cells.smooth & (~sigmoid | (rank % 2 == 0))))


def design(cells: Cells, t: np.ndarray, *, expand: bool) -> np.ndarray:
    """(C, K, m, p) regressors of every cell at t (C, m): g_k, and with `expand` its change over one
    step in centre and in log width (central differences; 0 for lines and power laws, which have neither)."""
    g = cells.basis(t)
    if not expand:
        return g[..., None]
    dc = CENTRE_STEP * cells.w[None, :] / 2.0
    up, down = np.exp(LOG_WIDTH_STEP / 2.0), np.exp(-LOG_WIDTH_STEP / 2.0)
    d_centre = replace(cells, centre=cells.centre + dc).basis(t) - replace(cells, centre=cells.centre - dc).basis(t)
    d_width = replace(cells, w=cells.w * up).basis(t) - replace(cells, w=cells.w * down).basis(t)
    return np.stack([g, d_centre, d_width], axis=-1)


def weighted_moments(
    cells: Cells, t: np.ndarray, y: np.ndarray, w: np.ndarray, t_new: np.ndarray, *, expand: bool
) -> dict[str, np.ndarray]:
    """Weighted sums of the regressors (weights w = 1 / sigma^2) per curve, as matrix products.

    Curves with the same t and t_new (one ladder) share one evaluation of the design: the sums over
    points are then (curves, n) @ (n, cells x p x p) products. Returns S0 (C,), Sy, Syy (C,),
    S1, Sg_y (C, K, p), S2 (C, K, p, p) and the design at t_new (C, K, m, p).
    """
    size, n = t.shape
    ladders, group = np.unique(np.concatenate([t, t_new], axis=1), axis=0, return_inverse=True)
    group = group.ravel()
    k, m = len(cells.kind), t_new.shape[1]
    p = 3 if expand else 1
    out = {"S1": np.empty((size, k, p)), "Sg_y": np.empty((size, k, p)), "S2": np.empty((size, k, p, p))}
    out["new"] = np.empty((size, k, m, p))
    for g in range(len(ladders)):
        rows = np.flatnonzero(group == g)
        x = design(_subset(cells, rows=rows[:1]), ladders[g : g + 1], expand=expand)[0]
        train = np.moveaxis(x[:, :n], 1, 0)
        out["S1"][rows] = (w[rows] @ train.reshape(n, -1)).reshape(-1, k, p)
        out["Sg_y"][rows] = ((w[rows] * y[rows]) @ train.reshape(n, -1)).reshape(-1, k, p)
        outer = train[..., :, None] * train[..., None, :]
        out["S2"][rows] = (w[rows] @ outer.reshape(n, -1)).reshape(-1, k, p, p)
        out["new"][rows] = x[None, :, n:]
    out["S0"], out["Sy"], out["Syy"] = w.sum(axis=1), (w * y).sum(axis=1), (w * y**2).sum(axis=1)
    return out


def sym_inv(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse and log determinant of symmetric positive definite (..., p, p), p = 1 or 3, in closed form
    (cofactors: elementwise over the stack, much faster than batched LAPACK for 3 x 3)."""
    if a.shape[-1] == 1:
        return 1.0 / a, np.log(a[..., 0, 0])
    a00, a01, a02, a11, a12, a22 = (a[..., i, j] for i, j in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)))
    c00, c01, c02 = a11 * a22 - a12**2, a02 * a12 - a01 * a22, a01 * a12 - a02 * a11
    c11, c12, c22 = a00 * a22 - a02**2, a01 * a02 - a00 * a12, a00 * a11 - a01**2
    det = a00 * c00 + a01 * c01 + a02 * c02
    inv = np.stack([c00, c01, c02, c01, c11, c12, c02, c12, c22], axis=-1).reshape(a.shape) / det[..., None, None]
    return inv, np.log(det)


def averaged_prediction(
    cells: Cells,
    t: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    t_new: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    expand: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and variance (C, m) of y at t_new (C, m) averaged over cells, and phi (C,).

    Per cell (docs/statistics.md, "Unpredictability backtest"): regressors (`design`), sigma scaled
    by phi, a flat intercept, b ~ N(0, tau^2) (tau the range lo/hi (C, 1), or twice the observed
    range when unbounded) and expansion slopes ~ N(0, EXPANSION_PRIOR^2 E[b^2]). Weight = `shape_prior`
    x evidence x P(the fitted curve's values at the first training point and at the farthest target
    lie in [lo, hi]), 0 for a fit shifted beyond one grid step; predictions clipped to [lo, hi].
    """
    n = t.shape[1]
    mom = weighted_moments(cells, t, y, 1.0 / sigma**2, t_new, expand=expand)
    s0 = mom["S0"][:, None, None]
    xbar = mom["S1"] / s0
    ybar = mom["Sy"] / mom["S0"]
    gram = mom["S2"] - mom["S1"][..., :, None] * xbar[..., None, :]
    u = mom["Sg_y"] - mom["S1"] * ybar[:, None, None]
    yy = mom["Syy"] - mom["Sy"] * ybar
    g_norm2 = gram[..., 0, 0]
    ok = g_norm2 > 1e-12 * np.maximum(mom["S2"][..., 0, 0], 1e-300)
    # phi from the best single-shape fit, as the sharpness test: lack of fit of the grid counts as scatter.
    best = np.max(np.where(ok, u[..., 0] ** 2 / np.where(ok, g_norm2, 1.0), 0.0), axis=1)
    phi = np.maximum(1.0, (yy - best) / max(n - SMOOTH_FIT_PARAMS, 1))
    width = (hi - lo)[:, 0]
    tau = np.where(np.isfinite(width), width, 2.0 * (y.max(axis=1) - y.min(axis=1)))
    tau = np.maximum(tau, 1e-12)
    p = u.shape[-1]
    # Prior SDs (C, K, p): tau for b; for the expansion slopes gamma = b delta, delta ~ N(0, EXPANSION_PRIOR^2)
    # steps, with b^2 replaced by its second moment under the cell's one-shape posterior (moment matching).
    b_prec = g_norm2 / phi[:, None] + 1.0 / tau[:, None] ** 2
    b_moment = (u[..., 0] / phi[:, None] / b_prec) ** 2 + 1.0 / b_prec
    prior_sd = np.concatenate(
        [
            np.broadcast_to(tau[:, None, None], b_prec.shape + (1,)),
            np.repeat((EXPANSION_PRIOR * np.sqrt(b_moment))[..., None], p - 1, axis=-1),
        ],
        axis=-1,
    )
    a_mat = gram / phi[:, None, None, None] + np.eye(p) / prior_sd[..., None] ** 2
    a_inv, logdet = sym_inv(a_mat)
    beta = np.einsum("ckpq,ckq->ckp", a_inv, u) / phi[:, None, None]
    loglik = 0.5 * np.sum(u * beta, axis=-1) / phi[:, None] - 0.5 * (logdet + 2 * np.log(prior_sd).sum(-1))
    base_var = phi / mom["S0"]

    def at(g_new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = g_new - xbar[:, :, None, :]
        quad = np.einsum("ckmp,ckpq,ckmq->ckm", d, a_inv, d)
        return ybar[:, None, None] + np.einsum("ckmp,ckp->ckm", d, beta), base_var[:, None, None] + quad

    # The fitted curve where it is used: its values at the first training point and at the farthest
    # target (not a sigmoid's asymptotes: a truth that tends to the bound, as exp(-(c/N)^alpha) does,
    # would lose half its weight to the shapes that level off lower; b's tau prior keeps the
    # asymptotes of a rise centred beyond the data in check).
    rows = np.arange(len(t))
    first = design(cells, t[:, :1], expand=expand)[:, :, 0]
    end_mean, end_var = at(np.stack([first, mom["new"][rows, :, t_new.argmax(axis=1)]], axis=2))
    end_sd = np.sqrt(end_var)
    lo3, hi3 = lo[:, :, None], hi[:, :, None]
    inside = ndtr(np.where(np.isfinite(hi3), (hi3 - end_mean) / end_sd, np.inf)) - ndtr(
        np.where(np.isfinite(lo3), (lo3 - end_mean) / end_sd, -np.inf)
    )
    # A cell stands for the shapes within one grid step of it: a fit that shifts it further is
    # another cell's (its neighbour's) shape, and outside the expansion's validity.
    # (Within b's posterior SD, so that a cell the data barely see is not dropped at random.)
    local = np.all(np.abs(beta[..., 1:]) <= np.abs(beta[..., :1]) + np.sqrt(a_inv[..., :1, 0]), axis=-1)
    loglik = np.where(ok & local, loglik + np.log(np.clip(inside, 1e-300, 1.0)).sum(axis=2), -np.inf)
    weight = shape_prior(cells)[None, :] * np.exp(loglik - loglik.max(axis=1, keepdims=True))
    weight /= weight.sum(axis=1, keepdims=True)
    pred_k, var_k = at(mom["new"])
    pred_k = clip(pred_k, lo3, hi3)
    mean = np.einsum("ck,ckm->cm", weight, pred_k)
    var = np.einsum("ck,ckm->cm", weight, var_k + pred_k**2) - mean**2
    return mean, np.clip(var, 0.0, None), phi


def backtest_stack(
    st: Stack,
    bounds: np.ndarray,
    *,
    min_train: int,
    holdout: int,
    min_width_decades: float,
    alpha: float,
    extrapolation: float = EXTRAPOLATION_DISCREPANCY,
) -> pd.DataFrame:
    """Every model of every curve of one Stack predicted from the models below it.

    `bounds` (C, 2) is the metric's range in y units (NaN = unbounded). Columns: curve_id;
    backtest_pred_y, backtest_sd, backtest_df, backtest_dispersion, upper (the largest model from the
    first n - holdout, one-sided 1 - alpha t bound, clipped to the range); backtest_z (largest z_k),
    backtest_p (Holm-adjusted, smallest over k), backtest_tests (models tested), unpredictable,
    unpredictable_at (x of the first model Holm rejects, NaN if none), unpredictable_pred_y (its prediction).
    """
    n = st.t.shape[1]
    size = len(st.ids)
    mean, sd = np.full((size, n), np.nan), np.full((size, n), np.nan)
    dfs = np.full(n, np.nan)
    last = {c: np.full(size, np.nan) for c in ("backtest_pred_y", "backtest_sd", "backtest_dispersion")}
    last_k = n - holdout if n - holdout >= LAST_MIN_TRAIN else -1
    for k in sorted(set(range(min_train, n)) | ({last_k} - {-1})):
        targets = ([k] if k >= min_train else []) + ([n - 1] if k == last_k else [])
        for start in range(0, size, CHUNK):
            rows = slice(start, start + CHUNK)
            t, y, s = st.t[rows, :k], st.y[rows, :k], st.sigma[rows, :k]
            cells = backtest_cells(build_cells(t, min_width_decades=min_width_decades))
            m, v, phi = averaged_prediction(
                cells, t, y, s, st.t[rows][:, targets + [k - 1]], bounds[rows, 0:1], bounds[rows, 1:2], expand=True
            )
            change = m[:, :-1] - m[:, -1:]
            m, v = m[:, :-1], v[:, :-1] + (extrapolation * change) ** 2
            total = np.sqrt(v + phi[:, None] * st.sigma[rows][:, targets] ** 2)
            if k >= min_train:
                mean[rows, k], sd[rows, k] = m[:, 0], total[:, 0]
            if k == last_k:
                last["backtest_pred_y"][rows], last["backtest_sd"][rows] = m[:, -1], total[:, -1]
                last["backtest_dispersion"][rows] = phi
        dfs[k] = max(k - SMOOTH_FIT_PARAMS, 1)
    z = (st.y - mean) / sd
    p = stdtr(dfs[None, :], -z)
    adjusted = holm(p)
    rejected = adjusted <= alpha
    first = np.where(rejected.any(axis=1), rejected.argmax(axis=1), -1)
    rows = np.arange(size)
    hit = first >= 0
    df_last = max(n - holdout - SMOOTH_FIT_PARAMS, 1)
    upper = last["backtest_pred_y"] + stdtrit(df_last, 1.0 - alpha) * last["backtest_sd"]
    tested = np.isfinite(z)
    return pd.DataFrame(
        {
            "curve_id": st.ids,
            **last,
            "backtest_df": np.where(np.isfinite(last["backtest_sd"]), df_last, np.nan),
            "upper": clip(upper, bounds[:, 0], bounds[:, 1]),
            "backtest_z": np.where(tested.any(axis=1), np.nanmax(np.where(tested, z, -np.inf), axis=1), np.nan),
            "backtest_p": np.where(tested.any(axis=1), np.nanmin(np.where(tested, adjusted, np.inf), axis=1), np.nan),
            "backtest_tests": tested.sum(axis=1),
            "unpredictable": hit,
            "unpredictable_at": np.where(hit, 10.0 ** st.t[rows, np.maximum(first, 0)], np.nan),
            "unpredictable_pred_y": np.where(hit, mean[rows, np.maximum(first, 0)], np.nan),
        }
    )


def backtest_table(
    stacks: list[Stack],
    bounds: pd.DataFrame,
    *,
    min_train: int,
    holdout: int,
    min_width_decades: float,
    alpha: float,
    extrapolation: float = EXTRAPOLATION_DISCREPANCY,
) -> pd.DataFrame:
    """One row per curve: the `backtest_stack` columns and backtest_err (largest model, y units).

    `bounds` has columns y_low, y_high (the metric's range in y units, NaN = unbounded) by curve_id.
    """
    parts = []
    for st in stacks:
        ok = np.isfinite(st.sigma).all(axis=1)
        res = backtest_stack(
            st.take(np.flatnonzero(ok)),
            bounds.reindex(st.ids[ok])[["y_low", "y_high"]].to_numpy(float),
            min_train=min_train,
            holdout=holdout,
            min_width_decades=min_width_decades,
            alpha=alpha,
            extrapolation=extrapolation,
        )
        res["backtest_err"] = st.y[ok, -1] - res["backtest_pred_y"]
        parts.append(res)
    return pd.concat(parts, ignore_index=True).rename(columns={"upper": "backtest_upper_y"})


def curve_tests(
    points: pd.DataFrame,
    *,
    min_width_decades: float,
    draws: int,
    stop_after: int,
    seed: int,
    fdr: float,
    holdout: int,
    alpha: float,
    residual_min_df: int,
    min_train: int = MIN_TRAIN_POINTS,
    extrapolation: float = EXTRAPOLATION_DISCREPANCY,
) -> pd.DataFrame:
    """Both tests for a small set of curves in the curves.parquet format (the vision and toy curves).

    One row per curve_id: noise_source, p_sharp, q_sharp (BH over these curves), sharp, sharp_reason,
    backtest_pred_y, backtest_z, backtest_p, unpredictable, unpredictable_at. Statistic `lr`.
    """
    points = points.sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)
    sharp = sharpness_table(
        points,
        pd.Series(0.0, index=sorted(points["curve_id"].unique())),
        min_width_decades=min_width_decades,
        residual_min_df=residual_min_df,
        draws=draws,
        stop_after=stop_after,
        seed=seed,
        statistic="lr",
        fdr=fdr,
    )
    sigma, _ = curve_noise(points, min_width_decades=min_width_decades, residual_min_df=residual_min_df)
    back = backtest_table(
        stack_curves(points, sigma),
        y_bounds(points),
        min_train=min_train,
        holdout=holdout,
        min_width_decades=min_width_decades,
        alpha=alpha,
        extrapolation=extrapolation,
    )
    columns = ["curve_id", "backtest_pred_y", "backtest_z", "backtest_p", "unpredictable", "unpredictable_at"]
    sharp_columns = ["curve_id", "noise_source", "p_sharp", "q_sharp", "sharp", "sharp_reason"]
    return sharp[sharp_columns].merge(back[columns], on="curve_id")
