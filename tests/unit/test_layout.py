"""The layout rules that keep reruns honest: rule scripts import only scripts/lib, every rule lists
the library modules its script reaches, and no module grows past 400 lines (docs/design.md §7)."""

import ast
import re
from pathlib import Path

import pytest

from scripts.lib.imports import imported_modules, lib_files
from tests.helpers.snakemake_cli import ROOT

RULE_SCRIPTS = sorted(
    p for p in (ROOT / "scripts").glob("*/*.py") if p.name != "__init__.py" and p.parent.name != "lib"
)
LIB_MODULES = sorted((ROOT / "scripts" / "lib").rglob("*.py"))


def scripts_imports(path: Path) -> set[str]:
    """Every `scripts.*` module a file imports (absolute imports only)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("scripts"):
            names.add(node.module)
            if node.module == "scripts":
                names.update(f"scripts.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("scripts"))
    return names


@pytest.mark.parametrize("path", RULE_SCRIPTS + LIB_MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_code_imports_only_the_library(path: Path) -> None:
    bad = {m for m in scripts_imports(path) if not m.startswith("scripts.lib")}
    assert not bad, (
        f"{path.relative_to(ROOT)} imports rule script(s) {sorted(bad)}: move the shared code to scripts/lib/"
    )


@pytest.mark.parametrize("path", RULE_SCRIPTS + LIB_MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_module_over_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{path.relative_to(ROOT)} has {lines} lines: split it by job"


def rule_blocks() -> list[tuple[str, str, str]]:
    """(file, rule name, block text) for every rule of workflow/rules/*.smk."""
    blocks = []
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text(encoding="utf-8")
        starts = list(re.finditer(r"^\s*rule (\w+):", text, re.M))
        for i, m in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            blocks.append((smk.name, m.group(1), text[m.start() : end]))
    return blocks


def test_every_script_rule_lists_its_library_modules() -> None:
    missing = []
    for smk, rule, block in rule_blocks():
        script = re.search(r'"\.\./\.\./scripts/(\w+/\w+)\.py"', block)
        if script is None:
            continue
        if f'lib=lib_inputs("{script.group(1)}")' not in block:
            missing.append(f"{smk}: rule {rule} (script {script.group(1)}.py)")
    assert not missing, "rules without lib=lib_inputs(<their script>):\n" + "\n".join(missing)


def test_rule_script_names_match_rule_names() -> None:
    """Rule name = script name, so a log, a benchmark and a script are found by one name."""
    odd = []
    for smk, rule, block in rule_blocks():
        script = re.search(r'"\.\./\.\./scripts/(\w+/\w+)\.py"', block)
        if script and script.group(1).split("/")[1] != rule and not rule.startswith(script.group(1).split("/")[1]):
            odd.append(f"{smk}: rule {rule} runs scripts/{script.group(1)}.py")
    assert not odd, "\n".join(odd)


def test_imported_modules_reads_every_import_form() -> None:
    source = (
        "import scripts.lib.io\n"
        "from scripts.lib.present.text import metric_name\n"
        "from scripts.lib import latex\n"
        "from scripts.lib.sources.github import tree\n"
        "import numpy\n"
        "def f():\n    from scripts.lib.stats.emergence import es_matrix\n"
        "from scripts.lib.stats.multiplicity import (\n    holm,\n    benjamini_hochberg,\n)\n"
        "x = 'from scripts.lib.not_at_line_start import y'\n"
    )
    assert imported_modules(source) == {
        "scripts.lib.io",
        "scripts.lib.present.text",
        "scripts.lib.present.text.metric_name",
        "scripts.lib.latex",
        "scripts.lib.sources.github",
        "scripts.lib.sources.github.tree",
        "scripts.lib.stats.emergence",
        "scripts.lib.stats.emergence.es_matrix",
        "scripts.lib.stats.multiplicity",
        "scripts.lib.stats.multiplicity.holm",
        "scripts.lib.stats.multiplicity.benjamini_hochberg",
    }


def test_lib_files_follows_imports_transitively(tmp_path: Path) -> None:
    lib = tmp_path / "scripts" / "lib"
    (lib / "pkg").mkdir(parents=True)
    (lib / "a.py").write_text("from scripts.lib.b import x\n")
    (lib / "b.py").write_text("from scripts.lib.pkg.c import y\nx = 1\n")
    (lib / "pkg" / "__init__.py").write_text("")
    (lib / "pkg" / "c.py").write_text("import os\ny = 2\n")
    (lib / "unused.py").write_text("")
    script = tmp_path / "scripts" / "rule.py"
    script.write_text("from scripts.lib.a import thing\n")
    names = [Path(p).relative_to(tmp_path).as_posix() for p in lib_files(script, tmp_path)]
    assert names == ["scripts/lib/a.py", "scripts/lib/b.py", "scripts/lib/pkg/__init__.py", "scripts/lib/pkg/c.py"]


CITING = sorted(
    p
    for folder in ("scripts", "workflow", "tests", "config")
    for p in (ROOT / folder).rglob("*")
    if p.is_file() and p.suffix in {".py", ".smk", ".rst", ".yaml", ".csv", ".md"} and "__pycache__" not in p.parts
)


def test_citations_point_into_the_repository() -> None:
    """Code cites docs/ (which a clone has), never an issue number or a document outside the repository."""
    stale, missing = [], set()
    for path in CITING:
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(ROOT).as_posix()
        if rel == "tests/unit/test_layout.py":
            continue
        for pattern in (r"DESIGN §", r"DESIGN\.md", r"BIGBENCH_FORMAT", r"\b[Ii]ssues? [0-9]+\b", r"\bissue-[0-9]+"):
            stale += [f"{rel}: {m.group(0)}" for m in re.finditer(pattern, text)]
        missing |= {m.group(0) for m in re.finditer(r"docs/[\w.-]+\.md", text) if not (ROOT / m.group(0)).is_file()}
    assert not stale, "citations of issues or outside documents:\n" + "\n".join(stale[:20])
    assert not missing, f"cited docs that do not exist: {sorted(missing)}"


# --- the shape of the code: wings, stages, one table of sources -----------------------------------------

LIB = ROOT / "scripts" / "lib"
WINGS = ("sources", "stats", "present")
# What each part of the library may import (besides itself): stats and sources never import each
# other, presentation may read statistics, the core imports no wing.
MAY_IMPORT = {
    "core": set(),
    "sources": {"core"},
    "stats": {"core"},
    "present": {"core", "stats"},
}


def part_of(dotted: str) -> str:
    """The library part of a dotted `scripts.lib` module name: a wing, or the core."""
    parts = dotted.split(".")
    return parts[2] if len(parts) > 2 and parts[2] in WINGS else "core"


@pytest.mark.parametrize("path", LIB_MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_library_parts_import_only_what_they_may(path: Path) -> None:
    dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    own = part_of(dotted)
    bad = {m for m in imported_modules(path.read_text(encoding="utf-8")) if part_of(m) not in MAY_IMPORT[own] | {own}}
    assert not bad, f"{path.relative_to(ROOT)} ({own}) imports {sorted(bad)}; allowed: {sorted(MAY_IMPORT[own])}"


@pytest.mark.parametrize("wing", WINGS)
def test_every_wing_says_what_lives_there(wing: str) -> None:
    doc = ast.get_docstring(ast.parse((LIB / wing / "__init__.py").read_text(encoding="utf-8"))) or ""
    assert len(doc.split()) >= 30, f"scripts/lib/{wing}/__init__.py: say in a paragraph what lives in this wing"


def test_rule_files_and_script_folders_match() -> None:
    """workflow/rules/<stage>.smk and scripts/<stage>/ name the same stages, and each rule's script is in its stage."""
    stages = {p.stem for p in (ROOT / "workflow" / "rules").glob("*.smk")} - {"common"}
    folders = {p.name for p in (ROOT / "scripts").iterdir() if p.is_dir() and p.name not in {"lib", "__pycache__"}}
    assert stages == folders
    misplaced = []
    for smk, rule, block in rule_blocks():
        script = re.search(r'"\.\./\.\./scripts/(\w+)/(\w+)\.py"', block)
        if script and script.group(1) != Path(smk).stem:
            misplaced.append(f"{smk}: rule {rule} runs scripts/{script.group(1)}/{script.group(2)}.py")
    assert not misplaced, "\n".join(misplaced)


def test_rule_script_names_say_what_they_are() -> None:
    """No rule script reads as a test file, and every script that draws is figure_*."""
    as_tests = [p.name for p in RULE_SCRIPTS if p.stem.endswith("_test") or p.stem.startswith("test_")]
    assert not as_tests, f"rule scripts named like tests (test tools would skip them): {as_tests}"
    drawing = [
        p.relative_to(ROOT).as_posix()
        for p in RULE_SCRIPTS
        if "scripts.lib.present.plot_style" in imported_modules(p.read_text(encoding="utf-8"))
        and not p.stem.startswith("figure_")
    ]
    assert not drawing, f"scripts that draw a figure but are not named figure_*: {drawing}"


SOURCE_BRANCH = re.compile(r"""config(?:\.get\()?\[?["']source["']\]?\)?\s*(?:==|!=|\bin\b|\bnot in\b)""")


def test_only_the_table_of_sources_branches_on_the_source() -> None:
    """Adding a source is one entry in scripts/lib/sources/table.py: nothing else compares config["source"]."""
    files = [*(ROOT / "workflow" / "rules").glob("*.smk"), ROOT / "Snakefile", *(ROOT / "scripts").rglob("*.py")]
    branching = [
        p.relative_to(ROOT).as_posix()
        for p in files
        if p.name != "table.py" and SOURCE_BRANCH.search(p.read_text(encoding="utf-8"))
    ]
    assert not branching, f"files that branch on config['source'] outside the table of sources: {branching}"


def test_targets_are_built_in_one_place() -> None:
    """No rule file appends to a list of targets: rule all asks common.smk's final_targets."""
    appending = [
        p.name
        for p in (ROOT / "workflow" / "rules").glob("*.smk")
        if re.search(r"^\s*\w*TARGETS\w*\s*(\+=|=)", p.read_text(encoding="utf-8"), re.M)
    ]
    assert not appending, f"rule files keeping target lists: {appending}"
    assert "final_targets" in (ROOT / "Snakefile").read_text(encoding="utf-8")
