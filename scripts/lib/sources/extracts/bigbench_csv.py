"""Adapter of bigbench.csv (smolix/benchmark-selection): 55 models x the 24 BIG-bench Lite tasks.

File: data/bigbench.csv @ f339e73 (registry entry `bigbench_csv`; /work/shared/data/real_excerpts/README.md).
One row per model, labelled "<model_family> <model_name>"; one column per task; each value the
task's preferred metric at the highest shot count available (metric name and shots not stored).

Mapping: family/model_name split from the label with the known families, longest first; metric =
the task's preferred metric in BIG-bench's task metadata; shots null (unknown); low/high_score =
the audit's chance level and 1 for a multiple_choice_grade task the audit also holds (when the
audit_table entry ran first), else null (metrics.yaml's range is used); n_examples from the
metadata; no seeds (value_se binomial). Empty cells are dropped and counted. For the six tasks with
subtasks a value may be a subtask's: those rows get subtask "unknown_subtask_or_task". Values held
by both this file and the audit (13 tasks x 12 BIG-G T=0 sizes) must agree to 4 decimals; the
audit's are kept and the comparison is returned as the `overlap` table. Sizes: `sizes.resolve_sizes`.
"""

import csv
import io
import logging
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.sources.extracts.context import Adapted, Context
from scripts.lib.sources.extracts.registry import ExtractError, read_bytes
from scripts.lib.sources.extracts.sizes import BIG_G_LADDER, resolve_sizes, split_model_label

logger = logging.getLogger(__name__)

AUDIT_METRIC = "multiple_choice_grade"
KNOWN_FAMILIES = ("BIG-G T=0", "BIG-G T=1", "BIG-G sparse", "GPT", "Gopher", "PaLM", "T0", "T0+", "T0++", "T5-LM")
"""Model families of bigbench.csv's row labels; families named in config/model_sizes.csv are added."""

MAYBE_SUBTASK_TASKS = (
    "bbq_lite_json",
    "conceptual_combinations",
    "conlang_translation",
    "logical_deduction",
    "strange_stories",
    "symbol_interpretation",
)
"""Tasks with subtasks: bigbench.csv's value may be a subtask's rather than the task's (README)."""
MAYBE_SUBTASK_LABEL = "unknown_subtask_or_task"

OVERLAP_COLUMNS = [
    "task",
    "family",
    "model_name",
    "non_embedding_params",
    "audit_value",
    "bigbench_value",
    "abs_diff",
    "agree",
]
AGREE_TOL = 5e-5 + 1e-9
"""Two values agree 'to 4 decimals' when they differ by at most half a unit in the 4th decimal."""


def load_bigbench_csv(data: bytes, path: str) -> pd.DataFrame:
    """bigbench.csv -> long form: label, task, value (empty cells dropped); errors name file, row and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExtractError(path, "$", f"not UTF-8 text (byte {exc.start})") from None
    table = list(csv.reader(io.StringIO(text)))
    if not table or not any(cell.strip() for cell in table[0]):
        raise ExtractError(path, "line 1", "empty file (expected a header: model,<task>,<task>,...)")
    header = [cell.strip() for cell in table[0]]
    if header[0] != "model" or len(header) < 2:
        raise ExtractError(path, "line 1", f"expected a header 'model,<task>,...', got {','.join(header)[:60]!r}")
    tasks = header[1:]
    dupes = sorted({t for t in tasks if tasks.count(t) > 1})
    if dupes or not all(tasks):
        raise ExtractError(path, "line 1", f"task columns must be named and unique (repeated: {dupes})")
    rows: list[tuple[str, str, float]] = []
    labels: set[str] = set()
    n_empty = 0
    for line_no, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ExtractError(path, f"line {line_no}", f"{len(cells)} cells, header has {len(header)}")
        label = cells[0].strip()
        if not label:
            raise ExtractError(path, f"line {line_no}", "empty model label")
        if label in labels:
            raise ExtractError(path, f"line {line_no}", f"model {label!r} appears twice")
        labels.add(label)
        for task, cell in zip(tasks, cells[1:], strict=True):
            cell = cell.strip()
            if cell == "" or cell.lower() == "nan":
                n_empty += 1
                continue
            try:
                value = float(cell)
            except ValueError:
                raise ExtractError(
                    path, f"line {line_no} ({label}), column {task}", f"not a number: {cell!r:.40}"
                ) from None
            if not math.isfinite(value):
                raise ExtractError(path, f"line {line_no} ({label}), column {task}", f"non-finite value {cell!r}")
            rows.append((label, task, value))
    if not labels:
        raise ExtractError(path, "$", "no model rows")
    logger.info(
        "%s: %d models x %d tasks, %d values, %d empty cells (no result for that model; dropped)",
        path,
        len(labels),
        len(tasks),
        len(rows),
        n_empty,
    )
    return pd.DataFrame(rows, columns=["label", "task", "value"])


def bigbench_rows(
    long: pd.DataFrame,
    *,
    families: Iterable[str],
    preferred: Mapping[str, Any],
    chance: Mapping[str, float],
    metric_facts: Mapping[str, Mapping[str, Any]],
    source_file: str,
) -> pd.DataFrame:
    """Tidy rows of bigbench.csv: family/model split, preferred metric, null shots, subtask flag."""
    families = list(families)
    split = {}
    for label in long["label"].unique():
        try:
            split[label] = split_model_label(label, families)
        except ValueError as exc:
            raise ExtractError(
                source_file, f"model {label!r}", f"{exc}; add the family to config/model_sizes.csv"
            ) from None
    no_metric = sorted(t for t in long["task"].unique() if pd.isna(preferred.get(t)))
    if no_metric:
        raise ExtractError(
            source_file,
            f"column {no_metric[0]}",
            f"task has no preferred metric in the task metadata ({len(no_metric)} such column(s))",
        )
    metric = long["task"].map(preferred)
    is_mcg = metric.eq(AUDIT_METRIC)
    low = long["task"].map(chance).where(is_mcg)
    rows = pd.DataFrame(
        {
            "family": long["label"].map(lambda s: split[s][0]),
            "model_name": long["label"].map(lambda s: split[s][1]),
            "task": long["task"],
            "subtask": np.where(long["task"].isin(MAYBE_SUBTASK_TASKS), MAYBE_SUBTASK_LABEL, None),
            "shots": pd.array([pd.NA] * len(long), dtype="Int64"),
            "metric": metric,
            "value": long["value"],
            "is_preferred": True,
            "low_score": low.astype(float),
            "high_score": np.where(low.notna(), 1.0, np.nan),
            "source_file": source_file,
        }
    )
    rows["subtask"] = rows["subtask"].astype(object).where(rows["subtask"].notna(), None)
    for name, facts in metric_facts.items():
        lo, hi = (facts or {}).get("low"), (facts or {}).get("high")
        sel = rows["metric"] == name
        bad = sel & ((lo is not None and rows["value"] < lo) | (hi is not None and rows["value"] > hi))
        if bad.any():
            row = rows.loc[bad].iloc[0]
            raise ExtractError(
                source_file,
                f"model {row['family']} {row['model_name']}, column {row['task']}",
                f"{row['value']!r} is outside the range [{lo}, {hi}] of its metric {name}",
            )
    return rows


def reconcile(
    audit: pd.DataFrame, bench: pd.DataFrame, *, audit_file: str, bench_file: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare the (task, BIG-G T=0 size) values held by both files; return (bench rows to keep, overlap).

    Values must agree to 4 decimals (the audit's rounding); a disagreement is an ExtractError naming
    both files, the task and the size. The audit's rows are kept (they state the shot count).
    """
    key = ["family", "model_name", "task"]
    both = audit[key + ["value"]].merge(bench[key + ["value"]], on=key, suffixes=("_audit", "_bench"))
    diff = (both["value_audit"] - both["value_bench"]).abs()
    agree = diff.le(AGREE_TOL) | (both["value_audit"].isna() & both["value_bench"].isna())
    overlap = (
        pd.DataFrame(
            {
                "task": both["task"],
                "family": both["family"],
                "model_name": both["model_name"],
                "non_embedding_params": both["model_name"].map(BIG_G_LADDER),
                "audit_value": both["value_audit"],
                "bigbench_value": both["value_bench"],
                "abs_diff": diff,
                "agree": agree.to_numpy(dtype=bool),
            }
        )
        .sort_values(["task", "non_embedding_params"], kind="stable")
        .reset_index(drop=True)
    )
    if not overlap["agree"].all():
        bad = overlap.loc[~overlap["agree"]]
        first = bad.iloc[0]
        raise ExtractError(
            f"{audit_file} and {bench_file}",
            f"task {first['task']}, {first['family']} {first['model_name']}",
            f"the files disagree: {first['audit_value']!r} vs {first['bigbench_value']!r} (more than 4 decimals "
            f"apart; {len(bad)} of {len(overlap)} shared values disagree)",
        )
    kept = bench.merge(overlap[key].assign(_shared=True), on=key, how="left")
    kept = kept.loc[kept["_shared"].isna()].drop(columns="_shared")
    return kept.reset_index(drop=True), overlap


def adapt(files: Mapping[str, Path], ctx: Context) -> Adapted:
    """The tidy rows, model table and overlap table of bigbench.csv (reconciled with the audit if it ran)."""
    (path,) = files.values()
    name = Path(path).name
    long = load_bigbench_csv(read_bytes(path), str(path))
    audit = ctx.done.get("audit_table")
    chance = audit.extras["chance"].to_dict() if audit else {}
    families = [*KNOWN_FAMILIES, *ctx.sizes["family"].unique()]
    rows = bigbench_rows(
        long, families=families, preferred=ctx.preferred, chance=chance, metric_facts=ctx.metric_facts, source_file=name
    )
    overlap = pd.DataFrame(columns=OVERLAP_COLUMNS)
    if audit:
        rows, overlap = reconcile(audit.rows, rows, audit_file=audit.rows["source_file"].iat[0], bench_file=name)
        logger.info(
            "%d values shared with the audit agree to 4 decimals (max |diff| %.2g); the audit's are kept",
            len(overlap),
            overlap["abs_diff"].max() if len(overlap) else 0.0,
        )
    rows = rows.assign(n_examples=ctx.n_examples(rows))
    maybe = rows["subtask"].eq(MAYBE_SUBTASK_LABEL)
    logger.info(
        "%d scores of %d tasks with subtasks may be a subtask's value: subtask=%r (own curves; "
        "excluded by granularity: task)",
        int(maybe.sum()),
        rows.loc[maybe, "task"].nunique(),
        MAYBE_SUBTASK_LABEL,
    )
    try:
        models = resolve_sizes(rows, ctx.sizes)
    except ValueError as exc:
        raise ExtractError(name, "model sizes", str(exc)) from None
    return Adapted(rows, models, tables={"overlap": overlap[OVERLAP_COLUMNS]})
