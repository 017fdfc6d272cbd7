"""Which files of a BIG-bench tree are results, and the manifest (path, size, sha256) of them.

Every source (github download, local clone, synthetic sample) ends in the same manifest, so the
parse rule and provenance.json do not care where the files came from (docs/bigbench-format.md §1).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a manifest is built: the Snakefile reads sha256_file, not pandas
    import pandas as pd

RESULTS_RE = re.compile(r"^bigbench/benchmark_tasks/([^/]+)/results/(scores_[^/]+\.json)$")
"""A scores file, as a '/'-separated path relative to the repository root."""

MANIFEST_COLUMNS = ["path", "size", "sha256"]


def is_results_file(relpath: str) -> bool:
    """True for bigbench/benchmark_tasks/<task>/results/scores_*.json (nothing deeper)."""
    return RESULTS_RE.match(relpath) is not None


def task_of(relpath: str) -> str:
    """The task folder name of a results path (the task name used everywhere)."""
    match = RESULTS_RE.match(relpath)
    if match is None:
        raise ValueError(f"{relpath}: not a bigbench/benchmark_tasks/<task>/results/scores_*.json path")
    return match.group(1)


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


NOT_REGULAR_SHA256 = "-"
"""The manifest's sha256 (with size 0) of an entry named like a scores file that is not a regular file."""


def is_regular_file(path: str | os.PathLike[str]) -> bool:
    """A regular file, not a symlink (to one), a directory, a fifo..."""
    return os.path.isfile(path) and not os.path.islink(path)


def find_results_files(root: str | os.PathLike[str]) -> list[str]:
    """Relative paths of every entry named like a scores file under root/bigbench/benchmark_tasks, sorted.

    Entries that are not regular files (a directory named like a scores file, a symlink) are
    listed too, so that parse_scores reports them in logs/bad_files.csv ("not a regular file")
    instead of their being dropped without a word (docs/design.md §11).
    """
    root = Path(root)
    tasks = root / "bigbench" / "benchmark_tasks"
    if not tasks.is_dir():
        raise FileNotFoundError(f"{root}: no bigbench/benchmark_tasks folder (is this a BIG-bench clone?)")
    found = [path.relative_to(root).as_posix() for path in tasks.glob("*/results/scores_*.json")]
    return sorted(p for p in found if is_results_file(p))


def build_manifest(root: str | os.PathLike[str], relpaths: Iterable[str]) -> pd.DataFrame:
    """One row per file: path (relative to root), size in bytes, sha256; sorted by path.

    An entry that is not a regular file gets size 0 and sha256 NOT_REGULAR_SHA256 ("-").
    """
    rows = []
    for rel in sorted(relpaths):
        full = Path(root) / rel
        if is_regular_file(full):
            rows.append((rel, full.stat().st_size, sha256_file(full)))
        else:
            rows.append((rel, 0, NOT_REGULAR_SHA256))
    import pandas as pd

    return pd.DataFrame(rows, columns=MANIFEST_COLUMNS)


def manifest_digest(manifest: pd.DataFrame) -> str:
    """sha256 over the sorted 'path size sha256' lines: one number for the whole input."""
    lines = "".join(
        f"{p} {s} {h}\n" for p, s, h in manifest.sort_values("path")[MANIFEST_COLUMNS].itertuples(index=False)
    )
    return hashlib.sha256(lines.encode()).hexdigest()
