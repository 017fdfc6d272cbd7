"""Branch or tag -> commit sha, asked of GitHub once and then cached on disk.

Why a cache: the default config names `github.ref: main`, which common.smk must turn into a sha
while Snakemake builds the DAG (the run folder is named after it). Without a cache every
`snakemake -n` or `--lint` needs the network. With it, the first resolution is written to
results/.cache/github/<owner>__<repo>/refs/<ref>.sha (the sha, then when and where it was
resolved) and later runs use it, offline too, saying so in one line; deleting the file makes the
next run ask GitHub again (e.g. to follow a branch that moved).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import requests

from scripts.lib.io import write_text
from scripts.lib.sources.github.client import GITHUB_API, SHA_RE, DownloadError, GitHubClient, repo_slug

logger = logging.getLogger(__name__)


def resolve_commit(
    *,
    api_url: str = GITHUB_API,
    repo: str,
    ref: str,
    timeout_s: float,
    session: requests.Session | None = None,
    retries: int = 2,
    backoff_s: float = 1.0,
) -> str:
    """The commit sha of a branch, tag or short sha. Offline it fails at once, naming the offline choices."""
    with GitHubClient(
        api_url=api_url,
        repo=repo,
        timeout_s=timeout_s,
        retries=retries,
        session=session,
        backoff_s=backoff_s,
        retry_unreachable=False,
    ) as client:
        data = client.get_json(
            client.api(f"commits/{quote(ref, safe='/')}"),
            missing=f"{repo} has no branch, tag or commit {ref!r} (asked {api_url}); set github.ref to one that exists",
        )
    sha = data.get("sha") if isinstance(data, dict) else None
    if not isinstance(sha, str) or not SHA_RE.match(sha):
        raise DownloadError(f"{api_url}: the answer for {repo}@{ref} has no commit sha")
    logger.info("%s@%s is commit %s", repo, ref, sha)
    return sha


def ref_cache_file(cache_dir: str | os.PathLike[str], repo: str, ref: str) -> Path:
    """cache_dir/<owner>__<repo>/refs/<ref>.sha (a ref with '/' is percent-encoded into one name)."""
    return Path(cache_dir) / repo_slug(repo) / "refs" / f"{quote(ref, safe='')}.sha"


def read_cached_sha(path: Path, ref: str) -> tuple[str, str]:
    """(sha, 'when and where') from a ref cache file; a file that holds no sha is an error naming it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    sha = lines[0].strip() if lines else ""
    if not SHA_RE.match(sha):
        raise DownloadError(
            f"{path}: first line {sha[:60]!r} is not a commit sha; delete the file to resolve ref {ref!r} again"
        )
    when = lines[1].removeprefix("resolved ").strip() if len(lines) > 1 else "at an unknown time"
    return sha, when


def resolve_ref(
    *,
    api_url: str = GITHUB_API,
    repo: str,
    ref: str,
    timeout_s: float,
    cache_dir: str | os.PathLike[str],
    notify: Callable[[str], None] | None = None,
) -> str:
    """The commit of `ref`: a 40-hex sha as is, else the cached resolution, else GitHub's (then cached).

    `notify` receives the one line that says a cached sha is used (default: this module's logger).
    """
    if SHA_RE.match(ref):
        return ref
    path = ref_cache_file(cache_dir, repo, ref)
    if path.is_file():
        sha, when = read_cached_sha(path, ref)
        (notify or logger.info)(
            f"using cached sha {sha} for ref {ref} of {repo}, resolved {when}; delete {path} to re-resolve"
        )
        return sha
    sha = resolve_commit(api_url=api_url, repo=repo, ref=ref, timeout_s=timeout_s)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    write_text(path, f"{sha}\nresolved {now} from {api_url.rstrip('/')}\n")
    return sha
