"""The upstream quirks the synthetic sample plants (docs/bigbench-format.md §5, "Known quirks"), one place:
which tasks carry which per-task quirk, and the value-level quirks of each file.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from scripts.lib.sources.bigbench_layout import round6


class PlannedTask(Protocol):
    """What the quirk planner reads of a task plan (scripts/acquire/synthesize_sample.py TaskPlan)."""

    name: str
    kind: str
    subtasks: Sequence[Any]


@dataclass(frozen=True)
class Quirks:
    """Which planted quirks a task carries (chosen by position in the task list, so always present)."""

    few_sizes: bool = False  # only two sizes of BIG-G T=1 have results
    unprefixed_subtasks: bool = False  # BIG-G T=1 files write subtasks without '<task>:' (#726)
    missing_metric: bool = False  # GPT files lack expected_calibration_error


def plan_quirks(plans: Sequence[PlannedTask]) -> dict[str, Quirks]:
    """Plant each per-task quirk on fixed tasks of the list."""
    with_subtasks = [p.name for p in plans if p.subtasks]
    mc = [p.name for p in plans if p.kind == "mc"]
    quirks = {}
    for i, plan in enumerate(plans):
        quirks[plan.name] = Quirks(
            few_sizes=i % 20 == 3,
            unprefixed_subtasks=bool(with_subtasks) and plan.name == with_subtasks[len(with_subtasks) // 2],
            missing_metric=plan.name in mc[1::10],
        )
    return quirks


def plant_value_quirks(
    docs: dict[str, dict[str, Any]], plan: PlannedTask, quirks: Quirks, rng: np.random.Generator
) -> None:
    """NaN literals, nulls, a metric missing for some models, a duplicated entry, extra keys."""
    for name in sorted(docs):
        doc = docs[name]
        for item in doc["scores"]:
            for metric in item["score_dict"]:
                u = rng.random()
                if u < 0.004:
                    item["score_dict"][metric] = float("nan")
                elif u < 0.006:
                    item["score_dict"][metric] = None
        if quirks.missing_metric and "GPT" in name:
            for item in doc["scores"]:
                item["score_dict"].pop("expected_calibration_error", None)
        if rng.random() < 0.02 and doc["scores"]:
            duplicate = json.loads(json.dumps(doc["scores"][0]))
            key = next(iter(duplicate["score_dict"]))
            if isinstance(duplicate["score_dict"][key], float):
                duplicate["score_dict"][key] = round6(duplicate["score_dict"][key] * 1.01)
            doc["scores"].append(duplicate)
        if rng.random() < 0.3:
            doc["task"] = {"task_name": plan.name, "task_kind": plan.kind}
        if rng.random() < 0.1:
            doc["additional_details"] = {"note": "unknown key, to be ignored"}
