"""Shared pieces of the extracts tests: where the real files are, a Context on the shipped config, skips."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from scripts.lib.sources.extracts.context import Context
from scripts.lib.sources.extracts.registry import ENTRIES, local_paths, missing_files
from scripts.lib.sources.extracts.sizes import check_model_sizes

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
"""extracts.path that serves all five registered extracts on this machine (read only)."""
METADATA = ROOT / "config" / "bigbench_task_metadata.csv"
SIZES = ROOT / "config" / "model_sizes.csv"
METRICS = ROOT / "config" / "metrics.yaml"
FACTS = yaml.safe_load(METRICS.read_text())


def context() -> Context:
    """The Context extracts_source builds from the shipped config files."""
    return Context(
        metadata=pd.read_csv(METADATA, dtype={"subtask": str}),
        sizes=check_model_sizes(pd.read_csv(SIZES, dtype={"model_name": str}), str(SIZES)),
        metric_facts=FACTS,
    )


def needs(name: str) -> pytest.MarkDecorator:
    """Skip (saying where to find it) when the real files of extract `name` are not under DATA."""
    missing = missing_files([ENTRIES[name]], DATA)
    return pytest.mark.skipif(
        bool(missing), reason=f"real extract {name} not found at {missing[0] if missing else ''} (see {DATA}/README.md)"
    )


def real_files(name: str) -> dict[str, Path]:
    """upstream path -> real local file of extract `name`."""
    return local_paths(ENTRIES[name], DATA)
