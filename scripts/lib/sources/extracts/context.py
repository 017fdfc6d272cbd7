"""What every adapter gets (Context) and returns (Adapted).

An adapter is `adapt(files, ctx) -> Adapted`: `files` maps each pinned upstream path to its local
file; `rows` are tidy scores without the size columns (family, model_name, task, subtask, shots,
metric, value, is_preferred, low_score, high_score, source_file, n_examples, optionally value_se
and se_source); `models` gives each (family, model_name) its sizes, their kind and source.
extracts_source joins the two, then `schema_check.finish_scores` and `check_scores` run on it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from scripts.lib.score_table import preferred_metric_from_metadata
from scripts.lib.sources.extracts.schema_check import join_n_examples


@dataclass
class Adapted:
    """One adapter's result; `extras` passes facts to a later adapter (the audit's chance levels)."""

    rows: pd.DataFrame
    models: pd.DataFrame
    extras: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass
class Context:
    """Shared inputs: BIG-bench task metadata, config/model_sizes.csv, metrics.yaml, earlier results."""

    metadata: pd.DataFrame
    sizes: pd.DataFrame
    metric_facts: Mapping[str, Mapping[str, Any]]
    done: dict[str, Adapted] = field(default_factory=dict)

    @property
    def preferred(self) -> dict[str, Any]:
        """task -> its preferred metric in the task metadata (NaN for programmatic tasks)."""
        table = preferred_metric_from_metadata(self.metadata)
        return table.set_index("task")["preferred_metric"].to_dict()

    def n_examples(self, rows: pd.DataFrame) -> pd.Series:
        """BIG-bench's example count for each row's (task, subtask)."""
        return join_n_examples(rows, self.metadata)
