"""Rule build_curves: tidy scores -> one ordered curve per (family, task, subtask, shots, metric).

docs/design.md §3. A curve is the values of one metric for one (family, task, subtask-or-task-level,
shots), ordered by the scale column. Rows with a missing value or a missing/non-positive scale
are dropped and counted per curve (`n_nan_dropped`); duplicate points at one scale are averaged
and counted (`n_duplicates`); lower-is-better metrics are negated when `orient_metrics` is set so
that improvement is always positive; curves with fewer than `min_points` points are excluded
with the reason. Metrics not in config/metrics.yaml flow through as higher-is-better and are
listed in unknown_metrics.csv.

Inputs: scores.parquet, config/metrics.yaml. Outputs: curves.parquet (one row per point),
tables/excluded_curves.csv, tables/unknown_metrics.csv.
Params: scale, families, shots, granularity, min_points, orient_metrics, label.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.curve_schema import CURVE_KEYS, NOISE_COLUMNS, POINT_COLUMNS
from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_parquet

logger = logging.getLogger(__name__)


def with_noise_columns(scores: pd.DataFrame) -> pd.DataFrame:
    """The noise columns, filled with 'unknown' for a source that gives none of them."""
    out = scores.copy()
    if "value_se" not in out:
        out["value_se"] = np.nan
    if "n_examples" not in out:
        out["n_examples"] = pd.array([pd.NA] * len(out), dtype="Int64")
    if "se_source" not in out:
        out["se_source"] = np.where(np.isfinite(out["value_se"].astype(float)), "binomial", None)
    out["value_se"] = out["value_se"].astype(float)
    out["n_examples"] = out["n_examples"].astype("Int64")
    out["se_source"] = out["se_source"].astype(object).where(out["value_se"].notna(), None)
    return out


def to_sentinels(df: pd.DataFrame) -> pd.DataFrame:
    """Task-level entries (subtask null) and unknown shots (null) as plain group keys."""
    return df.assign(subtask=df["subtask"].fillna(""), shots=df["shots"].fillna(-1).astype("int64"))


def from_sentinels(df: pd.DataFrame) -> pd.DataFrame:
    """Undo `to_sentinels`: null subtask for the task level, null shots when unknown."""
    return df.assign(
        subtask=df["subtask"].replace("", None),
        shots=df["shots"].astype("Int64").mask(df["shots"] < 0),
    )


def select_scores(scores: pd.DataFrame, *, families: list[str], shots: list[int], granularity: str) -> pd.DataFrame:
    """Keep the families, shot counts and entry level (task/subtask/all) asked for."""
    keep = pd.Series(True, index=scores.index)
    if families:
        keep &= scores["family"].isin(families)
    if shots:
        keep &= scores["shots"].isin(shots)
    if granularity == "task":
        keep &= scores["subtask"].isna()
    elif granularity == "subtask":
        keep &= scores["subtask"].notna()
    return scores.loc[keep]


def metric_table(metrics: dict[str, dict[str, Any]], names: pd.Index) -> pd.DataFrame:
    """Direction and range for every metric name seen; unknown ones are higher-is-better, unbounded."""
    rows = {
        name: {
            "known_metric": name in metrics,
            "higher_is_better": bool(metrics.get(name, {}).get("higher_is_better", True)),
            "metric_low": metrics.get(name, {}).get("low"),
            "metric_high": metrics.get(name, {}).get("high"),
        }
        for name in names
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "metric"
    return table.astype({"metric_low": float, "metric_high": float})


def with_file_directions(facts: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Direction stated by the results files (lm-evaluation-harness 0.4 `higher_is_better`) for
    metrics that config/metrics.yaml does not know; metrics.yaml wins for the ones it lists."""
    if "file_higher_is_better" not in scores:
        return facts
    given = scores.dropna(subset=["file_higher_is_better"]).groupby("metric")["file_higher_is_better"].first()
    new = given.index.intersection(facts.index[~facts["known_metric"]])
    out = facts.copy()
    out.loc[new, "higher_is_better"] = given[new].astype(bool).to_numpy()
    return out


def build_curves(
    scores: pd.DataFrame,
    metrics: dict[str, dict[str, Any]],
    *,
    scale: str,
    families: list[str],
    shots: list[int],
    granularity: str,
    min_points: int,
    orient_metrics: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (curves, excluded): points of every scorable curve, and excluded curves with reasons."""
    df = select_scores(scores, families=families, shots=shots, granularity=granularity)
    df = with_noise_columns(df)
    df = df[CURVE_KEYS + ["is_preferred", "low_score", "high_score", "value", *NOISE_COLUMNS, scale]]
    df = df.rename(columns={scale: "x"}).assign(se2=lambda d: d["value_se"] ** 2)
    df = to_sentinels(df)
    usable = np.isfinite(df["value"]) & np.isfinite(df["x"]) & (df["x"] > 0)
    dropped = (~usable).groupby([df[k] for k in CURVE_KEYS], sort=True).sum().rename("n_nan_dropped")

    points = (
        df.loc[usable]
        .groupby(CURVE_KEYS + ["x"], sort=True)
        .agg(
            value=("value", "mean"),
            n_duplicates=("value", "size"),
            is_preferred=("is_preferred", "any"),
            low_score=("low_score", "first"),
            high_score=("high_score", "first"),
            se2=("se2", "mean"),
            se_source=("se_source", "first"),
            n_examples=("n_examples", "first"),
        )
        .reset_index()
    )
    # The mean of k duplicate scores has standard error sqrt(mean(se^2) / k).
    points["value_se"] = np.sqrt(points.pop("se2") / points["n_duplicates"])
    points["n_duplicates"] -= 1
    facts = metric_table(metrics, pd.Index(sorted(df["metric"].unique())))
    facts = with_file_directions(facts, scores)
    points = points.join(facts, on="metric")
    negate = orient_metrics & ~points["higher_is_better"]
    points["oriented"] = negate
    points["y"] = np.where(negate, -points["value"], points["value"])
    points["is_preferred"] = points.groupby(CURVE_KEYS)["is_preferred"].transform("any")

    per_curve = pd.concat([points.groupby(CURVE_KEYS).size().rename("n_points"), dropped], axis=1)
    per_curve["n_points"] = per_curve["n_points"].fillna(0).astype(int)
    per_curve["n_nan_dropped"] = per_curve["n_nan_dropped"].fillna(0).astype(int)

    excluded = per_curve.loc[per_curve["n_points"] < min_points].reset_index()
    excluded["reason"] = [
        f"{n} finite point(s) < min_points={min_points}"
        + (f" ({d} row(s) dropped: value NaN/null or no positive {scale})" if d else "")
        for n, d in zip(excluded["n_points"], excluded["n_nan_dropped"], strict=True)
    ]

    points = points.join(per_curve, on=CURVE_KEYS)
    points = points.loc[points["n_points"] >= min_points].drop(columns="n_points")
    points["curve_id"] = points.groupby(CURVE_KEYS, sort=True).ngroup()
    curves = from_sentinels(points[POINT_COLUMNS].sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True))
    excluded = from_sentinels(excluded)
    return curves, excluded


def unknown_metrics(scores: pd.DataFrame, metrics: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Metrics absent from config/metrics.yaml: treated as higher-is-better and unbounded."""
    unknown = scores.loc[~scores["metric"].isin(list(metrics))]
    table = (
        unknown.groupby("metric", sort=True)
        .agg(n_scores=("value", "size"), n_tasks=("task", "nunique"), example_task=("task", "min"))
        .reset_index()
    )
    table["treated_as"] = "higher is better, unbounded (add it to config/metrics.yaml)"
    return table


def run(
    *,
    scores: str,
    metrics: str,
    curves: str,
    excluded: str,
    unknown: str,
    scale: str,
    families: list[str],
    shots: list[int],
    granularity: str,
    min_points: int,
    orient_metrics: bool,
    label: str,
) -> None:
    table = pd.read_parquet(scores)
    facts = load_metric_facts(metrics)
    points, dropped = build_curves(
        table,
        facts,
        scale=scale,
        families=list(families),
        shots=list(shots),
        granularity=granularity,
        min_points=min_points,
        orient_metrics=orient_metrics,
    )
    write_parquet(points, curves, label=label)
    write_csv(dropped, excluded, label=label)
    unknown_table = unknown_metrics(table, facts)
    write_csv(unknown_table, unknown, label=label)
    logger.info(
        "%d curves kept (%d points), %d excluded; %d unknown metric(s)",
        points["curve_id"].nunique(),
        len(points),
        len(dropped),
        len(unknown_table),
    )
    reasons = dropped["reason"].astype(str).str.replace(r"^\d+", "k", regex=True)
    for reason, count in reasons.value_counts().sort_index().items():
        logger.info("excluded %d curve(s): %s", count, reason)


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
