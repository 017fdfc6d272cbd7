"""fetch_extracts: a registry entry's pinned files from a (loopback) GitHub into extracts.path, verified."""

import hashlib

import pytest

from scripts.acquire.fetch_extracts import fetch_entry
from scripts.lib.sources.extracts.registry import Entry, PinnedFile
from scripts.lib.sources.github.client import DownloadError
from tests.helpers.github_mirror import GitHubMirror
from tests.helpers.github_testing import hermetic

BODY = b"Model,acc\nm,0.5\n"


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    hermetic(monkeypatch)
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    (repo / "data" / "scores.csv").write_bytes(BODY)
    with GitHubMirror(repo, repo="someone/extract") as m:
        yield m


def entry(commit: str, sha256: str) -> Entry:
    pinned = PinnedFile("project/data/scores.csv", "data/scores.csv", sha256)
    return Entry("fake", "someone/extract", commit, (pinned,), licence="MIT", citation="test")


def test_fetches_to_the_registry_path_once(mirror, tmp_path):
    good = entry(mirror.commit, hashlib.sha256(BODY).hexdigest())
    root = tmp_path / "cache"
    (path,) = fetch_entry(good, root, raw_url=mirror.raw_url, timeout_s=5, retries=0)
    assert path == root / "project" / "data" / "scores.csv" and path.read_bytes() == BODY
    assert mirror.count_prefix("/raw/") == 1
    fetch_entry(good, root, raw_url=mirror.raw_url, timeout_s=5, retries=0)
    assert mirror.count_prefix("/raw/") == 1  # already there with the pinned sha256: not fetched again


def test_a_different_body_is_one_line_naming_the_file_and_both_hashes(mirror, tmp_path):
    pinned = "0" * 64
    with pytest.raises(DownloadError) as err:
        fetch_entry(entry(mirror.commit, pinned), tmp_path / "cache", raw_url=mirror.raw_url, timeout_s=5, retries=0)
    text = str(err.value)
    assert "\n" not in text and "data/scores.csv" in text
    assert pinned in text and hashlib.sha256(BODY).hexdigest() in text
    assert not (tmp_path / "cache" / "project" / "data" / "scores.csv").exists()
