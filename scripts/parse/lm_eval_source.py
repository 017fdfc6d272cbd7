"""Rule lm_eval_source: a folder of lm-evaluation-harness results files -> the tidy scores table (docs/lm-eval.md).

`source: lm_eval` stands in for acquire + parse (docs/lm-eval.md). Every `*.json` under `path`
(recursively, sorted) is read as a harness results file in layout 0.3 or 0.4
(scripts/lib/sources/lm_eval_results.py); the model named after `pretrained=` in `config.model_args` is
looked up in the model table (`lm_eval.models`, default config/lm_eval_models.csv). The table needs
model, family and params only: an absent size label is derived from params ("410M"), an absent
non_embedding_params is stood in for by params per family (the emergence score depends only on the
order of sizes in a family; non_embedding_source says so), and tokens and steps are needed only by
`scale: tokens`, which stops naming the column and the file when a stepped model lacks them.

Rows: family from the table; model_name = the model; task = the results key (subtask null);
metric = the harness metric ("<metric>,<filter>" unless the filter is "none"); shots from the file;
value_se = the reported `<metric>_stderr` (se_source "reported"), else the binomial standard error
where n_examples (0.4 `n-samples`) is known; total_params = params; low/high_score null (downstream
uses config/metrics.yaml); is_preferred = the first of PREFERRED_ORDER that the task has (the harness
declares no preferred metric). Extra columns: revision, training_step, tokens (at that checkpoint:
tokens x step / steps), file_higher_is_better (0.4).

Checkpoints: with `scale` a size column (default non_embedding_params) each model contributes its
final checkpoint per (task, shots): no revision (or "main") first, then the largest step<N>. With
`scale: training_step` or `tokens` every step<N> checkpoint is kept and each size is its own
family ("Pythia 410M"), so a curve runs over training; models without step checkpoints are dropped
(and counted). checkpoints.parquet holds every checkpoint of every model either way (for the
figure along training).

Bad input (each names the file and the JSON path): a JSON file that is not a results file, a value
that is not a number, a model missing from the table, and a second file for one
(model, revision, task, shots). on_bad_file: error stops the run; skip lists the file in
logs/bad_files.csv and leaves it out.

Inputs: models (CSV), metrics. Outputs: scores.parquet, checkpoints.parquet, manifest.csv,
logs/bad_files.csv, tables/lm_eval_models.csv. Params: root, scale, on_bad_file, max_file_mb, label.
"""

import logging
import os
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from scripts.lib.io import load_metric_facts, read_csv, run_rule, write_csv, write_parquet
from scripts.lib.score_table import add_value_se
from scripts.lib.scores_schema import BAD_FILE_COLUMNS, COLUMNS, NOISE_COLUMNS
from scripts.lib.sources.lm_eval_results import (
    ROW_FIELDS,
    LmEvalFileError,
    ParsedResults,
    final_checkpoints,
    is_final,
    parse_results,
    training_step,
)
from scripts.lib.sources.manifest import build_manifest, is_regular_file

logger = logging.getLogger(__name__)

MODEL_COLUMNS = ["model", "family", "params"]
"""Required columns of the model table; size is derived when absent, every other column is optional."""

OPTIONAL_NUMBERS = ("non_embedding_params", "tokens", "steps")
"""Optional numeric columns of the model table (absent or empty = unknown)."""

STAND_IN_SOURCE = "stand-in: total params (no non_embedding_params given for the family)"
"""non_embedding_source of a model whose family has no non-embedding count in the table."""

SIZE_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
"""Suffixes of derived size labels, as the built-in table writes them (70M, 1.4B)."""

STEP_SCALES = ("training_step", "tokens")
"""Scales that make one curve per model size over its training checkpoints."""

PREFERRED_ORDER = ("acc", "exact_match", "f1", "mcc", "pct_stereotype", "word_perplexity", "ppl", "bits_per_byte")
"""The preferred metric of a task: the first of these it has (matched on the name before any ',filter')."""

EXTRA_COLUMNS = ["size", "revision", "training_step", "tokens", "file_higher_is_better"]
OUTPUT_COLUMNS = [*COLUMNS, *NOISE_COLUMNS, *EXTRA_COLUMNS]


def find_results_files(root: str | os.PathLike[str]) -> list[str]:
    """Relative '/'-paths of every entry named *.json under root (recursively), sorted.

    Entries that are not regular files (a symlink, a directory named x.json) are listed too, so that
    they become bad files ("not a regular file") instead of being dropped without a word.
    """
    base = Path(root)
    if not base.is_dir():
        raise FileNotFoundError(f"lm_eval.path: {root!s} is not a folder")
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*.json"))


def read_results_file(root: str, relpath: str, max_file_mb: float | None = None) -> ParsedResults:
    """Read, decode and parse one file; every failure is an LmEvalFileError naming it."""
    full = Path(root) / relpath
    if not is_regular_file(full):
        raise LmEvalFileError(relpath, "$", "not a regular file")
    try:
        size = full.stat().st_size
        if max_file_mb is not None and size > max_file_mb * 1e6:
            raise LmEvalFileError(relpath, "$", f"file is {size / 1e6:.1f} MB, above max_file_mb={max_file_mb:g}")
        data = full.read_bytes()
    except OSError as exc:
        raise LmEvalFileError(relpath, "$", f"cannot read: {exc.strerror or exc}") from None
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise LmEvalFileError(relpath, "$", f"invalid JSON: {exc}") from None
    return parse_results(doc, relpath)


def size_label(params: float) -> str:
    """A model-size label from a parameter count, two significant digits: 405334016 -> "410M", 1.01e9 -> "1B"."""
    rounded = float(f"{params:.2g}")
    for unit, suffix in SIZE_UNITS:
        if rounded >= unit:
            return f"{rounded / unit:g}{suffix}"
    return f"{rounded:g}"


def _stand_in_non_embedding(table: pd.DataFrame, path: str) -> pd.DataFrame:
    """Families without any non_embedding_params get params in its place; a family with only some is refused.

    Mixing counts of both kinds within a family could reorder its sizes, the one thing ES depends on.
    """
    known = table["non_embedding_params"].notna()
    some = known.groupby(table["family"]).transform("any")
    partial = some & ~known
    if partial.any():
        row = table.loc[partial].iloc[0]
        raise ValueError(
            f"{path}: model {row['model']!r}: column non_embedding_params is empty while other models of family "
            f"{row['family']!r} have it; give it for every model of the family or for none (then params stands in)"
        )
    if "non_embedding_source" not in table.columns:
        table["non_embedding_source"] = None
    table["non_embedding_source"] = table["non_embedding_source"].astype(object).where(known, STAND_IN_SOURCE)
    table["non_embedding_params"] = table["non_embedding_params"].where(known, table["params"])
    if (~known).any():
        families = sorted(table.loc[~known, "family"].unique())
        logger.info("%s: no non_embedding_params for %s: total params stand in", path, families)
    return table


def load_models(path: str) -> pd.DataFrame:
    """The model table, checked: required columns, one row per model, positive numbers, a size label each."""
    table = read_csv(path, dtype={"model": str, "family": str, "size": str})
    missing = [c for c in MODEL_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; needs {MODEL_COLUMNS} (docs/lm-eval.md)")
    blank = table[MODEL_COLUMNS].isna().any(axis=1)
    if blank.any():
        row = int(np.flatnonzero(blank)[0]) + 1
        raise ValueError(f"{path}: data row {row}: {', '.join(MODEL_COLUMNS)} must not be empty")
    dup = table["model"][table["model"].duplicated()]
    if len(dup):
        raise ValueError(f"{path}: model {dup.iloc[0]!r} is listed twice")
    for column in ("params", *OPTIONAL_NUMBERS):
        if column not in table.columns:
            table[column] = np.nan
        values = pd.to_numeric(table[column], errors="coerce")
        bad = table[column].notna() & ~(values > 0)
        if bad.any():
            row = table.loc[bad].iloc[0]
            raise ValueError(
                f"{path}: model {row['model']!r}: column {column}: expected a positive number, got {row[column]!r}"
            )
        table[column] = values.astype(float)
    derived = pd.Series([size_label(p) for p in table["params"]], index=table.index, dtype=object)
    table["size"] = table["size"].where(table["size"].notna(), derived) if "size" in table.columns else derived
    return _stand_in_non_embedding(table, path)


def check_scale_columns(models: pd.DataFrame, rows: pd.DataFrame, scale: str, models_path: str) -> None:
    """scale=tokens needs the table's tokens and steps of every model with step<N> checkpoints (tokens x N / steps)."""
    if scale != "tokens":
        return
    stepped = models.loc[models["model"].isin(rows.loc[rows["training_step"].notna(), "model_name"])]
    for column in ("tokens", "steps"):
        lacking = stepped.loc[stepped[column].isna(), "model"].tolist()
        if lacking:
            raise ValueError(
                f"{models_path}: scale=tokens needs column {column!r} (tokens seen at step N = tokens x N / steps), "
                f"empty or absent for {len(lacking)} model(s) with step checkpoints, e.g. {lacking[0]!r}; fill it "
                "in, or use scale: training_step"
            )


def checkpoint_rows(
    files: list[tuple[str, ParsedResults]], models: pd.DataFrame, models_path: str
) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """Every row of every good file, joined to the model table; (rows, bad files).

    A file whose model is not in the table, or that repeats a (model, revision, task, shots) of an
    earlier file (in path order), is bad as a whole.
    """
    known = set(models["model"])
    seen: dict[tuple[str, str | None, str, int | None], str] = {}
    bad: list[tuple[str, str, str]] = []
    frames = []
    for rel, parsed in files:
        if parsed.model not in known:
            bad.append((rel, "$.config.model_args", f"model {parsed.model!r} (pretrained=) is not in {models_path}"))
            continue
        keys = {(parsed.model, parsed.revision, row[0], row[1]) for row in parsed.rows}
        clash = sorted((k for k in keys if k in seen), key=lambda k: (k[2], -1 if k[3] is None else k[3]))
        if clash:
            model, revision, task, shots = clash[0]
            bad.append(
                (
                    rel,
                    f'$.results["{task}"]',
                    f"second file for (model {model}, revision {revision}, task {task}, shots {shots}); "
                    f"first: {seen[clash[0]]}",
                )
            )
            continue
        seen.update(dict.fromkeys(keys, rel))
        frame = pd.DataFrame(parsed.rows, columns=list(ROW_FIELDS))
        frames.append(frame.assign(model_name=parsed.model, revision=parsed.revision, source_file=rel))
    if not frames:
        return pd.DataFrame(), bad
    rows = pd.concat(frames, ignore_index=True)
    info = models.set_index("model")[["family", "size", "params", "non_embedding_params", "tokens", "steps"]]
    rows = rows.join(info, on="model_name")
    rows["training_step"] = [training_step(r) for r in rows["revision"]]
    # Tokens seen at a checkpoint: all of them for the final model, step/steps of them at step<N>.
    rows["tokens"] = np.where(
        is_final(rows["revision"]), rows["tokens"], rows["tokens"] * rows["training_step"] / rows["steps"]
    )
    return rows, bad


def select_checkpoints(rows: pd.DataFrame, scale: str) -> pd.DataFrame:
    """Final checkpoints for a size scale; for training_step/tokens, every step with one family per size."""
    if scale not in STEP_SCALES:
        return final_checkpoints(rows)
    stepped = rows.loc[rows["training_step"].notna()]
    dropped = rows.loc[rows["training_step"].isna(), "model_name"].nunique()
    if dropped:
        logger.info("scale=%s: %d model(s) without step<N> checkpoints left out (OPT, BLOOM, ...)", scale, dropped)
    return stepped.assign(family=stepped["family"] + " " + stepped["size"])


def mark_preferred(rows: pd.DataFrame) -> pd.Series:
    """is_preferred: per task, the first metric of PREFERRED_ORDER present (none when the task has none of them)."""
    base = rows["metric"].str.split(",", n=1).str[0]
    rank = base.map({m: i for i, m in enumerate(PREFERRED_ORDER)})
    best = rank.groupby(rows["task"]).transform("min")
    chosen = rank.notna() & (rank == best)
    # Among filters of the chosen metric, prefer the plain (unfiltered) one when it exists.
    plain = (rows["metric"] == base) & chosen
    has_plain = plain.groupby(rows["task"]).transform("any")
    return (chosen & (plain | ~has_plain)).astype(bool)


def add_noise(rows: pd.DataFrame, facts: dict) -> pd.DataFrame:
    """value_se: the reported stderr ("reported"), else binomial where n_examples is known ("binomial")."""
    reported = rows["value_se"].astype(float).to_numpy()
    out = add_value_se(rows.drop(columns="value_se"), facts)
    has = np.isfinite(reported)
    out["value_se"] = np.where(has, reported, out["value_se"])
    out["se_source"] = np.where(has, "reported", out["se_source"].astype(object))
    out["se_source"] = out["se_source"].where(np.isfinite(out["value_se"]), None)
    return out


def tidy_scores(rows: pd.DataFrame, facts: dict) -> pd.DataFrame:
    """Checkpoint rows -> the scores table (OUTPUT_COLUMNS, sorted, fixed dtypes)."""
    out = rows.rename(columns={"params": "total_params"}).assign(
        subtask=None, flop_matched_non_embedding_params=np.nan, low_score=np.nan, high_score=np.nan
    )
    out["n_examples"] = pd.array(out["n_examples"].tolist(), dtype="Int64")
    out["shots"] = pd.array(out["shots"].tolist(), dtype="Int64")
    out["is_preferred"] = mark_preferred(out)
    out = add_noise(out, facts)
    out["file_higher_is_better"] = pd.array(out["file_higher_is_better"].tolist(), dtype="boolean")
    out = out[OUTPUT_COLUMNS].astype(
        {"value": float, "non_embedding_params": float, "total_params": float, "training_step": float, "tokens": float}
    )
    order = ["family", "model_name", "training_step", "task", "shots", "metric", "source_file"]
    return out.sort_values(order, kind="stable", na_position="first").reset_index(drop=True)


def check_directions(scores: pd.DataFrame, facts: dict) -> int:
    """Log each metric whose direction in a 0.4 file disagrees with config/metrics.yaml; return the count."""
    given = scores.dropna(subset=["file_higher_is_better"]).drop_duplicates(["metric", "file_higher_is_better"])
    conflicts = 0
    for row in given.itertuples(index=False):
        known = facts.get(row.metric, {}).get("higher_is_better")
        if known is None or bool(known) != bool(row.file_higher_is_better):
            conflicts += 1
            logger.warning(
                "metric %s: the results file says higher_is_better=%s, config/metrics.yaml says %s; build_curves "
                "uses metrics.yaml (add or fix the entry there)",
                row.metric,
                row.file_higher_is_better,
                known,
            )
    return conflicts


def model_summary(models: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The model table with files and checkpoints found per model (models never seen get 0)."""
    counts = rows.groupby("model_name").agg(
        n_files=("source_file", "nunique"), n_checkpoints=("revision", lambda r: r.fillna("").nunique())
    )
    out = models.join(counts, on="model")
    out[["n_files", "n_checkpoints"]] = out[["n_files", "n_checkpoints"]].fillna(0).astype(int)
    return out.sort_values(["family", "params", "model"], kind="stable").reset_index(drop=True)


def run(
    *,
    models: str,
    metrics: str,
    scores: str,
    checkpoints: str,
    manifest: str,
    bad_files: str,
    models_table: str,
    root: str,
    scale: str,
    on_bad_file: str,
    label: str,
    max_file_mb: float = 25,
) -> None:
    if Path(root).is_file():  # the download listing of rule fetch_lm_eval: its folder holds the files
        root = str(Path(root).parent)
    paths = find_results_files(root)
    logger.info("reading %d JSON file(s) under %s", len(paths), root)
    table = load_models(models)
    facts = load_metric_facts(metrics)
    parsed, bad = [], []
    for rel in paths:
        try:
            parsed.append((rel, read_results_file(root, rel, max_file_mb)))
        except LmEvalFileError as exc:
            bad.append((exc.path, exc.json_path, exc.reason))
    rows, more_bad = checkpoint_rows(parsed, table, models)
    if rows.empty:
        raise ValueError(f"lm_eval.path: no usable results file under {root} ({len(bad) + len(more_bad)} bad)")
    check_scale_columns(table, rows, scale, models)
    bad_table = pd.DataFrame(bad + more_bad, columns=BAD_FILE_COLUMNS).sort_values("path", kind="stable")
    if len(bad_table) and on_bad_file == "error":
        first = bad_table.iloc[0]
        raise LmEvalFileError(
            f"{root}/{first['path']}",
            first["json_path"],
            f"{first['reason']} ({len(bad_table)} bad file(s) in all; set on_bad_file: skip to list them in "
            "logs/bad_files.csv and go on)",
        )
    for row in bad_table.itertuples(index=False):
        logger.warning("skipped %s: %s: %s", row.path, row.json_path, row.reason)
    layouts = pd.Series([p.layout for _, p in parsed]).value_counts().to_dict()
    everything = tidy_scores(rows, facts)
    chosen = tidy_scores(select_checkpoints(rows, scale), facts)
    check_directions(everything, facts)
    write_csv(build_manifest(root, paths), manifest, label=label)
    write_csv(bad_table, bad_files, label=label)
    write_csv(model_summary(table, rows), models_table, label=label)
    write_parquet(everything, checkpoints, label=label)
    write_parquet(chosen, scores, label=label)
    logger.info(
        "%d files (layouts %s, %d skipped); scale=%s: %d scores, %d families, %d tasks, %d metrics",
        len(paths),
        layouts,
        len(bad_table),
        scale,
        len(chosen),
        chosen["family"].nunique(),
        chosen["task"].nunique(),
        chosen["metric"].nunique(),
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
