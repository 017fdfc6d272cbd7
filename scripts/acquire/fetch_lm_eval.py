"""Rule fetch_lm_eval: download lm-evaluation-harness results files of a pinned GitHub folder.

Only when `lm_eval.path` is the download cache (results/.cache/lm_eval, the default): the files
of `lm_eval.github` (repository, commit, path patterns; e.g. EleutherAI/pythia's `evals/`) are
fetched by the pipeline's downloader (scripts/lib/sources/github: one listing, parallel raw downloads,
each verified against its git blob sha, resumable) into
results/.cache/lm_eval/<owner>__<repo>/<commit>/<upstream path>, where rule lm_eval_source reads
them. The listing written beside them (path, size, git blob sha) is this rule's output. No
connection to GitHub at all (offline) stops at once with one line naming what to set instead (OFFLINE).

Inputs: none. Output: listing (CSV). Params: repo, commit, patterns, api_url, raw_url, workers,
timeout_s, retries.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from scripts.lib.io import run_rule, write_csv
from scripts.lib.sources.github.client import Unreachable
from scripts.lib.sources.github.download import download_folder

logger = logging.getLogger(__name__)

OFFLINE = (
    "cannot reach {host} to fetch the pinned lm-evaluation-harness results of {repo}; set LM_EVAL=DIR (make) "
    "or lm_eval.path (config) to a folder holding them"
)
"""The one line an offline run with an empty cache ends with (docs/lm-eval.md)."""


def run(
    *,
    listing: str,
    repo: str,
    commit: str,
    patterns: Sequence[str],
    api_url: str,
    raw_url: str,
    workers: int,
    timeout_s: float,
    retries: int,
) -> None:
    try:
        got = download_folder(
            repo=repo,
            commit=commit,
            patterns=list(patterns),
            cache=Path(listing).parent,
            api_url=api_url,
            raw_url=raw_url,
            workers=workers,
            timeout_s=timeout_s,
            retries=retries,
            retry_unreachable=False,
        )
    except Unreachable as exc:
        logger.error(OFFLINE.format(host=exc.host, repo=repo))
        raise SystemExit(1) from None
    table = pd.DataFrame(
        {
            "path": [e.path for e in got.entries],
            "size": [e.size for e in got.entries],
            "git_sha": [e.sha for e in got.entries],
        }
    )
    write_csv(table, listing, label=f"lm-evaluation-harness results, {repo} at commit {commit}")
    logger.info(
        "%s@%s: %d files (%d fetched, %d already cached), %d API call(s)",
        repo,
        commit[:12],
        len(table),
        got.fetched,
        got.skipped,
        got.api_calls,
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
