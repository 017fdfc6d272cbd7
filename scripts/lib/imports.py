"""The library modules a rule script imports, transitively: the rule's `lib` inputs.

Snakemake reruns a rule when its own script changes, not when a module it imports changes. Listing
every `scripts/lib` module that the script reaches as an input of the rule closes that gap: an edit
(mtime) of one module reruns exactly the rules that use it. Computed from the import statements, so
the list cannot drift from the code.
"""

import ast
import re
from functools import cache
from pathlib import Path

LIB_PACKAGE = "scripts.lib"


LIB_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+scripts\.lib\b[^\n(]*(?:\([^)]*\)|[^\n]*)|import[ \t]+scripts\.lib\b[^\n]*)", re.MULTILINE
)
"""A statement that imports from scripts.lib, parenthesised names included: only these are parsed
(parsing every whole file took 0.25 s of each snakemake start)."""


def imported_modules(source: str) -> set[str]:
    """Dotted names of the `scripts.lib` modules one source file imports (any nesting level)."""
    found: set[str] = set()
    statements = "\n".join(match.group(0).strip() for match in LIB_IMPORT.finditer(source))
    for node in ast.walk(ast.parse(statements)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(f"{LIB_PACKAGE}."))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == LIB_PACKAGE:
                found.update(f"{LIB_PACKAGE}.{a.name}" for a in node.names)
            elif node.module.startswith(f"{LIB_PACKAGE}."):
                found.add(node.module)
                # `from scripts.lib.pkg import mod` may name a submodule of a package
                found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


@cache
def file_imports(path: Path) -> frozenset[str]:
    """`imported_modules` of one file, parsed once per DAG build: many rules reach the same modules."""
    return frozenset(imported_modules(path.read_text(encoding="utf-8")))


def module_file(root: Path, dotted: str) -> Path | None:
    """The file of a dotted module name under `root` (a module or a package's __init__), if any."""
    base = root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def lib_files(script: Path, root: Path) -> tuple[str, ...]:
    """Every scripts/lib file `script` reaches through imports, sorted (absolute paths)."""
    seen: dict[str, Path] = {}
    todo = [script]
    while todo:
        path = todo.pop()
        for dotted in sorted(file_imports(path)):
            file = module_file(root, dotted)
            if file is None or dotted in seen:
                continue
            seen[dotted] = file
            # a submodule's package __init__ runs on import too
            parts = dotted.split(".")
            for i in range(len(parts) - 1, 2, -1):
                init = module_file(root, ".".join(parts[:i]))
                if init is not None:
                    seen.setdefault(".".join(parts[:i]), init)
            todo.append(file)
    return tuple(sorted(str(p) for p in seen.values()))
