"""The sharpness test: is a curve sharper than any smooth curve plus its noise? (docs/statistics.md)

H0: y_i = f(log10 x_i) + e_i, f in the smooth family of `smooth_fit` (sigmoids and power laws
whose 10-90 % rise takes at least `min_width_decades`, straight lines), every member inside the
metric's range (`bounds`), e_i ~ N(0, phi sigma_i^2) with the noise of `noise` and an
overdispersion factor phi >= 1. The statistic is `lr` (the drop in weighted RSS when a step or a
narrower upward rise replaces the best smooth fit, over the estimated phi) or `es` (the floored
emergence score). Its null distribution is a parametric bootstrap from the least favourable
member of H0, refitted, with phi re-estimated in every draw. The p-value (1 + #{T* >= T}) /
(1 + m) stops early, by Besag & Clifford's (1991) rule, once `stop_after` draws have reached the
observed value. Benjamini-Hochberg over the `fdr_scope` family gives q; `sharp` is True / False /
NA (a rise in a gap wider than `min_width_decades`, which no test on this ladder can resolve).
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scripts.lib.stats.bounds import Bounds, bounds_for, fit_bounded, least_rss, whiten, y_bounds
from scripts.lib.stats.emergence import es_matrix
from scripts.lib.stats.multiplicity import benjamini_hochberg
from scripts.lib.stats.noise import (
    SMOOTH_FIT_PARAMS,
    curve_noise_source,
    metric_width,
    point_sigma,
    pooled_residual_sigma,
)
from scripts.lib.stats.smooth_fit import Cells, Projection, build_cells, project

logger = logging.getLogger(__name__)

BATCH = 100
"""Draws per round of the sequential bootstrap."""
CHUNK = 100
"""Curves per block of work (bounds memory at ~10 x CHUNK x cells x BATCH floats)."""
STAT_TOLERANCE = 1e-9
"""A draw ties with the observed statistic within this relative distance (counts as >=)."""
MIN_POINTS = SMOOTH_FIT_PARAMS + 1
"""Fewer points than this leave no residual degree of freedom: sharp is NA (not tested)."""
FDR_SCOPES = ("testable", "preferred")
"""Benjamini-Hochberg families, both fixed before the data are seen (docs/statistics.md): every curve
with known noise and at least MIN_POINTS points, or those of each task's preferred metric only."""


@dataclass(frozen=True)
class Stack:
    """Curves of equal length as arrays: ids (C,), t = log10 x, y, sigma (C, n), ES floor (C,),
    and the metric's range in y units (C, 2) (`bounds.y_bounds`; NaN or None = unbounded)."""

    ids: np.ndarray
    t: np.ndarray
    y: np.ndarray
    sigma: np.ndarray
    floor: np.ndarray
    bounds: np.ndarray | None = None

    def take(self, rows: np.ndarray | slice) -> "Stack":
        bounds = None if self.bounds is None else self.bounds[rows]
        return Stack(self.ids[rows], self.t[rows], self.y[rows], self.sigma[rows], self.floor[rows], bounds)

    def lo_hi(self) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi) (C,), NaN where unbounded."""
        if self.bounds is None:
            return np.full(len(self.ids), np.nan), np.full(len(self.ids), np.nan)
        return self.bounds[:, 0], self.bounds[:, 1]


def stack_curves(points: pd.DataFrame, sigma: np.ndarray, floor: pd.Series | None = None) -> list[Stack]:
    """Group points (curve_id, x, y; sorted by curve_id, x) into Stacks by number of points, with
    each curve's `y_bounds`."""
    frame = points[["curve_id", "x", "y"]].assign(sigma=sigma)
    sizes = frame.groupby("curve_id", sort=True).size()
    bounds = y_bounds(points)
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
                bounds=bounds.reindex(ids_arr)[["y_low", "y_high"]].to_numpy(float),
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


def curve_noise(
    points: pd.DataFrame, *, min_width_decades: float, residual_min_df: int
) -> tuple[np.ndarray, pd.DataFrame]:
    """Per point sigma (aligned with `points`), and per curve noise_source and residual SD used.

    `points` must be sorted by curve_id, x (as curves.parquet is). The residual SD is taken about
    the best bounded smooth fit, unweighted.
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
                cells = build_cells(st.t, min_width_decades=min_width_decades)
                g = cells.basis(st.t)
                pr = project(g, st.sigma)
                bd = bounds_for(cells, g, pr, *st.lo_hi())
                rss[st.ids] = least_rss(bd, *whiten(st.y, st.sigma, pr), cells.smooth_cols, upward=False)
                dof[st.ids] = max(st.t.shape[1] - SMOOTH_FIT_PARAMS, 0)
        keys = sub.groupby("curve_id", sort=True)[["task", "subtask", "metric"]].first().reindex(residual_ids)
        sd = pooled_residual_sigma(keys, rss.to_numpy(), dof.to_numpy(), min_df=residual_min_df)
        width = pd.Series(metric_width(sub), index=sub.index).groupby(sub["curve_id"]).first().reindex(residual_ids)
        floor = 1e-6 * np.where(np.isfinite(width), width, 1.0)
        sd = np.where(np.isfinite(sd), np.maximum(sd, floor), np.nan)
        per_curve.loc[residual_ids, "noise_sd_residual"] = sd
        sigma[mask] = pd.Series(sd, index=residual_ids).reindex(sub["curve_id"]).to_numpy()
    return sigma, per_curve


def dispersion(rss_min: np.ndarray, n: int) -> np.ndarray:
    """phi = max(1, RSS / (n - 4)) of the best bounded fit (smooth or narrow) of n points."""
    return np.maximum(1.0, rss_min / max(n - SMOOTH_FIT_PARAMS, 1))


def lr_statistic(rss_smooth: np.ndarray, rss_narrow: np.ndarray, n: int) -> np.ndarray:
    """(best smooth RSS - best upward narrow RSS)^+ / phi: the LR statistic with phi estimated.

    Dividing by the estimated phi, in the data and in every bootstrap draw alike, carries phi's
    estimation (n - 4 = 1-8 df) into the test (docs/statistics.md, "Overdispersion"); treated as
    known, it made the tests anti-conservative with few points. A bootstrap rather than
    an F reference, because the statistic maximises over cells and the fits are bounded.
    """
    phi = dispersion(np.minimum(rss_smooth, rss_narrow), n)
    return np.clip(rss_smooth - rss_narrow, 0.0, None) / phi


TEST_COLUMNS = ("sharp_statistic", "p_sharp", "sharp_draws", "noise_dispersion", "smooth_rss", "rise_gap_decades")
"""The columns `p_sharp_stack` adds per tested curve."""


def p_sharp_stack(
    st: Stack,
    *,
    min_width_decades: float,
    draws: int,
    stop_after: int,
    seed: int,
    statistic: str,
) -> pd.DataFrame:
    """p_sharp of every curve of one Stack: statistic, p-value, draws used, phi, the smooth fit,
    and `rise_gap_decades`, the width of the gap holding the best upward narrow rise (NaN if no
    narrow rise fits better than the smooth family)."""
    n = st.t.shape[1]
    out = []
    for start in range(0, len(st.ids), CHUNK):
        part = st.take(slice(start, start + CHUNK))
        cells = build_cells(part.t, min_width_decades=min_width_decades)
        g = cells.basis(part.t)
        pr = project(g, part.sigma)
        bd = bounds_for(cells, g, pr, *part.lo_hi())
        rss_s = least_rss(bd, *whiten(part.y, part.sigma, pr), cells.smooth_cols, upward=False)
        narrow = fit_bounded(part.y, part.sigma, pr, bd, np.arange(cells.narrow_cols.start, len(cells.kind)))
        j, rss_n = narrow.best(upward=True)
        narrow_cell = narrow.cols[j]
        phi = dispersion(np.minimum(rss_s, rss_n), n)
        gap = np.diff(part.t, axis=1)[np.arange(len(j)), j % (n - 1)]
        # Draws come from the least favourable member of H0: the best bounded fit among the sharpest
        # smooth shapes (width = min_width_decades), plus noise of sd sqrt(phi) sigma.
        edge = fit_bounded(part.y, part.sigma, pr, bd, np.flatnonzero(cells.boundary))
        null_j, _ = edge.best()
        null_cell, null = edge.cols[null_j], edge.fitted(null_j, g)
        if statistic == "lr":
            observed = lr_statistic(rss_s, rss_n, n)
        else:
            observed = es_matrix(part.y, floor=part.floor)
        tol = STAT_TOLERANCE * np.maximum(1.0, np.abs(observed))
        exceed = np.zeros(len(part.ids))
        used = np.zeros(len(part.ids))
        # An lr statistic of 0 is reached by every draw: p = 1 without drawing.
        settled = observed <= 0 if statistic == "lr" else np.zeros(len(part.ids), dtype=bool)
        stopped = settled.copy()
        scale = np.sqrt(phi)
        fw = null / part.sigma
        # One stream per (seed, curve length, chunk, round): reruns draw the same numbers. The first
        # round is short (most curves stop after about 2 stop_after draws); later rounds draw about
        # CHUNK x BATCH curve-draws, so the few curves with small p-values take few long rounds.
        round_, total = 0, 0
        while total < draws and not stopped.all():
            active = np.flatnonzero(~stopped)
            b = min(2 * stop_after if round_ == 0 else max(BATCH, CHUNK * BATCH // len(active)), draws - total)
            z = np.random.default_rng([seed, n, start, round_]).standard_normal((b, n))
            if statistic == "lr":
                tstar = _lr_draws(
                    z, scale[active], fw[active], pr, bd, cells, active, (null_cell[active], narrow_cell[active])
                )
            else:
                ystar = null[active][:, None, :] + (scale[active, None] * part.sigma[active])[:, None, :] * z[None]
                tstar = es_matrix(ystar, floor=np.broadcast_to(part.floor[active, None], ystar.shape[:-1]))
            hit = tstar >= (observed[active] - tol[active])[:, None]
            cum = exceed[active][:, None] + np.cumsum(hit, axis=1)
            reach = cum >= stop_after
            done = reach.any(axis=1)
            first = np.where(done, reach.argmax(axis=1) + 1, b)
            used[active] += first
            exceed[active] = np.where(done, stop_after, cum[:, -1])
            stopped[active] = done
            round_, total = round_ + 1, total + b
        p = np.where(stopped, exceed / np.maximum(used, 1), (exceed + 1) / (used + 1))
        p = np.where(settled, 1.0, p)
        out.append(
            pd.DataFrame(
                {
                    "curve_id": part.ids,
                    "sharp_statistic": observed,
                    "p_sharp": np.clip(p, 0.0, 1.0),
                    "sharp_draws": used.astype(int),
                    "noise_dispersion": phi,
                    "smooth_rss": rss_s,
                    "rise_gap_decades": np.where(rss_n < rss_s, gap, np.nan),
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def _lr_draws(
    z: np.ndarray,
    scale: np.ndarray,
    fw: np.ndarray,
    pr: Projection,
    bd: Bounds,
    cells: Cells,
    active: np.ndarray,
    anchors: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """The `lr` statistic of draws y~* = fw + scale z (whitened; z (B, n) shared by the curves) -> (C, B).

    Every projection is one matrix product, (B, n) @ (n, curves x cells), and only the few cells
    whose unconstrained fit leaves the bounds are solved again (`least_rss`), starting from the
    `anchors` (C,): the cell each draw came from and the data's best narrow cell.
    """
    b, n = z.shape
    q, q1 = pr.q[active], pr.q1[active]
    bd = bd.rows(active)
    proj = (z @ (q * scale[:, None, None]).reshape(-1, n).T).reshape(b, len(active), -1)
    proj += np.einsum("ckn,cn->ck", q, fw)[None]
    p1 = np.einsum("cn,cn->c", q1, fw)[None] + scale[None] * (z @ q1.T)
    yy = np.sum(fw**2, axis=1)[None] + 2.0 * scale[None] * (z @ fw.T) + scale[None] ** 2 * np.sum(z**2, axis=1)[:, None]
    r0 = yy - p1**2
    rss_s = least_rss(bd, p1, proj, r0, cells.smooth_cols, upward=False, anchor=anchors[0])
    rss_n = least_rss(bd, p1, proj, r0, cells.narrow_cols, upward=True, anchor=anchors[1])
    return lr_statistic(rss_s, rss_n, n).T


def sharp_verdict(
    table: pd.DataFrame, in_family: np.ndarray, *, fdr: float, min_width_decades: float
) -> tuple[pd.Series, pd.Series]:
    """`sharp` (nullable boolean) and `sharp_reason` from p/q_sharp, the points and the rise's gap.

    NA where the test cannot answer: unknown noise, fewer than MIN_POINTS points, outside the
    BH family, or the best narrow rise sits in a gap wider than min_width_decades (a rise of the
    smooth family's boundary width fits inside it, so no member of H0 can be rejected there).
    """
    q = table["q_sharp"].to_numpy(float)
    gap = table["rise_gap_decades"].to_numpy(float)
    rules = [  # (condition, reason, sharp); the first that holds decides
        (table["n_points"].to_numpy(float) < MIN_POINTS, f"not tested: fewer than {MIN_POINTS} points", None),
        (table["p_sharp"].isna().to_numpy(), "not tested: noise unknown", None),
        (~in_family, "not tested: outside the fdr_scope family", None),
        (gap > min_width_decades, "unresolvable: the rise is in a gap wider than min_width_decades", None),
        (q <= fdr, "sharp: q_sharp <= fdr", True),
        (np.isnan(gap), "smooth: no narrow rise fits better", False),
        (np.ones(len(q), dtype=bool), "smooth: q_sharp > fdr", False),
    ]
    choice = np.select([cond for cond, _, _ in rules], np.arange(len(rules)))
    reason = np.array([r for _, r, _ in rules], dtype=object)[choice]
    value = np.array([v for _, _, v in rules], dtype=object)[choice]
    sharp = pd.array(np.where(value == None, pd.NA, value), dtype="boolean")  # noqa: E711 (element-wise)
    return pd.Series(sharp, index=table.index), pd.Series(reason, index=table.index)


def sharpness_table(
    points: pd.DataFrame,
    floor: pd.Series,
    *,
    min_width_decades: float,
    residual_min_df: int,
    draws: int,
    stop_after: int,
    seed: int,
    statistic: str,
    fdr: float,
    fdr_scope: str = "testable",
    progress: Callable[[list[Stack], int], Iterable[Stack]] | None = None,
) -> pd.DataFrame:
    """One row per curve: noise_source, p_sharp, q_sharp, sharp (True / False / NA), sharp_reason.

    Benjamini-Hochberg controls the `fdr_scope` family (FDR_SCOPES): every testable curve, or
    those of the preferred metric (`is_preferred`); neither is chosen by looking at the curve, so
    the test's own jump does not select its family (the Mirage screen did: docs/statistics.md).
    """
    if fdr_scope not in FDR_SCOPES:
        raise ValueError(f"fdr_scope must be one of {FDR_SCOPES}, got {fdr_scope!r}")
    sigma, noise = curve_noise(points, min_width_decades=min_width_decades, residual_min_df=residual_min_df)
    parts = []
    stacks = stack_curves(points, sigma, floor)
    for st in progress(stacks, len(stacks)) if progress else stacks:
        testable = np.isfinite(st.sigma).all(axis=1)
        if testable.any() and st.t.shape[1] >= MIN_POINTS:
            parts.append(
                p_sharp_stack(
                    st.take(np.flatnonzero(testable)),
                    min_width_decades=min_width_decades,
                    draws=draws,
                    stop_after=stop_after,
                    seed=seed,
                    statistic=statistic,
                )
            )
    table = noise.join(pd.concat(parts).set_index("curve_id") if parts else pd.DataFrame(index=noise.index))
    for column in TEST_COLUMNS:  # a run where no curve can be tested still writes every column
        if column not in table:
            table[column] = np.nan
    table["n_points"] = points.groupby("curve_id").size().reindex(table.index)
    in_family = table["p_sharp"].notna().to_numpy()
    if fdr_scope == "preferred":
        in_family &= (
            points.groupby("curve_id")["is_preferred"].first().reindex(table.index).fillna(False).to_numpy(bool)
        )
    table["q_sharp"] = benjamini_hochberg(table["p_sharp"].where(in_family).to_numpy())
    table["sharp"], table["sharp_reason"] = sharp_verdict(
        table, in_family, fdr=fdr, min_width_decades=min_width_decades
    )
    table.index.name = "curve_id"
    return table.reset_index()
