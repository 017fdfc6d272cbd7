"""The unpredictability backtest: predict the largest models from the smaller ones (docs/statistics.md).

The smooth family (`smooth_fit`, the sharpness test's H0) is fitted by weighted least squares on
all but the largest `holdout` points and extrapolated to the largest one. The predictive interval
is a parametric bootstrap: curves drawn from the fit plus noise on the training points are
refitted (model choice included) and extrapolated, and the held-out point's own noise is added:
y_h - pred is distributed as (pred - pred*) + sigma_h z. A curve is `unpredictable` when its
largest point lies above the one-sided 1 - alpha bound. The metric map asks Wei et al.'s question:
predict a sharp metric's held-out value from a continuous metric of the same (family, task,
subtask, shots), through a map sharp ~ continuous fitted on the smaller models.
"""

import numpy as np
import pandas as pd

from scripts.lib.sharpness import CHUNK, Stack, dispersion
from scripts.lib.smooth_fit import (
    KIND_GUMBEL,
    KIND_GUMBEL_MIRRORED,
    KIND_LOGISTIC,
    build_cells,
    fit_smooth,
    prediction_weights,
    project,
)

MIN_TRAIN_POINTS = 3
"""Fewer training points than this: no backtest (NaN)."""


def backtest_stack(
    st: Stack, bounds: np.ndarray, *, holdout: int, min_width: float, draws: int, alpha: float, seed: int
) -> pd.DataFrame:
    """Prediction of the largest point of every curve of one Stack from its first n - holdout points.

    `bounds` (C, 2) is the metric's range in y units (NaN = unbounded): predictions are clipped to
    it. Logistic cells centred beyond the last training point are not used to extrapolate: their
    tails fit the training points with an arbitrary rise after them (an unstable prediction).
    """
    n = st.t.shape[1]
    train = n - holdout
    out = []
    for start in range(0, len(st.ids), CHUNK):
        part = st.take(slice(start, start + CHUNK))
        lo, hi = bounds[start : start + CHUNK, 0], bounds[start : start + CHUNK, 1]
        c = len(part.ids)
        sigma_h = part.sigma[:, -1]
        if train < MIN_TRAIN_POINTS:
            nan = np.full(c, np.nan)
            out.append(
                pd.DataFrame(
                    {
                        "curve_id": part.ids,
                        "backtest_pred_y": nan,
                        "backtest_sd": nan,
                        "backtest_dispersion": nan,
                        "upper": nan,
                    }
                )
            )
            continue
        t, y, sigma = part.t[:, :train], part.y[:, :train], part.sigma[:, :train]
        cells = build_cells(t, min_width=min_width)
        pr = project(cells.basis(t), sigma)
        sigmoid = np.isin(cells.kind, [KIND_LOGISTIC, KIND_GUMBEL, KIND_GUMBEL_MIRRORED])
        allowed = cells.smooth[None, :] & ~(sigmoid[None, :] & (cells.centre > t[:, -1:]))
        phi = dispersion(y, sigma, pr, allowed)
        fit = fit_smooth(y, sigma, cells, pr, allowed)
        h = prediction_weights(cells, pr, part.t[:, -1])
        rows = np.arange(c)
        pred = clip(np.einsum("cn,cn->c", h[rows, fit.cell], y / sigma), lo, hi)
        # Draws carry the overdispersed noise sigma * sqrt(phi); h expects y / sigma.
        root = np.sqrt(phi)
        rng = np.random.default_rng([seed, n, start])
        z = rng.standard_normal((draws, train))
        ystar = (fit.fitted / sigma)[:, None, :] + root[:, None, None] * z[None, :, :]
        proj = np.einsum("ckn,cbn->ckb", pr.q, ystar)
        score = np.where(allowed[:, :, None], proj**2, -1.0)
        best = score.argmax(axis=1)
        hb = np.take_along_axis(h, best[:, :, None], axis=1)
        pred_star = clip(np.einsum("cbn,cbn->cb", hb, ystar), lo[:, None], hi[:, None])
        dev = (pred[:, None] - pred_star) + (sigma_h * root)[:, None] * rng.standard_normal(draws)[None, :]
        out.append(
            pd.DataFrame(
                {
                    "curve_id": part.ids,
                    "backtest_pred_y": pred,
                    "backtest_sd": dev.std(axis=1, ddof=1),
                    "backtest_dispersion": phi,
                    "upper": pred + np.quantile(dev, 1.0 - alpha, axis=1),
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def clip(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Clip to [lo, hi] where those are finite."""
    values = np.where(np.isfinite(lo) & (values < lo), lo, values)
    return np.where(np.isfinite(hi) & (values > hi), hi, values)


def backtest_table(
    stacks: list[Stack], bounds: pd.DataFrame, *, holdout: int, min_width: float, draws: int, alpha: float, seed: int
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
            draws=draws,
            alpha=alpha,
            seed=seed,
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


def map_predictions(cont: np.ndarray, y_sharp: np.ndarray, sigma: np.ndarray, cont_new: np.ndarray) -> np.ndarray:
    """Fit y_sharp = a + b g(continuous) on the training points of each row; predict at cont_new (C,).

    The continuous values are rescaled to [0, 1] over each row's training points; every cell
    (smooth and narrow, either sign) may serve as the map, since a sharp metric can be a step
    function of a continuous one.
    """
    lo = cont.min(axis=1, keepdims=True)
    span = np.maximum(cont.max(axis=1, keepdims=True) - lo, 1e-12)
    order = np.argsort(cont, axis=1, kind="stable")
    t_s = np.take_along_axis((cont - lo) / span, order, 1)
    y_s = np.take_along_axis(y_sharp, order, 1)
    s_s = np.take_along_axis(sigma, order, 1)
    t_new = (np.asarray(cont_new, dtype=float) - lo[:, 0]) / span[:, 0]
    cells = build_cells(t_s, min_width=MAP_MIN_WIDTH)
    pr = project(cells.basis(t_s), s_s)
    proj = np.einsum("ckn,cn->ck", pr.q, y_s / s_s)
    best = (proj**2).argmax(axis=1)
    h = prediction_weights(cells, pr, t_new)
    return np.einsum("cn,cn->c", h[np.arange(len(best)), best], y_s / s_s)
