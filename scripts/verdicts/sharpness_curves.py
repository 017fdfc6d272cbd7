"""Rule sharpness_curves: is each curve sharper than a smooth curve plus its sampling noise?

docs/statistics.md, "Sharpness test". Per curve: the noise of every point
(`noise_source`: binomial from n_examples, reported, seeds, or residual about the smooth fit
pooled per (task, subtask, metric)), the best smooth fit inside the metric's range (sigmoids and
power laws whose rise is at least `min_width_decades` wide, lines), and `p_sharp`: the
parametric-bootstrap p-value of the statistic (`lr`: weighted RSS drop when a narrow upward rise
replaces the smooth fit, over the overdispersion factor re-estimated in every draw; or `es`, the
floored emergence score) over up to `draws` curves drawn from the least favourable smooth member
plus noise (sequential, Besag-Clifford: stops after `stop_after` exceedances). Benjamini-Hochberg
over the `fdr_scope` family (`testable`: every curve with known noise and enough points;
`preferred`: those of each task's preferred metric), fixed before the data are seen, gives
`q_sharp`; `sharp` is True (q_sharp <= `fdr`), False, or NA (not tested, or the rise is in a gap
wider than `min_width_decades` that the ladder cannot resolve), with `sharp_reason`.

Input: curves.parquet (not emergence.parquet: the ES floor of the `es` statistic is computed from
the points, so a new screen threshold does not rerun this test). Output: sharpness.parquet (one row per curve).
Params: sharpness (the config section, keys passed to `sharpness_table` under their config names),
zero_median_floor (the ES floor of the `es` statistic), label.
"""

import logging
from typing import Any

import pandas as pd

from scripts.lib.io import run_rule, write_parquet
from scripts.lib.progress import progress
from scripts.lib.stats.emergence import curve_es_floor
from scripts.lib.stats.sharpness import check_columns, sharpness_table

logger = logging.getLogger(__name__)


def run(
    *,
    curves: str,
    table: str,
    sharpness: dict[str, Any],
    zero_median_floor: float,
    label: str,
) -> None:
    points = pd.read_parquet(curves)
    check_columns(points, curves)
    points = points.sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)
    result = sharpness_table(
        points,
        curve_es_floor(points, float(zero_median_floor)),
        **sharpness,
        progress=lambda it, total: progress(it, total=total, desc="sharpness test", unit="stack", logger=logger),
    )
    write_parquet(result.sort_values("curve_id").reset_index(drop=True), table, label=label)
    for source, count in result["noise_source"].value_counts().sort_index().items():
        logger.info("noise %s: %d curves", source, count)
    logger.info(
        "%d curves tested (%s statistic, up to %d draws, %d on average); at FDR %g over the %s curves",
        int(result["p_sharp"].notna().sum()),
        sharpness["statistic"],
        int(sharpness["draws"]),
        int(result["sharp_draws"].mean()) if result["sharp_draws"].notna().any() else 0,
        sharpness["fdr"],
        sharpness["fdr_scope"],
    )
    for reason, count in result["sharp_reason"].value_counts().sort_index().items():
        logger.info("%s: %d curves", reason, count)


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
