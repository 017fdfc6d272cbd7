"""The sampling noise of every point of a curve (docs/statistics.md, "Noise per point").

Sources, in order: `binomial` (a 0/1-per-example metric with a known n_examples: the
Agresti-Coull standard error, which does not collapse to 0 at a score of 0 or 1), `reported`
(a standard error the source gave), `seeds` (the spread over training seeds, SD / sqrt(runs);
where n_examples is known the test set's binomial variance is added, since runs on one test set
share its sampling error and three agreeing runs do not make a point exact), and `residual`
(unknown: the residual SD about the smooth fit, pooled over the curves of one (task, subtask,
metric), or of one metric when that pool has fewer than `min_df` degrees of freedom). A curve
with any point of unknown noise uses `residual` for all its points.
"""

import numpy as np
import pandas as pd

NOISE_SOURCES = ("binomial", "reported", "seeds", "residual")
SMOOTH_FIT_PARAMS = 4
"""Parameters of a smooth fit (a, b and the cell's centre and width) for residual degrees of freedom."""
MIN_SE_FRACTION = 1e-6
"""A standard error is at least this fraction of the metric's range (or of 1 when unbounded)."""
POOL_KEYS = ["task", "subtask", "metric"]


def metric_width(points: pd.DataFrame) -> np.ndarray:
    """high - low of each point's metric (config/metrics.yaml); NaN when unbounded."""
    width = (points["metric_high"] - points["metric_low"]).to_numpy(dtype=float)
    return np.where(np.isfinite(width) & (width > 0), width, np.nan)


def agresti_coull_se(value: np.ndarray, n: np.ndarray, low: np.ndarray, width: np.ndarray) -> np.ndarray:
    """SE of a proportion (in value units) with 2 pseudo-successes and 2 pseudo-failures.

    p~ = (p n + 2) / (n + 4), SE = width * sqrt(p~ (1 - p~) / (n + 4)): at p = 0 and n = 1000 it is
    0.0014 (not 0), at n = 20 it is 0.056.
    """
    p = np.clip((np.asarray(value, float) - low) / width, 0.0, 1.0)
    n = np.asarray(n, dtype=float)
    pt = (p * n + 2.0) / (n + 4.0)
    return width * np.sqrt(pt * (1.0 - pt) / (n + 4.0))


def point_sigma(points: pd.DataFrame) -> pd.DataFrame:
    """Per point: `sigma` (NaN where unknown) and `source` (binomial/reported/seeds or None)."""
    width = metric_width(points)
    n = points["n_examples"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    source = points["se_source"].astype(object).where(points["se_source"].notna(), None).to_numpy()
    given = points["value_se"].to_numpy(dtype=float)
    counted = np.isfinite(n) & (n > 0) & np.isfinite(width)
    low = points["metric_low"].to_numpy(dtype=float)
    binomial = agresti_coull_se(points["value"].to_numpy(float), np.where(counted, n, 1.0), low, width)
    seeds = (source == "seeds") & counted
    sigma = np.where((source == "binomial") & counted, binomial, given)
    sigma = np.where(seeds, np.sqrt(np.nan_to_num(given) ** 2 + binomial**2), sigma)
    floor = MIN_SE_FRACTION * np.where(np.isfinite(width), width, 1.0)
    known = np.isfinite(sigma) & np.isin(source.astype(str), NOISE_SOURCES[:3])
    sigma = np.where(known, np.maximum(sigma, floor), np.nan)
    return pd.DataFrame({"sigma": sigma, "source": np.where(known, source, None)}, index=points.index)


def curve_noise_source(curve_id: pd.Series, source: pd.Series) -> pd.Series:
    """Per curve: the points' source when every point has one, else `residual`."""
    keys = curve_id.to_numpy()
    known = source.notna().groupby(keys).all()
    first = source.groupby(keys).first()
    return first.where(known, "residual").rename("noise_source")


def pooled_residual_sigma(groups: pd.DataFrame, rss: np.ndarray, df: np.ndarray, *, min_df: int) -> np.ndarray:
    """Residual SD per curve, pooled over its (task, subtask, metric); per metric if that pool is thin.

    `groups` holds POOL_KEYS per curve (rows aligned with rss and df); RSS is unweighted.
    Returns NaN when even the metric's pool has no degrees of freedom.
    """
    frame = groups[POOL_KEYS].astype(str).reset_index(drop=True).assign(rss=rss, df=df)
    fine = frame.groupby(POOL_KEYS)[["rss", "df"]].transform("sum")
    coarse = frame.groupby("metric")[["rss", "df"]].transform("sum")
    use_fine = fine["df"] >= min_df
    pool_rss = np.where(use_fine, fine["rss"], coarse["rss"])
    pool_df = np.where(use_fine, fine["df"], coarse["df"])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pool_df > 0, np.sqrt(pool_rss / np.maximum(pool_df, 1)), np.nan)
