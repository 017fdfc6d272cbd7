"""The download path and the local-clone path give the same tidy table (docs/design.md §12)."""

import time

import pandas as pd
import pytest

from scripts.acquire.synthesize_sample import run as synthesize
from scripts.lib.io import read_csv
from tests.helpers.github_mirror import GitHubMirror
from tests.helpers.snakemake_cli import ROOT, make_workdir, run_snakemake

pytestmark = pytest.mark.integration


def test_mirror_download_parses_to_the_same_table_as_a_local_clone(tmp_path):
    clone = tmp_path / "clone"
    synthesize(
        task_metadata=str(ROOT / "config/bigbench_task_metadata.csv"),
        snapshot=str(clone),
        scale="small",
        seed=3,
        annotations=str(ROOT / "config/annotations/wei2022_emergent_bigbench_tasks.csv"),
    )
    workdir = make_workdir(tmp_path / "work")
    with GitHubMirror(clone) as mirror:
        configfile = tmp_path / "github.yaml"
        configfile.write_text(f"source: github\ngithub:\n  api_url: {mirror.api_url}\n  raw_url: {mirror.raw_url}\n")
        run_dir = f"results/bigbench-{mirror.commit[:12]}"
        start = time.monotonic()
        run_snakemake(workdir, "-c2", f"{run_dir}/scores.parquet", "--configfile", str(configfile))
        elapsed = time.monotonic() - start
        n_requests = len(mirror.seen)
    local_dir = "results/local-clone"
    run_snakemake(workdir, "-c2", f"{local_dir}/scores.parquet", "--config", "source=local", f"local={{path: {clone}}}")
    downloaded = pd.read_parquet(workdir / run_dir / "scores.parquet")
    local = pd.read_parquet(workdir / local_dir / "scores.parquet")
    pd.testing.assert_frame_equal(downloaded, local)
    manifest = read_csv(workdir / run_dir / "manifest.csv")
    pd.testing.assert_frame_equal(manifest, read_csv(workdir / local_dir / "manifest.csv"))
    # One commit lookup at DAG-build time, one recursive tree listing, one request per file.
    print(f"{len(manifest)} files, {n_requests} requests, {elapsed:.1f} s through snakemake")
    assert n_requests <= len(manifest) + 3
