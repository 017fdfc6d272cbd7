"""Helpers on the tidy score table shared by every source (parse, extracts, lm_eval) and the tallies.

Not a rule script (no run()): pure functions over data frames, imported by the rule scripts.

- `add_value_se(scores, metric_facts)`: the binomial standard error of each score,
  `value_se = sqrt(v (1 - v) / n)`, for proportion metrics (config/metrics.yaml `low: 0, high: 1`)
  where the number of examples n is known (`n_examples`); NaN otherwise. For a score that is the
  mean of 0/1 per-example outcomes (multiple_choice_grade, exact_str_match, ...) this is the usual
  binomial standard error; for a mean of per-example values in [0, 1] (Brier score) it is an upper
  bound (a [0, 1] variable with mean v has variance at most v (1 - v)); for macro_f1 and expected
  calibration error, which are not per-example means, it is only indicative. The resolution of a
  score is 1/n whatever the metric.
- `preferred_metric_from_metadata(metadata)`: each task's preferred metric as its task.json
  declares it (config/bigbench_task_metadata.csv): the task-level `preferred_score`, else the most
  common one among its subtasks (ties: alphabetical); NaN for programmatic tasks with no task.json.
"""

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

HEADLINE_METRICS = ("multiple_choice_grade", "exact_str_match")
"""The two metrics the paper finds behind > 92% of the annotated emergent abilities (Fig. 5C)."""


def proportion_metrics(metric_facts: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Metrics whose range in config/metrics.yaml is exactly [0, 1]."""
    out = set()
    for name, facts in metric_facts.items():
        low, high = (facts or {}).get("low"), (facts or {}).get("high")
        if low is not None and high is not None and float(low) == 0.0 and float(high) == 1.0:
            out.add(name)
    return out


def binomial_se(value: pd.Series | np.ndarray, n: pd.Series | np.ndarray) -> np.ndarray:
    """sqrt(v (1 - v) / n) elementwise; NaN where v is not in [0, 1] or n is missing or not positive."""
    v = np.asarray(pd.to_numeric(pd.Series(value), errors="coerce").astype(float))
    m = np.asarray(pd.to_numeric(pd.Series(n), errors="coerce").astype(float))
    ok = np.isfinite(v) & (v >= 0) & (v <= 1) & np.isfinite(m) & (m > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(v * (1.0 - v) / m)
    return np.where(ok, se, np.nan)


def add_value_se(scores: pd.DataFrame, metric_facts: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Add `value_se` (float) and `se_source` ("binomial" or None) for proportion metrics with a known n.

    `scores` needs columns metric, value, n_examples (nullable integer; NA = unknown).
    """
    proportions = proportion_metrics(metric_facts)
    is_proportion = scores["metric"].isin(sorted(proportions)).to_numpy()
    se = binomial_se(scores["value"], scores["n_examples"])
    value_se = np.where(is_proportion, se, np.nan).astype(float)
    out = scores.assign(value_se=value_se, se_source=np.where(np.isfinite(value_se), "binomial", None))
    logger.info(
        "value_se: %d of %d scores (proportion metric with a known n_examples); %d proportion scores lack n",
        int(np.isfinite(out["value_se"]).sum()),
        len(out),
        int((is_proportion & scores["n_examples"].isna().to_numpy()).sum()),
    )
    return out


def preferred_metric_from_metadata(metadata: pd.DataFrame) -> pd.DataFrame:
    """task -> preferred_metric from BIG-bench's task.json metadata (columns task, subtask, preferred_score).

    The task-level row's preferred_score when it has one; otherwise the most common preferred_score
    of its subtasks (ties broken alphabetically); NaN when neither exists (programmatic tasks).
    One row per task in the metadata, sorted by task.
    """
    meta = metadata[["task", "subtask", "preferred_score"]].copy()
    meta["subtask"] = meta["subtask"].where(meta["subtask"].notna() & (meta["subtask"].astype(str) != ""), None)
    meta["preferred_score"] = meta["preferred_score"].where(
        meta["preferred_score"].notna() & (meta["preferred_score"].astype(str).str.strip() != ""), None
    )
    tasks = pd.Index(sorted(meta["task"].unique()), name="task")
    top = meta[meta["subtask"].isna() & meta["preferred_score"].notna()].drop_duplicates("task").set_index("task")
    sub = meta[meta["subtask"].notna() & meta["preferred_score"].notna()]
    counts = sub.groupby(["task", "preferred_score"]).size().rename("n").reset_index()
    counts = counts.sort_values(["task", "n", "preferred_score"], ascending=[True, False, True], kind="stable")
    from_subtasks = counts.drop_duplicates("task").set_index("task")["preferred_score"]
    preferred = top["preferred_score"].reindex(tasks).combine_first(from_subtasks.reindex(tasks))
    return pd.DataFrame({"task": tasks, "preferred_metric": preferred.to_numpy(dtype=object)})
