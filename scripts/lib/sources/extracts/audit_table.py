"""Adapter of audit_table.json (PeterPonyu/calibration-traps): 89 BIG-bench multiple-choice tasks x 12 BIG-G T=0 sizes.

File: experiments/results/bigbench_audit/audit_table.json @ f055de2 (registry entry `audit_table`;
/work/shared/data/real_excerpts/README.md). `mc_tasks[]` holds, per task, `task`, `N` (examples),
`chance_p`, `shots` (3 for all), `acc_by_scale` (the task-level multiple_choice_grade of the 12
BIG-G T=0 models, rounded to 4 decimals) and `params_by_scale` (their non_embedding_params).
Other keys are that project's own statistics and are ignored.

Mapping: family "BIG-G T=0" (the paper's "LaMDA"); model_name from the BIG-G ladder
(`sizes.BIG_G_LADDER`, identical to params_by_scale); task level (subtask null); shots from the
file; metric multiple_choice_grade; low_score = chance_p, high_score = 1; n_examples = N; no seeds
(value_se binomial). Sizes: BIG-bench's own non_embedding_params (kind non_embedding).
"""

import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from scripts.lib.sources.extracts.context import Adapted, Context
from scripts.lib.sources.extracts.registry import ExtractError, read_bytes
from scripts.lib.sources.extracts.sizes import BIG_G_LADDER, resolve_sizes

logger = logging.getLogger(__name__)

AUDIT_FAMILY = "BIG-G T=0"
AUDIT_METRIC = "multiple_choice_grade"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def load_audit(data: bytes, path: str) -> pd.DataFrame:
    """audit_table.json -> one row per (task, size): task, n_examples, chance_p, shots, non_embedding_params, value.

    Checks every field the pipeline uses; errors name the file and the JSON path.
    """
    if not data.strip():
        raise ExtractError(path, "$", "empty file")
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ExtractError(path, "$", f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ExtractError(path, "$", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(doc, dict):
        raise ExtractError(path, "$", f"expected an object, got {type(doc).__name__}")
    tasks = doc.get("mc_tasks")
    if not isinstance(tasks, list) or not tasks:
        raise ExtractError(path, "$.mc_tasks", "expected a non-empty list of tasks")
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for i, entry in enumerate(tasks):
        where = f"$.mc_tasks[{i}]"
        if not isinstance(entry, dict):
            raise ExtractError(path, where, f"expected an object, got {type(entry).__name__}")
        task = entry.get("task")
        if not isinstance(task, str) or not task:
            raise ExtractError(path, f"{where}.task", f"expected a task name, got {task!r:.40}")
        if task in seen:
            raise ExtractError(path, f"{where}.task", f"task {task!r} appears twice")
        seen.add(task)
        n = entry.get("N")
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ExtractError(path, f"{where}.N", f"expected a positive integer, got {n!r:.40}")
        chance = entry.get("chance_p")
        if not _is_number(chance) or not 0 <= chance < 1:
            raise ExtractError(path, f"{where}.chance_p", f"expected a number in [0, 1), got {chance!r:.40}")
        shots = entry.get("shots")
        if not isinstance(shots, int) or isinstance(shots, bool) or shots < 0:
            raise ExtractError(path, f"{where}.shots", f"expected a non-negative integer, got {shots!r:.40}")
        acc, params = entry.get("acc_by_scale"), entry.get("params_by_scale")
        for key, seq in (("acc_by_scale", acc), ("params_by_scale", params)):
            if not isinstance(seq, list) or not seq:
                raise ExtractError(path, f"{where}.{key}", "expected a non-empty list")
        if len(acc) != len(params):
            raise ExtractError(
                path, f"{where}.acc_by_scale", f"{len(acc)} values but params_by_scale has {len(params)}"
            )
        for j, (value, size) in enumerate(zip(acc, params, strict=True)):
            if not _is_number(size) or not math.isfinite(size) or size <= 0:
                raise ExtractError(
                    path, f"{where}.params_by_scale[{j}]", f"expected a positive number, got {size!r:.40}"
                )
            if value is None:
                value = math.nan
            elif not _is_number(value) or not (math.isnan(value) or 0 <= value <= 1):
                raise ExtractError(
                    path,
                    f"{where}.acc_by_scale[{j}]",
                    f"expected a multiple_choice_grade in [0, 1] or null, got {value!r:.40}",
                )
            rows.append((task, n, float(chance), shots, float(size), float(value)))
    return pd.DataFrame(rows, columns=["task", "n_examples", "chance_p", "shots", "non_embedding_params", "value"])


def audit_rows(audit: pd.DataFrame, *, preferred: Mapping[str, Any], source_file: str) -> pd.DataFrame:
    """Tidy rows of the audit table (family BIG-G T=0, task level, multiple_choice_grade)."""
    by_params = {v: k for k, v in BIG_G_LADDER.items()}
    unknown = sorted(set(audit["non_embedding_params"]) - set(by_params))
    if unknown:
        raise ExtractError(
            source_file,
            "$.mc_tasks[*].params_by_scale",
            f"{unknown[0]:.0f} is not a BIG-G dense non_embedding_params value {sorted(by_params)}",
        )
    return pd.DataFrame(
        {
            "family": AUDIT_FAMILY,
            "model_name": audit["non_embedding_params"].map(by_params),
            "task": audit["task"],
            "subtask": None,
            "shots": audit["shots"],
            "metric": AUDIT_METRIC,
            "value": audit["value"],
            "is_preferred": audit["task"].map(preferred).eq(AUDIT_METRIC).to_numpy(),
            "low_score": audit["chance_p"],
            "high_score": 1.0,
            "source_file": source_file,
            "n_examples": audit["n_examples"],
        }
    )


def adapt(files: Mapping[str, Path], ctx: Context) -> Adapted:
    """The tidy rows and model table of audit_table.json."""
    (path,) = files.values()
    audit = load_audit(read_bytes(path), str(path))
    rows = audit_rows(audit, preferred=ctx.preferred, source_file=Path(path).name)
    n_meta = ctx.n_examples(rows)
    differs = n_meta.notna() & n_meta.ne(rows["n_examples"]).fillna(False)
    if differs.any():
        logger.warning(
            "%d audit task(s): N differs from the task metadata's n_examples; using N (e.g. %s)",
            rows.loc[differs, "task"].nunique(),
            rows.loc[differs, "task"].iloc[0],
        )
    not_preferred = sorted(rows.loc[~rows["is_preferred"], "task"].unique())
    if not_preferred:
        logger.warning(
            "%d audit task(s) whose preferred metric is not multiple_choice_grade (is_preferred false): %s",
            len(not_preferred),
            ", ".join(not_preferred),
        )
    models = resolve_sizes(rows, ctx.sizes)
    return Adapted(rows, models, extras={"chance": audit.drop_duplicates("task").set_index("task")["chance_p"]})
