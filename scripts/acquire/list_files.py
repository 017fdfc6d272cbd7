"""Rule list_files: the manifest (path, size, sha256) of the scores files of a local snapshot.

Input: a folder holding bigbench/benchmark_tasks (a BIG-bench clone or the synthetic sample).
Output: manifest.csv, the same format as the github download's (scripts/lib/sources/manifest.py).
"""

import logging

from scripts.lib.io import run_rule, write_csv
from scripts.lib.sources.manifest import NOT_REGULAR_SHA256, build_manifest, find_results_files

logger = logging.getLogger(__name__)


def run(*, snapshot: str, manifest: str) -> None:
    files = find_results_files(snapshot)
    if not files:
        raise FileNotFoundError(f"{snapshot}: no bigbench/benchmark_tasks/*/results/scores_*.json files")
    table = build_manifest(snapshot, files)
    write_csv(table, manifest)
    logger.info("%d scores files, %.1f MB, under %s", len(table), table["size"].sum() / 1e6, snapshot)
    irregular = table.loc[table["sha256"] == NOT_REGULAR_SHA256, "path"].tolist()
    if irregular:
        logger.warning(
            "%d path(s) named like scores files are not regular files (parse_scores reports them): %s",
            len(irregular),
            ", ".join(irregular),
        )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
