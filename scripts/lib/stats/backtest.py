"""The unpredictability backtest: predict the largest models from the smaller ones (docs/statistics.md).

The smooth family (`smooth_fit`, the sharpness test's H0) is fitted by weighted least squares on
all but the largest `holdout` points and extrapolated to the largest one, averaged over the
family: each cell's fit is weighted by its likelihood exp(-RSS_k / 2) (sigma known, scaled by the
overdispersion factor) times a prior that gives every kind of shape the same mass, however
many widths and centres it has. The predictive
distribution is that mixture of each cell's Gaussian prediction (its parameter variance h_k' h_k)
plus the held-out point's own noise; its mean is `backtest_pred`, its SD `backtest_sd`, and a
curve is `unpredictable` when its largest point lies above mean + z_(1 - alpha) SD. Why the
average and not the best cell: with 5-12 points many shapes fit equally well and disagree beyond
the last point; the best one alone gave 34-98 % coverage of a nominal 95 % bound in the
calibration, the average 84-100 % (docs/statistics.md). The metric map asks Wei et al.'s
question: predict a sharp metric's held-out value from a continuous metric of the same (family,
task, subtask, shots), through a map sharp ~ continuous fitted on the smaller models.
"""

import numpy as np
import pandas as pd
from scipy.stats import norm

from scripts.lib.stats.sharpness import CHUNK, Stack, curve_noise, dispersion, sharpness_table, stack_curves
from scripts.lib.stats.smooth_fit import Cells, build_cells, project

MIN_TRAIN_POINTS = 3
"""Fewer training points than this: no backtest (NaN)."""


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


def averaged_prediction(
    cells: Cells,
    t: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    t_new: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    smooth_only: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and variance of y at t_new (C,) averaged over cells, and the overdispersion factor.

    Per cell: proj_k = b rnorm_k + N(0, phi), a flat prior on the intercept and b ~ N(0, tau^2)
    with tau the metric's range (bounded, lo/hi (C, 1)) or twice the observed range: the cell's
    evidence weights it (times `shape_prior`), and its posterior gives a Gaussian prediction,
    clipped to [lo, hi]. The b prior keeps cells that barely see the data (a rise beyond the last
    point) from predicting anything at all.
    """
    pr = project(cells.basis(t), sigma)
    allowed = (cells.smooth[None, :] if smooth_only else True) & pr.ok
    phi = dispersion(y, sigma, pr, allowed)
    yw = y / sigma
    proj = np.einsum("ckn,cn->ck", pr.q, yw)
    width = (hi - lo)[:, 0]
    tau = np.where(np.isfinite(width), width, 2.0 * (y.max(axis=1) - y.min(axis=1)))
    tau = np.maximum(tau, 1e-12)[:, None]
    rn = np.where(pr.ok, pr.rnorm, 0.0)
    marg = phi[:, None] + rn**2 * tau**2
    # log evidence up to a constant: the residual off q_k, -(R - proj_k^2) / (2 phi), plus log N(proj_k; 0, marg).
    loglik = np.where(allowed, 0.5 * proj**2 * (1.0 / phi[:, None] - 1.0 / marg) - 0.5 * np.log(marg), -np.inf)
    weight = shape_prior(cells)[None, :] * np.exp(loglik - loglik.max(axis=1, keepdims=True))
    weight /= weight.sum(axis=1, keepdims=True)
    post_var = 1.0 / (rn**2 / phi[:, None] + 1.0 / tau**2)
    post_mean = post_var * rn * proj / phi[:, None]
    d = cells.basis(np.asarray(t_new, dtype=float)[:, None])[:, :, 0] - pr.gbar
    ybar = np.einsum("cn,cn->c", pr.q1, yw) / pr.norm1
    pred_k = clip(ybar[:, None] + post_mean * d, lo, hi)
    var_k = (phi / pr.norm1**2)[:, None] + d**2 * post_var
    mean = np.sum(weight * pred_k, axis=1)
    var = np.sum(weight * (var_k + pred_k**2), axis=1) - mean**2
    return mean, np.clip(var, 0.0, None), phi


def backtest_stack(st: Stack, bounds: np.ndarray, *, holdout: int, min_width: float, alpha: float) -> pd.DataFrame:
    """Prediction of the largest point of every curve of one Stack from its first n - holdout points.

    `bounds` (C, 2) is the metric's range in y units (NaN = unbounded): each cell's prediction is
    clipped to it before averaging.
    """
    n = st.t.shape[1]
    train = n - holdout
    z = norm.ppf(1.0 - alpha)
    out = []
    for start in range(0, len(st.ids), CHUNK):
        part = st.take(slice(start, start + CHUNK))
        lo, hi = bounds[start : start + CHUNK, 0:1], bounds[start : start + CHUNK, 1:2]
        if train < MIN_TRAIN_POINTS:
            nan = np.full(len(part.ids), np.nan)
            out.append(
                pd.DataFrame(
                    {"curve_id": part.ids, "backtest_pred_y": nan, "backtest_sd": nan, "backtest_dispersion": nan}
                )
            )
            continue
        t, y, sigma = part.t[:, :train], part.y[:, :train], part.sigma[:, :train]
        cells = build_cells(t, min_width=min_width)
        mean, var, phi = averaged_prediction(cells, t, y, sigma, part.t[:, -1], lo, hi, smooth_only=True)
        sd = np.sqrt(var + phi * part.sigma[:, -1] ** 2)
        out.append(
            pd.DataFrame(
                {
                    "curve_id": part.ids,
                    "backtest_pred_y": mean,
                    "backtest_sd": sd,
                    "backtest_dispersion": phi,
                    "upper": mean + z * sd,
                }
            )
        )
    table = pd.concat(out, ignore_index=True)
    if "upper" not in table:
        table["upper"] = np.nan
    return table


def y_bounds(points: pd.DataFrame) -> pd.DataFrame:
    """The metric's range in y units per curve_id (negated and swapped for oriented metrics)."""
    first = points.groupby("curve_id", sort=True).first()
    lo, hi = first["metric_low"].to_numpy(float), first["metric_high"].to_numpy(float)
    neg = first["oriented"].to_numpy(bool)
    y_lo, y_hi = np.where(neg, -hi, lo), np.where(neg, -lo, hi)
    # A curve outside its metric's stated range (a 0-100 score stated as 0-1) is treated as unbounded.
    span = points.groupby("curve_id", sort=True)["y"].agg(["min", "max"])
    slack = 0.01 * np.where(np.isfinite(y_hi - y_lo), y_hi - y_lo, 0.0)
    inside = ~(span["min"].to_numpy() < y_lo - slack) & ~(span["max"].to_numpy() > y_hi + slack)
    return pd.DataFrame(
        {"y_low": np.where(inside, y_lo, np.nan), "y_high": np.where(inside, y_hi, np.nan)}, index=first.index
    )


def clip(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Clip to [lo, hi] where those are finite."""
    values = np.where(np.isfinite(lo) & (values < lo), lo, values)
    return np.where(np.isfinite(hi) & (values > hi), hi, values)


def backtest_table(
    stacks: list[Stack], bounds: pd.DataFrame, *, holdout: int, min_width: float, alpha: float
) -> pd.DataFrame:
    """One row per curve: backtest_pred_y, backtest_err (y units), backtest_z, unpredictable.

    `bounds` has columns y_low, y_high (the metric's range in y units, NaN = unbounded) by curve_id.
    """
    parts = []
    for st in stacks:
        ok = np.isfinite(st.sigma).all(axis=1)
        res = backtest_stack(
            st.take(np.flatnonzero(ok)),
            bounds.reindex(st.ids[ok])[["y_low", "y_high"]].to_numpy(float),
            holdout=holdout,
            min_width=min_width,
            alpha=alpha,
        )
        res["y_last"] = st.y[ok, -1]
        parts.append(res)
    table = pd.concat(parts, ignore_index=True)
    table["backtest_err"] = table["y_last"] - table["backtest_pred_y"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["backtest_z"] = table["backtest_err"] / table["backtest_sd"]
    table["unpredictable"] = table["y_last"] > table["upper"]
    return table.rename(columns={"upper": "backtest_upper_y"}).drop(columns="y_last")


MAP_MIN_WIDTH = 0.25
"""Width unit of the map's cells, as a fraction of the continuous metric's training range."""


def map_predictions(
    cont: np.ndarray, y_sharp: np.ndarray, sigma: np.ndarray, cont_new: np.ndarray, bounds: np.ndarray
) -> np.ndarray:
    """Fit y_sharp = a + b g(continuous) on the training points of each row; predict at cont_new (C,).

    The continuous values are rescaled to [0, 1] over each row's training points; every cell
    (smooth and narrow), since a sharp metric can be a step function of a continuous one, averaged
    as in the backtest and clipped to the sharp metric's `bounds` (C, 2).
    """
    lo = cont.min(axis=1, keepdims=True)
    span = np.maximum(cont.max(axis=1, keepdims=True) - lo, 1e-12)
    order = np.argsort(cont, axis=1, kind="stable")
    t_s = np.take_along_axis((cont - lo) / span, order, 1)
    y_s = np.take_along_axis(y_sharp, order, 1)
    s_s = np.take_along_axis(sigma, order, 1)
    t_new = (np.asarray(cont_new, dtype=float) - lo[:, 0]) / span[:, 0]
    cells = build_cells(t_s, min_width=MAP_MIN_WIDTH)
    mean, _, _ = averaged_prediction(cells, t_s, y_s, s_s, t_new, bounds[:, 0:1], bounds[:, 1:2], smooth_only=False)
    return mean


def curve_tests(
    points: pd.DataFrame,
    *,
    min_width: float,
    draws: int,
    stop_after: int,
    seed: int,
    fdr: float,
    holdout: int,
    alpha: float,
    residual_min_df: int,
) -> pd.DataFrame:
    """Both tests for a small set of curves in the curves.parquet format (the vision and toy curves).

    One row per curve_id: noise_source, p_sharp, q_sharp (BH over these curves), sharp,
    backtest_pred_y, backtest_z, unpredictable. Statistic `lr`; the ES floor is not used.
    """
    points = points.sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)
    sharp = sharpness_table(
        points,
        pd.Series(0.0, index=sorted(points["curve_id"].unique())),
        min_width=min_width,
        min_df=residual_min_df,
        draws=draws,
        stop_after=stop_after,
        seed=seed,
        statistic="lr",
        fdr=fdr,
    )
    sigma, _ = curve_noise(points, min_width=min_width, min_df=residual_min_df)
    back = backtest_table(
        stack_curves(points, sigma), y_bounds(points), holdout=holdout, min_width=min_width, alpha=alpha
    )
    columns = ["curve_id", "backtest_pred_y", "backtest_z", "unpredictable"]
    return sharp[["curve_id", "noise_source", "p_sharp", "q_sharp", "sharp"]].merge(back[columns], on="curve_id")
