"""The permutation kernel of the trend test (rule trend_pvalues): ES of every reordering of a curve's points.

H0 of one curve: its values carry no information about model size, so every ordering of its points
along the scale axis is equally likely. Shuffling tests "does performance depend on scale (a
trend)": a steady rise is far from its shuffles, while a flat-then-one-jump curve is not (most of its
shuffles keep a zero median step, ES = +inf), so a small p-value says "trend", not "sharp".

- Ties: ES values k/N rounded to 4 decimals make equal scores common, and two orderings with the
  same steps can differ in the last bits. `at_least` counts a permuted ES as reaching the observed
  one within the screen's relative tie tolerance (scripts/lib/stats/emergence.py TIE_TOLERANCE); +-inf are
  compared exactly (inf - tolerance would be nan).
- Exact p-values: when n! <= permutations, every ordering is enumerated once: p = #{orderings with
  ES >= observed} / n! (the observed ordering is one of them), `p_exact` = True. Otherwise p =
  (1 + #{random orderings with ES >= observed}) / (1 + permutations).
- The null count of a group of curves needs joint draws (draw j permutes every curve at once), so
  `permutations` random orderings are drawn for every curve, enumerated or not, from one seeded
  generator (the stream does not depend on which curves are enumerated).

Everything is numpy over (curves x orderings x points) blocks of at most `chunk_elements` values.
"""

import itertools
import logging
import math

import numpy as np
import pandas as pd

from scripts.lib.progress import meter
from scripts.lib.stats.emergence import TIE_TOLERANCE, above_threshold, es_matrix

logger = logging.getLogger(__name__)

CHUNK_ELEMENTS = 4_000_000
"""Values in one (curves x orderings x points) block; bounds memory (~32 MB per float array)."""


def at_least(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """values >= reference, counting values within the relative tie tolerance as equal; +-inf exactly."""
    ref = np.asarray(reference, dtype=float)
    tol = np.where(np.isfinite(ref), TIE_TOLERANCE * np.maximum(1.0, np.abs(ref)), 0.0)
    with np.errstate(invalid="ignore"):
        return np.asarray(values, dtype=float) >= ref - tol


def all_orderings(n: int) -> np.ndarray:
    """Every permutation of range(n) as an (n!, n) index array, the identity first."""
    return np.array(list(itertools.permutations(range(n))), dtype=np.intp).reshape(-1, n)


def curve_matrix(points: pd.DataFrame, curve_ids: np.ndarray, n: int) -> np.ndarray:
    """The y values of the given n-point curves as a (len(curve_ids), n) array, points in scale order."""
    sub = points[points["curve_id"].isin(curve_ids)].sort_values(["curve_id", "x"], kind="stable")
    order = sub["curve_id"].to_numpy()[::n]
    if len(sub) != n * len(curve_ids) or not np.array_equal(order, np.sort(curve_ids)):
        raise ValueError(f"curves.parquet: the curves listed with n_points={n} do not all have {n} points")
    y = sub["y"].to_numpy(dtype=float).reshape(-1, n)
    return y[np.searchsorted(order, curve_ids)]


def null_statistics(null: np.ndarray, observed: np.ndarray, thresholds: np.ndarray) -> dict[str, np.ndarray]:
    """From null ES (c, k): #{>= observed}, share above the threshold, 95% quantile, per row."""
    return {
        "n_ge": at_least(null, observed[:, None]).sum(axis=1),
        "exceed": above_threshold(null, thresholds[:, None]).mean(axis=1),
        "q95": np.quantile(null, 0.95, axis=1, method="inverted_cdf"),
    }


def random_block(y: np.ndarray, *, permutations: int, rng: np.random.Generator) -> np.ndarray:
    """ES of `permutations` random orderings of each row of y (c, n): shape (c, permutations)."""
    c, n = y.shape
    stacked = np.broadcast_to(y[:, None, :], (c, permutations, n))
    shuffled = rng.permuted(stacked.reshape(c * permutations, n), axis=-1)
    return es_matrix(shuffled).reshape(c, permutations)


def permutation_null(
    points: pd.DataFrame,
    emergence: pd.DataFrame,
    weights: np.ndarray,
    *,
    permutations: int,
    seed: int,
    chunk_elements: int = CHUNK_ELEMENTS,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Trend-test statistics of every curve of `emergence` and the null counts of weighted groups.

    `weights` (groups x curves, in the row order of `emergence`) says which curves each group
    counts; the null count of group g in draw j is sum_i weights[g, i] * [permuted ES_ij >
    threshold_i] (only curves passing the effect criterion should carry weight). Returns (per-curve
    frame in `emergence` order: es_check, n_ge, n_orderings, p_exact, p_value, exceed_any_effect (the
    share of orderings above the threshold, before the effect criterion), null_es_q95; null counts,
    groups x permutations). Draws are a pure function of (seed, the curves, chunk_elements): curves
    are visited by increasing n_points, then in row order.
    """
    if permutations < 1:
        raise ValueError(f"trend.permutations must be >= 1, got {permutations}")
    rng = np.random.default_rng(seed)
    n_curves = len(emergence)
    out = {
        "es_check": np.full(n_curves, np.nan),
        "n_ge": np.zeros(n_curves, dtype=np.int64),
        "n_orderings": np.zeros(n_curves, dtype=np.int64),
        "p_exact": np.zeros(n_curves, dtype=bool),
        "exceed_any_effect": np.zeros(n_curves),
        "null_es_q95": np.full(n_curves, np.nan),
    }
    counts = np.zeros((weights.shape[0], permutations))
    n_points = emergence["n_points"].to_numpy()
    ids = emergence["curve_id"].to_numpy()
    thresholds = emergence["threshold"].to_numpy(dtype=float)
    bar = meter(total=n_curves, desc="trend test", unit="curve", logger=logger)
    for n in (int(v) for v in np.unique(n_points)):
        rows = np.flatnonzero(n_points == n)
        y_all = curve_matrix(points, ids[rows], n)
        exact = math.factorial(n) <= permutations
        orderings = all_orderings(n) if exact else None
        width = len(orderings) if exact else permutations
        step = max(1, chunk_elements // (max(width, permutations) * n))
        for start in range(0, len(rows), step):
            block = rows[start : start + step]
            y = y_all[start : start + step]
            observed = es_matrix(y)
            drawn = random_block(y, permutations=permutations, rng=rng)
            null = es_matrix(y[:, orderings]) if exact else drawn
            stats = null_statistics(null, observed, thresholds[block])
            out["es_check"][block] = observed
            out["n_ge"][block] = stats["n_ge"]
            out["n_orderings"][block] = width
            out["p_exact"][block] = exact
            out["exceed_any_effect"][block] = stats["exceed"]
            out["null_es_q95"][block] = stats["q95"]
            counts += weights[:, block] @ above_threshold(drawn, thresholds[block][:, None])
            bar.update(len(block), note=f"{n}-point curves")
    bar.close()
    frame = pd.DataFrame(out, index=emergence.index)
    frame["p_value"] = np.where(
        frame["p_exact"], frame["n_ge"] / frame["n_orderings"], (1.0 + frame["n_ge"]) / (1.0 + permutations)
    )
    return frame, np.rint(counts).astype(np.int64)
