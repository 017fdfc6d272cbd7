"""Adapter of ObsScaling (Ruan, Maddison & Hashimoto, NeurIPS 2024): 2-shot BIG-bench scores of 84 open base models.

Files: ryoungj/ObsScaling @ 4d6e1e4, `eval_results/base_llm_emergent_capability_eval.csv` (scores,
one row per `Model`) and `eval_results/base_llm_benchmark_eval.csv` (the model table: `Model Family`,
`Model Size (B)`, `FLOPs (1E21)`; joined on `Model`) (registry entry `obsscaling`;
/work/shared/data/real_multimetric/README.md).

Mapping (COLUMNS): a score column `<task>_<shots>_<metric>` -> BIG-bench task, subtask, shots, metric.
- ipa_transliterate is BIG-bench's `international_phonetic_alphabet_transliterate`, under
  exact_str_match (sharp) and bleu (0-100, smooth) on the same generations: the pair of Mirage Fig. 6.
- word_unscrambling exact_match -> exact_str_match.
- parsinlu_qa and arithmetic_<ndigits><op> `acc` -> metric `accuracy` ("as the extract reports it";
  sharp): the extract does not say how the answer was scored; arithmetic_3ds/3da/2dm/2da are
  BIG-bench arithmetic's subtasks 3_digit_subtraction, 3_digit_addition, 2_digit_multiplication,
  2_digit_addition (README of the extract: "arithmetic accuracies").
- shots: 2 (the `_2_` in every column name). Empty cells (not evaluated) are dropped and counted.
- family: `Model Family`; sizes: `Model Size (B)` x 1e9 (total parameters), FLOPs x 1e21 as `flops`.
- no seeds: value_se is binomial from BIG-bench's n_examples for the [0, 1] metrics.
"""

import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from scripts.lib.sources.extracts.context import Adapted, Context
from scripts.lib.sources.extracts.registry import ExtractError
from scripts.lib.sources.extracts.tables import MODEL_TABLE_COLUMNS, model_sizes, numeric, read_table

logger = logging.getLogger(__name__)

SCORES_FILE = "eval_results/base_llm_emergent_capability_eval.csv"
MODELS_FILE = "eval_results/base_llm_benchmark_eval.csv"
IPA = "international_phonetic_alphabet_transliterate"
COLUMNS = {
    "parsinlu_qa_2_acc": ("parsinlu_qa", None, 2, "accuracy"),
    "word_unscrambling_2_exact_match": ("word_unscrambling", None, 2, "exact_str_match"),
    "ipa_transliterate_2_exact_match": (IPA, None, 2, "exact_str_match"),
    "ipa_transliterate_2_bleu": (IPA, None, 2, "bleu"),
    "arithmetic_3ds_2_acc": ("arithmetic", "3_digit_subtraction", 2, "accuracy"),
    "arithmetic_3da_2_acc": ("arithmetic", "3_digit_addition", 2, "accuracy"),
    "arithmetic_2dm_2_acc": ("arithmetic", "2_digit_multiplication", 2, "accuracy"),
    "arithmetic_2da_2_acc": ("arithmetic", "2_digit_addition", 2, "accuracy"),
}
"""Score column -> (task, subtask, shots, metric)."""
SIZE_SOURCE = "ObsScaling base_llm_benchmark_eval.csv: Model Size (B) (total parameters), FLOPs (1E21)"


def score_rows(scores: pd.DataFrame, path: str | Path, *, preferred: Mapping[str, object]) -> pd.DataFrame:
    """Long rows (model_name, task, subtask, shots, metric, value) of the scores table; empty cells dropped."""
    parts = []
    for col, (task, subtask, shots, metric) in COLUMNS.items():
        values = numeric(scores, col, path)
        keep = values.notna()
        parts.append(
            pd.DataFrame(
                {
                    "model_name": scores.loc[keep, "Model"].astype(str),
                    "task": task,
                    "subtask": subtask,
                    "shots": shots,
                    "metric": metric,
                    "value": values[keep],
                    "is_preferred": subtask is None and preferred.get(task) == metric,
                    "low_score": None,
                    "high_score": None,
                    "source_file": Path(path).name,
                }
            )
        )
        if (~keep).any():
            logger.info(
                "%s: column %s has %d empty cells (not evaluated; dropped)", Path(path).name, col, (~keep).sum()
            )
    return pd.concat(parts, ignore_index=True)


def adapt(files: Mapping[str, Path], ctx: Context) -> Adapted:
    """Tidy rows of the 8 score columns joined to the model table."""
    scores_path, models_path = files[SCORES_FILE], files[MODELS_FILE]
    scores = read_table(scores_path, ["Model", *COLUMNS])
    models = model_sizes(read_table(models_path, MODEL_TABLE_COLUMNS), models_path, source=SIZE_SOURCE)
    unknown = sorted(set(scores["Model"]) - set(models["model_name"]))
    if unknown:
        raise ExtractError(str(scores_path), f"model {unknown[0]}", f"not in {Path(models_path).name} (family, size)")
    if models["model_name"].duplicated().any():
        dup = models.loc[models["model_name"].duplicated(), "model_name"].iat[0]
        raise ExtractError(str(models_path), f"model {dup}", "listed twice")
    rows = score_rows(scores, scores_path, preferred=ctx.preferred)
    rows = rows.merge(models[["family", "model_name"]], on="model_name", how="left", validate="many_to_one")
    rows = rows.assign(n_examples=ctx.n_examples(rows))
    models = models[models["model_name"].isin(set(rows["model_name"]))]
    return Adapted(rows, models.reset_index(drop=True))
