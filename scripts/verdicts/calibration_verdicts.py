"""Rule calibration_verdicts: thousands of SYNTHETIC curves with known truth through the pipeline's own tests.

docs/statistics.md, "Calibration". The expensive half of the calibration
(scripts/lib/stats/calibration_verdicts.py): per simulated curve on the real BIG-G, GPT-3 and PaLM
ladders, its cell (ladder, n, phi, shape), the truth (`rise_visible`), the verdicts `sharp`,
`unpredictable`, `covered`, and what the Mirage screen reads (ES, range, points). No screen
setting reaches it: rule calibration_study applies the screen, so a new threshold does not rerun
these tests.

Output: calibration/verdicts.parquet. Params: calibration, sharpness, backtest (config sections),
label; threads (the (ladder, n, phi) units run in parallel).
"""

import logging
from typing import Any

from scripts.lib.io import run_rule, write_parquet
from scripts.lib.stats.calibration_verdicts import verdict_table

logger = logging.getLogger(__name__)


def run(
    *,
    table: str,
    calibration: dict[str, Any],
    sharpness: dict[str, Any],
    backtest: dict[str, Any],
    label: str,
    threads: int = 1,
) -> None:
    curves = verdict_table(dict(calibration), dict(sharpness), dict(backtest), threads=int(threads))
    write_parquet(curves, table, label=label)
    logger.info(
        "%d curves in %d cells tested: %d sharp, %d unpredictable",
        len(curves),
        len(curves.drop_duplicates(["ladder", "n_examples", "phi", "shape"])),
        int(curves["sharp"].fillna(False).sum()),
        int(curves["unpredictable"].sum()),
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
