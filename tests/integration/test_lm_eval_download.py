"""source=lm_eval with the default lm_eval.path: the pinned GitHub folder is fetched, then parsed.

A loopback mirror serves a small copy of real EleutherAI/pythia results files (from
../shared/data/lm_eval/pythia, upstream paths kept) as repository EleutherAI/pythia; the scores a
download run parses must equal those of the same files read in place (lm_eval.path = the copy).
"""

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from scripts.lib.io import read_csv
from tests.helpers.github_mirror import GitHubMirror
from tests.helpers.snakemake_cli import make_workdir, run_snakemake
from tests.integration.test_lm_eval_workflow import needs_shared, small_copy

pytestmark = [pytest.mark.integration, needs_shared]

REPO = "EleutherAI/pythia"
PATTERNS = ["evals/pythia-v1/*/zero-shot/*.json", "evals/opt/*.json"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "pythia"
    small_copy(root / "evals")
    (root / "evals" / "README.md").write_text("not a results file\n")
    return root


@pytest.fixture
def mirror(repo: Path) -> Iterator[GitHubMirror]:
    with GitHubMirror(repo, repo=REPO) as served:
        yield served


def test_default_path_downloads_the_pinned_folder(repo: Path, mirror: GitHubMirror, tmp_path: Path) -> None:
    work = make_workdir(tmp_path / "work")
    configfile = tmp_path / "lm_eval.yaml"  # nested lists and numbers need a configfile
    configfile.write_text(
        "source: lm_eval\n"
        f"github: {{api_url: {mirror.api_url}, raw_url: {mirror.raw_url}, workers: 2}}\n"
        f"lm_eval: {{github: {{repo: {REPO}, commit: {mirror.commit}, patterns: {PATTERNS}}}}}\n"
    )
    run_snakemake(work, "-c1", "results/lm-eval-pythia/scores.parquet", "--configfile", str(configfile))
    cache = work / "results" / ".cache" / "lm_eval" / "EleutherAI__pythia" / mirror.commit
    listing = read_csv(cache / ".download.csv")
    assert sorted(listing["path"]) == sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*.json"))
    downloaded = pd.read_parquet(work / "results" / "lm-eval-pythia" / "scores.parquet")

    run_snakemake(
        work,
        "-c1",
        "results/lm-eval-local/scores.parquet",
        "--config",
        "source=lm_eval",
        "run_name=lm-eval-local",
        f"lm_eval={{path: {repo}}}",
    )
    local = pd.read_parquet(work / "results" / "lm-eval-local" / "scores.parquet")
    keys = ["family", "model_name", "task", "shots", "metric"]
    pd.testing.assert_frame_equal(
        downloaded.drop(columns="source_file").sort_values(keys).reset_index(drop=True),
        local.drop(columns="source_file").sort_values(keys).reset_index(drop=True),
    )
    # a rerun is a no-op: nothing fetched again
    calls = mirror.api_calls
    proc = run_snakemake(work, "-c1", "results/lm-eval-pythia/scores.parquet", "--configfile", str(configfile))
    assert "Nothing to be done" in proc.stdout + proc.stderr and mirror.api_calls == calls
