"""What the GitHub client's tests share: a hermetic environment, the fake tree, the download call."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from scripts.acquire.download_files import run
from scripts.lib.sources.github.fetch import git_blob_sha_file
from scripts.lib.sources.manifest import is_results_file
from tests.helpers.fake_repos import write_fake_bigbench
from tests.helpers.github_mirror import GitHubMirror, git_blob_sha

TOKEN = "ghp_TESTTOKEN_must_never_leak_0123456789"
SHA = "0" * 40
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real token, no proxy between the client and the loopback mirror."""
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def fake_source(tmp_path: Path) -> Path:
    root = tmp_path / "source"
    write_fake_bigbench(root)
    return root


def download(mirror: GitHubMirror, cache: Path, **overrides: Any) -> Path:
    """download_files.run against the mirror with fast test settings; returns the manifest path."""
    manifest = cache.parent / "manifest.csv"
    kwargs: dict[str, Any] = {
        "manifest": str(manifest),
        "repo": mirror.repo,
        "commit": mirror.commit,
        "api_url": mirror.api_url,
        "raw_url": mirror.raw_url,
        "workers": 4,
        "timeout_s": 5,
        "retries": 2,
        "cache": str(cache),
        "backoff_s": 0.01,
    }
    run(**(kwargs | overrides))
    return manifest


def cached_files(cache: Path) -> list[str]:
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file()) if cache.exists() else []


def assert_cache_clean(cache: Path, mirror: GitHubMirror) -> None:
    """Only complete, verified files in the cache: no temp file, no partial file."""
    for rel in cached_files(cache):
        assert git_blob_sha_file(cache / rel) == git_blob_sha(mirror.files[rel]), rel


def scores_of(mirror: GitHubMirror) -> list[str]:
    """The scores files the mirror serves, in the order a one-worker download fetches them."""
    return sorted(p for p in mirror.files if is_results_file(p))


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused: 'offline')."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
