"""Adapter of on-emergence (Lu et al., ACL 2024): exact match, BERTScore and edit distance of the same outputs.

File: UKPLab/on-emergence @ f791b65, `evaluation_scores.csv` (registry entry `on_emergence`;
/work/shared/data/real_multimetric/README.md). Licence CC BY-SA 4.0: attribution required, and data
derived from it carries the same licence (the data label of every output says so).
One row per run: `filename` (`<task>/task.json`), `number_of_data`, `model`, `prompt_type`,
`number_of_shots`, `seed`, and the scores; `-100` means missing.

Mapping:
- task: the folder of `filename`; rows of tasks that are not BIG-bench tasks (gsm8k, social_iqa,
  commonsense_qa: not in BIG-bench's task metadata) are dropped and counted. Task level.
- prompt: only `prompt_type` "closed" (PROMPT_TYPE; the answer options are in the prompt, which the
  BERTScore-accuracy metric needs); "open" and "closed-adv" rows are dropped and counted.
- shots: `number_of_shots` as written (0, and 5, or 2/4 for tasks with fewer examples).
- seeds: the runs of one (task, model, shots) with different `seed` (3 where sampled; one run for
  the temperature-0 OpenAI models) are averaged into one point; value_se = their standard deviation
  / sqrt(number of runs), se_source "seeds"; a single run gets the binomial error from
  number_of_data instead (schema_check.finish_scores, [0, 1] metrics only).
- metrics (config/metrics.yaml): `exact_match_accuracy` (sharp, as named there);
  `bert_score_accuracy` -> bertscore_accuracy (the option closest in BERTScore counts as the answer:
  sharp); `single_bert_score` -> bertscore (BERTScore of output vs target: continuous);
  `edit_distance` -> edit_distance (characters, lower is better, continuous; unbounded, since an output
  can be any length and the file gives no target lengths to normalise by, so the screen's range rule
  skips it and rule metric_pairs compares the screen only against BERTScore).
- n_examples: `number_of_data` (the examples the runs scored).
- families and sizes (MODELS, each cited): no family has 4 sizes, so the decoder-only GPT-2 ->
  GPT-J -> GPT-3 ladder (gpt2, gpt2-xl, gpt-j-6b, davinci) is one pooled family, named as such;
  LLaMA (3 sizes, 4 tasks), Falcon, T5, Flan-T5, Alpaca keep their own. Models without a published
  size (text-davinci-001/-003, gpt-4, "code") and the fine-tuned GPT-2 Alpaca / GPT-JT are dropped
  and counted.
"""

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from scripts.lib.sources.extracts.context import Adapted, Context
from scripts.lib.sources.extracts.tables import numeric, read_table

logger = logging.getLogger(__name__)

PROMPT_TYPE = "closed"
MISSING = -100.0
METRICS = {
    "exact_match_accuracy": "exact_match_accuracy",
    "bert_score_accuracy": "bertscore_accuracy",
    "single_bert_score": "bertscore",
    "edit_distance": "edit_distance",
}
POOLED_GPT = "GPT-2/GPT-J/GPT-3 (pooled)"
MODELS = {
    "gpt2": (POOLED_GPT, 124e6, "Radford et al. (2019) GPT-2 small; 124M in the Hugging Face model card"),
    "gpt2-xl": (POOLED_GPT, 1.5e9, "Radford et al. (2019), GPT-2 1.5B"),
    "EleutherAI/gpt-j-6b": (POOLED_GPT, 6.05e9, "Wang & Komatsuzaki (2021), GPT-J-6B model card: 6,053,381,344"),
    "davinci": (POOLED_GPT, 175e9, "Brown et al. (2020) Table 2.1: GPT-3 175B (the API's davinci)"),
    "models--llama/7B": ("LLaMA", 6.7e9, "Touvron et al. (2023) Table 2: 6.7B"),
    "models--llama/13B": ("LLaMA", 13.0e9, "Touvron et al. (2023) Table 2: 13.0B"),
    "models--llama/30B": ("LLaMA", 32.5e9, "Touvron et al. (2023) Table 2: 32.5B"),
    "tiiuae/falcon-7b": ("Falcon", 7e9, "Almazrouei et al. (2023), Falcon-7B"),
    "tiiuae/falcon-40b": ("Falcon", 40e9, "Almazrouei et al. (2023), Falcon-40B"),
    "tiiuae/falcon-7b-instruct": ("Falcon-instruct", 7e9, "Almazrouei et al. (2023), Falcon-7B"),
    "tiiuae/falcon-40b-instruct": ("Falcon-instruct", 40e9, "Almazrouei et al. (2023), Falcon-40B"),
    "t5-small": ("T5", 60e6, "Raffel et al. (2020) Sec. 3.7: Small, 60M"),
    "t5-large": ("T5", 770e6, "Raffel et al. (2020) Sec. 3.7: Large, 770M"),
    "google/flan-t5-small": ("Flan-T5", 60e6, "Chung et al. (2022): Flan-T5 on T5 Small, 60M"),
    "google/flan-t5-large": ("Flan-T5", 770e6, "Chung et al. (2022): Flan-T5 on T5 Large, 770M"),
    "chavinlo/alpaca-native": ("Alpaca", 6.7e9, "Taori et al. (2023): LLaMA 7B fine-tuned (6.7B)"),
    "chavinlo/alpaca-13b": ("Alpaca", 13.0e9, "Taori et al. (2023) recipe on LLaMA 13B (13.0B)"),
}
"""on-emergence `model` -> (family, total parameters, source)."""
REQUIRED = ["filename", "number_of_data", "model", "prompt_type", "number_of_shots", "seed", *METRICS]


def long_runs(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """One row per (run, metric): task, model, shots, seed, n, metric, value (-100 -> NaN)."""
    parts = []
    for col, metric in METRICS.items():
        values = numeric(frame, col, path)
        parts.append(
            pd.DataFrame(
                {
                    "task": frame["filename"].astype(str).str.split("/").str[0],
                    "model_name": frame["model"].astype(str),
                    "shots": numeric(frame, "number_of_shots", path).astype("Int64"),
                    "n_examples": numeric(frame, "number_of_data", path).astype("Int64"),
                    "metric": metric,
                    "value": values.where(values != MISSING),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def average_seeds(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds per (task, model, shots, metric); value_se = sd / sqrt(runs), NaN for one run.

    Missing values (-100) are left out of the mean; a point with no value at all stays NaN.
    """
    keys = ["task", "model_name", "shots", "metric"]
    grouped = runs.groupby(keys, sort=True, dropna=False)
    out = grouped.agg(
        value=("value", "mean"),
        sd=("value", lambda v: v.std(ddof=1)),
        n_runs=("value", "count"),
        n_examples=("n_examples", "max"),
    ).reset_index()
    out["value_se"] = np.where(out["n_runs"] > 1, out["sd"] / np.sqrt(out["n_runs"].clip(lower=1)), np.nan)
    out["se_source"] = np.where(out["n_runs"] > 1, "seeds", None)
    return out.drop(columns=["sd"])


def adapt(files: Mapping[str, Path], ctx: Context) -> Adapted:
    """Closed-prompt runs of BIG-bench tasks by models with a published size, averaged over seeds."""
    (path,) = files.values()
    frame = read_table(path, REQUIRED)
    closed = frame["prompt_type"].eq(PROMPT_TYPE)
    runs = long_runs(frame.loc[closed].reset_index(drop=True), path)
    bigbench = runs["task"].isin(set(ctx.metadata["task"]))
    sized = runs["model_name"].isin(MODELS)
    logger.info(
        "%s: %d runs; kept %d closed-prompt runs (dropped %d open / closed-adv); dropped non-BIG-bench tasks %s "
        "and models without a published size %s",
        Path(path).name,
        len(frame),
        int(closed.sum()),
        int((~closed).sum()),
        sorted(runs.loc[~bigbench, "task"].unique()),
        sorted(runs.loc[~sized, "model_name"].unique()),
    )
    points = average_seeds(runs.loc[bigbench & sized])
    rows = points.assign(
        family=points["model_name"].map(lambda m: MODELS[m][0]),
        subtask=None,
        is_preferred=False,
        low_score=np.nan,
        high_score=np.nan,
        source_file=Path(path).name,
    ).drop(columns=["n_runs"])
    used = sorted(rows["model_name"].unique())
    models = pd.DataFrame(
        {
            "family": [MODELS[m][0] for m in used],
            "model_name": used,
            "non_embedding_params": [MODELS[m][1] for m in used],
            "total_params": [MODELS[m][1] for m in used],
            "flop_matched_non_embedding_params": np.nan,
            "flops": np.nan,
            "size_kind": "total",
            "size_source": [MODELS[m][2] for m in used],
        }
    )
    return Adapted(rows, models)
