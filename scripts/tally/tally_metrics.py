"""Rule tally_metrics: which metrics the emergent cases come from (Mirage Fig. 5A-C numbers; docs/design.md §4).

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

Params: triplet_rule (any | all | a shot count), data_label. The screen's criterion in the captions
is read from emergence.parquet (the emergence rule applied it).

Triplet rule, precisely: a triplet's curves are grouped by shot count (null = unknown shots is its
own group); a shot count is emergent when any of its curves (task-level or subtask) is. The triplet
is emergent if any shot count is (`any`), every shot count is (`all`), or the given shot count is
(an integer; triplets without that shot count are not evaluated and are left out of the share).
"""

import logging
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.present.text import SCREEN_NAME, threshold_text, triplet_rule_text, with_metric_names
from scripts.lib.stats.emergence import screen_setting
from scripts.lib.stats.tally import (
    TRIPLET,
    _emergent_flags,
    emergent_triplets,
    join_annotations,
    parse_triplet_rule,
    preferred_curves,
)

logger = logging.getLogger(__name__)


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
SHARE_COLUMNS = [
    "metric",
    "annotated_cases",
    "annotated_share",
    "detected_emergent_triplets",
    "detected_share",
]


# --- triplets and tallies --------------------------------------------------------------------------


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


# --- the hand-annotated tally (Fig. 5B) ------------------------------------------------------------


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
        f"{what}. Possible emergence (Mirage screen), a curve's `emergent` flag: "
        f"{threshold_text(emergence_threshold, min_effect)}; "
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
    data_label: str,
) -> None:
    facts = load_metric_facts(metrics)
    curves = pd.read_parquet(emergence)
    emergence_threshold, min_effect = screen_setting(curves)
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
            f"Curves and (family, task, metric) triplets with {SCREEN_NAME} per preferred metric (Mirage Fig. 5A)",
        ),
        (
            every,
            all_csv,
            all_tex,
            "tab:tally_all_metrics",
            f"Curves and (family, task, metric) triplets with {SCREEN_NAME} per metric, over every metric of "
            "every score_dict",
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
            "Share of emergent cases per metric (Mirage Fig. 5C): hand-annotated cases, and preferred-metric "
            f"triplets with {SCREEN_NAME}",
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
        "preferred metrics: %d of %d show possible emergence (Mirage screen) (%s)",
        n_with,
        len(pref),
        triplet_rule_text(parse_triplet_rule(triplet_rule)),
    )
    logger.info(
        "all metrics: %d metrics, %d curves, %d pass the Mirage screen",
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
