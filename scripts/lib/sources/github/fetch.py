"""Downloading selected files of one commit into a cache folder: parallel, verified, resumable.

- `fetch_entries`: raw downloads of listed entries, `workers` at a time, each checked against
  its git blob sha (the tree entry's `sha`) and size.
- `fetch_pinned`: one file pinned by its sha256 (no API call at all: the raw host only).

DESIGN: a file lands under its real name only once verified (temp file + `os.replace`); a rerun
hashes what is there and fetches only what is missing or wrong, so an interrupted download
resumes, and temp files a killed run left are removed. Every target is checked to resolve inside
the cache (even through symlinks already there). The first failure stops the other workers
from starting new files; what is verified stays.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scripts.lib.io import atomic_path
from scripts.lib.progress import meter
from scripts.lib.sources.github.client import DownloadError, GitHubClient, Transient
from scripts.lib.sources.github.tree import TreeEntry, check_tree_path

logger = logging.getLogger(__name__)

MAX_PINNED_BYTES = 512 * 1024 * 1024
"""Cap of a pinned file's body (its size is not known before it arrives)."""


@dataclass(frozen=True)
class FetchStats:
    """What fetch_entries did, for the rule log."""

    fetched: int
    skipped: int
    bytes_fetched: int


def _blob_hasher(size: int) -> Any:
    """sha1 primed with git's blob header: feeding it the bytes gives the git blob sha."""
    return hashlib.sha1(b"blob %d\0" % size)


def _hash_file(path: str | os.PathLike[str], digest: Any) -> str:
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def git_blob_sha_file(path: str | os.PathLike[str]) -> str:
    """The git blob sha of a file on disk (what a tree entry's `sha` is), read in chunks."""
    return _hash_file(path, _blob_hasher(os.path.getsize(path)))


def sha256_of(path: str | os.PathLike[str]) -> str:
    return _hash_file(path, hashlib.sha256())


def raw_file_url(raw_url: str, repo: str, commit: str, path: str) -> str:
    """GitHub's raw address of one file at one commit."""
    return f"{raw_url.rstrip('/')}/{repo}/{commit}/{quote(path)}"


def target_path(cache: Path, relpath: str) -> Path:
    """cache/relpath, refused unless it resolves inside the cache (even through existing symlinks)."""
    check_tree_path(relpath)
    target = cache / relpath
    if not Path(os.path.realpath(target)).is_relative_to(os.path.realpath(cache)):
        raise DownloadError(f"{relpath}: resolves outside the cache {cache}; refusing to write it")
    return target


def remove_stale_temp_files(targets: Sequence[Path]) -> int:
    """Delete the temp files (atomic_path's '.<name>.*.tmp') that a killed run left beside `targets`."""
    names: dict[Path, set[str]] = defaultdict(set)
    for target in targets:
        names[target.parent].add(target.name)
    removed = 0
    for folder, wanted in names.items():
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            name = path.name
            if name.endswith(".tmp") and any(name.startswith(f".{w}.") for w in wanted) and path.is_file():
                path.unlink()
                removed += 1
    if removed:
        logger.info("%d temporary files of an interrupted run removed", removed)
    return removed


def _download_blob(client: GitHubClient, url: str, entry: TreeEntry, target: Path) -> int:
    """Fetch one file to `target` (git-blob-sha verified, atomic) with retries; returns its size."""
    what = f"{entry.path} ({url})"

    def attempt() -> int:
        with client.open(url, what=what, missing=f"{what}: not found") as resp, atomic_path(target) as tmp:
            digest, size = _blob_hasher(entry.size), 0
            with open(tmp, "wb") as fh:
                for chunk in client.read(resp, limit=entry.size):
                    digest.update(chunk)
                    fh.write(chunk)
                    size += len(chunk)
            if size != entry.size or digest.hexdigest() != entry.sha:
                raise Transient(
                    f"wrong content: {size} bytes, blob sha {digest.hexdigest()[:12]}; "
                    f"the tree lists {entry.size} bytes, {entry.sha[:12]}"
                )
        return size

    return client.retrying(what, attempt)


def fetch_entries(
    client: GitHubClient,
    entries: Sequence[TreeEntry],
    *,
    raw_url: str,
    commit: str,
    cache: str | os.PathLike[str],
    workers: int,
) -> FetchStats:
    """Download every entry not already verified in `cache`, `workers` at a time; stop on the first error."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    todo, skipped = [], 0
    targets = [target_path(cache, entry.path) for entry in entries]
    for entry, target in zip(entries, targets, strict=True):
        if target.is_file() and git_blob_sha_file(target) == entry.sha:
            skipped += 1
        else:
            todo.append((entry, target))
    remove_stale_temp_files(targets)
    total = sum(e.size for e, _ in todo)
    logger.info("%d files to fetch (%.1f MB); %d already verified in %s", len(todo), total / 1e6, skipped, cache)
    failed = threading.Event()

    def fetch(entry: TreeEntry, target: Path) -> int:
        if failed.is_set():  # one file failed: start no other (the rerun resumes)
            return 0
        try:
            return _download_blob(client, raw_file_url(raw_url, client.repo, commit, entry.path), entry, target)
        except BaseException:
            failed.set()
            raise

    if todo:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="download")
        try:
            with meter(total=total, desc="download", unit="B", logger=logger) as bar:
                for done, future in enumerate(as_completed([pool.submit(fetch, e, t) for e, t in todo]), 1):
                    bar.update(future.result(), note=f"{done}/{len(todo)} files")
        finally:
            failed.set()
            pool.shutdown(wait=True)
    return FetchStats(fetched=len(todo), skipped=skipped, bytes_fetched=total)


def fetch_pinned(
    client: GitHubClient,
    *,
    raw_url: str,
    commit: str,
    path: str,
    sha256: str,
    cache: str | os.PathLike[str],
    max_bytes: int = MAX_PINNED_BYTES,
) -> Path:
    """cache/<path>, fetched unless already there with this sha256; a mismatch is one line with both hashes."""
    cache = Path(cache)
    target = target_path(cache, path)
    if target.is_file() and sha256_of(target) == sha256:
        logger.info("%s: already in %s, sha256 verified", path, cache)
        return target
    remove_stale_temp_files([target])
    url = raw_file_url(raw_url, client.repo, commit, path)
    what = f"{path} ({url})"

    def attempt() -> str:
        with client.open(url, what=what, missing=f"{what}: not found") as resp, atomic_path(target) as tmp:
            digest = hashlib.sha256()
            with open(tmp, "wb") as fh:
                for chunk in client.read(resp, limit=max_bytes):
                    digest.update(chunk)
                    fh.write(chunk)
            got = digest.hexdigest()
            if got != sha256:
                raise DownloadError(
                    f"{path}: sha256 {got} does not match the pinned sha256 {sha256} ({client.repo}@{commit[:12]})"
                )
        return got

    client.retrying(what, attempt)
    logger.info("%s: fetched from %s@%s, sha256 verified", path, client.repo, commit[:12])
    return target
