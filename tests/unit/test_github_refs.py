"""Ref -> commit sha, resolved once and then read from results/.cache/github/<owner>__<repo>/refs/."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.lib.sources.github.client import DownloadError
from scripts.lib.sources.github.refs import ref_cache_file, resolve_ref
from tests.helpers.github_mirror import GitHubMirror
from tests.helpers.github_testing import closed_port, fake_source


def test_first_resolution_is_cached_then_used_offline(tmp_path: Path) -> None:
    cache_dir = tmp_path / "results" / ".cache" / "github"
    said: list[str] = []
    with GitHubMirror(fake_source(tmp_path)) as mirror:
        options = {"repo": mirror.repo, "ref": "main", "timeout_s": 5, "cache_dir": cache_dir, "notify": said.append}
        assert resolve_ref(api_url=mirror.api_url, **options) == mirror.commit
        assert mirror.api_calls == 1 and said == []  # asked GitHub, nothing cached to mention
        commit = mirror.commit
    path = cache_dir / "google__BIG-bench" / "refs" / "main.sha"
    assert ref_cache_file(cache_dir, "google/BIG-bench", "main") == path
    lines = path.read_text().splitlines()
    assert lines[0] == commit and lines[1].startswith("resolved ") and lines[1].endswith(f"from {mirror.api_url}")
    offline = f"http://127.0.0.1:{closed_port()}"  # the mirror is gone: nothing answers any more
    assert resolve_ref(api_url=offline, **options) == commit
    (line,) = said
    when = lines[1].removeprefix("resolved ")
    assert (
        line
        == f"using cached sha {commit} for ref main of google/BIG-bench, resolved {when}; delete {path} to re-resolve"
    )


def test_no_cache_and_offline_is_the_usual_error(tmp_path: Path) -> None:
    offline = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(DownloadError, match=r"cannot reach .*/commits/main .*source=sample"):
        resolve_ref(api_url=offline, repo="google/BIG-bench", ref="main", timeout_s=5, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing cached from a failure


def test_a_commit_sha_needs_neither_network_nor_cache(tmp_path: Path) -> None:
    sha = "ab" * 20
    offline = f"http://127.0.0.1:{closed_port()}"
    assert resolve_ref(api_url=offline, repo="o/r", ref=sha, timeout_s=5, cache_dir=tmp_path) == sha
    assert list(tmp_path.iterdir()) == []


def test_a_ref_with_a_slash_is_one_file_name(tmp_path: Path) -> None:
    assert ref_cache_file(tmp_path, "o/r", "release/v1").name == "release%2Fv1.sha"


def test_a_damaged_cache_file_is_named(tmp_path: Path) -> None:
    path = ref_cache_file(tmp_path, "o/r", "main")
    path.parent.mkdir(parents=True)
    path.write_text("not a sha\n")
    with pytest.raises(DownloadError, match=rf"{path}: first line 'not a sha' is not a commit sha; delete the file"):
        resolve_ref(repo="o/r", ref="main", timeout_s=5, cache_dir=tmp_path)
