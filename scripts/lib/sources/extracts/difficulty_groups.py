"""Difficulty groups of ExpEmergence (Wu & Lo, ICLR 2025): each group's Brier score per model, tidy; and its adapter.

Files: tony10101105/ExpEmergence @ 288b731, `data/<task>/<task>_instance_brier_-1000_<cut>_<G>_redist.csv`
(registry entry `expemergence_groups`; docs/difficulty.md). What the columns are, from the code that
wrote them (evaluation/<task>/<task>_question_grouping.py; lines below of evaluation/mmlu/
mmlu_question_grouping.py as stored at 76a84af, the other tasks' scripts are the same code):
- per question and model: `brier` = (p_target - 1)^2 with the options' probabilities (l.74-75)
  renormalised to sum to 1 (`redist`, l.81-83); `san` ("sanity") = the sum of the options'
  unnormalised probabilities, exp(log-likelihood of each option's continuation) (l.89): how much mass
  the model puts on the answer options at all. Not bounded by 1 (options that are prefixes of each
  other, as in arithmetic: up to 1.03 in the files); ~0 for long options (HellaSwag).
- difficulty of a question = its mean Brier score over the models whose `FLOPs (1E21)` is at most
  `<cut>` (`--model_size_uplimit`, l.51; l.104-117), except `removed_models` (l.55-56): the same models'
  answers, so the groups are selected on the small models' outcomes. `<cut>` = 10^threshold, the
  task's emergence threshold in log10 FLOPs(1E21) (utils.py `basic_parameter`;
  plot_question_group_tc_brier.py l.18-20 and l.33 build the file name from it); `-1000` is the unused lower limit.
- questions sorted by that difficulty, easiest (lowest Brier) first (l.168), cut into G ranges
  `np.linspace(0, n, G + 1)` floored (l.233-234): `<lo>_<hi>` are positions in that order, a group has
  hi - lo questions (asserted, l.247), group 1 is the easiest.
- `<lo>_<hi>_brier` / `_san`: the model's mean over the group's questions (l.236-269); `acc`
  (argmax = target, l.77-79), `brier`, `san`: over all questions (l.271 on).
- `FLOPs (1E21)`: ObsScaling's training compute, ~6 N D (Llama-2-7B: 6 x 7e9 x 2e12 = 84e21), the
  paper's x axis on log10 (plot_question_group_tc_brier.py l.41).
Tidy metrics: `brier_score` (lower is better), `option_mass` (`san`) and, for the aggregate only
(group 0), `multiple_choice_grade` (`acc`). value_se: binomial sqrt(v (1 - v) / n) for accuracy; for
the Brier score, a mean of n values in [0, 1], the same formula is an upper bound (Bhatia-Davis:
variance <= v (1 - v)); none for option_mass (per-question values not given, range unbounded).
"""

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from scripts.lib.score_table import binomial_se
from scripts.lib.sources.extracts.context import Adapted, Context
from scripts.lib.sources.extracts.expemergence import SHOTS, TASKS, drop_repeated_models
from scripts.lib.sources.extracts.registry import ExtractError
from scripts.lib.sources.extracts.tables import MODEL_TABLE_COLUMNS, model_sizes, numeric, read_table

logger = logging.getLogger(__name__)

ALL_TASKS = {**TASKS, "mmlu": "mmlu", "arc": "arc", "hellaswag": "hellaswag"}
"""ExpEmergence's data folder -> our task name (BIG-bench's where it is one)."""
PAPER_EMERGENT = (
    "arithmetic",
    "analogical_similarity",
    "conceptual_combinations",
    "hindu_knowledge",
    "mmlu",
    "parsinlu_qa",
)
"""The tasks utils.py `basic_parameter` types 'Emergence' (the other three: 'No Emergence')."""
GROUP_METRICS = {"brier": "brier_score", "san": "option_mass"}
AGGREGATE_METRICS = {"acc": "multiple_choice_grade", "brier": "brier_score", "san": "option_mass"}
GROUP_COLUMN = re.compile(r"^(\d+)_(\d+)_(brier|san)$")
FILE_NAME = re.compile(r"_instance_brier_(?P<low>-?[0-9.]+)_(?P<cut>[0-9.]+)_(?P<groups>[0-9]+)_redist\.csv$")
NOT_DEFINING = (
    "microsoft/phi-1_5",
    "microsoft/phi-2",
    "Qwen/Qwen1.5-0.5B",
    "Qwen/Qwen1.5-1.8B",
    "Qwen/Qwen1.5-4B",
    "stabilityai/stablelm-2-1_6b",
)
"""`removed_models` of the grouping scripts (with '__' as '/'); their 'facebook/xglm-564M' never matches a
'__' name, so xglm-564M does define difficulty (mmlu_question_grouping.py l.55-56, l.109)."""
PAPER_FIGURE_EXCLUDED = (*NOT_DEFINING, "meta-llama/Meta-Llama-3-8B")
"""utils.py `model_filter`: 'probably over-trained small models', left out of the paper's figures."""
COLUMNS = [
    "task",
    "groups",
    "group",
    "lo",
    "hi",
    "n_questions",
    "model",
    "family",
    "params",
    "flops",
    "cut_flops",
    "defines_difficulty",
    "in_paper_figures",
    "metric",
    "value",
    "value_se",
    "source_file",
]


def parse_file_name(path: str | Path) -> tuple[str, float, int]:
    """(our task, cut in FLOPs, number of groups) from a group file's folder and name."""
    path = Path(path)
    found = FILE_NAME.search(path.name)
    if found is None or not path.name.startswith(f"{path.parent.name}_instance_brier_"):
        raise ExtractError(str(path), "path", "not <task>/<task>_instance_brier_<low>_<cut>_<G>_redist.csv")
    if path.parent.name not in ALL_TASKS:
        raise ExtractError(str(path), "path", f"unknown ExpEmergence task folder {path.parent.name!r}")
    return ALL_TASKS[path.parent.name], float(found["cut"]) * 1e21, int(found["groups"])


def group_ranges(columns: Sequence[str], path: str | Path, groups: int) -> pd.DataFrame:
    """lo, hi, group (1 = easiest) of the file's groups: G contiguous ranges from 0, each with _brier and _san."""
    found = [(int(m[1]), int(m[2]), m[3]) for m in map(GROUP_COLUMN.match, columns) if m]
    ranges = sorted({(lo, hi) for lo, hi, _ in found})
    for lo, hi in ranges:
        for kind in GROUP_METRICS:
            if (lo, hi, kind) not in found:
                raise ExtractError(str(path), "header", f"missing column {lo}_{hi}_{kind}")
    if len(ranges) != groups:
        raise ExtractError(str(path), "header", f"{len(ranges)} <lo>_<hi> groups, the file name says {groups}")
    starts = [0] + [hi for _, hi in ranges[:-1]]
    gap = [f"{lo}_{hi}" for (lo, hi), start in zip(ranges, starts, strict=True) if lo != start or hi <= lo]
    if gap:
        raise ExtractError(str(path), f"column {gap[0]}_brier", "groups are not contiguous question ranges from 0")
    lo, hi = np.array(ranges).T
    return pd.DataFrame({"group": np.arange(1, groups + 1), "lo": lo, "hi": hi})


def evaluated_models(path: str | Path) -> pd.DataFrame:
    """The file's rows of evaluated models (an `acc`), each once (repeats as expemergence drops them)."""
    frame = read_table(path, [*MODEL_TABLE_COLUMNS, *AGGREGATE_METRICS])
    return drop_repeated_models(frame, path)


def tidy_groups(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """One file's evaluated models -> tidy rows (COLUMNS): every group x metric, and the aggregate as group 0."""
    task, cut, groups = parse_file_name(path)
    ranges = group_ranges(frame.columns, path, groups)
    n_total = int(ranges["hi"].iat[-1])
    ranges = pd.concat([pd.DataFrame({"group": [0], "lo": [0], "hi": [n_total]}), ranges], ignore_index=True)
    cells = [(g, lo, hi, kind) for g, lo, hi in ranges.itertuples(index=False) for kind in GROUP_METRICS]
    cells += [(0, 0, n_total, "acc")]
    flops = numeric(frame, "FLOPs (1E21)", path) * 1e21
    model = frame["Model"].astype(str)
    parts = []
    for g, lo, hi, kind in cells:
        column = kind if g == 0 else f"{lo}_{hi}_{kind}"
        value = numeric(frame, column, path)
        metric = AGGREGATE_METRICS[kind]
        if metric != "option_mass" and not value.dropna().between(0, 1).all():
            raise ExtractError(str(path), f"column {column!r}", f"{metric} outside [0, 1]")
        parts.append(
            pd.DataFrame(
                {
                    "group": g,
                    "lo": lo,
                    "hi": hi,
                    "model": model,
                    "family": frame["Model Family"].astype(str),
                    "params": numeric(frame, "Model Size (B)", path) * 1e9,
                    "flops": flops,
                    "metric": metric,
                    "value": value,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["n_questions"] = out["hi"] - out["lo"]
    proportion = out["metric"].ne("option_mass").to_numpy()
    out["value_se"] = np.where(proportion, binomial_se(out["value"], out["n_questions"]), np.nan)
    defining = ~(out["flops"] > cut) & ~out["model"].isin(NOT_DEFINING)  # NaN FLOPs pass upstream's test
    return out.assign(
        task=task,
        groups=groups,
        cut_flops=cut,
        defines_difficulty=defining,
        in_paper_figures=~out["model"].isin(PAPER_FIGURE_EXCLUDED),
        source_file=Path(path).name,
    )[COLUMNS]


def read_group_files(paths: Sequence[str | Path]) -> pd.DataFrame:
    """The tidy frame of every file, sorted (task, groups, group, metric, family, flops, model)."""
    parts = []
    for path in paths:
        frame = evaluated_models(path)
        parts.append(tidy_groups(frame, path))
        logger.info("%s: %d models evaluated", Path(path).name, len(frame))
    out = pd.concat(parts, ignore_index=True)
    keys = ["task", "groups", "group", "metric", "family", "flops", "model"]
    return out.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)


def subtask_name(group: pd.Series, groups: pd.Series) -> pd.Series:
    """'difficulty 1/3 (easiest)', 'difficulty 2/3', 'difficulty 3/3 (hardest)'."""
    base = "difficulty " + group.astype(str) + "/" + groups.astype(str)
    suffix = np.select([group.eq(1), group.eq(groups)], [" (easiest)", " (hardest)"], "")
    return base + suffix


def score_rows(tidy: pd.DataFrame) -> pd.DataFrame:
    """Tidy scores for the extracts reader: each 3-group Brier curve of a BIG-bench task as a subtask."""
    part = tidy[tidy["groups"].eq(3) & tidy["group"].gt(0) & tidy["metric"].eq("brier_score")]
    part = part[part["task"].isin(list(TASKS.values())) & part["value"].notna()]
    return pd.DataFrame(
        {
            "family": part["family"],
            "model_name": part["model"],
            "task": part["task"],
            "subtask": subtask_name(part["group"], part["groups"]),
            "shots": SHOTS,
            "metric": part["metric"],
            "value": part["value"],
            "is_preferred": False,
            "low_score": None,
            "high_score": None,
            "source_file": part["source_file"],
            "n_examples": part["n_questions"].astype("Int64"),
            "value_se": part["value_se"],
            "se_source": "binomial",
        }
    ).reset_index(drop=True)


def adapt(files: Mapping[str, Path], ctx: Context) -> Adapted:
    """Adapter of entry expemergence_groups: the 3-group Brier curves of the 6 BIG-bench tasks and the model table.

    The 10-group files and MMLU, ARC and HellaSwag are pinned for the difficulty rules and not read here.
    `ctx` is unused: n_examples is each group's size, not BIG-bench's task count.
    """
    del ctx
    used = [p for u, p in files.items() if Path(u).parent.name in TASKS and parse_file_name(p)[2] == 3]
    frames = {p: evaluated_models(p) for p in used}
    rows = score_rows(pd.concat([tidy_groups(f, p) for p, f in frames.items()], ignore_index=True))
    source = "ExpEmergence model table: Model Size (B) (total parameters), FLOPs (1E21)"
    table = pd.concat([model_sizes(f, p, source=source) for p, f in frames.items()], ignore_index=True)
    table = table.drop_duplicates(["family", "model_name"])
    table = table.merge(rows[["family", "model_name"]].drop_duplicates(), on=["family", "model_name"])
    return Adapted(rows, table.reset_index(drop=True))
