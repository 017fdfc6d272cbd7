"""Run the real snakemake CLI in a temporary working directory with a copy of the project's config."""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREE_LOCK = Path(tempfile.gettempdir()) / "bigbench-emergence-tests.lock"
"""Shared by the pytest-xdist workers: snakemake runs hold it shared, an edit of the tree exclusively."""
_held_exclusive = False
LIGHT_SIMULATIONS = ("calibration={draws: 200}", "vision={seeds: [0, 1, 2]}")
"""--config values (after the run's own) for runs whose subject is the data: the rules that simulate
(the verdicts' calibration, the vision models) still run every step, on fewer draws and seeds."""


@contextmanager
def tree_lock(*, exclusive: bool) -> Iterator[None]:
    """Hold TREE_LOCK. A test that edits a library module of the tree (tests/integration/test_reruns.py)
    takes it exclusively, so no snakemake run on another worker sees the edit; runs inside that block
    (the edit's own dry run) are not locked again."""
    global _held_exclusive
    if _held_exclusive:
        yield
        return
    with open(TREE_LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        _held_exclusive = exclusive
        try:
            yield
        finally:
            _held_exclusive = False
            fcntl.flock(handle, fcntl.LOCK_UN)


def snakemake_env(tmp: Path) -> dict[str, str]:
    """Environment for a snakemake subprocess that writes nothing to the home directory."""
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(tmp / ".cache")
    env["MPLCONFIGDIR"] = str(tmp / ".mpl")
    env.pop("GITHUB_TOKEN", None)
    return env


def run_snakemake(
    workdir: Path, *args: str, check: bool = True, timeout: float = 900, python_path: Path | None = None
) -> subprocess.CompletedProcess:
    """`python -m snakemake -s ROOT/Snakefile -d workdir ARGS`; on failure, show the stderr tail.

    `python_path`: a folder of extra packages (PYTHONPATH), e.g. the SLURM plugin's."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), *args]
    env = snakemake_env(workdir)
    if python_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(python_path), env.get("PYTHONPATH")]))
    with tree_lock(exclusive=False):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-4000:]}", pytrace=False)
    return proc


def make_workdir(path: Path) -> Path:
    """A working directory with a copy of config/ (as a user's checkout would have)."""
    shutil.copytree(ROOT / "config", path / "config")
    return path
