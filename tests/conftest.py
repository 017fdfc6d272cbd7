"""Shared fixtures: one full sample run for the integration tests."""

from pathlib import Path

import pytest

from tests.helpers.snakemake_cli import make_workdir, run_snakemake


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full `source=sample` run shared by the integration tests (results/sample/ inside it)."""
    workdir = make_workdir(tmp_path_factory.mktemp("sample_run"))
    run_snakemake(workdir, "-c2", "--config", "source=sample")
    return workdir
