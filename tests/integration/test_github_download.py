"""The download rule under the snakemake CLI, and a dry run / lint offline once the ref is cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.lib.io import read_csv
from scripts.lib.sources.github.refs import ref_cache_file
from scripts.lib.sources.manifest import build_manifest, find_results_files
from tests.helpers.github_mirror import GitHubMirror
from tests.helpers.github_testing import closed_port
from tests.helpers.snakemake_cli import make_workdir, run_snakemake

pytestmark = pytest.mark.integration

SHA = "6e68a55da4ccab0b3e911bcce22d9009d00c83b1"  # any 40-hex sha: the dry run only names the run folder


def test_download_rule_under_snakemake(source: Path, mirror: GitHubMirror, tmp_path: Path) -> None:
    """The rule script runs as Snakemake runs it and writes the manifest list_files would; the ref is cached."""
    workdir = make_workdir(tmp_path / "workdir")
    configfile = tmp_path / "github.yaml"  # nested numbers need a configfile (--config gives strings)
    configfile.write_text(
        f"source: github\ngithub:\n  api_url: {mirror.api_url}\n  raw_url: {mirror.raw_url}\n  workers: 2\n"
    )
    manifest = f"results/bigbench-{mirror.commit[:12]}/manifest.csv"
    run_snakemake(workdir, "-c1", manifest, "--configfile", str(configfile))
    assert read_csv(workdir / manifest).equals(build_manifest(source, find_results_files(source)))
    cached = ref_cache_file(workdir / "results" / ".cache" / "github", mirror.repo, "main")
    assert cached.read_text().splitlines()[0] == mirror.commit
    assert mirror.count(mirror.api_path("commits/main")) == 1


@pytest.mark.parametrize("mode", ["-n", "--lint"])
def test_default_config_offline_with_a_cached_ref(tmp_path: Path, mode: str) -> None:
    """Default config (github, ref main, api.github.com): no request is made once main.sha is cached."""
    workdir = make_workdir(tmp_path / "workdir")
    cached = ref_cache_file(workdir / "results" / ".cache" / "github", "google/BIG-bench", "main")
    cached.parent.mkdir(parents=True)
    cached.write_text(f"{SHA}\nresolved 2026-01-02 03:04:05 UTC from https://api.github.com\n")
    proc = run_snakemake(workdir, "-c1", mode)
    relative = cached.relative_to(workdir)
    line = (
        f"using cached sha {SHA} for ref main of google/BIG-bench, resolved 2026-01-02 03:04:05 UTC from "
        f"https://api.github.com; delete {relative} to re-resolve"
    )
    assert line in proc.stdout + proc.stderr  # a dry run logs to stdout, lint to stderr
    if mode == "-n":
        assert f"results/bigbench-{SHA[:12]}/manifest.csv" in proc.stdout and "download_files" in proc.stdout


def test_offline_without_a_cached_ref_is_one_line(tmp_path: Path) -> None:
    workdir = make_workdir(tmp_path / "workdir")
    api_url = f"http://127.0.0.1:{closed_port()}"  # offline, whatever the machine's network
    proc = run_snakemake(workdir, "-c1", "-n", "--config", f"github={{api_url: {api_url}}}", check=False)
    assert proc.returncode != 0
    output = (proc.stdout + proc.stderr).splitlines()
    (line,) = [text for text in output if text.startswith("cannot reach ")]
    assert f"{api_url}/repos/google/BIG-bench/commits/main" in line and "source=sample" in line
    assert not (workdir / "results" / ".cache" / "github" / "google__BIG-bench" / "refs").exists()
