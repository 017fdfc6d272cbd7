"""Adapter of ExpEmergence (Wu & Lo, ICLR 2025): accuracy and Brier score of ~65 open models on 6 BIG-bench tasks.

Files: tony10101105/ExpEmergence @ 288b731, `data/<task>/<task>_instance_brier_-1000_<cut>_3_redist.csv`,
one per task (registry entry `expemergence`; /work/shared/data/real_multimetric/README.md). One row
per model: `Model`, `Model Family`, `Model Size (B)`, `FLOPs (1E21)`, ..., `acc`, `brier`. Rows of
models the project did not evaluate on the task have an empty `acc` and are dropped (counted).

Mapping, each from the project's code at that commit:
- task: the folder name; `parsinlu_qa_mc` is BIG-bench's `parsinlu_qa` (evaluation/parsinlu_qa_mc/
  persinlu_qa_mc.sh runs lm-eval's `bigbench_parsinlu_qa_multiple_choice`). Task level (subtask null).
  MMLU, ARC and HellaSwag, also in the repository, are not BIG-bench tasks and are not read.
- shots: 2 (every evaluation/<task>/<task>.sh runs `lm_eval ... --num_fewshot 2`).
- `acc` -> multiple_choice_grade: the option with the highest log-likelihood is the answer
  (evaluation/<task>/<task>_question_grouping.py: `idx = linearprobs.index(max(linearprobs))`),
  BIG-bench's multiple-choice grade.
- `brier` -> brier_score (config/metrics.yaml): the mean over questions of (p_target - 1)^2 with the
  options' probabilities renormalised to sum to 1 (`redist`), the paper's target-conditioned
  Brier score; in [0, 1], lower is better. Not BIG-bench's calibration_multiple_choice_brier_score
  (which sums over all options), so it gets its own name.
- family: `Model Family` as written (Pythia, OPT, Qwen1.5, ...); sizes: `Model Size (B)` x 1e9
  (total parameters, kind total), `FLOPs (1E21)` x 1e21 as the second scale `flops`.
- no seeds: one evaluation per model; value_se is binomial from BIG-bench's n_examples (for the
  Brier score an upper bound, scripts/lib/score_table.py).
"""

import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from scripts.lib.sources.extracts.context import Adapted, Context
from scripts.lib.sources.extracts.registry import ExtractError
from scripts.lib.sources.extracts.tables import MODEL_TABLE_COLUMNS, model_sizes, numeric, read_table

logger = logging.getLogger(__name__)

TASKS = {
    "abstract_narrative_understanding": "abstract_narrative_understanding",
    "analogical_similarity": "analogical_similarity",
    "arithmetic": "arithmetic",
    "conceptual_combinations": "conceptual_combinations",
    "hindu_knowledge": "hindu_knowledge",
    "parsinlu_qa_mc": "parsinlu_qa",
}
"""ExpEmergence's data folder -> BIG-bench task."""
SHOTS = 2
METRICS = {"acc": "multiple_choice_grade", "brier": "brier_score"}
SIZE_SOURCE = "ExpEmergence model table: Model Size (B) (total parameters), FLOPs (1E21)"


def task_of(upstream: str) -> str:
    """'data/parsinlu_qa_mc/parsinlu_qa_mc_instance_...csv' -> 'parsinlu_qa'."""
    folder = Path(upstream).parent.name
    if folder not in TASKS:
        raise ExtractError(upstream, "path", f"unknown ExpEmergence task folder {folder!r}; known: {sorted(TASKS)}")
    return TASKS[folder]


def drop_repeated_models(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """The evaluated rows, each model once: a model listed again with the same acc and brier is dropped.

    The arithmetic file lists openai-community/gpt2 and gpt2-large twice, the second time with
    the sizes of gpt2-medium and gpt2-xl (0.355, 1.5) but identical scores; the first rows carry the
    published sizes (124M, 774M). A model listed twice with different scores is an error.
    """
    evaluated = frame.loc[numeric(frame, "acc", path).notna()]
    repeated = evaluated.duplicated("Model", keep="first")
    same = evaluated.duplicated(["Model", *METRICS], keep="first")
    if (repeated & ~same).any():
        model = evaluated.loc[repeated & ~same, "Model"].iat[0]
        raise ExtractError(str(path), f"model {model}", "listed twice with different scores")
    if repeated.any():
        logger.warning(
            "%s: %d model(s) listed twice with identical scores, the repeat dropped: %s",
            Path(path).name,
            int(repeated.sum()),
            sorted(evaluated.loc[repeated, "Model"]),
        )
    return evaluated.loc[~repeated].reset_index(drop=True)


def file_rows(frame: pd.DataFrame, path: str | Path, *, task: str, preferred: Mapping[str, object]) -> pd.DataFrame:
    """Long rows (family, model_name, task, metric, value) of one task file's evaluated models."""
    values = {col: numeric(frame, col, path) for col in METRICS}
    parts = []
    for col, metric in METRICS.items():
        parts.append(
            pd.DataFrame(
                {
                    "family": frame["Model Family"].astype(str),
                    "model_name": frame["Model"].astype(str),
                    "task": task,
                    "subtask": None,
                    "shots": SHOTS,
                    "metric": metric,
                    "value": values[col],
                    "is_preferred": preferred.get(task) == metric,
                    "low_score": None,
                    "high_score": None,
                    "source_file": Path(path).name,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def adapt(files: Mapping[str, Path], ctx: Context) -> Adapted:
    """Tidy rows (2 metrics x evaluated models x 6 tasks) and the model table."""
    rows, models = [], []
    for upstream, path in files.items():
        frame = read_table(path, [*MODEL_TABLE_COLUMNS, *METRICS])
        n_rows = len(frame)
        frame = drop_repeated_models(frame, path)
        logger.info("%s: %d models evaluated (of %d rows)", Path(path).name, len(frame), n_rows)
        rows.append(file_rows(frame, path, task=task_of(upstream), preferred=ctx.preferred))
        models.append(model_sizes(frame, path, source=SIZE_SOURCE))
    tidy = pd.concat(rows, ignore_index=True)
    tidy = tidy.assign(n_examples=ctx.n_examples(tidy))
    table = pd.concat(models, ignore_index=True).drop_duplicates(["family", "model_name"])
    table = table.merge(tidy[["family", "model_name"]].drop_duplicates(), on=["family", "model_name"])
    return Adapted(tidy, table.reset_index(drop=True))
