"""Downloading into the cache: verified, resumable, parallel; faults of a bad server; pinned files."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest

from scripts.lib.io import read_csv
from scripts.lib.sources.github.client import DownloadError, GitHubClient
from scripts.lib.sources.github.download import download_folder, download_pinned_file
from scripts.lib.sources.github.fetch import fetch_entries, git_blob_sha_file
from scripts.lib.sources.manifest import build_manifest, find_results_files, sha256_file
from tests.helpers.fake_repos import write_fake_pythia
from tests.helpers.github_mirror import GitHubMirror, git_blob_sha
from tests.helpers.github_testing import (
    assert_cache_clean,
    cached_files,
    download,
    scores_of,
)
from tests.helpers.http_faults import Body, Drop, SlowBody, Status, Truncated


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "snapshot"


def first_file(mirror: GitHubMirror) -> str:
    return scores_of(mirror)[0]


@pytest.mark.parametrize(
    ("data", "sha"),
    [
        (b"", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"),  # git hash-object /dev/null
        (b"hello\n", "ce013625030ba8dba906f756967f9e9ca394464a"),  # echo hello | git hash-object --stdin
    ],
)
def test_git_blob_sha_file_matches_git(tmp_path: Path, data: bytes, sha: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    assert git_blob_sha_file(path) == sha == git_blob_sha(data)


# -- the BIG-bench download --------------------------------------------------------------------
@pytest.mark.parametrize("gzip_raw", [False, True], ids=["plain", "gzip"])
def test_happy_path_then_rerun_fetches_nothing(source: Path, cache: Path, gzip_raw: bool) -> None:
    expected = build_manifest(source, find_results_files(source))
    with GitHubMirror(source, gzip_raw=gzip_raw) as mirror:
        manifest = download(mirror, cache)
        n = len(expected)
        assert mirror.api_calls == 1 and mirror.count_prefix("/raw/") == n  # 1 list call + N files
        download(mirror, cache)
        assert mirror.api_calls == 2 and mirror.count_prefix("/raw/") == n  # rerun: all verified
    assert read_csv(manifest).equals(expected)
    assert cached_files(cache) == find_results_files(source)  # task.json, README.md, deeper files: not fetched
    for rel in find_results_files(source):
        assert (cache / rel).read_bytes() == (source / rel).read_bytes()


def test_run_logs_requests_fetched_and_skipped(
    mirror: GitHubMirror, cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    n = len(scores_of(mirror))
    with caplog.at_level(logging.INFO):
        download(mirror, cache)
    assert f"{1 + n} requests (1 API calls); {n} files fetched" in caplog.text
    kb = sum(len(mirror.files[p]) for p in scores_of(mirror)) / 1000  # 4.82 kB for the fake tree
    assert f"download: {kb:.3g} kB/{kb:.3g} kB (100%), " in caplog.text and f", {n}/{n} files" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO):
        download(mirror, cache)
    assert f"1 requests (1 API calls); 0 files fetched (0.0 MB), {n} skipped as already verified" in caplog.text


@pytest.mark.parametrize(
    "fault",
    [Status(500), Status(502), Status(429, {"retry-after": "1"}), Drop(), Truncated(10), Body(b"{}")],
    ids=["500", "502", "429-retry-after", "dropped", "truncated", "wrong-content"],
)
def test_transient_failure_then_success(mirror: GitHubMirror, cache: Path, fault: Any) -> None:
    rel = first_file(mirror)
    mirror.inject(mirror.raw_path(rel), fault)
    start = time.monotonic()
    download(mirror, cache)
    assert mirror.count(mirror.raw_path(rel)) == 2
    if isinstance(fault, Status) and "retry-after" in fault.headers:
        assert time.monotonic() - start >= 0.9  # the retry-after was honoured
    assert_cache_clean(cache, mirror)
    assert cached_files(cache) == scores_of(mirror)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Body(b"{}"), "wrong content"),
        (Truncated(10), "IncompleteRead|Connection broken"),
        (Body(b" " * 5_000_000), "larger than"),  # far more than its tree size: capped, not read whole
        (Status(503), "HTTP 503"),
    ],
    ids=["wrong-content", "truncated", "oversize", "503"],
)
def test_persistent_bad_file_fails_naming_the_path(mirror: GitHubMirror, cache: Path, fault: Any, reason: str) -> None:
    rel = first_file(mirror)
    mirror.inject(mirror.raw_path(rel), *[fault] * 3)
    with pytest.raises(DownloadError, match=rf"{re.escape(rel)} .*({reason}).*gave up after 3 attempts"):
        download(mirror, cache, retries=2)
    assert mirror.count(mirror.raw_path(rel)) == 3
    assert rel not in cached_files(cache)
    assert_cache_clean(cache, mirror)


def test_raw_rate_limit_mid_run_leaves_only_verified_files(mirror: GitHubMirror, cache: Path) -> None:
    rel = scores_of(mirror)[3]
    mirror.inject(mirror.raw_path(rel), Status(429, {"retry-after": "3600"}))
    with pytest.raises(DownloadError, match=rf"{re.escape(rel)} \(.*\): rate limited \(HTTP 429\).*UTC"):
        download(mirror, cache, workers=1)
    assert cached_files(cache) == scores_of(mirror)[:3]  # stopped at the first error, nothing half-written
    assert_cache_clean(cache, mirror)


def test_dropped_connections_then_rerun_fetches_only_missing(mirror: GitHubMirror, cache: Path) -> None:
    paths = scores_of(mirror)
    mirror.inject(mirror.raw_path(paths[4]), Drop(), Drop())
    with pytest.raises(DownloadError, match=rf"{re.escape(paths[4])} .*RemoteDisconnected.*gave up after 2 attempts"):
        download(mirror, cache, workers=1, retries=1)
    assert cached_files(cache) == paths[:4]
    assert_cache_clean(cache, mirror)
    before = len(mirror.seen)
    download(mirror, cache, workers=1, retries=1)
    rerun = mirror.seen[before:]
    assert [s.path for s in rerun if s.path.startswith("/raw/")] == [mirror.raw_path(p) for p in paths[4:]]
    assert sum(s.path.startswith("/api/") for s in rerun) == 1
    assert cached_files(cache) == paths


def test_corrupt_cached_file_is_refetched(mirror: GitHubMirror, cache: Path) -> None:
    download(mirror, cache)
    rel = first_file(mirror)
    (cache / rel).write_text("tampered")
    (cache / Path(rel).parent / f".{Path(rel).name}.abc.tmp").write_text("left by a killed run")
    download(mirror, cache)
    assert mirror.count(mirror.raw_path(rel)) == 2
    assert cached_files(cache) == scores_of(mirror)
    assert_cache_clean(cache, mirror)


def test_symlinked_folder_in_cache_cannot_lead_outside(mirror: GitHubMirror, tmp_path: Path, cache: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (cache / "bigbench").mkdir(parents=True)
    (cache / "bigbench" / "benchmark_tasks").symlink_to(outside)
    with pytest.raises(DownloadError, match="resolves outside the cache"):
        download(mirror, cache)
    assert list(outside.iterdir()) == []


def test_endless_slow_body_ends_within_the_timeout(mirror: GitHubMirror, cache: Path) -> None:
    rel = first_file(mirror)
    mirror.inject(mirror.raw_path(rel), SlowBody(interval_s=0.02), SlowBody(interval_s=0.02))
    start = time.monotonic()
    with pytest.raises(DownloadError, match=rf"{re.escape(rel)} .*too slow.*gave up after 2 attempts"):
        download(mirror, cache, timeout_s=0.5, retries=1)
    assert time.monotonic() - start < 4  # two attempts of ~0.5 s, not the mirror's 20 s
    assert rel not in cached_files(cache)
    assert_cache_clean(cache, mirror)


def test_fetch_entries_with_no_entries_makes_no_request(mirror: GitHubMirror, cache: Path) -> None:
    with GitHubClient(api_url=mirror.api_url, repo=mirror.repo, timeout_s=5, retries=0) as client:
        stats = fetch_entries(client, [], raw_url=mirror.raw_url, commit=mirror.commit, cache=cache, workers=2)
    assert (stats.fetched, stats.skipped, client.requests_made) == (0, 0, 0)


# -- any repository ----------------------------------------------------------------------------
def test_download_folder_of_another_repository(mirror: GitHubMirror, tmp_path: Path) -> None:
    pythia = tmp_path / "pythia"
    zero_shot = write_fake_pythia(pythia)
    commit = mirror.add_repo("EleutherAI/pythia", pythia)
    cache = tmp_path / "pythia-cache"
    kwargs: dict[str, Any] = {
        "repo": "EleutherAI/pythia",
        "commit": commit,
        "patterns": ["evals/pythia-v1/*/zero-shot/*.json"],
        "cache": cache,
        "api_url": mirror.api_url,
        "raw_url": mirror.raw_url,
        "workers": 2,
        "retries": 0,
    }
    got = download_folder(**kwargs)
    assert got.paths == zero_shot and got.fetched == len(zero_shot) and got.api_calls == 1
    assert cached_files(cache) == zero_shot
    assert all((cache / p).read_bytes() == (pythia / p).read_bytes() for p in zero_shot)
    assert got.files() == [cache / p for p in zero_shot]
    again = download_folder(**kwargs)  # resumable: everything verified, nothing fetched
    assert (again.fetched, again.skipped, again.requests) == (0, len(zero_shot), 1)


# -- pinned files ------------------------------------------------------------------------------
def pinned(mirror: GitHubMirror, cache: Path, path: str, sha256: str, **overrides: Any) -> Path:
    kwargs = {"repo": mirror.repo, "commit": mirror.commit, "path": path, "sha256": sha256, "cache": cache}
    return download_pinned_file(**kwargs, raw_url=mirror.raw_url, retries=1, backoff_s=0.01, **overrides)


def test_pinned_file_is_fetched_once_and_verified(mirror: GitHubMirror, source: Path, cache: Path) -> None:
    rel = "bigbench/api/model.py"
    digest = sha256_file(source / rel)
    assert pinned(mirror, cache, rel, digest) == cache / rel
    assert (cache / rel).read_bytes() == (source / rel).read_bytes()
    assert pinned(mirror, cache, rel, digest.upper()) == cache / rel  # hex in either case
    assert mirror.count(mirror.raw_path(rel)) == 1 and mirror.api_calls == 0  # the raw host only, once


def test_pinned_file_with_another_sha256_is_one_line_naming_both(
    mirror: GitHubMirror, source: Path, cache: Path
) -> None:
    rel = "README.md"
    actual = sha256_file(source / rel)
    with pytest.raises(DownloadError) as info:
        pinned(mirror, cache, rel, "ab" * 32)
    message = str(info.value)
    where = f"google/BIG-bench@{mirror.commit[:12]}"
    assert message == f"README.md: sha256 {actual} does not match the pinned sha256 {'ab' * 32} ({where})"
    assert "\n" not in message and not (cache / rel).exists() and cached_files(cache) == []


def test_pinned_file_missing_is_named(mirror: GitHubMirror, cache: Path) -> None:
    with pytest.raises(DownloadError, match=r"^no/such\.json \(http://127\.0\.0\.1:\d+/raw/.*\): not found$"):
        pinned(mirror, cache, "no/such.json", "00" * 32)


def test_pinned_file_corrupt_in_cache_is_refetched(mirror: GitHubMirror, source: Path, cache: Path) -> None:
    rel = "README.md"
    cache.mkdir(parents=True)
    (cache / rel).write_text("tampered")
    pinned(mirror, cache, rel, sha256_file(source / rel))
    assert (cache / rel).read_bytes() == (source / rel).read_bytes()
    assert mirror.count(mirror.raw_path(rel)) == 1
