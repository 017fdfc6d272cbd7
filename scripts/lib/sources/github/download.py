"""The two entry points: a pinned folder (path patterns at a commit) and a single pinned file."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts.lib.sources.github.client import GITHUB_API, GITHUB_RAW, DownloadError, GitHubClient
from scripts.lib.sources.github.fetch import fetch_entries, fetch_pinned
from scripts.lib.sources.github.tree import TreeEntry, list_tree

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FolderDownload:
    """What download_folder got: the selected entries (in the cache, verified) and what it cost."""

    repo: str
    commit: str
    cache: Path
    entries: tuple[TreeEntry, ...]
    fetched: int
    skipped: int
    bytes_fetched: int
    api_calls: int
    requests: int

    @property
    def paths(self) -> list[str]:
        """Repository-relative paths of the entries, sorted (each file is at cache/path)."""
        return [e.path for e in self.entries]

    def files(self) -> list[Path]:
        """The downloaded files on disk, in path order."""
        return [self.cache / e.path for e in self.entries]


def download_folder(
    *,
    repo: str,
    commit: str,
    patterns: Sequence[str],
    cache: str | os.PathLike[str],
    api_url: str = GITHUB_API,
    raw_url: str = GITHUB_RAW,
    workers: int = 8,
    timeout_s: float = 15,
    retries: int = 5,
    backoff_s: float = 1.0,
    keep: Callable[[str], bool] | None = None,
    retry_unreachable: bool = True,
) -> FolderDownload:
    """Download every file of `repo` at `commit` whose path matches one of `patterns` into `cache`.

    repo: "owner/name". commit: a 40-hex commit sha (resolve a branch first with
    scripts.lib.sources.github.resolve_ref). patterns: globs matched per path segment (`*` never crosses a
    '/', `**` is any number of folders), e.g. ["evals/pythia-v1/*/zero-shot/*.json"]. keep: an
    extra test on each matching path. Files land at cache/<path>, each verified against its git
    blob sha; a rerun fetches only what is missing or wrong. Cost: one API call for the listing
    (plus one per folder a wildcard reaches if GitHub truncates it) and one raw request per file
    fetched. No matching file, or any failure, raises DownloadError with a one-line message
    (Unreachable when no connection is made; at once, without retries, if not retry_unreachable).
    """
    with GitHubClient(
        api_url=api_url,
        repo=repo,
        timeout_s=timeout_s,
        retries=retries,
        workers=workers,
        backoff_s=backoff_s,
        retry_unreachable=retry_unreachable,
    ) as client:
        entries = list_tree(client, commit, patterns, keep=keep)
        if not entries:
            raise DownloadError(f"{repo}@{commit}: no file matches {', '.join(patterns)}")
        stats = fetch_entries(client, entries, raw_url=raw_url, commit=commit, cache=cache, workers=workers)
    return FolderDownload(
        repo=repo,
        commit=commit,
        cache=Path(cache),
        entries=tuple(entries),
        fetched=stats.fetched,
        skipped=stats.skipped,
        bytes_fetched=stats.bytes_fetched,
        api_calls=client.api_calls,
        requests=client.requests_made,
    )


def download_pinned_file(
    *,
    repo: str,
    commit: str,
    path: str,
    sha256: str,
    cache: str | os.PathLike[str],
    raw_url: str = GITHUB_RAW,
    timeout_s: float = 15,
    retries: int = 5,
    backoff_s: float = 1.0,
    retry_unreachable: bool = True,
) -> Path:
    """cache/<path>: one file of `repo` at `commit`, checked against its pinned hex `sha256`.

    No API call (the raw host only, so no token and no rate limit is involved). Already there with
    that sha256: nothing is fetched. A body whose sha256 differs raises DownloadError naming the
    file and both hashes; nothing is left under the file's name. No connection: Unreachable (at once,
    without retries, if not retry_unreachable).
    """
    with GitHubClient(
        repo=repo, timeout_s=timeout_s, retries=retries, backoff_s=backoff_s, retry_unreachable=retry_unreachable
    ) as client:
        return fetch_pinned(client, raw_url=raw_url, commit=commit, path=path, sha256=sha256.lower(), cache=cache)
