"""Rule download_files: the scores files of one BIG-bench commit, fetched from GitHub into a cache.

Input: none (the commit was resolved at DAG-build time by common.smk).
Output: manifest.csv (path, size, sha256) over the cache folder, the same format as list_files'.
Params: repo, commit, api_url, raw_url, workers, timeout_s, retries, cache (the snapshot root:
files land at cache/<path>, e.g. cache/bigbench/benchmark_tasks/<task>/results/scores_*.json).

DESIGN: all the network work is in scripts/lib/github_source.py. The cache is keyed by commit and
outlives the rule, so a failed or interrupted run resumes: files already there and matching
their git blob sha are not fetched again.
"""

import logging

from scripts.lib.github_source import DownloadError, GitHubClient, fetch_files, list_results_files
from scripts.lib.io import run_rule, write_csv
from scripts.lib.manifest import build_manifest

logger = logging.getLogger(__name__)


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
    with GitHubClient(
        api_url=api_url, repo=repo, timeout_s=timeout_s, retries=retries, workers=workers, backoff_s=backoff_s
    ) as client:
        entries = list_results_files(client, commit)
        if not entries:
            raise DownloadError(f"{repo}@{commit}: no bigbench/benchmark_tasks/*/results/scores_*.json files listed")
        stats = fetch_files(client, entries, raw_url=raw_url, commit=commit, cache=cache, workers=workers)
    table = build_manifest(cache, [e.path for e in entries])
    write_csv(table, manifest)
    logger.info(
        "%d requests; %d files fetched (%.1f MB), %d skipped as already verified; %d files in %s",
        client.requests_made,
        stats.fetched,
        stats.bytes_fetched / 1e6,
        stats.skipped,
        len(table),
        manifest,
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
