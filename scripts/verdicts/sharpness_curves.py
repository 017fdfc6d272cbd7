"""Rule sharpness_curves: is each curve sharper than a smooth curve plus its sampling noise?

docs/statistics.md, "Sharpness test". Per curve: the noise of every point
(`noise_source`: binomial from n_examples, reported, seeds, or residual about the smooth fit
pooled per (task, subtask, metric)), the best smooth fit (logistic at least `min_width_decades`
wide, line or power law in log N), and `p_sharp`: the parametric-bootstrap p-value of the
statistic (`lr`: weighted RSS drop when a narrow upward rise replaces the smooth fit; or `es`,
the floored emergence score) over up to `draws` curves drawn from the fitted smooth H0 plus noise
(sequential, Besag-Clifford: stops after `stop_after` exceedances). Every curve gets p_sharp;
Benjamini-Hochberg over the `fdr_scope` family (`screened`: the curves that pass the Mirage
screen, the question asked of them; `all`: every curve) gives `q_sharp`; `sharp` = q_sharp <= `fdr`.
Why not always all: the smallest Monte-Carlo p-value is 1 / (1 + draws), and BH over 33,000
curves cannot pass any curve unless hundreds sit at that floor.

Inputs: curves.parquet, emergence.parquet. Output: sharpness.parquet (one row per curve).
Params: min_width_decades, draws, stop_after, seed, statistic, fdr, fdr_scope, residual_min_df,
zero_median_floor (the ES floor of the `es` statistic), label.
"""

import logging

import numpy as np
import pandas as pd

from scripts.lib.io import run_rule, write_parquet
from scripts.lib.progress import progress
from scripts.lib.stats.sharpness import check_columns, sharpness_table

logger = logging.getLogger(__name__)


def es_floor(scored: pd.DataFrame, zero_median_floor: float) -> pd.Series:
    """The ES denominator floor per curve_id, as the emergence rule sets it."""
    width = (scored["high"] - scored["low"]).abs()
    bounded = np.isfinite(width) & (width > 0)
    return pd.Series(zero_median_floor * np.where(bounded, width, scored["range"]), index=scored["curve_id"].to_numpy())


def run(
    *,
    curves: str,
    emergence: str,
    table: str,
    min_width_decades: float,
    draws: int,
    stop_after: int,
    seed: int,
    statistic: str,
    fdr: float,
    fdr_scope: str,
    residual_min_df: int,
    zero_median_floor: float,
    label: str,
) -> None:
    points = pd.read_parquet(curves)
    check_columns(points, curves)
    points = points.sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)
    scored = pd.read_parquet(emergence)
    result = sharpness_table(
        points,
        es_floor(scored, float(zero_median_floor)),
        min_width=float(min_width_decades),
        min_df=int(residual_min_df),
        draws=int(draws),
        stop_after=int(stop_after),
        seed=int(seed),
        statistic=str(statistic),
        fdr=float(fdr),
        family=scored.set_index("curve_id")["emergent"].astype(bool) if fdr_scope == "screened" else None,
        progress=lambda it, total: progress(it, total=total, desc="sharpness test", unit="stack", logger=logger),
    )
    write_parquet(result.sort_values("curve_id").reset_index(drop=True), table, label=label)
    for source, count in result["noise_source"].value_counts().sort_index().items():
        logger.info("noise %s: %d curves", source, count)
    logger.info(
        "%d curves tested (%s statistic, up to %d draws, %d on average); %d sharp at FDR %g over the %s curves",
        int(result["p_sharp"].notna().sum()),
        statistic,
        int(draws),
        int(result["sharp_draws"].mean()) if result["sharp_draws"].notna().any() else 0,
        int(result["sharp"].sum()),
        fdr,
        fdr_scope,
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
