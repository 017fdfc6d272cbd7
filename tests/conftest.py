"""Shared fixtures: one full sample run for the integration tests; the loopback GitHub mirror."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.github_mirror import GitHubMirror
from tests.helpers.github_testing import fake_source, hermetic
from tests.helpers.snakemake_cli import make_workdir, run_snakemake


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the group into the node id
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (make test: --dist loadgroup), every test of the one shared sample run goes to
    one worker, so the session fixture `sample_run` runs once, not once per worker."""
    for item in items:
        if "sample_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("sample_run"))


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees a real GitHub token or a proxy: every request goes to a loopback mirror or nowhere."""
    hermetic(monkeypatch)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A tiny BIG-bench tree (tests/helpers/fake_repos.py) for the mirror to serve."""
    return fake_source(tmp_path)


@pytest.fixture
def mirror(source: Path) -> Iterator[GitHubMirror]:
    """`source` served as google/BIG-bench on 127.0.0.1 (a module may serve something else)."""
    with GitHubMirror(source) as served:
        yield served


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full `source=sample` run shared by the integration tests (results/sample/ inside it)."""
    workdir = make_workdir(tmp_path_factory.mktemp("sample_run"))
    run_snakemake(workdir, "-c2", "--config", "source=sample")
    return workdir
