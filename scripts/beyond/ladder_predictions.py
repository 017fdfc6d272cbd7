"""Rule ladder_predictions: OLMo 2 7B and 13B accuracy predicted from the small-model ladder (docs/ladder.md).

Bhagia et al. (2024, arXiv 2412.04403) fit 16 ladder runs (190M, 370M, 760M, 1.3B parameters at
1, 2, 5, 10x their Chinchilla token count) and predict the two targets' ranked-classification
accuracy. The same ladder, nothing of the targets, feeds three predictions per task and target
(scripts/lib/stats/ladder_predict.py), each with a `level` interval for the observed accuracy:
`direct` (accuracy against log10 6ND, the backtest's bounded smooth family), `via_bpb` (bits per
byte extrapolated the same way, then the backtest's metric map) and `two_step` (the paper's
L(N, D) and sigmoid). Noise: binomial over each task's questions (`olmo_ladder.N_EXAMPLES`) plus the seed
spread of the four 1xC rerun pairs. The paper's own error per task and target is `paper_abs_error`
(`PAPER_ABS_ERROR`, cited there).

Input: files (the olmo_ladder files, read in place: the registry entry's 19 pinned files plus the
four `<size>-1xC-rerun.csv` second seeds, which alone measure run-to-run noise; without them that
noise is taken as 0 and a warning logged). Each file's upstream path is the tail of its local path.
Outputs: table (tables/ladder_predictions.csv), tex (tables/ladder_predictions.tex), summary
(ladder_predictions_summary.json: mean absolute error per method and task group beside the
paper's, coverage over every task x target cell), points (figures/ladder_predictions_points.csv:
the ladder's and targets' accuracy and compute, what figure_ladder draws besides the table).
Params: ladder (the config section: level, methods, draws, seed), sharpness (min_width_decades, the
smooth family's resolution), label.
"""

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import json_safe, run_rule, write_csv, write_json, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.sources.extracts.olmo_ladder import CHANCE, N_EXAMPLES, ladder_frame
from scripts.lib.stats.ladder_predict import (
    Prediction,
    accuracy_sigma,
    loss_nd_draws,
    predict_direct,
    predict_two_step,
    predict_via_bpb,
    seed_sd,
)

logger = logging.getLogger(__name__)

UPSTREAM_PREFIX = "src/scripts/paper/"
PAPER_MULTIPLES = (1.0, 2.0, 5.0, 10.0)
"""The token multiples of the paper's ladder (configs/final.json lists 1xC-10xC; 0.5xC and 3B are left out)."""
METHODS = ("direct", "via_bpb", "two_step")
WITHIN_2 = ("mmlu", "hellaswag", "piqa", "socialiqa")
"""The paper's four tasks predicted 'within 2 points' (abstract); the next four average 6.9 points."""
OTHER_4 = ("arc_challenge", "arc_easy", "csqa", "openbookqa")
PAPER_WITHIN = 2.0
PAPER_OTHER_MEAN = 6.9
PAPER_ABS_ERROR = {
    ("mmlu", "7B"): 0.63,
    ("hellaswag", "7B"): 1.17,
    ("arc_challenge", "7B"): 10.45,
    ("arc_easy", "7B"): 7.97,
    ("piqa", "7B"): 0.83,
    ("csqa", "7B"): 3.07,
    ("socialiqa", "7B"): 1.19,
    ("openbookqa", "7B"): 5.23,
    ("mmlu", "13B"): 0.35,
    ("hellaswag", "13B"): 2.11,
    ("arc_challenge", "13B"): 11.13,
    ("arc_easy", "13B"): 9.93,
    ("piqa", "13B"): 0.88,
    ("csqa", "13B"): 3.51,
    ("socialiqa", "13B"): 1.65,
    ("openbookqa", "13B"): 3.78,
}
"""The paper's absolute error (accuracy points) of its chained prediction per task and target.

7B-4T: relative error x actual, the relative errors from allenai/OLMo-ladder
src/scripts/paper/figures/variance.csv (commit 4d99344), column '7B Stacked Rel Error' (the 7B
column of the paper's variance table, Table 4; e.g. ARC-Challenge 0.16869 x 61.95 = 10.45), the
actual from the 7B file (its only row; MMLU 49.0, weighted over 14042 questions). 13B-5T:
|Pred - Actual| of src/scripts/paper/figures/chained_main.csv (commit 4d99344; the 13B-5T chained
prediction of Fig. 2; e.g. ARC-Challenge 0.63805 - 0.52671 = 11.13). Cross-checks against the
abstract: the 8 errors of each target average 3.82 (7B) and 4.17 (13B) points (§3.3: 3.8, 4.2);
ARC-C, ARC-E, CSQA, OBQA over both targets average 6.88 ('6.9'); the other four are <= 2.11.
"""
PAPER_SOURCE = {
    "7B": "arXiv 2412.04403 Table 4 (7B rel. error; upstream figures/variance.csv)",
    "13B": "arXiv 2412.04403 Fig. 2 (13B; upstream figures/chained_main.csv)",
}
STEP2_SKIP = 0.1
"""Share of each run's first checkpoints the paper drops before fitting step 2 (--skip_perc 0.1)."""
STEP1_LAST = 5
"""Step 1's bpb per run: the mean of its last 5 checkpoints (the paper's --moving_avg 5 at the end)."""


def upstream_paths(files: Sequence[str]) -> dict[str, Path]:
    """Local pinned files -> {upstream path: local path}; the local layout keeps the upstream path."""
    out = {}
    for f in files:
        posix = Path(f).as_posix()
        if UPSTREAM_PREFIX not in posix:
            raise ValueError(f"{f}: not an olmo_ladder file (no {UPSTREAM_PREFIX!r} in its path)")
        out[posix[posix.index(UPSTREAM_PREFIX) :]] = Path(f)
    return out


def wide(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (run, step, task): the run's columns, accuracy and bpb."""
    keys = ["run", "size_label", "params", "multiple", "tokens", "flops", "step", "is_final", "is_target", "seed_rerun"]
    out = frame[frame["metric"].isin(["accuracy", "bpb"])].set_index([*keys, "task", "metric"])["value"].unstack()
    return out.reset_index().rename_axis(columns=None)


def on_ladder(points: pd.DataFrame) -> pd.Series:
    """The paper's 16 fitted runs: not a target, not a rerun, multiple 1-10."""
    return ~points["is_target"] & ~points["seed_rerun"] & points["multiple"].isin(PAPER_MULTIPLES)


def seed_spread(final: pd.DataFrame) -> pd.DataFrame:
    """Per task, the run-to-run SD of accuracy from the 1xC runs and their reruns (0 without reruns)."""
    rerun = final[final["seed_rerun"]]
    base = final[~final["seed_rerun"] & (final["multiple"] == 1.0)]
    pairs = rerun.merge(base, on=["size_label", "task"], suffixes=("_rerun", ""))
    diffs = pd.DataFrame(
        {
            "task": pairs["task"],
            "seed_sd_accuracy": pairs["accuracy"] - pairs["accuracy_rerun"],
        }
    )
    spread = diffs.groupby("task").agg(seed_sd).reindex(sorted(final["task"].unique()), fill_value=0.0)
    if pairs.empty:
        logger.warning("no -rerun files among the inputs: run-to-run noise taken as 0 (binomial noise only)")
    return spread


def step1_bpb(checkpoints: pd.DataFrame) -> pd.Series:
    """Per (run, task) of the ladder: mean bpb over its last STEP1_LAST checkpoints."""
    ladder = checkpoints[on_ladder(checkpoints)].sort_values(["run", "task", "step"])
    return ladder.groupby(["run", "task"]).tail(STEP1_LAST).groupby(["run", "task"])["bpb"].mean()


def step2_points(checkpoints: pd.DataFrame) -> pd.DataFrame:
    """The ladder's checkpoints after each run's first STEP2_SKIP share: (task, bpb, accuracy)."""
    ladder = checkpoints[on_ladder(checkpoints)].sort_values(["run", "task", "step"])
    rank = ladder.groupby(["run", "task"]).cumcount()
    count = ladder.groupby(["run", "task"])["step"].transform("size")
    return ladder.loc[rank >= np.floor(STEP2_SKIP * count), ["task", "bpb", "accuracy"]]


def predict_task(
    task: str,
    ladder: pd.DataFrame,
    targets: pd.DataFrame,
    step2: pd.DataFrame,
    spread: pd.Series,
    *,
    level: float,
    methods: Sequence[str],
    min_width_decades: float,
    draws: int,
    seed: int,
) -> dict[str, Prediction]:
    """Every method's prediction for one task's targets, from its ladder rows only."""
    acc = ladder["accuracy"].to_numpy(float)
    n_q, chance = N_EXAMPLES[task], CHANCE[task]
    sigma = accuracy_sigma(acc, n_q, spread["seed_sd_accuracy"])
    observed = targets["accuracy"].to_numpy(float)
    target_sigma = accuracy_sigma(observed, n_q, spread["seed_sd_accuracy"])
    bounds = (min(chance, float(acc.min())), 1.0)
    compute, target_compute = ladder["flops"].to_numpy(float), targets["flops"].to_numpy(float)
    out = {}
    if "direct" in methods:
        out["direct"] = predict_direct(
            compute,
            acc,
            sigma,
            target_compute,
            target_sigma,
            bounds,
            task=task,
            level=level,
            min_width_decades=min_width_decades,
        )
    if {"via_bpb", "two_step"} & set(methods):
        step1 = loss_nd_draws(
            ladder["params"].to_numpy(float),
            ladder["tokens"].to_numpy(float),
            ladder["step1_bpb"].to_numpy(float),
            targets["params"].to_numpy(float),
            targets["tokens"].to_numpy(float),
            task=task,
            draws=draws,
            seed=seed,
        )
    if "via_bpb" in methods:
        out["via_bpb"] = predict_via_bpb(
            step1, ladder["step1_bpb"].to_numpy(float), acc, sigma, target_sigma, bounds, level=level
        )
    if "two_step" in methods:
        out["two_step"] = predict_two_step(
            step1,
            step2["bpb"].to_numpy(float),
            step2["accuracy"].to_numpy(float),
            target_sigma,
            bounds,
            level=level,
            seed=seed,
        )
    return out


def prediction_table(
    final: pd.DataFrame,
    checkpoints: pd.DataFrame,
    *,
    level: float,
    methods: Sequence[str],
    min_width_decades: float,
    draws: int,
    seed: int,
) -> pd.DataFrame:
    """One row per task x target: observed accuracy, each method's prediction, interval, error, coverage."""
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"param 'methods': unknown method(s) {unknown}; known: {list(METHODS)}")
    spread = seed_spread(final)
    ladder_all = final[on_ladder(final)].join(step1_bpb(checkpoints).rename("step1_bpb"), on=["run", "task"])
    step2_all = step2_points(checkpoints)
    rows = []
    for task, ladder in ladder_all.groupby("task", sort=True):
        targets = final[final["is_target"] & (final["task"] == task)].sort_values("params")
        preds = predict_task(
            str(task),
            ladder,
            targets,
            step2_all[step2_all["task"] == task],
            spread.loc[task],
            level=level,
            methods=methods,
            min_width_decades=min_width_decades,
            draws=draws,
            seed=seed,
        )
        part = pd.DataFrame(
            {
                "task": task,
                "target": targets["size_label"].to_numpy(),
                "params": targets["params"].to_numpy(),
                "tokens": targets["tokens"].to_numpy(),
                "flops": targets["flops"].to_numpy(),
                "observed": targets["accuracy"].to_numpy(),
                "n_questions": N_EXAMPLES[str(task)],
                "ladder_runs": len(ladder),
                "seed_sd": spread.loc[task, "seed_sd_accuracy"],
                "level": level,
            }
        )
        for name, p in preds.items():
            part[f"{name}_pred"], part[f"{name}_lower"], part[f"{name}_upper"] = p.pred, p.lower, p.upper
            part[f"{name}_abs_error"] = np.abs(p.pred - part["observed"])
            part[f"{name}_covers"] = (p.lower <= part["observed"]) & (part["observed"] <= p.upper)
        rows.append(part)
    table = pd.concat(rows, ignore_index=True)
    keys = list(zip(table["task"], table["target"], strict=True))
    table["paper_abs_error"] = [PAPER_ABS_ERROR.get(k, np.nan) / 100.0 for k in keys]
    table["paper_source"] = [
        PAPER_SOURCE[t] if k in PAPER_ABS_ERROR else "" for k, t in zip(keys, table["target"], strict=True)
    ]
    table["task_group"] = np.select(
        [table["task"].isin(WITHIN_2), table["task"].isin(OTHER_4)], ["paper_within_2", "paper_other_4"], "not_in_paper"
    )
    return table


def summarise(table: pd.DataFrame, methods: Sequence[str]) -> dict[str, Any]:
    """Mean absolute error (points) per method and task group beside the paper's; coverage over all cells."""
    out: dict[str, Any] = {
        "paper_published": {"paper_within_2_max": PAPER_WITHIN, "paper_other_4_mean": PAPER_OTHER_MEAN},
        "cells": int(len(table)),
    }
    for name in [*methods, "paper"]:
        err = table[f"{name}_abs_error"] * 100.0
        entry = {
            f"{group}_mean": float(err[table["task_group"] == group].mean())
            for group in ("paper_within_2", "paper_other_4", "not_in_paper")
        }
        entry["paper_within_2_max"] = float(err[table["task_group"] == "paper_within_2"].max())
        entry["paper_8_mean"] = float(err[table["task_group"] != "not_in_paper"].mean())
        if name != "paper":
            entry["all_mean"] = float(err.mean())
            entry["coverage"] = float(table[f"{name}_covers"].mean())
        out[name] = {key: json_safe(value) for key, value in entry.items()}
    return out


def figure_points(final: pd.DataFrame) -> pd.DataFrame:
    """The accuracy of every fitted ladder run and of the targets against compute, for figure_ladder."""
    keep = on_ladder(final) | final["is_target"]
    cols = ["task", "run", "size_label", "params", "multiple", "tokens", "flops", "is_target", "accuracy", "bpb"]
    return final.loc[keep, cols].sort_values(["task", "is_target", "flops"]).reset_index(drop=True)


def run(
    *,
    files: Sequence[str] | Mapping[str, str],
    table: str,
    tex: str,
    summary: str,
    points: str,
    ladder: dict[str, Any],
    sharpness: dict[str, Any],
    label: str,
) -> None:
    level, methods = float(ladder["level"]), list(ladder["methods"])
    paths = upstream_paths(list(files.values()) if isinstance(files, Mapping) else list(files))
    final = wide(ladder_frame(paths))
    checkpoints = wide(ladder_frame(paths, checkpoints=True))
    result = prediction_table(
        final,
        checkpoints,
        level=level,
        methods=methods,
        min_width_decades=float(sharpness["min_width_decades"]),
        draws=int(ladder["draws"]),
        seed=int(ladder["seed"]),
    )
    write_csv(result, table, label=label)
    shown = ["task", "target", "observed", *[f"{m}_{c}" for m in methods for c in ("pred", "abs_error", "covers")]]
    caption = (
        f"OLMo 2 7B and 13B accuracy predicted from the 16-run ladder, {level:.0%} intervals (full table in the CSV); "
        f"paper: Bhagia et al. (2024). Data: {label}"
    )
    write_text(tex, to_latex(result[[*shown, "paper_abs_error"]], caption, "tab:ladder_predictions"))
    numbers = summarise(result, list(methods))
    write_json(summary, {"data_label": label, "level": float(level), **numbers})
    write_csv(figure_points(final), points, label=label)
    for name in methods:
        logger.info(
            "%s: MAE %.2f points on the paper's 4 easy tasks, %.2f on its other 4; coverage %.2f over %d cells",
            name,
            numbers[name]["paper_within_2_mean"],
            numbers[name]["paper_other_4_mean"],
            numbers[name]["coverage"],
            numbers["cells"],
        )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
