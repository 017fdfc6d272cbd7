"""Interrupted runs (docs/design.md §11.4): SIGKILL the whole snakemake process group mid-rule, rerun.

What a kill leaves behind, checked here, and what the README ("Robustness") tells users to do:
- Snakemake's lock on the working directory: a plain rerun stops with "Directory cannot be
  locked" until `snakemake --unlock` (same --config) removes it; Snakemake has no stale-lock
  detection, so a plain rerun cannot "just work" after a SIGKILL.
- The killed job's outputs are marked incomplete in .snakemake/. Our scripts write every output
  to a temporary name and rename it, so an output either does not exist or is complete; when none
  exists the rerun simply makes them. A rule with two outputs can be killed between its two
  renames, though: then Snakemake refuses ("seem to be incomplete") until the rerun is given
  `--rerun-incomplete`, which remakes exactly those.
- Finished steps are not redone (the snapshot, the manifest; the download cache keeps every
  verified file), and the results are byte-identical to an uninterrupted run.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts.lib.io import read_csv
from scripts.lib.sources.github.client import repo_slug
from scripts.lib.sources.manifest import build_manifest, find_results_files
from tests.helpers.snakemake_cli import ROOT, make_workdir, run_snakemake, snakemake_env, tree_lock

pytestmark = pytest.mark.integration

TARGETS = [
    "results/sample/manifest.csv",
    "results/sample/scores.parquet",
    "results/sample/curves.parquet",
    "results/sample/emergence.parquet",
    "results/sample/emergence.csv",
    "results/sample/tables/excluded_curves.csv",
    "results/sample/tables/unknown_metrics.csv",
    "results/sample/provenance.json",
]
SAMPLE = ["--config", "source=sample"]


def start_snakemake(workdir: Path, *args: str, log: Path) -> subprocess.Popen:
    """snakemake as the leader of a new process group (so the group can be killed as a whole)."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), *args]
    with open(log, "wb") as out:
        return subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=snakemake_env(workdir), start_new_session=True
        )


def kill_group_when(proc: subprocess.Popen, ready: Callable[[], bool], *, timeout: float = 120) -> None:
    """Poll `ready`; then SIGKILL snakemake's whole process group and wait until no member is left."""
    end = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"snakemake ended (exit {proc.returncode}) before the point of the kill"
        assert time.monotonic() < end, "the point of the kill never came"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    end = time.monotonic() + 30
    while True:  # every process of the group (rule scripts, parse workers) is gone: no orphans
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < end, "processes of the killed group are still running"
        time.sleep(0.05)


def output_files(run: Path) -> dict[str, bytes]:
    """Every file of a run folder but the rule logs and benchmarks (they hold times)."""
    files = {}
    for path in sorted(run.rglob("*")):
        rel = path.relative_to(run).as_posix()
        if path.is_file() and not rel.startswith("benchmarks/") and not rel.endswith(".log"):
            files[rel] = path.read_bytes()
    return files


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    workdir = make_workdir(tmp_path_factory.mktemp("uninterrupted"))
    run_snakemake(workdir, "-c2", *TARGETS, *SAMPLE)
    return output_files(workdir / "results" / "sample")


def test_kill_during_parse_then_unlock_and_rerun_gives_identical_outputs(uninterrupted, tmp_path):
    workdir = make_workdir(tmp_path / "work")
    run = workdir / "results" / "sample"
    parse_log = run / "logs" / "parse_scores.log"
    with tree_lock(exclusive=False):
        proc = start_snakemake(workdir, "-c2", *TARGETS, *SAMPLE, log=tmp_path / "killed.out")
        # parse_scores logs "parsing N scores files" once its imports are done and the work starts
        kill_group_when(proc, lambda: parse_log.exists() and "parsing " in parse_log.read_text())

    # What the kill left: the finished steps, and no output of parse (nothing half-written).
    assert (run / "snapshot").is_dir() and (run / "manifest.csv").is_file()
    assert not (run / "scores.parquet").exists() and not (run / "logs" / "bad_files.csv").exists()
    assert not [p for p in run.rglob("*.tmp")]

    # A plain rerun is refused: Snakemake cannot tell a stale lock from a running instance.
    proc = run_snakemake(workdir, "-c2", *TARGETS, *SAMPLE, check=False)
    assert proc.returncode != 0 and "Directory cannot be locked" in proc.stderr
    assert "--unlock" in proc.stderr

    # Had the kill come between parse's two renames, one output would exist, marked incomplete:
    # make that case here (the content is garbage on purpose) to see what Snakemake does with it.
    (run / "logs" / "bad_files.csv").write_text("half a run\n")
    run_snakemake(workdir, "-c1", "--unlock", *SAMPLE)
    proc = run_snakemake(workdir, "-c2", *TARGETS, *SAMPLE, check=False)
    assert proc.returncode != 0 and "IncompleteFilesException" in proc.stderr
    assert "results/sample/logs/bad_files.csv" in proc.stderr and "--rerun-incomplete" in proc.stderr

    # What the README says: --unlock (done above), then the same command with --rerun-incomplete.
    proc = run_snakemake(workdir, "-c2", *TARGETS, *SAMPLE, "--rerun-incomplete")
    jobs = proc.stdout + proc.stderr
    assert "rule parse_scores:" in jobs
    assert "rule synthesize_sample:" not in jobs and "rule list_files:" not in jobs  # not redone

    rerun = output_files(run)
    assert sorted(rerun) == sorted(uninterrupted)
    differ = [name for name in uninterrupted if rerun[name] != uninterrupted[name]]
    assert not differ, f"differ from an uninterrupted run: {differ}"
    proc = run_snakemake(workdir, "-n", "-c2", *TARGETS, *SAMPLE)
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_kill_during_download_then_rerun_fetches_only_missing_files(tmp_path, monkeypatch):
    from tests.helpers.fake_repos import write_fake_bigbench
    from tests.helpers.github_mirror import GitHubMirror
    from tests.helpers.http_faults import SlowBody

    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    source = tmp_path / "source"
    paths = write_fake_bigbench(source)  # sorted: the order a one-worker download fetches them
    workdir = make_workdir(tmp_path / "work")
    with GitHubMirror(source) as mirror:
        configfile = tmp_path / "github.yaml"  # nested numbers need a configfile (--config gives strings)
        configfile.write_text(
            f"source: github\ngithub:\n  api_url: {mirror.api_url}\n  raw_url: {mirror.raw_url}\n"
            "  workers: 1\n  timeout_s: 30\n  retries: 0\n"
        )
        options = ["--configfile", str(configfile)]
        manifest = f"results/bigbench-{mirror.commit[:12]}/manifest.csv"
        cache = workdir / "results" / ".cache" / "github" / repo_slug(mirror.repo) / mirror.commit

        # The fifth file's answer trickles in forever: the download is caught in the middle.
        stuck = mirror.raw_path(paths[4])
        mirror.inject(stuck, SlowBody(interval_s=0.05, max_s=60))
        with tree_lock(exclusive=False):
            proc = start_snakemake(workdir, "-c1", manifest, *options, log=tmp_path / "killed.out")
            kill_group_when(proc, lambda: mirror.count(stuck) == 1)
        assert cache.is_dir() and find_results_files(cache) == paths[:4]
        assert not (workdir / manifest).exists()

        run_snakemake(workdir, "-c1", "--unlock", *options)
        before = len(mirror.seen)
        run_snakemake(workdir, "-c1", manifest, *options)
        fetched = [s.path for s in mirror.seen[before:] if s.path.startswith("/raw/")]
        assert fetched == [mirror.raw_path(p) for p in paths[4:]]  # nothing fetched twice

    assert read_csv(workdir / manifest).equals(build_manifest(source, paths))
    cached = sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())
    assert cached == paths  # no temporary file of the killed download is left
    assert all((cache / p).read_bytes() == (source / p).read_bytes() for p in paths)
