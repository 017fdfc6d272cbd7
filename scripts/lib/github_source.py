"""Get the BIG-bench scores files of one commit from GitHub: resolve, list, fetch, verify (issue 4).

- `resolve_commit`: branch/tag -> commit sha (called once at DAG-build time by common.smk).
- `list_results_files`: one recursive trees call; if GitHub truncates it, a walk of subtrees down to
  bigbench/benchmark_tasks/<task>/results.
- `fetch_files`: parallel raw downloads into a cache folder, each checked against its git blob sha.

DESIGN
- The server is not trusted (issue 9). Tree paths that git never makes (absolute, `..`, backslash)
  and symlinks where a scores file belongs are refused; every target is checked to resolve inside
  the cache. A body is streamed with a byte cap (its tree size) and a total-time deadline, so a
  huge or endless body ends in an error, not in a memory blow-up or a hang.
- A file lands under its real name only once verified (temp file + `os.replace`); a rerun hashes
  what is there and fetches only what is missing or wrong, so an interrupted download resumes.
- Transient failures (timeouts, dropped connections, 5xx, 429, wrong or short bodies) are retried
  with exponential backoff and jitter; a rate limit that resets within a minute is waited out,
  a later one stops with the reset time. Redirects to another host are refused.
- GITHUB_TOKEN goes only to API URLs, only over https or loopback, and never into a log line, an
  error message or a file. API calls are made one at a time (GitHub asks clients not to make
  concurrent API calls); raw file downloads use `workers` threads over one pooled session.
- `DownloadError` is the one exception users see; its message says what to do.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from scripts.lib.io import atomic_path
from scripts.lib.manifest import is_results_file

logger = logging.getLogger(__name__)

T = TypeVar("T")

FILE_MODES = frozenset({"100644", "100755"})
SYMLINK_MODE = "120000"
RESULTS_WALK = ("bigbench", "benchmark_tasks", "*", "results")
"""Tree names from the root down to a results folder ('*' = every task) for the truncated case."""

CHUNK_BYTES = 64 * 1024
MAX_JSON_BYTES = 64 * 1024 * 1024
"""Cap of an API answer (GitHub truncates tree listings at 7 MB)."""
MIN_RATE_BPS = 50_000
"""After a grace of timeout_s, a body must average at least this many bytes per second."""
MAX_BACKOFF_S = 30.0
MAX_REDIRECTS = 5
RATE_LIMIT_MAX_WAIT_S = 60.0
"""A rate limit that lifts within this many seconds is waited out; a later one stops the run."""
LOG_EVERY_S = 5.0
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

OFFLINE_CHOICES = (
    "Without GitHub access, run on the synthetic sample: snakemake --config source=sample, "
    "or on an existing BIG-bench clone: snakemake --config source=local "
    'local=\'{"path": "/path/to/BIG-bench"}\' (or set source and local.path in a file given '
    "with --configfile)."
)


class DownloadError(RuntimeError):
    """A failure to get the files from GitHub; the message names the URL or path and what to do."""


class _Transient(Exception):
    """A failure worth another attempt: timeout, dropped connection, 5xx, 429, wrong or short body."""

    def __init__(self, reason: str, *, retry_after: float | None = None, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.unreachable = unreachable


@dataclass(frozen=True)
class TreeEntry:
    """One scores file of the listing: where it goes and what its bytes must hash to."""

    path: str
    sha: str
    size: int


@dataclass(frozen=True)
class FetchStats:
    """What fetch_files did, for the rule log."""

    fetched: int
    skipped: int
    bytes_fetched: int


def make_session(workers: int) -> requests.Session:
    """A session whose connection pool holds one connection per worker (reuse, no pool warnings)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(workers, 10), max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "bigbench-emergence"
    return session


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _token_may_travel(url: str) -> bool:
    """A token is sent only where it cannot be read on the way: https, or a loopback mirror."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a retry-after header (seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _rate_limit_wait(headers: Any) -> float | None:
    """Seconds until a 403/429 rate limit lifts, or None if the answer is not a rate limit."""
    retry_after = _parse_retry_after(headers.get("retry-after"))
    if retry_after is not None:
        return retry_after
    if headers.get("x-ratelimit-remaining") != "0":
        return None
    try:
        return max(0.0, float(headers.get("x-ratelimit-reset", "")) - time.time()) + 1.0
    except ValueError:
        return 60.0  # GitHub's advice when the reset time is not given: wait at least a minute


def _is_unreachable(exc: BaseException) -> bool:
    """True when no connection was made at all: DNS failure, connection refused, connect timeout."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _short_reason(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 failure, without the connection-pool wrapping."""
    inner = exc.args[0] if exc.args else exc
    return f"{type(exc).__name__}: {getattr(inner, 'reason', inner)}"


def _blob_hasher(size: int) -> Any:
    """sha1 primed with git's blob header: feeding it the bytes gives the git blob sha."""
    return hashlib.sha1(b"blob %d\0" % size)


def git_blob_sha_file(path: str | os.PathLike[str]) -> str:
    """The git blob sha of a file on disk (what a tree entry's `sha` is), read in chunks."""
    digest = _blob_hasher(os.path.getsize(path))
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_tree_path(path: str) -> None:
    """Refuse a listed path that could land outside the cache; git never makes one, so the server is bad."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or "\0" in path or any(p in ("", ".", "..") for p in parts):
        raise DownloadError(
            f"tree entry {path!r}: not a safe relative path (absolute, '..', '.', empty part or backslash); "
            "refusing this listing; check github.api_url points at GitHub or a faithful mirror"
        )


def select_results_entries(items: Iterable[dict[str, Any]]) -> list[TreeEntry]:
    """The scores files of a tree listing, sorted by path; hostile entries stop everything."""
    keep, not_files = [], 0
    for item in items:
        path = str(item.get("path", ""))
        check_tree_path(path)
        if not is_results_file(path):
            continue
        if item.get("mode") == SYMLINK_MODE:
            raise DownloadError(f"{path}: listed as a symlink (mode 120000) where a scores file belongs; refusing it")
        if item.get("type") != "blob" or item.get("mode") not in FILE_MODES:
            not_files += 1
            logger.warning(
                "%s: skipped, type %s mode %s is not a regular file", path, item.get("type"), item.get("mode")
            )
            continue
        sha, size = str(item.get("sha", "")), item.get("size")
        if not SHA_RE.match(sha) or not isinstance(size, int) or size < 0:
            raise DownloadError(f"{path}: tree entry has no valid sha/size ({sha!r}, {size!r})")
        keep.append(TreeEntry(path=path, sha=sha, size=size))
    if not_files:
        logger.warning("%d scores-like entries skipped: not regular files", not_files)
    return sorted(keep, key=lambda e: e.path)


class GitHubClient:
    """One session for a run: retry and redirect policy, token handling and the request count."""

    def __init__(
        self,
        *,
        api_url: str,
        repo: str,
        timeout_s: float,
        retries: int,
        workers: int = 1,
        session: requests.Session | None = None,
        backoff_s: float = 1.0,
        max_wait_s: float = RATE_LIMIT_MAX_WAIT_S,
        retry_unreachable: bool = True,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.repo = repo
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self.retry_unreachable = retry_unreachable
        self._owns_session = session is None
        self.session = session or make_session(workers)
        self._token = os.environ.get("GITHUB_TOKEN", "").strip() or None
        self._lock = threading.Lock()
        self.requests_made = 0

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._owns_session:
            self.session.close()

    def api(self, path: str) -> str:
        """URL of a REST endpoint of the repository, e.g. api('commits/main')."""
        return f"{self.api_url}/repos/{self.repo}/{path}"

    def get_json(self, url: str, *, missing: str | None = None) -> Any:
        """GET an API URL with retries; `missing` is the message for a 404/422 answer."""

        def attempt() -> Any:
            with self._open(url, what=url, missing=missing) as resp:
                body = b"".join(self._read(resp, limit=MAX_JSON_BYTES))
            try:
                return json.loads(body)
            except ValueError as exc:
                raise _Transient(f"invalid JSON answer ({exc})") from exc

        return self._retrying(url, attempt)

    def download(self, url: str, entry: TreeEntry, target: Path) -> int:
        """Fetch one file to `target` (verified, atomic) with retries; returns its size."""
        what = f"{entry.path} ({url})"
        return self._retrying(what, lambda: self._download_once(url, what, entry, target))

    def _download_once(self, url: str, what: str, entry: TreeEntry, target: Path) -> int:
        with self._open(url, what=what, missing=f"{what}: not found") as resp, atomic_path(target) as tmp:
            digest, size = _blob_hasher(entry.size), 0
            with open(tmp, "wb") as fh:
                for chunk in self._read(resp, limit=entry.size):
                    digest.update(chunk)
                    fh.write(chunk)
                    size += len(chunk)
            if size != entry.size or digest.hexdigest() != entry.sha:
                raise _Transient(
                    f"wrong content: {size} bytes, blob sha {digest.hexdigest()[:12]}; "
                    f"the tree lists {entry.size} bytes, {entry.sha[:12]}"
                )
        return size

    def request_headers(self, url: str) -> dict[str, str]:
        """GitHub's API headers (and the token, where it may travel) for API URLs; nothing for others."""
        if not url.startswith(f"{self.api_url}/"):
            return {}
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self._token and _token_may_travel(url):
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _open(self, url: str, *, what: str, missing: str | None) -> requests.Response:
        """One streamed GET that comes back only as a 200; same-host redirects are followed by hand."""
        target = url
        for _ in range(MAX_REDIRECTS + 1):
            with self._lock:
                self.requests_made += 1
            resp = self.session.get(
                target,
                headers=self.request_headers(target),
                timeout=(self.timeout_s, self.timeout_s),
                stream=True,
                allow_redirects=False,
            )
            if not resp.is_redirect:
                break
            resp.close()
            location = urljoin(target, resp.headers["location"])
            if _origin(location) != _origin(target):
                raise DownloadError(
                    f"{what}: redirected to another host ({urlsplit(location).netloc}); not following it"
                )
            target = location
        else:
            raise DownloadError(f"{what}: more than {MAX_REDIRECTS} redirects")
        if resp.status_code == 200:
            return resp
        resp.close()
        raise self._status_failure(what, resp, missing)

    def _status_failure(self, what: str, resp: requests.Response, missing: str | None) -> Exception:
        """The exception for a non-200 answer: _Transient to retry it, DownloadError to stop."""
        status = resp.status_code
        wait = _rate_limit_wait(resp.headers) if status in (403, 429) else None
        if wait is not None and wait > self.max_wait_s:
            reset = datetime.fromtimestamp(time.time() + wait, tz=UTC)
            advice = (
                " Set GITHUB_TOKEN to a GitHub token (5,000 API requests/hour instead of 60) or rerun then;"
                if self._token is None
                else " GITHUB_TOKEN is set and its own limit is used up; rerun then (or set another GITHUB_TOKEN);"
            )
            return DownloadError(
                f"{what}: rate limited (HTTP {status}); requests are accepted again at "
                f"{reset:%Y-%m-%d %H:%M:%S} UTC (in {wait / 60:.0f} min).{advice} "
                "verified files in the cache are kept and not fetched again."
            )
        if wait is not None:
            return _Transient(f"rate limited (HTTP {status})", retry_after=wait)
        if status == 429 or status >= 500:
            return _Transient(f"HTTP {status} {resp.reason}")
        if status in (404, 422) and missing:
            return DownloadError(missing)
        hint = " (set GITHUB_TOKEN if the repository needs access)" if status in (401, 403) and not self._token else ""
        return DownloadError(f"{what}: HTTP {status} {resp.reason}{hint}")

    def _read(self, resp: requests.Response, *, limit: int) -> Iterator[bytes]:
        """Yield the body as it arrives; fail past `limit` bytes or when it trickles in too slowly."""
        start, received = time.monotonic(), 0
        # read1 returns what one socket read gives, so a trickle cannot stall the deadline check
        while chunk := resp.raw.read1(CHUNK_BYTES, decode_content=True):
            received += len(chunk)
            if received > limit:
                raise _Transient(f"body larger than the {limit} bytes expected")
            elapsed = time.monotonic() - start
            if elapsed > self.timeout_s + received / MIN_RATE_BPS:
                raise _Transient(f"body too slow: {received} bytes in {elapsed:.1f} s")
            yield chunk

    def _retrying(self, what: str, attempt: Callable[[], T]) -> T:
        """Run `attempt` until it succeeds, retrying transient failures with backoff and jitter."""
        failures = 0
        while True:
            try:
                return attempt()
            except _Transient as exc:
                failure, cause = exc, exc
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                failure, cause = _Transient(_short_reason(exc), unreachable=_is_unreachable(exc)), exc
            failures += 1
            if failure.unreachable and (not self.retry_unreachable or failures > self.retries):
                raise DownloadError(f"cannot reach {what} ({failure.reason}). {OFFLINE_CHOICES}") from cause
            if failures > self.retries:
                raise DownloadError(f"{what}: {failure.reason} (gave up after {failures} attempts)") from cause
            delay = min(MAX_BACKOFF_S, self.backoff_s * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)
            delay = max(delay, failure.retry_after or 0.0)
            logger.warning(
                "%s: %s; attempt %d of %d in %.1f s", what, failure.reason, failures + 1, self.retries + 1, delay
            )
            time.sleep(delay)


def resolve_commit(
    *,
    api_url: str,
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


def _tree_items(client: GitHubClient, url: str, commit: str) -> dict[str, Any]:
    data = client.get_json(url, missing=f"{client.repo}: no commit or tree {commit} at {client.api_url}")
    if not isinstance(data, dict) or not isinstance(data.get("tree"), list):
        raise DownloadError(f"{url}: the answer is not a git tree listing")
    return data


def _walk_tree(client: GitHubClient, sha: str, prefix: str, names: Sequence[str]) -> list[dict[str, Any]]:
    """Entries below the trees named by `names` ('*' = any), one non-recursive call per tree visited."""
    data = _tree_items(client, client.api(f"git/trees/{sha}"), sha)
    if data.get("truncated"):
        raise DownloadError(
            f"{client.api(f'git/trees/{sha}')}: even the non-recursive listing of {prefix!r} is truncated"
        )
    found: list[dict[str, Any]] = []
    for item in data["tree"]:
        path = f"{prefix}{item.get('path', '')}"
        check_tree_path(path)
        if not names:
            found.append({**item, "path": path})
        elif item.get("type") == "tree" and names[0] in ("*", item.get("path")):
            found.extend(_walk_tree(client, str(item.get("sha", "")), f"{path}/", names[1:]))
    return found


def list_results_files(client: GitHubClient, commit: str) -> list[TreeEntry]:
    """The scores files at `commit`: one recursive call, or a subtree walk when GitHub truncates it."""
    data = _tree_items(client, client.api(f"git/trees/{commit}?recursive=1"), commit)
    items = data["tree"]
    if data.get("truncated"):
        logger.warning("tree listing of %s truncated after %d entries; walking subtrees instead", commit, len(items))
        items = _walk_tree(client, commit, "", RESULTS_WALK)
    entries = select_results_entries(items)
    logger.info(
        "%d scores files (%.1f MB) listed at %s@%s",
        len(entries),
        sum(e.size for e in entries) / 1e6,
        client.repo,
        commit,
    )
    return entries


def _target_path(cache: Path, relpath: str) -> Path:
    """cache/relpath, refused unless it resolves inside the cache (even through existing symlinks)."""
    check_tree_path(relpath)
    target = cache / relpath
    if not Path(os.path.realpath(target)).is_relative_to(os.path.realpath(cache)):
        raise DownloadError(f"{relpath}: resolves outside the cache {cache}; refusing to write it")
    return target


class Progress:
    """Files and bytes done: a live line on a terminal, a log line every few seconds or 10 %."""

    def __init__(self, files: int, total_bytes: int, stream: TextIO | None = None) -> None:
        self.files, self.total_bytes = files, total_bytes
        self.done_files = self.done_bytes = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.start = self._last_log = time.monotonic()
        self._last_decile = 0
        self._lock = threading.Lock()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-6)
        rate = self.done_bytes / elapsed
        eta_s = int((self.total_bytes - self.done_bytes) / rate) if rate > 0 else None
        eta_text = "?" if eta_s is None else f"{eta_s // 60}:{eta_s % 60:02d}"
        return (
            f"{self.done_files}/{self.files} files, {self.done_bytes / 1e6:.1f}/{self.total_bytes / 1e6:.1f} MB, "
            f"{rate / 1e6:.2f} MB/s, ETA {eta_text}"
        )

    def add(self, nbytes: int) -> None:
        with self._lock:
            self.done_files += 1
            self.done_bytes += nbytes
            now, decile = time.monotonic(), self.done_files * 10 // max(self.files, 1)
            if self.tty:
                self.stream.write(f"\r{self.line()}")
                self.stream.flush()
            if now - self._last_log >= LOG_EVERY_S or decile > self._last_decile:
                logger.info("downloaded %s", self.line())
                self._last_log, self._last_decile = now, decile

    def close(self) -> None:
        if self.tty and self.files:
            self.stream.write("\n")
            self.stream.flush()


def raw_file_url(raw_url: str, repo: str, commit: str, path: str) -> str:
    """GitHub's raw address of one file at one commit."""
    return f"{raw_url.rstrip('/')}/{repo}/{commit}/{quote(path)}"


def fetch_files(
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
    for entry in entries:
        target = _target_path(cache, entry.path)
        if target.is_file() and git_blob_sha_file(target) == entry.sha:
            skipped += 1
        else:
            todo.append((entry, target))
    stale = list(cache.glob("bigbench/benchmark_tasks/*/results/.scores_*.tmp"))  # atomic_path's names
    for path in stale:
        path.unlink()
    if stale:
        logger.info("%d temporary files of an interrupted run removed", len(stale))
    total = sum(e.size for e, _ in todo)
    logger.info("%d files to fetch (%.1f MB); %d already verified in %s", len(todo), total / 1e6, skipped, cache)
    progress = Progress(len(todo), total)
    failed = threading.Event()

    def fetch(entry: TreeEntry, target: Path) -> int:
        if failed.is_set():  # one file failed: start no other (the rerun resumes)
            return 0
        try:
            return client.download(raw_file_url(raw_url, client.repo, commit, entry.path), entry, target)
        except BaseException:
            failed.set()
            raise

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="download")
    try:
        for future in as_completed([pool.submit(fetch, e, t) for e, t in todo]):
            progress.add(future.result())
    finally:
        failed.set()
        pool.shutdown(wait=True)
        progress.close()
    return FetchStats(fetched=len(todo), skipped=skipped, bytes_fetched=total)
