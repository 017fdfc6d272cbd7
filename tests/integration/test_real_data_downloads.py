"""The real-data runs' default route through the snakemake CLI: the pinned download, and offline.

`source: excerpt` with the default extracts.path fetches the two pinned files (from a loopback
server laid out as raw.githubusercontent.com, serving copies of ../shared/data's files at the
pinned commits; skipped without them), verifies them and gives the same scores as reading the
files in place. With nothing listening, the excerpt and lm_eval runs end with the one line that
names the variable to set, and no traceback.
"""

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from scripts.lib.sources.extracts.registry import EXCERPT_ENTRIES, entries
from scripts.lib.sources.manifest import sha256_file
from tests.helpers.extracts_testing import DATA, needs
from tests.helpers.github_testing import closed_port, hermetic
from tests.helpers.snakemake_cli import make_workdir, run_snakemake

pytestmark = pytest.mark.integration


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 — http.server's signature
        """No request lines on the test's stderr."""


@pytest.fixture
def raw_host(tmp_path: Path) -> Iterator[str]:
    """http://127.0.0.1:PORT/raw serving <repo>/<commit>/<upstream path> of the excerpt's pinned files."""
    served = tmp_path / "served"
    for entry in entries(EXCERPT_ENTRIES):
        for pinned in entry.files:
            target = served / "raw" / entry.repository / entry.commit / pinned.upstream
            target.parent.mkdir(parents=True)
            shutil.copyfile(DATA / pinned.local, target)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/raw"
    server.shutdown()
    server.server_close()


@needs("audit_table")
@needs("bigbench_csv")
def test_excerpt_downloads_the_pinned_files_by_default(raw_host, tmp_path, monkeypatch):
    hermetic(monkeypatch)
    work = make_workdir(tmp_path / "work")
    github = f"github={{raw_url: {raw_host}}}"
    run_snakemake(work, "-c1", "results/excerpt/scores.parquet", "--config", "source=excerpt", github)
    for pinned in (f for e in entries(EXCERPT_ENTRIES) for f in e.files):
        assert sha256_file(work / "results" / ".cache" / "extracts" / pinned.local) == pinned.sha256
    run_snakemake(
        work,
        "-c1",
        "results/excerpt-local/scores.parquet",
        "--config",
        "source=excerpt",
        "run_name=excerpt-local",
        f"extracts={{path: {DATA}}}",
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(work / "results" / "excerpt" / "scores.parquet"),
        pd.read_parquet(work / "results" / "excerpt-local" / "scores.parquet"),
    )


@pytest.mark.parametrize(
    ("source", "variable"),
    [("excerpt", "EXTRACTS=DIR (make) or extracts.path"), ("lm_eval", "LM_EVAL=DIR (make) or lm_eval.path")],
)
def test_offline_with_an_empty_cache_stops_with_one_line(source, variable, tmp_path, monkeypatch):
    hermetic(monkeypatch)
    url = f"http://127.0.0.1:{closed_port()}"
    run = {"excerpt": "excerpt", "lm_eval": "lm-eval-pythia"}[source]
    proc = run_snakemake(
        make_workdir(tmp_path),
        "-c1",
        f"results/{run}/scores.parquet",
        "--config",
        f"source={source}",
        f"github={{api_url: {url}/api, raw_url: {url}/raw}}",
        check=False,
    )
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if f"set {variable} (config) to a folder holding them" in line]
    assert lines and f"cannot reach {url.removeprefix('http://')} to fetch the pinned" in lines[0]
    assert "Traceback" not in proc.stderr
