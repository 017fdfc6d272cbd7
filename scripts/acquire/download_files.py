"""Rule download_files: the scores files of one BIG-bench commit, fetched from GitHub into a cache.

Input: none (the commit was resolved at DAG-build time by common.smk).
Output: manifest.csv (path, size, sha256) over the cache folder, the same format as list_files'.
Params: repo, commit, api_url, raw_url, workers, timeout_s, retries, cache (the snapshot root:
files land at cache/<path>, e.g. cache/bigbench/benchmark_tasks/<task>/results/scores_*.json).

DESIGN: all the network work is in scripts/lib/sources/github/ (download_folder: any repository, commit
and path patterns). The cache is keyed by commit and outlives the rule, so a failed or
interrupted run resumes: files already there and matching their git blob sha are not fetched again.
"""

import logging

from scripts.lib.io import run_rule, write_csv
from scripts.lib.sources.github.download import download_folder
from scripts.lib.sources.manifest import build_manifest, is_results_file

logger = logging.getLogger(__name__)

RESULTS_PATTERNS = ("bigbench/benchmark_tasks/*/results/scores_*.json",)
"""BIG-bench's scores files; is_results_file is applied on top (the same rule list_files uses)."""


def run(
    *,
    manifest: str,
    repo: str,
    commit: str,
    api_url: str,
    raw_url: str,
    workers: int,
    timeout_s: float,
    retries: int,
    cache: str,
    backoff_s: float = 1.0,
) -> None:
    got = download_folder(
        repo=repo,
        commit=commit,
        patterns=RESULTS_PATTERNS,
        cache=cache,
        api_url=api_url,
        raw_url=raw_url,
        workers=workers,
        timeout_s=timeout_s,
        retries=retries,
        backoff_s=backoff_s,
        keep=is_results_file,
    )
    table = build_manifest(cache, got.paths)
    write_csv(table, manifest)
    logger.info(
        "%d requests (%d API calls); %d files fetched (%.1f MB), %d skipped as already verified; %d files in %s",
        got.requests,
        got.api_calls,
        got.fetched,
        got.bytes_fetched / 1e6,
        got.skipped,
        len(table),
        manifest,
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
