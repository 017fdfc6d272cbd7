"""The HTTP side of the GitHub client: one session, retries, rate limits, redirects, token rules.

DESIGN (docs/design.md §12)
- The server is not trusted. A body is streamed with a byte cap and a total-time deadline, so a
  huge or endless body ends in an error, not in a memory blow-up or a hang. Redirects to another
  host are refused.
- Transient failures (timeouts, dropped connections, 5xx, 429, wrong or short bodies) are retried
  with exponential backoff and jitter; a rate limit that resets within a minute is waited out,
  a later one stops with the reset time.
- GITHUB_TOKEN goes only to API URLs, only over https or loopback, and never into a log line, an
  error message or a file. API calls are made one at a time (GitHub asks clients not to make
  concurrent API calls); raw file downloads use `workers` threads over one pooled session.
- `DownloadError` is the one exception users see; its message says what to do.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

logger = logging.getLogger(__name__)

T = TypeVar("T")

GITHUB_API = "https://api.github.com"
GITHUB_RAW = "https://raw.githubusercontent.com"
CHUNK_BYTES = 64 * 1024
MAX_JSON_BYTES = 64 * 1024 * 1024
"""Cap of an API answer (GitHub truncates tree listings at 7 MB)."""
MIN_RATE_BPS = 50_000
"""After a grace of timeout_s, a body must average at least this many bytes per second."""
MAX_BACKOFF_S = 30.0
MAX_REDIRECTS = 5
RATE_LIMIT_MAX_WAIT_S = 60.0
"""A rate limit that lifts within this many seconds is waited out; a later one stops the run."""
SHA_RE = re.compile(r"^[0-9a-f]{40}$")


def is_commit_sha(ref: str) -> bool:
    """A full 40-hex commit sha (which needs no lookup)."""
    return bool(SHA_RE.match(ref))


def repo_slug(repo: str) -> str:
    """owner/name -> owner__name, a folder name for the download cache."""
    owner, name = repo.split("/", 1)
    return f"{owner}__{name}"


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

OFFLINE_CHOICES = (
    "Without GitHub access, run on the synthetic sample: snakemake --config source=sample, "
    "or on an existing BIG-bench clone: snakemake --config source=local "
    'local=\'{"path": "/path/to/BIG-bench"}\' (or set source and local.path in a file given '
    "with --configfile)."
)


class DownloadError(RuntimeError):
    """A failure to get the files from GitHub; the message names the URL or path and what to do."""


class Unreachable(DownloadError):
    """No connection to `host` at all (DNS, refused, connect timeout): a caller can say what to do offline."""

    def __init__(self, message: str, *, host: str) -> None:
        super().__init__(message)
        self.host = host


class Transient(Exception):
    """A failure worth another attempt: timeout, dropped connection, 5xx, 429, wrong or short body."""

    def __init__(self, reason: str, *, retry_after: float | None = None, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.unreachable = unreachable


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


def token_may_travel(url: str) -> bool:
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


def _host_of(exc: BaseException, what: str) -> str:
    """The host a failed request went to (requests keeps the request on its exceptions), else `what`."""
    request = getattr(exc, "request", None)
    return urlsplit(request.url).netloc if request is not None and request.url else what


def _short_reason(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 failure, without the connection-pool wrapping."""
    inner = exc.args[0] if exc.args else exc
    return f"{type(exc).__name__}: {getattr(inner, 'reason', inner)}"


class GitHubClient:
    """One session for a run of one repository: retry and redirect policy, token, request counts."""

    def __init__(
        self,
        *,
        api_url: str = GITHUB_API,
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
        self.api_calls = 0

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
            with self.open(url, what=url, missing=missing) as resp:
                body = b"".join(self.read(resp, limit=MAX_JSON_BYTES))
            try:
                return json.loads(body)
            except ValueError as exc:
                raise Transient(f"invalid JSON answer ({exc})") from exc

        return self.retrying(url, attempt)

    def request_headers(self, url: str) -> dict[str, str]:
        """GitHub's API headers (and the token, where it may travel) for API URLs; nothing for others."""
        if not self.is_api(url):
            return {}
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self._token and token_may_travel(url):
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def is_api(self, url: str) -> bool:
        return url.startswith(f"{self.api_url}/")

    def open(self, url: str, *, what: str, missing: str | None) -> requests.Response:
        """One streamed GET that comes back only as a 200; same-host redirects are followed by hand."""
        target = url
        for _ in range(MAX_REDIRECTS + 1):
            with self._lock:
                self.requests_made += 1
                self.api_calls += self.is_api(target)
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
        """The exception for a non-200 answer: Transient to retry it, DownloadError to stop."""
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
            return Transient(f"rate limited (HTTP {status})", retry_after=wait)
        if status == 429 or status >= 500:
            return Transient(f"HTTP {status} {resp.reason}")
        if status in (404, 422) and missing:
            return DownloadError(missing)
        hint = " (set GITHUB_TOKEN if the repository needs access)" if status in (401, 403) and not self._token else ""
        return DownloadError(f"{what}: HTTP {status} {resp.reason}{hint}")

    def read(self, resp: requests.Response, *, limit: int) -> Iterator[bytes]:
        """Yield the body as it arrives; fail past `limit` bytes or when it trickles in too slowly."""
        start, received = time.monotonic(), 0
        # read1 returns what one socket read gives, so a trickle cannot stall the deadline check
        while chunk := resp.raw.read1(CHUNK_BYTES, decode_content=True):
            received += len(chunk)
            if received > limit:
                raise Transient(f"body larger than the {limit} bytes expected")
            elapsed = time.monotonic() - start
            if elapsed > self.timeout_s + received / MIN_RATE_BPS:
                raise Transient(f"body too slow: {received} bytes in {elapsed:.1f} s")
            yield chunk

    def retrying(self, what: str, attempt: Callable[[], T]) -> T:
        """Run `attempt` until it succeeds, retrying transient failures with backoff and jitter."""
        failures = 0
        while True:
            try:
                return attempt()
            except Transient as exc:
                failure, cause = exc, exc
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                failure, cause = Transient(_short_reason(exc), unreachable=_is_unreachable(exc)), exc
            failures += 1
            if failure.unreachable and (not self.retry_unreachable or failures > self.retries):
                raise Unreachable(
                    f"cannot reach {what} ({failure.reason}). {OFFLINE_CHOICES}", host=_host_of(cause, what)
                ) from cause
            if failures > self.retries:
                raise DownloadError(f"{what}: {failure.reason} (gave up after {failures} attempts)") from cause
            delay = min(MAX_BACKOFF_S, self.backoff_s * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)
            delay = max(delay, failure.retry_after or 0.0)
            logger.warning(
                "%s: %s; attempt %d of %d in %.1f s", what, failure.reason, failures + 1, self.retries + 1, delay
            )
            time.sleep(delay)
