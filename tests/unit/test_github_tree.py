"""Listing a tree at a commit: path patterns, hostile entries, and the truncated-listing walk's cost."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scripts.lib.sources.github.client import DownloadError, GitHubClient
from scripts.lib.sources.github.tree import list_tree, path_matches, select_entries, split_patterns
from scripts.lib.sources.manifest import find_results_files, is_results_file
from tests.helpers.fake_repos import write_fake_bigbench, write_fake_pythia
from tests.helpers.github_mirror import GitHubMirror
from tests.helpers.github_testing import SHA, cached_files, download, fake_source

BIGBENCH = ["bigbench/benchmark_tasks/*/results/scores_*.json"]
RESULTS = "bigbench/benchmark_tasks/t/results"


def listed(mirror: GitHubMirror, patterns: list[str], *, repo: str | None = None, commit: str | None = None) -> Any:
    """(entries, API calls the client counted) for one listing against the mirror."""
    with GitHubClient(api_url=mirror.api_url, repo=repo or mirror.repo, timeout_s=5, retries=0) as client:
        entries = list_tree(client, commit or mirror.commit, patterns, keep=None)
    return entries, client.api_calls


def entry(path: str, mode: str = "100644", kind: str = "blob") -> dict[str, Any]:
    return {"path": path, "mode": mode, "type": kind, "sha": SHA, "size": 3}


# -- patterns ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "pattern", "hit"),
    [
        ("bigbench/benchmark_tasks/t/results/scores_a.json", BIGBENCH[0], True),
        ("bigbench/benchmark_tasks/t/results/sub/scores_a.json", BIGBENCH[0], False),  # '*' is one segment
        ("bigbench/benchmark_tasks/a/b/results/scores_a.json", BIGBENCH[0], False),
        ("evals/pythia-v1/pythia-70m/zero-shot/x.json", "evals/pythia-v1/*/zero-shot/*.json", True),
        ("evals/pythia-v1/pythia-70m/five-shot/x.json", "evals/pythia-v1/*/zero-shot/*.json", False),
        ("evals/x.json", "evals/**/*.json", True),  # '**' = no folder
        ("evals/a/b/c/x.json", "evals/**/*.json", True),  # '**' = three folders
        ("Evals/x.json", "evals/**/*.json", False),  # case-sensitive
        ("data/v1/t.csv", "data/v[0-9]/?.csv", True),
    ],
)
def test_path_matches_one_segment_at_a_time(path: str, pattern: str, hit: bool) -> None:
    assert path_matches(path, split_patterns([pattern])) is hit


@pytest.mark.parametrize("pattern", ["", "/abs/*.json", "a/../b", "a//b", "./a"])
def test_bad_pattern_is_refused_naming_it(pattern: str) -> None:
    with pytest.raises(DownloadError, match="path pattern"):
        split_patterns([pattern])


def test_select_keeps_regular_matching_files_only() -> None:
    items = [
        entry(f"{RESULTS}/scores_b.json"),
        entry(f"{RESULTS}/scores_a.json", mode="100755"),
        entry(f"{RESULTS}/scores_dir.json", mode="040000", kind="tree"),
        entry(f"{RESULTS}/scores_sub.json", mode="160000", kind="commit"),  # a submodule
        entry(f"{RESULTS}/README.md"),
        entry(f"{RESULTS}/sub/scores_deep.json"),
        entry("docs/link", mode="120000"),  # a symlink that is not selected is no concern
    ]
    chosen = select_entries(items, split_patterns(BIGBENCH), is_results_file)
    assert [e.path for e in chosen] == [f"{RESULTS}/scores_a.json", f"{RESULTS}/scores_b.json"]


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
        select_entries([entry(f"{RESULTS}/scores_ok.json"), item], split_patterns(BIGBENCH))


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_mirror_tree_sha_is_gits(tmp_path: Path) -> None:
    """The mirror's root tree sha is what git computes for the same folder (modes and order included)."""
    source = fake_source(tmp_path)
    git = [str(shutil.which("git")), "-C", str(source)]
    env = {"HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}  # no user or system git config
    subprocess.run([*git, "init", "-q"], check=True, env=env)
    subprocess.run([*git, "add", "-A"], check=True, env=env)
    tree = subprocess.run([*git, "write-tree"], check=True, env=env, capture_output=True, text=True)
    shutil.rmtree(source / ".git")
    with GitHubMirror(source) as mirror:
        assert mirror.root_tree == tree.stdout.strip()


# -- the truncated walk ------------------------------------------------------------------------
def test_one_recursive_call_when_not_truncated(tmp_path: Path) -> None:
    with GitHubMirror(fake_source(tmp_path)) as mirror:
        entries, calls = listed(mirror, BIGBENCH)
        assert calls == mirror.api_calls == 1
    assert [e.path for e in entries] == find_results_files(tmp_path / "source")


@pytest.mark.parametrize(
    ("limit", "calls"),
    [
        # The root listing holds 895 entries in git's order: README.md, bigbench, bigbench/api,
        # bigbench/api/model.py, bigbench/benchmark_tasks (5), then 10 per task folder (the folder and
        # the 9 below it). A task folder's own recursive listing has 9 entries, so it is never cut.
        (9, 1 + 1 + 89),  # only the first 5 + 4 entries: root and bigbench known in full; benchmark_tasks
        # listed (1 call), then one recursive call for each of the 89 task folders
        (100, 1 + 1 + 80),  # 5 + 9 x 10 + 5: task_00..task_08 known in full, 80 task folders left
        (450, 1 + 1 + 45),  # 5 + 44 x 10 + 5: 44 task folders known in full, 45 left
    ],
)
def test_truncated_walk_costs_at_most_one_call_per_task_folder(tmp_path: Path, limit: int, calls: int) -> None:
    """89 task folders (the old two-calls-per-task walk made 182 on this tree); GitHub cuts the root listing at `limit`.

    Folders that the cut listing holds in full (proved by recomputing their git tree sha) cost nothing more.
    """
    source = tmp_path / "source"
    tasks = tuple(f"task_{i:02d}" for i in range(89))
    write_fake_bigbench(source, tasks=tasks)
    with GitHubMirror(source) as full:
        expected, _ = listed(full, BIGBENCH)
    with GitHubMirror(source, max_recursive_entries=limit) as cut:
        walked, made = listed(cut, BIGBENCH)
        assert made == cut.api_calls == calls <= 1 + 3 + len(tasks)  # the bound: one per task folder + 4
    assert walked == expected and len(walked) == 3 * len(tasks)


def test_truncated_everywhere_still_lists_everything(tmp_path: Path) -> None:
    """Every recursive listing cut to a third: task folders are split into their own folders."""
    source = fake_source(tmp_path)
    with GitHubMirror(source, truncate_recursive=True) as cut:
        walked, calls = listed(cut, BIGBENCH)
        # root recursive (cut at 11 of 35: root and bigbench known in full) + benchmark_tasks, then per
        # task: its recursive listing (cut), the task folder and its results folder (3 calls)
        assert calls == 1 + 1 + 3 * 3
    assert [e.path for e in walked] == find_results_files(source)


def test_any_repository_and_patterns(tmp_path: Path) -> None:
    """A non-BIG-bench repository at its commit, through the walk too."""
    pythia = tmp_path / "pythia"
    zero_shot = write_fake_pythia(pythia)
    with GitHubMirror(fake_source(tmp_path), max_recursive_entries=10) as mirror:
        commit = mirror.add_repo("EleutherAI/pythia", pythia)
        entries, calls = listed(mirror, ["evals/pythia-v1/*/zero-shot/*.json"], repo="EleutherAI/pythia", commit=commit)
        # recursive try, cut at 10: evals, evals/pythia-v1, its README.md, pythia-160m and 6 of its 8 entries;
        # so evals is known in full (one child), the root and pythia-v1 are listed (2 calls), then one
        # recursive call per size folder (3)
        assert calls == 1 + 2 + 3
    assert [e.path for e in entries] == zero_shot
    assert all(mirror.repos["EleutherAI/pythia"].files[e.path] for e in entries)


def test_no_matching_file_is_an_error(tmp_path: Path) -> None:
    from scripts.lib.sources.github.download import download_folder

    with GitHubMirror(fake_source(tmp_path)) as mirror:
        with pytest.raises(DownloadError, match=r"google/BIG-bench@[0-9a-f]{40}: no file matches nothing/\*\.csv"):
            download_folder(
                repo=mirror.repo,
                commit=mirror.commit,
                patterns=["nothing/*.csv"],
                cache=tmp_path / "cache",
                api_url=mirror.api_url,
                raw_url=mirror.raw_url,
                retries=0,
            )


@pytest.mark.parametrize("limit", [None, 2], ids=["recursive", "walk"])
@pytest.mark.parametrize(
    ("name", "mode", "folder"),
    [
        ("../x", "100644", "bigbench/benchmark_tasks"),
        ("/tmp/x", "100644", "bigbench/benchmark_tasks"),
        ("..\\..\\x", "100644", "bigbench/benchmark_tasks"),
        ("scores_link.json", "120000", "bigbench/benchmark_tasks/arithmetic/results"),
    ],
    ids=["dotdot", "absolute", "backslash", "symlink"],
)
def test_hostile_tree_entry_is_refused(tmp_path: Path, limit: int | None, name: str, mode: str, folder: str) -> None:
    """A listing that names such an entry stops everything; with limit 2 the walk lists each folder itself."""
    cache = tmp_path / "cache" / "snapshot"
    with GitHubMirror(fake_source(tmp_path), max_recursive_entries=limit) as mirror:
        mirror.add_entry(name, b"../../../../../../etc/passwd", mode=mode, folder=folder)
        with pytest.raises(DownloadError, match="refus"):
            download(mirror, cache)
        assert mirror.count_prefix("/raw/") == 0
    assert cached_files(cache) == []
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(tmp_path / "source")]
    assert outside == []


class CyclicClient:
    """A stand-in client whose every tree contains itself: what a hostile server could answer."""

    repo, api_url, api_calls = "o/r", "http://127.0.0.1:9", 0

    def api(self, path: str) -> str:
        return f"{self.api_url}/repos/{self.repo}/{path}"

    def get_json(self, url: str, *, missing: str | None = None) -> dict[str, Any]:
        self.api_calls += 1
        loop = {"path": "d", "mode": "040000", "type": "tree", "sha": "a" * 40}
        return {"tree": [loop], "truncated": "recursive=1" in url}


def test_a_cyclic_tree_ends_in_an_error_not_a_loop() -> None:
    client = CyclicClient()
    with pytest.raises(DownloadError, match="deeper than 64 folders"):
        list_tree(client, "a" * 40, ["**/x.json"])  # type: ignore[arg-type]
    assert client.api_calls < 200  # about two calls per level: bounded


def test_git_tree_sha_proves_a_folder_listing_complete(tmp_path: Path) -> None:
    """The sha recomputed from a folder's entries is git's (the mirror's, checked against git above) only when
    no entry is missing, added or altered: what lets the walk trust a cut listing's complete folders."""
    from scripts.lib.sources.github.tree import git_tree_sha

    with GitHubMirror(fake_source(tmp_path)) as mirror:
        snapshot = mirror.repos[mirror.repo]
    for folder, sha in snapshot.folders.items():
        entries = snapshot.trees[sha]
        assert git_tree_sha(reversed(entries)) == sha, folder  # any order: git's order is restored
        assert git_tree_sha(entries[1:]) != sha
        assert git_tree_sha([*entries, {**entries[0], "path": "extra"}]) != sha
        assert (
            git_tree_sha(
                [{**entries[0], "mode": "100755" if entries[0]["mode"] != "100755" else "100644"}, *entries[1:]]
            )
            != sha
        )
    assert git_tree_sha([{"path": "x", "mode": "100644", "type": "blob", "sha": "not hex"}]) is None
