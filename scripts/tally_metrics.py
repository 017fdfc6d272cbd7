"""Rule tally_metrics: which metrics the emergent cases come from (Mirage Fig. 5A-C numbers; DESIGN §4).

Inputs: emergence.parquet (one row per scored curve, `emergent` already decided by the emergence
rule), scores.parquet (to find each task's preferred metric), the annotations CSV (tasks a paper
called emergent; column `task`, optional `model_family`), metrics.yaml (plain names), the BIG-bench
task metadata CSV (only to say what task.json prefers for an annotated task that has no scores).

Outputs (CSV with the data-label line, and booktabs LaTeX):
- tables/tally_preferred: per preferred metric, curves, emergent curves, triplets (family × task ×
  metric), emergent triplets by `triplet_rule`, tasks with ≥1 emergent curve, shares (Fig. 5A);
- tables/tally_all_metrics: the same over every metric of every score_dict;
- tables/annotated_by_metric: annotated emergent cases per preferred metric (Fig. 5B), with
  tables/annotated_tasks.csv (the per-task join) and tables/annotated_missing.csv (annotated tasks
  the data lacks, with the reason — never dropped silently);
- tables/emergent_share_by_metric: share of emergent cases per metric, hand-annotated and detected
  by the emergence score over preferred metrics (Fig. 5C).

Params: triplet_rule (any | all | a shot count), emergence_threshold and min_effect (captions only:
the emergence rule has applied them), data_label.

Triplet rule, precisely: a triplet's curves are grouped by shot count (null = unknown shots is its
own group); a shot count is emergent when any of its curves (task-level or subtask) is. The triplet
is emergent if any shot count is (`any`), every shot count is (`all`), or the given shot count is
(an integer; triplets without that shot count are not evaluated and are left out of the share).
"""

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_text
from scripts.lib.latex import to_latex
from scripts.lib.plot_style import metric_name, threshold_text, triplet_rule_text
from scripts.lib.score_table import preferred_metric_from_metadata

logger = logging.getLogger(__name__)

TRIPLET = ["family", "task", "metric"]

TALLY_COLUMNS = [
    "metric",
    "curves",
    "emergent_curves",
    "triplets",
    "triplets_evaluated",
    "emergent_triplets",
    "tasks",
    "tasks_with_emergent_curve",
    "share_emergent_curves",
    "share_emergent_triplets",
]

ANNOTATED_COLUMNS = [
    "metric",
    "annotated_cases",
    "annotated_tasks",
    "share",
    "model_families",
]
MISSING_COLUMNS = ["task", "model_family", "reason", "metadata_preferred_score", "counted_by_metadata"]
JOINED_COLUMNS = ["task", "model_family", "metric", "metric_basis"]
SHARE_COLUMNS = [
    "metric",
    "annotated_cases",
    "annotated_share",
    "detected_emergent_triplets",
    "detected_share",
]


# --- triplets and tallies --------------------------------------------------------------------------


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


def _share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, NaN where the denominator is 0."""
    denom = denominator.astype(float).replace(0.0, np.nan)
    return numerator.astype(float) / denom


def tally(emergence: pd.DataFrame, *, triplet_rule: Any) -> pd.DataFrame:
    """Per metric: curves, emergent curves, triplets, emergent triplets (by rule), tasks, shares.

    Pass only the preferred-metric curves for the Fig. 5A tally; pass every curve for the
    all-metric tally. Rows are sorted by emergent triplets, then emergent curves (descending).
    """
    if emergence.empty:
        return pd.DataFrame(columns=TALLY_COLUMNS)
    df = emergence[TRIPLET].copy()
    df["emergent"] = _emergent_flags(emergence).to_numpy()
    per_metric = df.groupby("metric", sort=True).agg(
        curves=("emergent", "size"),
        emergent_curves=("emergent", "sum"),
        tasks=("task", "nunique"),
    )
    per_metric["tasks_with_emergent_curve"] = df[df["emergent"]].groupby("metric")["task"].nunique()
    trip = emergent_triplets(emergence, triplet_rule=triplet_rule)
    per_metric = per_metric.join(
        trip.groupby("metric").agg(
            triplets=("emergent", "size"),
            triplets_evaluated=("evaluated", "sum"),
            emergent_triplets=("emergent", "sum"),
        )
    )
    out = per_metric.reset_index()
    ints = [
        "curves",
        "emergent_curves",
        "triplets",
        "triplets_evaluated",
        "emergent_triplets",
        "tasks",
    ]
    ints.append("tasks_with_emergent_curve")
    out[ints] = out[ints].fillna(0).astype(int)
    out["share_emergent_curves"] = _share(out["emergent_curves"], out["curves"])
    out["share_emergent_triplets"] = _share(out["emergent_triplets"], out["triplets_evaluated"])
    out = out.sort_values(
        ["emergent_triplets", "emergent_curves", "curves", "metric"],
        ascending=[False, False, False, True],
        kind="mergesort",
    )
    return out[TALLY_COLUMNS].reset_index(drop=True)


def preferred_curves(emergence: pd.DataFrame) -> pd.DataFrame:
    """The curves whose metric is their entry's preferred_score."""
    mask = emergence["is_preferred"].astype("boolean").fillna(False).astype(bool)
    return emergence[mask.to_numpy()]


# --- the hand-annotated tally (Fig. 5B) ------------------------------------------------------------


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
    # metric its task.json declares, and says so (issue 11); it stays listed in annotated_missing.
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


def count_annotated(joined: pd.DataFrame) -> pd.DataFrame:
    """Per preferred metric: annotated (task, model family) cases, distinct tasks, share, families."""
    if joined.empty:
        return pd.DataFrame(columns=ANNOTATED_COLUMNS)
    out = joined.groupby("metric", sort=True).agg(annotated_cases=("task", "size"), annotated_tasks=("task", "nunique"))
    fam = joined[joined["model_family"] != ""].groupby(["metric", "model_family"]).size()
    out["model_families"] = [
        "; ".join(f"{f} {n}" for f, n in fam.loc[m].items()) if m in fam.index.get_level_values(0) else ""
        for m in out.index
    ]
    out = out.reset_index()
    out["share"] = out["annotated_cases"] / out["annotated_cases"].sum()
    out = out.sort_values(["annotated_cases", "metric"], ascending=[False, True], kind="mergesort")
    return out[ANNOTATED_COLUMNS].reset_index(drop=True)


def annotated_by_metric(
    annotations: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    task_metadata: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig. 5B: annotated emergent cases per preferred metric, and the annotated tasks the data lacks."""
    joined, missing = join_annotations(annotations, scores, task_metadata=task_metadata)
    return count_annotated(joined), missing


def emergent_share_by_metric(annotated: pd.DataFrame, preferred_tally: pd.DataFrame) -> pd.DataFrame:
    """Fig. 5C: each metric's share of the annotated emergent cases and of the detected emergent triplets."""
    ann = annotated.set_index("metric")["annotated_cases"] if not annotated.empty else pd.Series(dtype=int)
    det = (
        preferred_tally.set_index("metric")["emergent_triplets"] if not preferred_tally.empty else pd.Series(dtype=int)
    )
    out = pd.DataFrame({"annotated_cases": ann, "detected_emergent_triplets": det}).fillna(0).astype(int)
    out = out[(out["annotated_cases"] > 0) | (out["detected_emergent_triplets"] > 0)]
    out.index.name = "metric"
    out = out.reset_index()
    out["annotated_share"] = _share(out["annotated_cases"], pd.Series(out["annotated_cases"].sum(), index=out.index))
    out["detected_share"] = _share(
        out["detected_emergent_triplets"],
        pd.Series(out["detected_emergent_triplets"].sum(), index=out.index),
    )
    out = out.sort_values(
        ["annotated_cases", "detected_emergent_triplets", "metric"],
        ascending=[False, False, True],
        kind="mergesort",
    )
    return out[SHARE_COLUMNS].reset_index(drop=True)


HEADLINE_METRICS = ("multiple_choice_grade", "exact_str_match")
"""The two metrics the paper finds behind > 92% of the annotated emergent abilities (Fig. 5C)."""


def combined_share(share_table: pd.DataFrame, count_column: str, metrics: tuple[str, ...] = HEADLINE_METRICS) -> float:
    """Share of the cases in `count_column` (annotated_cases or detected_emergent_triplets) under `metrics`.

    From the counts, not by adding rounded shares; NaN when nothing was counted.
    """
    total = float(share_table[count_column].sum()) if not share_table.empty else 0.0
    if total == 0:
        return float("nan")
    return float(share_table.loc[share_table["metric"].isin(metrics), count_column].sum()) / total


def with_metric_names(df: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Insert `name` (plain words) and `sharp` (all-or-nothing metric; empty if unknown) after `metric`."""
    out = df.copy()
    at = list(out.columns).index("metric") + 1
    out.insert(at, "name", [metric_name(m, facts) for m in out["metric"]])
    sharp = [facts[m].get("sharp") if m in facts else None for m in out["metric"]]
    out.insert(at + 1, "sharp", pd.array(sharp, dtype="boolean"))
    return out


def table_caption(
    what: str,
    *,
    emergence_threshold: Any,
    min_effect: float,
    triplet_rule: Any,
    data_label: str,
) -> str:
    """Caption naming the table, the emergence criterion, the triplet rule and the data source."""
    return (
        f"{what}. Emergent curve: {threshold_text(emergence_threshold, min_effect)}; "
        f"{triplet_rule_text(parse_triplet_rule(triplet_rule))}. Data: {data_label}."
    )


# --- rule ------------------------------------------------------------------------------------------


def run(
    *,
    emergence: str,
    scores: str,
    annotations: str,
    metrics: str,
    task_metadata: str | None = None,
    preferred_csv: str,
    preferred_tex: str,
    all_csv: str,
    all_tex: str,
    annotated_csv: str,
    annotated_tex: str,
    share_csv: str,
    share_tex: str,
    annotated_missing: str,
    annotated_tasks: str,
    triplet_rule: Any,
    emergence_threshold: Any,
    min_effect: float,
    data_label: str,
) -> None:
    facts = load_metric_facts(metrics)
    curves = pd.read_parquet(emergence)
    score_rows = pd.read_parquet(scores, columns=["task", "subtask", "metric", "is_preferred"])
    ann = pd.read_csv(annotations, comment="#")
    meta = pd.read_csv(task_metadata, keep_default_na=True) if task_metadata else None

    pref = tally(preferred_curves(curves), triplet_rule=triplet_rule)
    every = tally(curves, triplet_rule=triplet_rule)
    joined, missing = join_annotations(ann, score_rows, task_metadata=meta)
    annotated = count_annotated(joined)
    share = emergent_share_by_metric(annotated, pref)

    caption = {
        "emergence_threshold": emergence_threshold,
        "min_effect": min_effect,
        "triplet_rule": triplet_rule,
        "data_label": data_label,
    }
    n_ann = len(joined) + len(missing)
    tables = [
        (
            pref,
            preferred_csv,
            preferred_tex,
            "tab:tally_preferred",
            "Emergent curves and (family, task, metric) triplets per preferred metric (Mirage Fig. 5A)",
        ),
        (
            every,
            all_csv,
            all_tex,
            "tab:tally_all_metrics",
            "Emergent curves and (family, task, metric) triplets per metric, over every metric of every score_dict",
        ),
        (
            annotated,
            annotated_csv,
            annotated_tex,
            "tab:annotated_by_metric",
            f"Hand-annotated emergent tasks ({annotations}) per BIG-bench preferred metric (Mirage Fig. 5B); "
            f"{len(joined)} of {n_ann} annotated cases found in the data, {len(missing)} missing "
            "(tables/annotated_missing.csv)",
        ),
        (
            share,
            share_csv,
            share_tex,
            "tab:emergent_share_by_metric",
            "Share of emergent cases per metric (Mirage Fig. 5C): hand-annotated cases, and emergent "
            "preferred-metric triplets detected by the emergence score",
        ),
    ]
    for df, csv_path, tex_path, label, what in tables:
        named = with_metric_names(df, facts)
        write_csv(named, csv_path, label=data_label)
        write_text(tex_path, to_latex(named, table_caption(what, **caption), label))
    write_csv(missing, annotated_missing, label=data_label)
    write_csv(joined, annotated_tasks, label=data_label)

    n_with = int((pref["emergent_triplets"] > 0).sum())
    logger.info(
        "preferred metrics: %d of %d show possible emergence (%s)",
        n_with,
        len(pref),
        triplet_rule_text(parse_triplet_rule(triplet_rule)),
    )
    logger.info(
        "all metrics: %d metrics, %d curves, %d emergent",
        len(every),
        int(every["curves"].sum()),
        int(every["emergent_curves"].sum()),
    )
    logger.info(
        "annotated: %d cases under %d preferred metrics; %d missing from the data",
        len(joined),
        len(annotated),
        len(missing),
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
