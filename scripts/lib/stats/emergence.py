"""The emergence criterion, defined once: the emergence score (ES), its floored companion, and the
"emergent" rule (docs/design.md §3). Every rule that asks "is this curve emergent?" uses these.

With points sorted by increasing scale x_1 < ... < x_n and (oriented) values y_i:

    ES = sign(argmax y - argmin y) * (max y - min y) / sqrt(median_i (y_i - y_{i-1})^2)

which is the Mirage paper's emergence score and BIG-bench's "breakthroughness". Edge rules:
all y equal -> 0; a zero median with a positive range -> +-inf (`es_infinite`), with the finite
`es_floored` whose denominator is at least `zero_median_floor` x the metric's range (the curve's
own range when the metric is unbounded). A curve passes the screen when ES > threshold (auto =
n_points - 1, the ES of a straight line) and its range is at least `min_effect` x the metric's
range (not checked for unbounded metrics; `effect_checked` says which). Ties in argmax/argmin
take the first (smallest-scale) point. Everything is grouped numpy/pandas over all curves at once.
"""

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from scripts.lib.curve_schema import CURVE_KEYS

TIE_TOLERANCE = 1e-9
"""ES within this relative distance of the threshold counts as equal to it (not emergent)."""
CURVE_COLUMNS = CURVE_KEYS + ["is_preferred", "known_metric", "higher_is_better", "oriented"]


def curve_statistics(points: pd.DataFrame) -> pd.DataFrame:
    """Per curve_id: n_points, range, ES, its RMS companion, Spearman rho, scale of the largest jump.

    `points` has columns curve_id, x, y, one row per point (x distinct within a curve).
    """
    pts = points[["curve_id", "x", "y"]].sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)
    cid = pts["curve_id"].to_numpy()
    y = pts["y"].to_numpy(dtype=float)
    x = pts["x"].to_numpy(dtype=float)
    first = np.r_[True, cid[1:] != cid[:-1]]
    diff = np.where(first, np.nan, y - np.r_[np.nan, y[:-1]])
    pts["pos"] = pts.groupby("curve_id").cumcount()
    pts["d2"] = diff**2
    pts["diff"] = diff

    by = pts.groupby("curve_id", sort=True)
    stats = pd.DataFrame(
        {
            "n_points": by.size(),
            "x_min": by["x"].min(),
            "x_max": by["x"].max(),
            "y_min": by["y"].min(),
            "y_max": by["y"].max(),
            "y_first": by["y"].first(),
            "y_last": by["y"].last(),
            "median_d2": by["d2"].median(),
            "mean_d2": by["d2"].mean(),
        }
    )
    pos = pts["pos"].to_numpy()
    stats["pos_max"] = pos[by["y"].idxmax().to_numpy()]
    stats["pos_min"] = pos[by["y"].idxmin().to_numpy()]
    spread = (stats["y_max"] - stats["y_min"]).to_numpy()
    sign = np.sign(stats["pos_max"] - stats["pos_min"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        es = np.where(spread == 0, 0.0, sign * spread / np.sqrt(stats["median_d2"].to_numpy()))
        es_rms = np.where(spread == 0, 0.0, sign * spread / np.sqrt(stats["mean_d2"].to_numpy()))
    stats["range"] = spread
    stats["sign"] = sign
    stats["es"] = es
    stats["es_infinite"] = np.isinf(es)
    stats["es_rms"] = es_rms

    # Spearman rho = Pearson correlation of within-curve ranks (average ranks for ties).
    rx = by["x"].rank()
    ry = by["y"].rank()
    ranks = pd.DataFrame({"curve_id": cid, "rx": rx, "ry": ry, "rxy": rx * ry, "rx2": rx**2, "ry2": ry**2})
    m = ranks.groupby("curve_id", sort=True).mean()
    cov = m["rxy"] - m["rx"] * m["ry"]
    var = (m["rx2"] - m["rx"] ** 2) * (m["ry2"] - m["ry"] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        stats["spearman_rho"] = np.where(var > 1e-12, cov / np.sqrt(var.clip(lower=1e-300)), np.nan)

    # Scale at which the largest single increase happens (upper point of that step).
    jump_idx = pts["diff"].fillna(-np.inf).groupby(cid).idxmax().to_numpy()
    jump = diff[jump_idx]
    stats["scale_of_max_jump"] = np.where(jump > 0, x[jump_idx], np.nan)
    return stats.drop(columns=["pos_max", "pos_min", "mean_d2"])


def es_matrix(y: np.ndarray, *, floor: float | np.ndarray = 0.0) -> np.ndarray:
    """ES of every row of `y` (shape (..., n), points in increasing-scale order along the last axis).

    The same definition and edge rules as `curve_statistics`, as one numpy kernel for stacks of
    equal-length curves (the permutation null): all y equal -> 0; zero median of the squared steps
    with a positive range -> +-inf; ties in argmax/argmin take the first point. Rows must be finite.
    `floor` > 0 gives `es_floored`: the denominator is at least `floor` (broadcast against rows).
    """
    y = np.asarray(y, dtype=float)
    n = y.shape[-1]
    if n < 2 or y.size == 0:
        spread = y.max(axis=-1) - y.min(axis=-1)
        sign = np.sign(y.argmax(axis=-1) - y.argmin(axis=-1))
        median_d2 = np.median(np.diff(y, axis=-1) ** 2, axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(spread == 0, 0.0, sign * spread / np.maximum(np.sqrt(median_d2), floor))
    # The same numbers as max/min/median over the last axis, ~3x faster on the short rows of the
    # permutation null (docs/performance.md): reductions over rows of 4-12 values pay numpy's per-row overhead
    # once per call here, not five times. max/min are read at argmax/argmin; the median is the
    # middle of a sorted row (mean of the two middle values for an even count), NaN when the row
    # holds a NaN (sort puts NaN last), exactly as np.median.
    i_max = y.argmax(axis=-1)
    i_min = y.argmin(axis=-1)
    spread = np.take_along_axis(y, i_max[..., None], -1)[..., 0] - np.take_along_axis(y, i_min[..., None], -1)[..., 0]
    sign = np.sign(i_max - i_min)
    d2 = np.diff(y, axis=-1)
    np.multiply(d2, d2, out=d2)
    d2.sort(axis=-1)
    m = n - 1
    middle = d2[..., m // 2] if m % 2 else (d2[..., m // 2 - 1] + d2[..., m // 2]) / 2
    median_d2 = np.where(np.isnan(d2[..., -1]), np.nan, middle)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spread == 0, 0.0, sign * spread / np.maximum(np.sqrt(median_d2), floor))


def curve_ranges(curves: pd.DataFrame) -> pd.DataFrame:
    """Per curve_id: the (low, high) range used to normalise it.

    The preferred metric's range is the entry's own low_score/high_score (BIG-bench states them
    for it only); every other metric uses config/metrics.yaml. NaN = unknown/unbounded.
    """
    first = curves.groupby("curve_id", sort=True).first()
    entry_ok = first["is_preferred"] & first["low_score"].notna() & first["high_score"].notna()
    low = np.where(entry_ok, first["low_score"], first["metric_low"])
    high = np.where(entry_ok, first["high_score"], first["metric_high"])
    return pd.DataFrame({"low": low.astype(float), "high": high.astype(float)}, index=first.index)


def score_curves(
    curves: pd.DataFrame,
    *,
    zero_median_floor: float,
    emergence_threshold: float | str,
    min_effect: float,
) -> pd.DataFrame:
    """One row per curve: identity, statistics, es_floored, effect, threshold and the emergent flag."""
    stats = curve_statistics(curves)
    ranges = curve_ranges(curves)
    ident = curves.groupby("curve_id", sort=True)[CURVE_COLUMNS + ["n_nan_dropped"]].first()
    dups = curves.groupby("curve_id", sort=True)["n_duplicates"].sum()
    table = ident.join(stats).join(ranges)
    table["n_duplicates"] = dups

    width = (table["high"] - table["low"]).abs()
    bounded = np.isfinite(width) & (width > 0)
    floor = es_floor(table["low"], table["high"], table["range"], zero_median_floor)
    denom = np.maximum(np.sqrt(table["median_d2"]), floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["es_floored"] = np.where(table["range"] == 0, 0.0, table["sign"] * table["range"] / denom)
        table["effect"] = np.where(bounded, table["range"] / width, np.nan)
    table["effect_checked"] = bounded
    fixed = threshold_value(emergence_threshold)
    table["threshold"] = auto_threshold(table["n_points"]) if np.isnan(fixed) else fixed
    table["threshold_rule"] = "auto" if np.isnan(fixed) else "fixed"
    table["min_effect"] = float(min_effect)
    big_enough = effect_ok(table["effect"], table["effect_checked"], min_effect)
    table["emergent"] = above_threshold(table["es"], table["threshold"]) & big_enough
    table = table.drop(columns=["sign", "median_d2"]).reset_index()
    order = [
        "curve_id",
        *CURVE_COLUMNS,
        "n_points",
        "n_nan_dropped",
        "n_duplicates",
        "x_min",
        "x_max",
        "low",
        "high",
        "y_min",
        "y_max",
        "y_first",
        "y_last",
        "range",
        "es",
        "es_floored",
        "es_infinite",
        "es_rms",
        "effect",
        "effect_checked",
        "spearman_rho",
        "scale_of_max_jump",
        "threshold",
        "threshold_rule",
        "min_effect",
        "emergent",
    ]
    return table[order]


def es_floor(low: ArrayLike, high: ArrayLike, value_range: ArrayLike, zero_median_floor: float) -> np.ndarray:
    """The floor of ES's denominator: `zero_median_floor` x the metric's range (the curve's own range for
    an unbounded metric), so a flat-then-jump curve gets a finite `es_floored` (docs/design.md §3.2)."""
    width = np.abs(np.asarray(high, dtype=float) - np.asarray(low, dtype=float))
    bounded = np.isfinite(width) & (width > 0)
    return zero_median_floor * np.where(bounded, width, np.asarray(value_range, dtype=float))


def curve_es_floor(curves: pd.DataFrame, zero_median_floor: float) -> pd.Series:
    """`es_floor` per curve_id, from the points alone (curve_ranges and each curve's y range).

    The same numbers as es_floor over emergence.parquet's low, high and range, without reading it:
    a rule that needs only the floor then does not rerun when the screen's threshold changes.
    """
    ranges = curve_ranges(curves)
    y = curves.groupby("curve_id", sort=True)["y"]
    spread = (y.max() - y.min()).reindex(ranges.index)
    return pd.Series(es_floor(ranges["low"], ranges["high"], spread, zero_median_floor), index=ranges.index)


def effect_ok(effect: np.ndarray, effect_checked: np.ndarray, min_effect: float | np.ndarray) -> np.ndarray:
    """The screen's effect criterion: range >= min_effect x the metric's range (unbounded: not checked)."""
    checked = np.asarray(effect_checked, dtype=bool)
    with np.errstate(invalid="ignore"):
        return ~checked | (np.asarray(effect, dtype=float) >= min_effect)


def above_threshold(es: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """The screen's "ES > threshold", with a relative tie tolerance.

    A straight line of decimal values can score n - 1 + 2e-15 in floating point, and must not count.
    """
    threshold = np.asarray(threshold, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.asarray(es, dtype=float) - threshold > TIE_TOLERANCE * np.maximum(1.0, np.abs(threshold))


def threshold_value(emergence_threshold: float | str) -> float:
    """The config's emergence_threshold as a number, NaN for "auto" (the one place that spells "auto")."""
    return math.nan if str(emergence_threshold) == "auto" else float(emergence_threshold)


SETTING_COLUMNS = ["threshold", "threshold_rule", "min_effect"]
"""The columns of a scored table that say how it was screened."""


def screen_setting(scored: pd.DataFrame) -> tuple[float | str, float]:
    """(emergence_threshold, min_effect) as the config spells them, read back from a scored table.

    Captions state what the table was screened with, not what a param says; NaN, NaN for no curves.
    """
    if scored.empty:
        return math.nan, math.nan
    first = scored.iloc[0]
    threshold = "auto" if first["threshold_rule"] == "auto" else float(first["threshold"])
    return threshold, float(first["min_effect"])


def auto_threshold(n_points: np.ndarray | pd.Series) -> np.ndarray:
    """The default threshold: n_points - 1, the ES of a perfectly straight line."""
    return np.asarray(n_points, dtype=float) - 1.0
