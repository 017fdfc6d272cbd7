"""Reruns after config and code edits, byte-identical outputs, the report (docs/design.md §7).

The README's tables "What a config edit reruns" and "What a code edit reruns" are checked here row
by row: after a finished sample run, a dry run with the edited key (or after touching the library
module) must schedule exactly the rules the row lists.
`python -m tests.integration.test_reruns <workdir>` prints both tables for a finished run in <workdir>.
"""

import hashlib
import os
import re
import shutil
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tests.helpers.snakemake_cli import ROOT, run_snakemake, tree_lock

pytestmark = pytest.mark.integration

# Config edits checked against the README table: key -> --config arguments that change it, or a
# dict given as a --configfile (nested numbers given with --config arrive as strings).
EDITS: dict[str, list[str] | dict] = {
    "emergence_threshold": ["emergence_threshold=5"],
    "min_effect": ["min_effect=0.1"],
    "zero_median_floor": ["zero_median_floor=0.02"],
    "triplet_rule": ["triplet_rule=all"],
    "min_points": ["min_points=5"],
    "orient_metrics": ["orient_metrics=false"],
    "scale": ["scale=total_params"],
    "families": ["families=[GPT]"],
    "on_bad_file": ["on_bad_file=skip"],
    "figures.formats": ["figures={formats: [pdf, png, svg]}"],
    "fig6.n_tasks": {"fig6": {"n_tasks": 2}},
    "sample.seed": ["sample={seed: 1}"],
    "trend.permutations": {"trend": {"permutations": 200}},
    "bootstrap.samples": {"bootstrap": {"samples": 500}},
    "vision.subset_size": {"vision": {"subset_size": 3}},
    "toy.alpha": {"toy": {"alpha": -0.3}},
    "nonmonotone.draws": {"nonmonotone": {"draws": 100}},
    "calibration.coverage_floor": {"calibration": {"coverage_floor": 0.8}},
}


# Library modules whose edit is checked against the README's code-edit table.
CODE_EDITS = ["scripts/lib/present/plot_style.py", "scripts/lib/stats/emergence.py", "scripts/lib/present/latex.py"]


@contextmanager
def touched(module: str) -> Iterator[None]:
    """The module is edited (a comment line appended) for the block; its bytes and mtime come back after.

    A bare `touch` would not do: Snakemake skips an input that is newer than the outputs when its
    checksum is the one it recorded, so only a real edit shows. The original bytes and mtime are
    restored in a `finally`, so the tree is as it was whatever the dry run does.
    """
    path = ROOT / module
    with tree_lock(exclusive=True):  # no snakemake run of another pytest-xdist worker sees the edit
        before, stat = path.read_bytes(), path.stat()
        try:
            path.write_bytes(before + b"# edited by tests/integration/test_reruns.py\n")
            now = time.time() + 5
            os.utime(path, (now, now))
            yield
        finally:
            path.write_bytes(before)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def edit_args(workdir: Path, edit: list[str] | dict) -> list[str]:
    """snakemake arguments for one edit (a dict is written to a configfile in workdir)."""
    if isinstance(edit, dict):
        path = workdir / "edit.yaml"
        path.write_text(yaml.safe_dump({"source": "sample", **edit}))
        return ["--configfile", str(path)]
    return ["--config", "source=sample", *edit]


def scheduled_rules(workdir: Path, edit: list[str] | dict) -> set[str]:
    """Rules a dry run would execute with the edit (from the `Job stats:` table)."""
    proc = run_snakemake(workdir, "-n", "-c2", *edit_args(workdir, edit))
    out = proc.stdout
    if "Nothing to be done" in out:
        return set()
    stats = out.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+\s*$", stats, re.M)} - {"job", "all"}


def readme_table(heading: str = "### What a config edit reruns", keys: object = EDITS) -> dict[str, set[str]]:
    """The README rows `| key | rule, rule, ... |` under `heading`, for the given keys."""
    text = (ROOT / "README.md").read_text()
    section = text.split(heading, 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] in keys:
            rows[cells[0]] = {r.strip().strip("`") for r in cells[1].split(",") if r.strip() and r.strip() != "—"}
    return rows


def code_edit_rules(workdir: Path, module: str) -> set[str]:
    """Rules a dry run would execute after `module` is edited (touched)."""
    with touched(module):
        return scheduled_rules(workdir, ["--config", "source=sample"])


@pytest.fixture(scope="module")
def finished_run(sample_run: Path, tmp_path_factory) -> Path:
    """A private copy of the shared sample run (these tests touch its metadata)."""
    copy = tmp_path_factory.mktemp("reruns") / "work"
    shutil.copytree(sample_run, copy, symlinks=True)
    return copy


@pytest.mark.parametrize("key", sorted(EDITS))
def test_config_edit_reruns_exactly_the_rules_in_the_readme(finished_run, key):
    table = readme_table()
    assert key in table, f"README table has no row for {key}"
    assert scheduled_rules(finished_run, EDITS[key]) == table[key]


@pytest.mark.parametrize("module", CODE_EDITS)
def test_code_edit_reruns_exactly_the_rules_in_the_readme(finished_run, module):
    table = readme_table("### What a code edit reruns", CODE_EDITS)
    assert module in table, f"README code-edit table has no row for {module}"
    assert code_edit_rules(finished_run, module) == table[module]


def test_plotting_edit_reruns_only_figure_rules(finished_run):
    rules = code_edit_rules(finished_run, "scripts/lib/present/plot_style.py")
    # write_run_readme lists every report output, so it follows any figure; provenance records the
    # pipeline version, which an edited (dirty) checkout changes
    drawn = rules - {"write_run_readme", "provenance"}
    assert drawn and all(r.startswith("figure_") or r.endswith("_figure") for r in drawn), rules


def test_threshold_edit_never_reruns_acquisition_or_parsing(finished_run):
    rules = scheduled_rules(finished_run, ["emergence_threshold=3"])
    assert {"emergence_scores", "tally_metrics", "summary"} <= rules
    assert not rules & {"synthesize_sample", "list_files", "parse_scores", "build_curves", "download_files"}


def output_digests(run_dir: Path) -> dict[str, str]:
    """sha256 of every output file (logs and timing benchmarks excepted; bad_files.csv included)."""
    digests = {}
    for path in sorted(run_dir.rglob("*")):
        rel = path.relative_to(run_dir).as_posix()
        if (
            path.is_file()
            and not rel.startswith("benchmarks/")
            and (not rel.startswith("logs/") or rel.endswith(".csv"))
        ):
            digests[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def test_forceall_gives_identical_bytes(finished_run):
    # The shared run is the first run: one --forceall over it redoes every job from scratch.
    run_dir = finished_run / "results" / "sample"
    first = output_digests(run_dir)
    run_snakemake(finished_run, "-c2", "--forceall", "--config", "source=sample")
    second = output_digests(run_dir)
    assert first.keys() == second.keys()
    changed = [name for name in first if first[name] != second[name]]
    assert not changed
    assert any(name.endswith(".png") for name in first) and any(name.endswith(".pdf") for name in first)


def test_report_zip_lists_every_figure_and_table(finished_run):
    report = finished_run / "results" / "sample" / "report.zip"
    run_snakemake(finished_run, "--config", "source=sample", "--report", str(report))
    names = zipfile.ZipFile(report).namelist()
    figures = sorted(p.name for p in (finished_run / "results/sample/figures").glob("*.png"))
    assert figures
    for name in figures + ["emergence.csv", "summary.json", "provenance.json", "tally_preferred.csv"]:
        assert any(n.endswith(name) for n in names), f"{name} missing from report.zip"


SLURM_PLUGIN = Path(sys.prefix) / "slurm-plugin"
"""Where `make venv` installs the SLURM plugin (requirements-slurm.txt: outside site-packages)."""


@pytest.mark.skipif(not SLURM_PLUGIN.is_dir(), reason=f"SLURM plugin not in {SLURM_PLUGIN} (make venv puts it there)")
def test_slurm_profile_passes_a_dry_run(finished_run):
    profile = str(ROOT / "workflow/profiles/slurm")
    proc = run_snakemake(
        finished_run, "--profile", profile, "-n", "--config", "source=sample", python_path=SLURM_PLUGIN
    )
    assert "Nothing to be done" in proc.stdout
    # Without the folder on the path snakemake does not see the plugin: the profile names a missing executor.
    proc = run_snakemake(finished_run, "--profile", profile, "-n", "--config", "source=sample", check=False)
    assert proc.returncode != 0 and "slurm" in proc.stderr


if __name__ == "__main__":
    workdir = Path(sys.argv[1])
    print("| config key | rules rerun |\n|---|---|")
    for key in sorted(EDITS):
        rules = sorted(scheduled_rules(workdir, EDITS[key]))
        print(f"| `{key}` | {', '.join(f'`{r}`' for r in rules) or '—'} |")
    print("\n| library module edited | rules rerun |\n|---|---|")
    for module in CODE_EDITS:
        rules = sorted(code_edit_rules(workdir, module))
        print(f"| `{module}` | {', '.join(f'`{r}`' for r in rules) or '—'} |")
