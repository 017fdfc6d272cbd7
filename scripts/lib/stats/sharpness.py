"""The sharpness test: is a curve sharper than any smooth curve plus its noise? (docs/statistics.md)

H0: y_i = f(log10 x_i) + e_i, f in the smooth family of `smooth_fit` (logistics at least
`min_width` decades wide from 10 % to 90 %, straight lines and power laws in log N), e_i ~ N(0,
sigma_i^2) with the noise of `noise`. The statistic is `lr` (the drop in weighted RSS when a step or
a narrower upward rise replaces the best smooth fit) or `es` (the floored emergence score). Its null
distribution is a parametric bootstrap: curves drawn from the fitted H0 plus noise, refitted. The
p-value (1 + #{T* >= T}) / (1 + m) stops early, by Besag & Clifford's (1991) rule, once
`stop_after` draws have reached the observed value (p = stop_after / draws so far), so only curves
with small p-values take all `draws`. Benjamini-Hochberg over every tested curve gives q.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scripts.lib.stats.emergence import es_matrix
from scripts.lib.stats.noise import (
    SMOOTH_FIT_PARAMS,
    curve_noise_source,
    metric_width,
    point_sigma,
    pooled_residual_sigma,
)
from scripts.lib.stats.smooth_fit import Projection, build_cells, fit_smooth, project, sharpness_statistic

logger = logging.getLogger(__name__)

BATCH = 100
"""Draws per round of the sequential bootstrap."""
CHUNK = 400
"""Curves per block of work (bounds memory at ~CHUNK x cells x BATCH floats)."""
STAT_TOLERANCE = 1e-9
"""A draw ties with the observed statistic within this relative distance (counts as >=)."""


@dataclass(frozen=True)
class Stack:
    """Curves of equal length as arrays: ids (C,), t = log10 x, y, sigma (C, n), ES floor (C,)."""

    ids: np.ndarray
    t: np.ndarray
    y: np.ndarray
    sigma: np.ndarray
    floor: np.ndarray

    def take(self, rows: np.ndarray | slice) -> "Stack":
        return Stack(self.ids[rows], self.t[rows], self.y[rows], self.sigma[rows], self.floor[rows])


def stack_curves(points: pd.DataFrame, sigma: np.ndarray, floor: pd.Series | None = None) -> list[Stack]:
    """Group points (curve_id, x, y; sorted by curve_id, x) into Stacks by number of points."""
    frame = points[["curve_id", "x", "y"]].assign(sigma=sigma)
    sizes = frame.groupby("curve_id", sort=True).size()
    stacks = []
    for n, ids in sizes.groupby(sizes).groups.items():
        sub = frame[frame["curve_id"].isin(ids)]
        ids_arr = np.asarray(sorted(ids))
        shape = (len(ids_arr), int(n))
        fl = np.zeros(len(ids_arr)) if floor is None else floor.reindex(ids_arr).to_numpy(dtype=float)
        stacks.append(
            Stack(
                ids=ids_arr,
                t=np.log10(sub["x"].to_numpy(float)).reshape(shape),
                y=sub["y"].to_numpy(float).reshape(shape),
                sigma=sub["sigma"].to_numpy(float).reshape(shape),
                floor=fl,
            )
        )
    return stacks


NOISE_INPUT_COLUMNS = [
    "curve_id",
    "x",
    "y",
    "value",
    "value_se",
    "se_source",
    "n_examples",
    "metric_low",
    "metric_high",
    "task",
    "subtask",
    "metric",
]
"""Columns of curves.parquet that the noise model and both tests read."""


def check_columns(points: pd.DataFrame, path: str) -> None:
    """One clear error naming the file and the missing columns (e.g. a curves.parquet from before the noise columns)."""
    missing = [c for c in NOISE_INPUT_COLUMNS if c not in points.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; rerun build_curves (curves.parquet carries them)")


def curve_noise(points: pd.DataFrame, *, min_width: float, min_df: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Per point sigma (aligned with `points`), and per curve noise_source and residual SD used.

    `points` must be sorted by curve_id, x (as curves.parquet is).
    """
    ps = point_sigma(points)
    source = curve_noise_source(points["curve_id"], ps["source"])
    per_curve = pd.DataFrame({"noise_source": source})
    per_curve["noise_sd_residual"] = np.nan
    residual_ids = source.index[source == "residual"]
    sigma = ps["sigma"].to_numpy(float).copy()
    if len(residual_ids):
        mask = points["curve_id"].isin(residual_ids).to_numpy()
        sub = points.loc[mask]
        rss = pd.Series(0.0, index=residual_ids)
        dof = pd.Series(0.0, index=residual_ids)
        for whole in stack_curves(sub, np.ones(len(sub))):
            for start in range(0, len(whole.ids), CHUNK):
                st = whole.take(slice(start, start + CHUNK))
                cells = build_cells(st.t, min_width=min_width)
                fit = fit_smooth(st.y, st.sigma, cells, project(cells.basis(st.t), st.sigma))
                rss[st.ids] = fit.rss
                dof[st.ids] = max(st.t.shape[1] - SMOOTH_FIT_PARAMS, 0)
        keys = sub.groupby("curve_id", sort=True)[["task", "subtask", "metric"]].first().reindex(residual_ids)
        sd = pooled_residual_sigma(keys, rss.to_numpy(), dof.to_numpy(), min_df=min_df)
        width = pd.Series(metric_width(sub), index=sub.index).groupby(sub["curve_id"]).first().reindex(residual_ids)
        floor = 1e-6 * np.where(np.isfinite(width), width, 1.0)
        sd = np.where(np.isfinite(sd), np.maximum(sd, floor), np.nan)
        per_curve.loc[residual_ids, "noise_sd_residual"] = sd
        sigma[mask] = pd.Series(sd, index=residual_ids).reindex(sub["curve_id"]).to_numpy()
    return sigma, per_curve


def dispersion(y: np.ndarray, sigma: np.ndarray, pr: Projection, cells: np.ndarray | None = None) -> np.ndarray:
    """Overdispersion factor max(1, RSS / (n - 4)) of the best fit over `cells` (default: all).

    Binomial noise covers the test set's sampling only; models also differ from a smooth trend
    for reasons of their own (training runs). Where the best fit leaves more scatter than the
    stated noise explains, every sigma of the curve is scaled by sqrt(factor) (quasi-likelihood),
    so lack of fit anywhere is not mistaken for a sharp rise. The scale of sigma does not change
    the projections' directions, only their lengths.
    """
    yw = y / sigma
    p1 = np.einsum("cn,cn->c", yw, pr.q1)
    proj = np.einsum("ckn,cn->ck", pr.q, yw)
    if cells is not None:
        proj = np.where(cells if cells.ndim == 2 else cells[None, :], proj, 0.0)
    rss = np.sum(yw**2, axis=-1) - p1**2 - np.max(proj**2, axis=1)
    dof = max(y.shape[1] - SMOOTH_FIT_PARAMS, 1)
    return np.maximum(1.0, rss / dof)


def _statistic(kind: str, y: np.ndarray, st: Stack, q: np.ndarray, smooth: np.ndarray) -> np.ndarray:
    """The test statistic of curves y (C, n) or draws (C, B, n)."""
    if kind == "es":
        floor = st.floor.reshape((-1,) + (1,) * (y.ndim - 2))
        return es_matrix(y, floor=np.broadcast_to(floor, y.shape[:-1]))
    yw = y / (st.sigma if y.ndim == 2 else st.sigma[:, None, :])
    proj = np.einsum("ckn,cn->ck", q, yw) if y.ndim == 2 else np.einsum("ckn,cbn->cbk", q, yw)
    return sharpness_statistic(proj, smooth)


def p_sharp_stack(
    st: Stack,
    *,
    min_width: float,
    draws: int,
    stop_after: int,
    seed: int,
    statistic: str,
) -> pd.DataFrame:
    """p_sharp of every curve of one Stack: statistic, p-value, draws used, the smooth fit's cell."""
    n = st.t.shape[1]
    out = []
    for start in range(0, len(st.ids), CHUNK):
        part = st.take(slice(start, start + CHUNK))
        cells = build_cells(part.t, min_width=min_width)
        pr = project(cells.basis(part.t), part.sigma)
        phi = dispersion(part.y, part.sigma, pr)
        part = Stack(part.ids, part.t, part.y, part.sigma * np.sqrt(phi)[:, None], part.floor)
        fit = fit_smooth(part.y, part.sigma, cells, pr)
        # Draws come from the least favourable member of H0: the best fit among the sharpest
        # smooth shapes (width = min_width). The best smooth fit overall tends to be wider than
        # the truth near the boundary, which made the test anti-conservative there.
        null = fit_smooth(part.y, part.sigma, cells, pr, cells.boundary)
        observed = _statistic(statistic, part.y, part, pr.q, cells.smooth)
        tol = STAT_TOLERANCE * np.maximum(1.0, np.abs(observed))
        exceed = np.zeros(len(part.ids))
        used = np.zeros(len(part.ids))
        stopped = np.zeros(len(part.ids), dtype=bool)
        # One stream per (seed, curve length, chunk, round): reruns draw the same numbers.
        for round_ in range(int(np.ceil(draws / BATCH))):
            active = np.flatnonzero(~stopped)
            if not len(active):
                break
            b = min(BATCH, draws - round_ * BATCH)
            z = np.random.default_rng([seed, n, start, round_]).standard_normal((b, n))
            sub = part.take(active)
            if statistic == "lr":
                # Whitened draws are fitted / sigma + z with z shared by the chunk's curves, so every
                # projection is one matrix product: (b, n) @ (n, curves x cells).
                q = pr.q[active]
                base = np.einsum("ckn,cn->ck", q, null.fitted[active] / sub.sigma)
                proj = (z @ q.reshape(-1, n).T).reshape(b, len(active), -1) + base[None]
                tstar = sharpness_statistic(proj, cells.smooth).T
            else:
                ystar = null.fitted[active][:, None, :] + sub.sigma[:, None, :] * z[None, :, :]
                tstar = _statistic(statistic, ystar, sub, pr.q[active], cells.smooth)
            hit = tstar >= (observed[active] - tol[active])[:, None]
            cum = exceed[active][:, None] + np.cumsum(hit, axis=1)
            reach = cum >= stop_after
            done = reach.any(axis=1)
            first = np.where(done, reach.argmax(axis=1) + 1, b)
            used[active] += first
            exceed[active] = np.where(done, stop_after, cum[:, -1])
            stopped[active] = done
        p = np.where(stopped, exceed / np.maximum(used, 1), (exceed + 1) / (used + 1))
        rows = np.arange(len(part.ids))
        out.append(
            pd.DataFrame(
                {
                    "curve_id": part.ids,
                    "sharp_statistic": observed,
                    "p_sharp": np.clip(p, 0.0, 1.0),
                    "sharp_draws": used.astype(int),
                    "noise_dispersion": phi,
                    "smooth_rss": fit.rss,
                    "smooth_width_decades": np.where(
                        cells.kind[fit.cell] == 0, cells.w[fit.cell] * 2 * np.log(9.0), np.inf
                    ),
                    "smooth_centre_log10": np.where(cells.kind[fit.cell] == 0, cells.centre[rows, fit.cell], np.nan),
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted q-values (NaN p-values are not tested and stay NaN)."""
    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if not m:
        return q
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return q


def sharpness_table(
    points: pd.DataFrame,
    floor: pd.Series,
    *,
    min_width: float,
    min_df: int,
    draws: int,
    stop_after: int,
    seed: int,
    statistic: str,
    fdr: float,
    family: pd.Series | None = None,
    progress: Callable[[list[Stack], int], Iterable[Stack]] | None = None,
) -> pd.DataFrame:
    """One row per curve: noise_source, p_sharp, q_sharp, sharp and the smooth fit's summary.

    `family` (bool by curve_id; default every curve) is the set of tests Benjamini-Hochberg
    controls; curves outside it keep their p_sharp, with q_sharp NaN and sharp False.
    """
    sigma, noise = curve_noise(points, min_width=min_width, min_df=min_df)
    parts = []
    stacks = stack_curves(points, sigma, floor)
    for st in progress(stacks, len(stacks)) if progress else stacks:
        testable = np.isfinite(st.sigma).all(axis=1)
        if testable.any():
            parts.append(
                p_sharp_stack(
                    st.take(np.flatnonzero(testable)),
                    min_width=min_width,
                    draws=draws,
                    stop_after=stop_after,
                    seed=seed,
                    statistic=statistic,
                )
            )
    table = noise.join(pd.concat(parts).set_index("curve_id") if parts else pd.DataFrame(index=noise.index))
    if "p_sharp" not in table:
        table["p_sharp"] = np.nan
    in_family = np.ones(len(table), dtype=bool) if family is None else family.reindex(table.index).fillna(False)
    table["q_sharp"] = benjamini_hochberg(table["p_sharp"].where(np.asarray(in_family, dtype=bool)).to_numpy())
    table["sharp"] = table["q_sharp"] <= fdr
    table.index.name = "curve_id"
    return table.reset_index()
