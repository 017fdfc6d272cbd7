"""Rule nonmonotone_curves: does each curve dip (U) or hump (inverted U) beyond its sampling noise?

docs/nonmonotone.md. Per curve, with each point's noise as the sharpness test has it (binomial from
n_examples, reported, seeds, or residual about the smooth fit pooled per task, subtask and metric;
scripts/lib/stats/sharpness.py `curve_noise`) and the metric's range (`bounds.y_bounds`): the
weighted monotone fit against the best unimodal fit, a parametric bootstrap from the monotone null
(scripts/lib/stats/nonmonotone.py). `nonmonotone` is True where p_nonmonotone < alpha, NA where the
curve has fewer than min_points distinct scales or no known noise; `nonmonotone_kind` U or inverted_U.
One test per curve, no multiplicity correction: the column answers "does this curve dip?", and the
calibration in docs/nonmonotone.md is per curve.

Input: curves.parquet. Output: nonmonotone.parquet (one row per curve). Params: nonmonotone (the
config section: alpha, draws, seed, min_points), sharpness (min_width_decades, residual_min_df: the
noise model), label.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import run_rule, write_parquet
from scripts.lib.stats.bounds import y_bounds
from scripts.lib.stats.nonmonotone import nonmonotone_curves
from scripts.lib.stats.sharpness import check_columns, curve_noise

logger = logging.getLogger(__name__)


def tested_points(points: pd.DataFrame, sharpness: dict[str, Any]) -> pd.DataFrame:
    """curve_id, x, y, sigma, y_low, y_high of every point with a known, positive noise (sorted).

    The binomial part of sigma is taken at the curve's mean value, not at each point's own: weights
    that move with each point's noise are not what the bootstrap draws, and made the test liberal
    (docs/nonmonotone.md, "Calibration": 27 of 300 monotone cells over the level, 0 of 200 on the
    BIG-G and GPT-3 ladders at the mean).
    """
    at_mean = points.assign(value=points.groupby("curve_id")["value"].transform("mean"))
    sigma, _ = curve_noise(
        at_mean,
        min_width_decades=float(sharpness["min_width_decades"]),
        residual_min_df=int(sharpness["residual_min_df"]),
    )
    bounds = y_bounds(points).reindex(points["curve_id"]).to_numpy()
    frame = points[["curve_id", "x", "y"]].assign(sigma=sigma, y_low=bounds[:, 0], y_high=bounds[:, 1])
    known = np.isfinite(frame["sigma"]) & (frame["sigma"] > 0) & np.isfinite(frame["y"])
    return frame[known].reset_index(drop=True)


def run(*, curves: str, table: str, nonmonotone: dict[str, Any], sharpness: dict[str, Any], label: str) -> None:
    points = pd.read_parquet(curves)
    check_columns(points, curves)
    points = points.sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)
    tested = nonmonotone_curves(
        tested_points(points, sharpness),
        alpha=float(nonmonotone["alpha"]),
        draws=int(nonmonotone["draws"]),
        seed=int(nonmonotone["seed"]),
        min_points=int(nonmonotone["min_points"]),
    )
    ids = pd.Index(np.sort(points["curve_id"].unique()), name="curve_id")
    result = tested.reindex(ids)
    result["nonmonotone"] = result["nonmonotone"].astype("boolean")
    write_parquet(result.reset_index(), table, label=label)
    kinds = result.loc[result["nonmonotone"].fillna(False).astype(bool), "nonmonotone_kind"].value_counts()
    logger.info(
        "%d curves, %d tested at alpha %g: %d U, %d inverted U",
        len(result),
        int(result["p_nonmonotone"].notna().sum()),
        float(nonmonotone["alpha"]),
        int(kinds.get("U", 0)),
        int(kinds.get("inverted_U", 0)),
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
