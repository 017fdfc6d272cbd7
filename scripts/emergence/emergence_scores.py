"""Rule emergence_scores: the emergence score and its companions for every curve (docs/design.md §3).

The definition, its edge rules and the screen (ES > threshold and range >= min_effect) live in
scripts/lib/stats/emergence.py; this rule applies them to every curve and writes the table.

Inputs: curves.parquet. Outputs: emergence.parquet, emergence.csv.
Params: zero_median_floor, emergence_threshold, min_effect, label.
"""

import logging

import pandas as pd

from scripts.lib.io import run_rule, write_csv, write_parquet
from scripts.lib.stats.emergence import score_curves

logger = logging.getLogger(__name__)


def run(
    *,
    curves: str,
    table: str,
    csv: str,
    zero_median_floor: float,
    emergence_threshold: float | str,
    min_effect: float,
    label: str,
) -> None:
    points = pd.read_parquet(curves)
    scored = score_curves(
        points,
        zero_median_floor=zero_median_floor,
        emergence_threshold=emergence_threshold,
        min_effect=min_effect,
    )
    write_parquet(scored, table, label=label)
    write_csv(scored, csv, label=label)
    logger.info(
        "%d curves scored, %d emergent (%d with infinite ES); threshold=%s, min_effect=%s",
        len(scored),
        int(scored["emergent"].sum()),
        int(scored["es_infinite"].sum()),
        emergence_threshold,
        min_effect,
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
