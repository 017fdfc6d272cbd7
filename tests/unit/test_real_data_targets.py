"""The real-data make targets work on any machine: pinned downloads by default, a local folder on request.

`make excerpt`, `extracts`, `lm-eval` and `images` name no folder of ours (../shared exists only on
the project's machines): without EXTRACTS=DIR / LM_EVAL=DIR they read the download cache, which the
fetch rules fill at the pinned commits. Offline, each fetch rule ends with one line naming the
variable to set (checked here against a closed loopback port; end to end in
tests/integration/test_real_data_downloads.py).
"""

import os
import shutil
import subprocess

import pytest
import yaml

from scripts.acquire import fetch_extracts, fetch_lm_eval
from scripts.lib.sources.extracts.registry import EXCERPT_ENTRIES, extract_files
from scripts.lib.sources.table import EXTRACTS_CACHE, LM_EVAL_CACHE
from tests.helpers.github_testing import closed_port, hermetic
from tests.helpers.snakemake_cli import ROOT

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make_dry_run(*args: str) -> list[str]:
    """The snakemake command lines `make -n ARGS` would run (EXTRACTS, LM_EVAL not inherited)."""
    env = {k: v for k, v in os.environ.items() if k not in ("EXTRACTS", "LM_EVAL")}
    proc = subprocess.run(["make", "-n", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return [line.strip() for line in proc.stdout.splitlines() if "snakemake" in line]


def test_no_target_or_default_points_at_our_shared_folder():
    assert "../shared" not in (ROOT / "Makefile").read_text()
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert config["extracts"]["path"] == EXTRACTS_CACHE and config["lm_eval"]["path"] == LM_EVAL_CACHE


@needs_make
@pytest.mark.parametrize(
    ("target", "source", "variable", "key", "fetch"),
    [
        ("excerpt", "excerpt", "EXTRACTS", "extracts", "fetch_extracts"),
        ("extracts", "extracts", "EXTRACTS", "extracts", "fetch_extracts"),
        ("lm-eval", "lm_eval", "LM_EVAL", "lm_eval", "fetch_lm_eval"),
    ],
)
def test_targets_download_by_default_and_read_a_folder_when_named(target, source, variable, key, fetch):
    # Default: the fetch rule alone first (offline it stops there, before any other job), then the run.
    first, run = make_dry_run(target)
    assert "--cores 1 " in first and first.endswith(f"--config source={source} -- {fetch}")
    assert run.endswith(f"--config source={source}") and "path" not in run
    (local,) = make_dry_run(target, f"{variable}=/data/my copy")
    assert local.endswith(f"--config source={source} {key}='{{path: /data/my copy}}'")


@needs_make
def test_images_use_the_same_variable():
    runs = [line for line in make_dry_run("images", "EXTRACTS=/data") if "--config source=ex" in line]
    assert len(runs) == 2 and all(line.endswith("extracts='{path: /data}'") for line in runs)
    fetch, *runs = [line for line in make_dry_run("images") if "--config source=ex" in line]
    assert fetch.endswith("--config source=extracts -- fetch_extracts")  # all five: the excerpt's two too
    assert len(runs) == 2 and not any("path" in line for line in runs)


def test_offline_extracts_fetch_ends_with_one_line_naming_the_variable(tmp_path, monkeypatch, caplog):
    hermetic(monkeypatch)
    port = closed_port()
    files = extract_files(EXCERPT_ENTRIES, tmp_path / "cache")
    with pytest.raises(SystemExit) as stop:
        fetch_extracts.run(
            files=files, use=EXCERPT_ENTRIES, raw_url=f"http://127.0.0.1:{port}/raw", timeout_s=2, retries=3
        )
    assert stop.value.code == 1
    (line,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert line == (
        f"cannot reach 127.0.0.1:{port} to fetch the pinned extracts; set EXTRACTS=DIR (make) or extracts.path "
        "(config) to a folder holding them"
    )
    assert not (tmp_path / "cache" / "real_excerpts").exists()


def test_offline_lm_eval_fetch_ends_with_one_line_naming_the_variable(tmp_path, monkeypatch, caplog):
    hermetic(monkeypatch)
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(SystemExit):
        fetch_lm_eval.run(
            listing=str(tmp_path / "cache" / ".download.csv"),
            repo="EleutherAI/pythia",
            commit="a" * 40,
            patterns=["evals/*.json"],
            api_url=f"{url}/api",
            raw_url=f"{url}/raw",
            workers=1,
            timeout_s=2,
            retries=3,
        )
    (line,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert line == (
        f"cannot reach 127.0.0.1:{port} to fetch the pinned lm-evaluation-harness results of EleutherAI/pythia; "
        "set LM_EVAL=DIR (make) or lm_eval.path (config) to a folder holding them"
    )
