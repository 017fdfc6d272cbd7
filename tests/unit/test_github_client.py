"""The GitHub client's HTTP side: resolving a ref, offline failure, rate limits, redirects, the token.

Everything runs against tests/helpers/github_mirror.py on 127.0.0.1; backoff is shortened to milliseconds.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scripts.acquire.download_files import run
from scripts.lib.sources.github.client import DownloadError, GitHubClient
from scripts.lib.sources.github.refs import resolve_commit
from tests.helpers.github_mirror import GitHubMirror
from tests.helpers.github_testing import (
    SHA,
    TOKEN,
    assert_cache_clean,
    cached_files,
    closed_port,
    download,
    fake_source,
    scores_of,
)
from tests.helpers.http_faults import Status, rate_limited


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[GitHubMirror]:
    with GitHubMirror(fake_source(tmp_path)) as served:
        yield served


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "snapshot"


def first_file(mirror: GitHubMirror) -> str:
    return scores_of(mirror)[0]


# -- resolve_commit ----------------------------------------------------------------------------
def test_resolve_commit(mirror: GitHubMirror) -> None:
    sha = resolve_commit(api_url=mirror.api_url, repo=mirror.repo, ref="main", timeout_s=5)
    assert sha == mirror.commit


@pytest.mark.parametrize(
    "repo", ["google/BIG-bench", "google/no-such-repo"], ids=["unknown-ref-422", "unknown-repo-404"]
)
def test_resolve_unknown_ref_names_repo_and_ref(mirror: GitHubMirror, repo: str) -> None:
    with pytest.raises(DownloadError, match=rf"{repo} has no branch, tag or commit 'nope'.*github.ref"):
        resolve_commit(api_url=mirror.api_url, repo=repo, ref="nope", timeout_s=5)
    assert mirror.count(f"/api/repos/{repo}/commits/nope") == 1  # a 4xx is not retried


def test_offline_fails_fast_naming_url_and_offline_choices() -> None:
    api_url = f"http://127.0.0.1:{closed_port()}"
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        resolve_commit(api_url=api_url, repo="google/BIG-bench", ref="main", timeout_s=15)
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert f"{api_url}/repos/google/BIG-bench/commits/main" in message
    for choice in ("--config source=sample", '--config source=local local=\'{"path":', "--configfile"):
        assert choice in message


def test_download_offline_names_offline_choices(tmp_path: Path, cache: Path) -> None:
    port = closed_port()
    with pytest.raises(DownloadError, match="cannot reach .*source=sample.*source=local"):
        run(
            manifest=str(tmp_path / "manifest.csv"),
            repo="google/BIG-bench",
            commit=SHA,
            api_url=f"http://127.0.0.1:{port}",
            raw_url=f"http://127.0.0.1:{port}",
            workers=2,
            timeout_s=5,
            retries=1,
            cache=str(cache),
            backoff_s=0.01,
        )
    assert not (tmp_path / "manifest.csv").exists()


# -- rate limits -------------------------------------------------------------------------------
def test_api_rate_limit_near_reset_is_waited_out(mirror: GitHubMirror, cache: Path) -> None:
    mirror.inject(mirror.api_path(f"git/trees/{mirror.commit}"), rate_limited(reset_in_s=0))
    download(mirror, cache)
    assert mirror.api_calls == 2


def test_api_rate_limit_far_reset_stops_with_reset_time(mirror: GitHubMirror, cache: Path) -> None:
    mirror.inject(mirror.api_path(f"git/trees/{mirror.commit}"), rate_limited(reset_in_s=3600))
    with pytest.raises(
        DownloadError, match=r"rate limited \(HTTP 403\).* at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC.*GITHUB_TOKEN"
    ):
        download(mirror, cache)
    assert mirror.api_calls == 1  # no hammering
    assert cached_files(cache) == []


# -- redirects ---------------------------------------------------------------------------------
def test_redirect_to_another_host_is_refused(mirror: GitHubMirror, tmp_path: Path, cache: Path) -> None:
    rel = first_file(mirror)
    mirror.inject(mirror.raw_path(rel), Status(302, {"Location": f"http://localhost:{mirror.port}/elsewhere/x"}))
    with pytest.raises(
        DownloadError, match=rf"{re.escape(rel)} \(.*\): redirected to another host \(localhost:{mirror.port}\)"
    ):
        download(mirror, cache)
    assert mirror.count("/elsewhere/x") == 0
    assert rel not in cached_files(cache)


def test_redirect_on_the_same_host_is_followed(mirror: GitHubMirror, cache: Path) -> None:
    rel = first_file(mirror)
    mirror.inject(mirror.raw_path(rel), Status(301, {"Location": mirror.raw_file_url(rel)}))
    download(mirror, cache)
    assert mirror.count(mirror.raw_path(rel)) == 2
    assert_cache_clean(cache, mirror)


# -- the token ---------------------------------------------------------------------------------
def test_token_sent_to_the_api_only_and_never_leaked(
    mirror: GitHubMirror,
    tmp_path: Path,
    cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Errors of every kind are provoked with a token set; it reaches the API and nothing else."""
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    rel = first_file(mirror)
    texts: list[str] = []

    def failing(call: Callable[[], object]) -> None:
        with pytest.raises(DownloadError) as info:
            call()
        texts.extend(traceback.format_exception(info.value))

    failing(lambda: resolve_commit(api_url=mirror.api_url, repo=mirror.repo, ref="nope", timeout_s=5))
    mirror.inject(mirror.api_path(f"git/trees/{mirror.commit}"), rate_limited(3600))
    failing(lambda: download(mirror, cache))
    mirror.inject(mirror.api_path(f"git/trees/{mirror.commit}"), Status(401))
    failing(lambda: download(mirror, cache, retries=0))
    mirror.inject(mirror.raw_path(rel), Status(302, {"Location": f"http://localhost:{mirror.port}/x"}))
    failing(lambda: download(mirror, cache))
    mirror.inject(mirror.raw_path(rel), Status(500))
    failing(lambda: download(mirror, cache, retries=0))
    manifest = download(mirror, cache)

    api = [s for s in mirror.seen if s.path.startswith("/api/")]
    raw = [s for s in mirror.seen if not s.path.startswith("/api/")]
    assert api and all(s.headers.get("authorization") == f"Bearer {TOKEN}" for s in api)
    assert raw and all("authorization" not in s.headers for s in raw)
    assert TOKEN not in caplog.text
    assert TOKEN not in "".join(texts)
    assert manifest.exists()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_token_not_sent_over_plain_http_to_a_remote_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    client = GitHubClient(api_url="http://api.example.invalid", repo="o/r", timeout_s=1, retries=0)
    secure = GitHubClient(api_url="https://api.example.invalid", repo="o/r", timeout_s=1, retries=0)
    assert "Authorization" not in client.request_headers(client.api("commits/main"))
    assert secure.request_headers(secure.api("commits/main"))["Authorization"] == f"Bearer {TOKEN}"
    assert "Authorization" not in secure.request_headers("https://raw.example.invalid/o/r/x")
