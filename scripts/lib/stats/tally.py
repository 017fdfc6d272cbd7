"""Triplets, preferred-metric curves and annotation joins: the counting rules shared by the tallies,
the bootstrap over tasks, the figures and the summary (docs/design.md §4).

One definition each, so Fig. 5A, the bootstrap intervals and summary.json count the same things.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.score_table import HEADLINE_METRICS, preferred_metric_from_metadata

logger = logging.getLogger(__name__)


TRIPLET = ["family", "task", "metric"]


MISSING_COLUMNS = ["task", "model_family", "reason", "metadata_preferred_score", "counted_by_metadata"]


JOINED_COLUMNS = ["task", "model_family", "metric", "metric_basis"]


def parse_triplet_rule(rule: Any) -> str | int:
    """'any' | 'all' | a shot count (an int, or digits from the command line)."""
    if isinstance(rule, bool):
        raise ValueError(f"config key 'triplet_rule': {rule!r} is not any, all or a number of shots")
    if isinstance(rule, (int, np.integer)):
        return int(rule)
    text = str(rule).strip().lower()
    if text in ("any", "all"):
        return text
    if text.isdigit():
        return int(text)
    raise ValueError(f"config key 'triplet_rule': {rule!r} is not any, all or a number of shots")


def _emergent_flags(emergence: pd.DataFrame) -> pd.Series:
    """The `emergent` column as plain bools (a missing flag is not emergent)."""
    return emergence["emergent"].astype("boolean").fillna(False).astype(bool)


def emergent_triplets(emergence: pd.DataFrame, *, triplet_rule: Any) -> pd.DataFrame:
    """One row per (family, task, metric): curve counts, whether the rule can be applied, `emergent`."""
    rule = parse_triplet_rule(triplet_rule)
    columns = TRIPLET + [
        "n_curves",
        "n_emergent_curves",
        "n_shot_counts",
        "evaluated",
        "emergent",
    ]
    if emergence.empty:
        return pd.DataFrame(columns=columns)
    df = emergence[TRIPLET + ["shots"]].copy()
    df["emergent"] = _emergent_flags(emergence).to_numpy()
    per_shot = df.groupby(TRIPLET + ["shots"], dropna=False, sort=True)["emergent"].any().reset_index()
    grouped = per_shot.groupby(TRIPLET, sort=True)
    out = grouped.size().rename("n_shot_counts").reset_index()
    counts = df.groupby(TRIPLET, sort=True)["emergent"].agg(n_curves="size", n_emergent_curves="sum").reset_index()
    out = out.merge(counts, on=TRIPLET, how="left")
    if rule == "any":
        flags = grouped["emergent"].any().rename("emergent").reset_index()
        flags["evaluated"] = True
    elif rule == "all":
        flags = grouped["emergent"].all().rename("emergent").reset_index()
        flags["evaluated"] = True
    else:
        at_k = per_shot[per_shot["shots"].astype("Float64") == rule]
        flags = at_k.groupby(TRIPLET, sort=True)["emergent"].any().rename("emergent").reset_index()
        flags["evaluated"] = True
    out = out.merge(flags, on=TRIPLET, how="left")
    out["evaluated"] = out["evaluated"].astype("boolean").fillna(False).astype(bool)
    out["emergent"] = out["emergent"].astype("boolean").fillna(False).astype(bool)
    out["n_emergent_curves"] = out["n_emergent_curves"].astype(int)
    return out[columns].sort_values(TRIPLET, kind="mergesort").reset_index(drop=True)


def preferred_curves(emergence: pd.DataFrame) -> pd.DataFrame:
    """The curves whose metric is their entry's preferred_score."""
    mask = emergence["is_preferred"].astype("boolean").fillna(False).astype(bool)
    return emergence[mask.to_numpy()]


def _mode_per(counts: pd.DataFrame, key: list[str], value: str, weight: str) -> pd.DataFrame:
    """Per `key`, the `value` with the largest `weight` (ties: alphabetically first), and how many there were."""
    ranked = counts.sort_values(key + [weight, value], ascending=[True] * len(key) + [False, True], kind="mergesort")
    top = ranked.drop_duplicates(key, keep="first")
    stats = counts.groupby(key, as_index=False).agg(n_distinct=(value, "nunique"), total=(weight, "sum"))
    return top.merge(stats, on=key, how="left").reset_index(drop=True)


def task_preferred_metrics(scores: pd.DataFrame) -> pd.DataFrame:
    """Each task's preferred metric and how it was decided (columns task, metric, metric_basis).

    The task-level entry's preferred metric when the task has one (the most common, if files
    disagree); for a task with only subtask entries, the most common preferred metric among its
    subtasks (each subtask counted once, by its own most common preferred metric).
    """
    pref = scores.loc[scores["is_preferred"].astype("boolean").fillna(False).astype(bool).to_numpy()]
    pref = pref[["task", "subtask", "metric"]]
    if pref.empty:
        return pd.DataFrame(columns=["task", "metric", "metric_basis"])
    task_level = pref[pref["subtask"].isna()]
    rows = task_level.groupby(["task", "metric"]).size().rename("n").reset_index()
    top = _mode_per(rows, ["task"], "metric", "n")
    top["metric_basis"] = np.where(
        top["n_distinct"] > 1,
        "task-level entry (most common of " + top["n_distinct"].astype(str) + " preferred metrics)",
        "task-level entry",
    )
    sub = pref[pref["subtask"].notna() & ~pref["task"].isin(top["task"])]
    frames = [top[["task", "metric", "metric_basis"]]]
    if not sub.empty:
        per_sub = _mode_per(
            sub.groupby(["task", "subtask", "metric"]).size().rename("n").reset_index(),
            ["task", "subtask"],
            "metric",
            "n",
        )
        votes = per_sub.groupby(["task", "metric"]).size().rename("n").reset_index()
        top_sub = _mode_per(votes, ["task"], "metric", "n")
        top_sub["metric_basis"] = (
            "no task-level entry; most common preferred metric of its subtasks ("
            + top_sub["n"].astype(str)
            + " of "
            + top_sub["total"].astype(str)
            + ")"
        )
        frames.append(top_sub[["task", "metric", "metric_basis"]])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("task", kind="mergesort").reset_index(drop=True)


def _normalise_annotations(annotations: pd.DataFrame) -> pd.DataFrame:
    """task (stripped) and model_family ('' when the CSV has none), one row per distinct pair."""
    if "task" not in annotations.columns:
        raise ValueError(f"annotations: no 'task' column (columns: {list(annotations.columns)})")
    ann = pd.DataFrame({"task": annotations["task"].astype(str).str.strip()})
    family = annotations["model_family"] if "model_family" in annotations.columns else ""
    ann["model_family"] = pd.Series(family, index=annotations.index).fillna("").astype(str).str.strip()
    ann = ann[ann["task"] != ""]
    n_dup = int(ann.duplicated().sum())
    if n_dup:
        logger.warning("annotations: %d duplicate (task, model_family) rows counted once", n_dup)
    return ann.drop_duplicates().reset_index(drop=True)


def join_annotations(
    annotations: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    task_metadata: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Annotated tasks with their preferred metric from the scores, and those that have none (with why)."""
    ann = _normalise_annotations(annotations)
    prefs = task_preferred_metrics(scores)
    joined = ann.merge(prefs, on="task", how="left")
    found = joined[joined["metric"].notna()].reset_index(drop=True)
    missing = joined[joined["metric"].isna()][["task", "model_family"]].copy()
    in_scores = missing["task"].isin(set(scores["task"].unique()))
    missing["reason"] = np.where(
        in_scores,
        "task is in the scores data but has no preferred-metric scores",
        "task not in the scores data",
    )
    meta = (
        preferred_metric_from_metadata(task_metadata).set_index("task")["preferred_metric"]
        if task_metadata is not None and not task_metadata.empty
        else pd.Series(dtype=object)
    )
    missing["metadata_preferred_score"] = missing["task"].map(meta).fillna("")
    # Fig. 5B counts every annotated task: one without scores is counted under the preferred
    # metric its task.json declares, and says so (docs/design.md §4); it stays listed in annotated_missing.
    missing["counted_by_metadata"] = missing["metadata_preferred_score"] != ""
    from_meta = missing[missing["counted_by_metadata"]]
    found = pd.concat(
        [
            found,
            from_meta.assign(
                metric=from_meta["metadata_preferred_score"],
                metric_basis="BIG-bench task metadata (task.json); no scores in the data",
            ),
        ],
        ignore_index=True,
    )
    missing["reason"] = np.where(
        missing["counted_by_metadata"],
        missing["reason"] + "; counted under its task.json preferred metric",
        missing["reason"] + "; not counted (task.json declares no preferred metric)",
    )
    found = found.sort_values(["task", "model_family"], kind="mergesort").reset_index(drop=True)
    missing = missing.sort_values(["task", "model_family"], kind="mergesort").reset_index(drop=True)
    if len(missing):
        logger.warning(
            "%d of %d annotated cases have no preferred metric in the data (reasons in annotated_missing.csv): %s",
            len(missing),
            len(joined),
            ", ".join(missing["task"].head(10)) + (", ..." if len(missing) > 10 else ""),
        )
    return found[JOINED_COLUMNS], missing[MISSING_COLUMNS]


def combined_share(share_table: pd.DataFrame, count_column: str, metrics: tuple[str, ...] = HEADLINE_METRICS) -> float:
    """Share of the cases in `count_column` (annotated_cases or detected_emergent_triplets) under `metrics`.

    From the counts, not by adding rounded shares; NaN when nothing was counted.
    """
    total = float(share_table[count_column].sum()) if not share_table.empty else 0.0
    if total == 0:
        return float("nan")
    return float(share_table.loc[share_table["metric"].isin(metrics), count_column].sum()) / total
