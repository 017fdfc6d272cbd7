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
