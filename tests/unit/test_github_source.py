"""Tests of the GitHub downloader (issue 4) and its behaviour against a hostile mirror (issue 9).

Everything runs against tests/github_mirror.py on 127.0.0.1; backoff is shortened to milliseconds.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import socket
import subprocess
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.download_files import run
from scripts.lib.github_source import (
    DownloadError,
    GitHubClient,
    Progress,
    fetch_files,
    git_blob_sha_file,
    list_results_files,
    resolve_commit,
    select_results_entries,
)
from scripts.lib.io import read_csv
from scripts.lib.manifest import build_manifest, find_results_files, is_results_file
from tests.helpers.github_mirror import (
    Body,
    Drop,
    GitHubMirror,
    SlowBody,
    Status,
    Truncated,
    git_blob_sha,
    rate_limited,
    write_fake_bigbench,
)

TOKEN = "ghp_TESTTOKEN_must_never_leak_0123456789"
SHA = "0" * 40


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real token, no proxy between the client and the loopback mirror."""
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "source"
    write_fake_bigbench(root)
    return root


@pytest.fixture
def mirror(source: Path) -> Iterator[GitHubMirror]:
    with GitHubMirror(source) as served:
        yield served


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "snapshot"


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
    """Only complete, verified scores files in the cache: no temp file, no partial file."""
    for rel in cached_files(cache):
        assert git_blob_sha_file(cache / rel) == git_blob_sha(mirror.files[rel]), rel


def scores_of(mirror: GitHubMirror) -> list[str]:
    """The scores files the mirror serves, in the order a one-worker download fetches them."""
    return sorted(p for p in mirror.files if is_results_file(p))


# -- pure pieces ------------------------------------------------------------------------------
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


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_mirror_tree_sha_is_gits(source: Path, tmp_path: Path) -> None:
    """The mirror's root tree sha is what git computes for the same folder (modes and order included)."""
    git = [str(shutil.which("git")), "-C", str(source)]
    env = {"HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}  # no user or system git config
    subprocess.run([*git, "init", "-q"], check=True, env=env)
    subprocess.run([*git, "add", "-A"], check=True, env=env)
    tree = subprocess.run([*git, "write-tree"], check=True, env=env, capture_output=True, text=True)
    shutil.rmtree(source / ".git")
    with GitHubMirror(source) as mirror:
        assert mirror.root_tree == tree.stdout.strip()


def entry(path: str, mode: str = "100644", kind: str = "blob") -> dict[str, Any]:
    return {"path": path, "mode": mode, "type": kind, "sha": SHA, "size": 3}


RESULTS = "bigbench/benchmark_tasks/t/results"


def test_select_keeps_regular_scores_files_only() -> None:
    items = [
        entry(f"{RESULTS}/scores_b.json"),
        entry(f"{RESULTS}/scores_a.json", mode="100755"),
        entry(f"{RESULTS}/scores_dir.json", mode="040000", kind="tree"),
        entry(f"{RESULTS}/scores_sub.json", mode="160000", kind="commit"),  # a submodule
        entry(f"{RESULTS}/README.md"),
        entry(f"{RESULTS}/sub/scores_deep.json"),
        entry("docs/link", mode="120000"),  # a symlink that is not a scores file is no concern
    ]
    assert [e.path for e in select_results_entries(items)] == [f"{RESULTS}/scores_a.json", f"{RESULTS}/scores_b.json"]


@pytest.mark.parametrize(
    "item",
    [
        entry("../x"),
        entry("/etc/passwd"),
        entry("bigbench\\..\\x"),
        entry("bigbench/benchmark_tasks/../results/scores_a.json"),
        entry("bigbench//benchmark_tasks"),
        entry("./README.md"),
        entry(f"{RESULTS}/scores_link.json", mode="120000"),
        {**entry(f"{RESULTS}/scores_a.json"), "sha": "../../x"},
        {**entry(f"{RESULTS}/scores_a.json"), "size": -1},
    ],
    ids=lambda item: f"{item['path']}:{item['mode']}:{item['sha'][:5]}:{item['size']}",
)
def test_select_refuses_hostile_entries(item: dict[str, Any]) -> None:
    with pytest.raises(DownloadError, match="refus|sha/size"):
        select_results_entries([entry(f"{RESULTS}/scores_ok.json"), item])


def test_progress_line_on_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress(4, 4_000_000, stream=stream)
    with caplog.at_level(logging.INFO, logger="scripts.lib.github_source"):
        for _ in range(4):
            progress.add(1_000_000)
        progress.close()
    shown = stream.getvalue()
    assert shown.startswith("\r1/4 files, 1.0/4.0 MB, ") and "\r4/4 files, 4.0/4.0 MB, " in shown
    assert shown.endswith("ETA 0:00\n")
    assert sum("downloaded" in r.message for r in caplog.records) == 4  # every 10 % of 4 files = every file


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


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


# -- listing -----------------------------------------------------------------------------------
def test_truncated_tree_walks_subtrees_to_the_same_list(source: Path) -> None:
    with GitHubMirror(source) as full, GitHubClient(api_url=full.api_url, repo=full.repo, timeout_s=5, retries=0) as c:
        expected = list_results_files(c, full.commit)
    with GitHubMirror(source, truncate_recursive=True) as cut:
        with GitHubClient(api_url=cut.api_url, repo=cut.repo, timeout_s=5, retries=0) as client:
            walked = list_results_files(client, cut.commit)
        tasks = len(list((source / "bigbench" / "benchmark_tasks").iterdir()))
        # recursive try + root, bigbench, benchmark_tasks + each task + each task's results
        assert client.requests_made == cut.count_prefix("/api/") == 1 + 3 + 2 * tasks
        assert all(s.query == "" for s in cut.seen[1:])  # the walk makes non-recursive calls
    assert walked == expected
    assert [e.path for e in walked] == find_results_files(source)


# -- downloading -------------------------------------------------------------------------------
@pytest.mark.parametrize("gzip_raw", [False, True], ids=["plain", "gzip"])
def test_happy_path_then_rerun_fetches_nothing(source: Path, cache: Path, gzip_raw: bool) -> None:
    expected = build_manifest(source, find_results_files(source))
    with GitHubMirror(source, gzip_raw=gzip_raw) as mirror:
        manifest = download(mirror, cache)
        n = len(expected)
        assert mirror.count_prefix("/api/") == 1 and mirror.count_prefix("/raw/") == n  # 1 list call + N files
        download(mirror, cache)
        assert mirror.count_prefix("/api/") == 2 and mirror.count_prefix("/raw/") == n  # rerun: all verified
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
    assert f"{1 + n} requests; {n} files fetched" in caplog.text
    assert "downloaded" in caplog.text  # progress lines
    caplog.clear()
    with caplog.at_level(logging.INFO):
        download(mirror, cache)
    assert f"1 requests; 0 files fetched (0.0 MB), {n} skipped as already verified" in caplog.text


def first_file(mirror: GitHubMirror) -> str:
    return scores_of(mirror)[0]


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


def test_api_rate_limit_near_reset_is_waited_out(mirror: GitHubMirror, cache: Path) -> None:
    mirror.inject(mirror.api_path(f"git/trees/{mirror.commit}"), rate_limited(reset_in_s=0))
    download(mirror, cache)
    assert mirror.count_prefix("/api/") == 2


def test_api_rate_limit_far_reset_stops_with_reset_time(mirror: GitHubMirror, cache: Path) -> None:
    mirror.inject(mirror.api_path(f"git/trees/{mirror.commit}"), rate_limited(reset_in_s=3600))
    with pytest.raises(
        DownloadError, match=r"rate limited \(HTTP 403\).* at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC.*GITHUB_TOKEN"
    ):
        download(mirror, cache)
    assert mirror.count_prefix("/api/") == 1  # no hammering
    assert cached_files(cache) == []


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


# -- hostile mirror ----------------------------------------------------------------------------
def outside_files(tmp_path: Path, cache: Path) -> list[str]:
    """Files under tmp_path other than the source snapshot and the cache (there should be none)."""
    return [
        p.relative_to(tmp_path).as_posix()
        for p in tmp_path.rglob("*")
        if p.is_file() and not p.is_relative_to(tmp_path / "source") and not p.is_relative_to(cache)
    ]


@pytest.mark.parametrize("truncated", [False, True], ids=["recursive", "walk"])
@pytest.mark.parametrize(
    ("path", "mode"),
    [
        ("../x", "100644"),
        ("/tmp/x", "100644"),
        ("bigbench\\..\\..\\x", "100644"),
        ("bigbench/benchmark_tasks/arithmetic/results/scores_link.json", "120000"),
    ],
    ids=["dotdot", "absolute", "backslash", "symlink"],
)
def test_hostile_tree_entry_is_refused(
    source: Path, tmp_path: Path, cache: Path, truncated: bool, path: str, mode: str
) -> None:
    with GitHubMirror(source, truncate_recursive=truncated) as mirror:
        mirror.add_entry(path, b"../../../../../../etc/passwd", mode=mode)
        with pytest.raises(DownloadError, match="refus"):
            download(mirror, cache)
        assert mirror.count_prefix("/raw/") == 0
    assert cached_files(cache) == []
    assert outside_files(tmp_path, cache) == []


def test_symlinked_folder_in_cache_cannot_lead_outside(mirror: GitHubMirror, tmp_path: Path, cache: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (cache / "bigbench").mkdir(parents=True)
    (cache / "bigbench" / "benchmark_tasks").symlink_to(outside)
    with pytest.raises(DownloadError, match="resolves outside the cache"):
        download(mirror, cache)
    assert list(outside.iterdir()) == []


def test_redirect_to_another_host_is_refused(mirror: GitHubMirror, tmp_path: Path, cache: Path) -> None:
    rel = first_file(mirror)
    mirror.inject(mirror.raw_path(rel), Status(302, {"Location": f"http://localhost:{mirror.port}/elsewhere/x"}))
    with pytest.raises(
        DownloadError, match=rf"{re.escape(rel)} \(.*\): redirected to another host \(localhost:{mirror.port}\)"
    ):
        download(mirror, cache)
    assert mirror.count("/elsewhere/x") == 0
    assert rel not in cached_files(cache)
    assert outside_files(tmp_path, cache) == []


def test_redirect_on_the_same_host_is_followed(mirror: GitHubMirror, cache: Path) -> None:
    rel = first_file(mirror)
    mirror.inject(mirror.raw_path(rel), Status(301, {"Location": mirror.raw_file_url(rel)}))
    download(mirror, cache)
    assert mirror.count(mirror.raw_path(rel)) == 2
    assert_cache_clean(cache, mirror)


def test_endless_slow_body_ends_within_the_timeout(mirror: GitHubMirror, cache: Path) -> None:
    rel = first_file(mirror)
    mirror.inject(mirror.raw_path(rel), SlowBody(interval_s=0.02), SlowBody(interval_s=0.02))
    start = time.monotonic()
    with pytest.raises(DownloadError, match=rf"{re.escape(rel)} .*too slow.*gave up after 2 attempts"):
        download(mirror, cache, timeout_s=0.5, retries=1)
    assert time.monotonic() - start < 4  # two attempts of ~0.5 s, not the mirror's 20 s
    assert rel not in cached_files(cache)
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


def test_fetch_files_with_no_entries_makes_no_request(mirror: GitHubMirror, cache: Path) -> None:
    with GitHubClient(api_url=mirror.api_url, repo=mirror.repo, timeout_s=5, retries=0) as client:
        stats = fetch_files(client, [], raw_url=mirror.raw_url, commit=mirror.commit, cache=cache, workers=2)
    assert (stats.fetched, stats.skipped, client.requests_made) == (0, 0, 0)


# -- under snakemake ---------------------------------------------------------------------------
@pytest.mark.integration
def test_download_rule_under_snakemake(source: Path, mirror: GitHubMirror, tmp_path: Path) -> None:
    """The rule script runs as Snakemake runs it, and writes the same manifest as list_files would."""
    from tests.helpers.snakemake_cli import make_workdir, run_snakemake

    workdir = make_workdir(tmp_path / "workdir")
    configfile = tmp_path / "github.yaml"  # nested numbers need a configfile (--config gives strings)
    configfile.write_text(
        f"source: github\ngithub:\n  api_url: {mirror.api_url}\n  raw_url: {mirror.raw_url}\n  workers: 2\n"
    )
    manifest = f"results/bigbench-{mirror.commit[:12]}/manifest.csv"
    run_snakemake(workdir, "-c1", manifest, "--configfile", str(configfile))
    assert read_csv(workdir / manifest).equals(build_manifest(source, find_results_files(source)))
