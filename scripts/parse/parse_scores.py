"""Rule parse_scores: every scores_*.json in the manifest -> one tidy table (docs/design.md §2).

One row per (file, score entry, metric): family, model_name, the three size columns, task (the
task folder name), subtask (null for the task-level entry), shots, metric, value, is_preferred,
low_score, high_score, source_file, n_examples (from BIG-bench's task metadata, where known),
value_se (binomial standard error of proportion metrics; scripts/lib/score_table.py).
NaN and null values are kept as NaN (curves drop and count them later). Files are parsed in
parallel, in chunks, with orjson (falling back to the standard library for the NaN literals that
BIG-bench files contain); each file is checked as it is read, and a malformed one raises an error
naming the file and the JSON path, or, with on_bad_file=skip, is listed in logs/bad_files.csv.

A file is also bad, before it is read, when it is not a regular file (a directory named like a
scores file, a symlink) or is larger than max_file_mb (real BIG-bench scores files are far smaller).

Inputs: manifest.csv, task metadata CSV, metrics.yaml. Outputs: scores.parquet, bad_files.csv.
Params: root (the snapshot folder), on_bad_file, max_file_mb, label. Threads: parallel file parsing.
"""

import json
import logging
import math
import os
import stat
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import orjson
import pandas as pd

from scripts.lib.io import load_metric_facts, read_csv, run_rule, write_csv, write_parquet
from scripts.lib.progress import progress
from scripts.lib.score_table import add_value_se
from scripts.lib.scores_schema import BAD_FILE_COLUMNS, COLUMNS, SIZE_KEYS
from scripts.lib.sources.manifest import task_of

logger = logging.getLogger(__name__)


class BadScoresFile(ValueError):
    """A scores file that cannot be read as BIG-bench results; names the file and JSON path."""

    def __init__(self, path: str, json_path: str, reason: str) -> None:
        super().__init__(f"{path}: {json_path}: {reason}")
        self.path, self.json_path, self.reason = path, json_path, reason


def load_json(data: bytes, path: str) -> Any:
    """Decode a scores file: strict UTF-8, orjson first, stdlib for NaN/Infinity literals."""
    try:
        # Fast path: orjson accepts only valid UTF-8 JSON, so the checks below can wait for a failure.
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    if not data.strip():
        raise BadScoresFile(path, "$", "empty file")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadScoresFile(path, "$", f"not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise BadScoresFile(path, "$", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _number(value: Any, path: str, json_path: str, *, positive: bool = False) -> float:
    """A JSON number (null -> NaN); strings, booleans and infinities are errors."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadScoresFile(path, json_path, f"expected a number or null, got {type(value).__name__} {value!r:.40}")
    value = float(value)
    if math.isinf(value):
        raise BadScoresFile(path, json_path, f"non-finite value {value}")
    if positive and not value > 0:
        raise BadScoresFile(path, json_path, f"must be a positive number, got {value:g}")
    return value


def _object(value: Any, path: str, json_path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadScoresFile(path, json_path, f"expected an object, got {type(value).__name__}")
    return value


def _string(value: Any, path: str, json_path: str) -> str:
    if not isinstance(value, str) or not value:
        raise BadScoresFile(path, json_path, f"expected a non-empty string, got {value!r:.40}")
    return value


def split_subtask(description: str, task: str) -> tuple[str | None, bool]:
    """(subtask, is_mismatch): None for the task-level entry, else the part after '<task>:'.

    Names are matched exactly as written (BIG-bench issue #726); a description that does not
    start with the task name is kept whole as the subtask and flagged.
    """
    if description == task:
        return None, False
    prefix = f"{task}:"
    if description.startswith(prefix):
        return description[len(prefix) :], False
    return description, True


def parse_document(doc: Any, path: str, task: str) -> tuple[dict[str, Any], dict[str, list[Any]], int]:
    """Check one decoded scores file; return (model fields, score columns, subtask mismatches)."""
    top = _object(doc, path, "$")
    model = _object(top.get("model"), path, "$.model")
    fields: dict[str, Any] = {
        "family": _string(model.get("model_family"), path, "$.model.model_family"),
        "model_name": str(model.get("model_name")) if model.get("model_name") is not None else "",
    }
    if not fields["model_name"]:
        raise BadScoresFile(path, "$.model.model_name", "missing model name")
    for key in SIZE_KEYS:
        fields[key] = _number(model.get(key), path, f"$.model.{key}", positive=True)
    entries = top.get("scores")
    if not isinstance(entries, list):
        raise BadScoresFile(path, "$.scores", f"expected a list, got {type(entries).__name__}")

    cols: dict[str, list[Any]] = {
        k: [] for k in ("shots", "subtask", "metric", "value", "is_preferred", "low_score", "high_score")
    }
    # The same checks and messages as _object/_string/_number, with the JSON path only built when
    # a check fails (this loop runs for every score entry of the corpus: docs/performance.md).
    c_shots, c_subtask, c_low, c_high = cols["shots"], cols["subtask"], cols["low_score"], cols["high_score"]
    c_metric, c_value, c_preferred = cols["metric"], cols["value"], cols["is_preferred"]
    mismatches = 0
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            _object(entry, path, f"$.scores[{i}]")
        preferred = entry.get("preferred_score")
        if not isinstance(preferred, str) or not preferred:
            _string(preferred, path, f"$.scores[{i}].preferred_score")
        shots = entry.get("number_of_shots")
        if shots is not None and (isinstance(shots, bool) or not isinstance(shots, int) or shots < 0):
            raise BadScoresFile(
                path, f"$.scores[{i}].number_of_shots", f"expected a non-negative integer, got {shots!r:.40}"
            )
        description = entry.get("subtask_description", task)
        if not isinstance(description, str) or not description:
            _string(description, path, f"$.scores[{i}].subtask_description")
        subtask, mismatch = split_subtask(description, task)
        mismatches += mismatch
        low = entry.get("low_score")
        if type(low) is not float or low - low != 0.0:  # not a finite float: the general check
            low = _number(low, path, f"$.scores[{i}].low_score")
        high = entry.get("high_score")
        if type(high) is not float or high - high != 0.0:
            high = _number(high, path, f"$.scores[{i}].high_score")
        score_dict = entry.get("score_dict")
        if not isinstance(score_dict, dict):
            _object(score_dict, path, f"$.scores[{i}].score_dict")
        for metric, value in score_dict.items():
            if type(value) is not float or value - value != 0.0:  # NaN, null, int, inf, str...: the general check
                value = _number(value, path, f"$.scores[{i}].score_dict.{metric}")
            c_metric.append(metric)
            c_value.append(value)
            c_preferred.append(metric == preferred)
        n = len(score_dict)
        c_shots.extend([shots] * n)
        c_subtask.extend([subtask] * n)
        c_low.extend([low] * n)
        c_high.extend([high] * n)
    return fields, cols, mismatches


def check_file(full: str, relpath: str, max_file_mb: float | None) -> None:
    """Before reading: a regular file (not a symlink, directory...) of at most max_file_mb MB (10^6 bytes)."""
    info = os.lstat(full)  # a missing file raises OSError: "cannot read"
    if not stat.S_ISREG(info.st_mode):
        raise BadScoresFile(relpath, "$", "not a regular file")
    if max_file_mb is not None and info.st_size > max_file_mb * 1e6:
        raise BadScoresFile(relpath, "$", f"file is {info.st_size / 1e6:.1f} MB, above max_file_mb={max_file_mb:g}")


def read_file(
    root: str, relpath: str, max_file_mb: float | None = None
) -> tuple[dict[str, Any], dict[str, list[Any]], int, str]:
    """Read and check one file: (model fields, score columns, subtask mismatches, task); raises BadScoresFile."""
    full = os.path.join(root, relpath)
    check_file(full, relpath, max_file_mb)
    with open(full, "rb") as fh:
        data = fh.read()
    task = task_of(relpath)
    fields, cols, mismatches = parse_document(load_json(data, relpath), relpath, task)
    return fields, cols, mismatches, task


def parse_file(root: str, relpath: str, max_file_mb: float | None = None) -> tuple[pd.DataFrame, int]:
    """Read, check and flatten one file (raises BadScoresFile)."""
    fields, cols, mismatches, task = read_file(root, relpath, max_file_mb)
    frame = pd.DataFrame(cols)
    for key, value in fields.items():
        frame[key] = value
    frame["task"] = task
    frame["source_file"] = relpath
    return frame, mismatches


ENTRY_COLUMNS = ("shots", "subtask", "metric", "value", "is_preferred", "low_score", "high_score")


def chunk_frame(
    files: list[tuple[dict[str, Any], str, str]], counts: list[int], cols: dict[str, list[Any]]
) -> pd.DataFrame:
    """One frame for many files: (fields, task, relpath) and the row count of each file, and the
    score columns of all of them concatenated. The same rows and values as concatenating one
    `parse_file` frame per file, without building a DataFrame per file (docs/performance.md: that was ~90% of
    the parse time)."""
    repeats = np.asarray(counts, dtype=np.int64)

    def per_file(values: list[Any], dtype: Any) -> np.ndarray:
        return np.repeat(np.array(values, dtype=dtype), repeats)

    data: dict[str, Any] = {
        "family": per_file([f["family"] for f, _, _ in files], object),
        "model_name": per_file([f["model_name"] for f, _, _ in files], object),
        **{key: per_file([f[key] for f, _, _ in files], float) for key in SIZE_KEYS},
        "task": per_file([task for _, task, _ in files], object),
        "subtask": np.array(cols["subtask"], dtype=object),
        "shots": pd.array(cols["shots"], dtype="Int64"),
        "metric": np.array(cols["metric"], dtype=object),
        "value": np.array(cols["value"], dtype=float),
        "is_preferred": np.array(cols["is_preferred"], dtype=bool),
        "low_score": np.array(cols["low_score"], dtype=float),
        "high_score": np.array(cols["high_score"], dtype=float),
        "source_file": per_file([rel for _, _, rel in files], object),
    }
    return pd.DataFrame(data, columns=COLUMNS)


def parse_chunk(
    root: str, relpaths: Sequence[str], max_file_mb: float | None = None
) -> tuple[list[pd.DataFrame], list[tuple[str, str, str]], int]:
    """Parse files in order; bad files are returned as (path, json_path, reason), not raised.

    The good files come back as one frame (or none when no file of the chunk is good).
    """
    bad: list[tuple[str, str, str]] = []
    files: list[tuple[dict[str, Any], str, str]] = []
    counts: list[int] = []
    cols: dict[str, list[Any]] = {k: [] for k in ENTRY_COLUMNS}
    mismatches = 0
    for rel in relpaths:
        try:
            fields, file_cols, n, task = read_file(root, rel, max_file_mb)
        except BadScoresFile as exc:
            bad.append((exc.path, exc.json_path, exc.reason))
            continue
        except OSError as exc:
            bad.append((rel, "$", f"cannot read: {exc.strerror or exc}"))
            continue
        for key in ENTRY_COLUMNS:
            cols[key].extend(file_cols[key])
        files.append((fields, task, rel))
        counts.append(len(file_cols["metric"]))
        mismatches += n
    frames = [chunk_frame(files, counts, cols)] if files else []
    return frames, bad, mismatches


def parse_files(
    root: str, relpaths: Sequence[str], *, threads: int = 1, max_file_mb: float | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """All files -> (scores, bad files, subtask-name mismatches), in manifest order."""
    n_chunks = max(1, min(len(relpaths), threads * 8))
    chunks = [list(c) for c in np.array_split(np.asarray(relpaths, dtype=object), n_chunks) if len(c)]
    # Chunks in manifest order either way, so the result does not depend on `threads`.
    if threads > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=threads) as pool:
            done = pool.map(parse_chunk, [root] * len(chunks), chunks, [max_file_mb] * len(chunks))
            results = list(progress(done, total=len(chunks), desc="parse", unit="chunk", logger=logger))
    else:
        work = progress(chunks, desc="parse", unit="chunk", logger=logger)
        results = [parse_chunk(root, c, max_file_mb) for c in work]
    frames = [f for r in results for f in r[0]]
    bad = pd.DataFrame([b for r in results for b in r[1]], columns=BAD_FILE_COLUMNS)
    mismatches = sum(r[2] for r in results)
    if frames:
        scores = pd.concat(frames, ignore_index=True)[COLUMNS]
    else:
        scores = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    scores = scores.astype(
        {
            "shots": "Int64",
            "value": float,
            "is_preferred": bool,
            "low_score": float,
            "high_score": float,
            **{k: float for k in SIZE_KEYS},
        }
    )
    return scores, bad, mismatches


def add_n_examples(scores: pd.DataFrame, metadata: pd.DataFrame) -> pd.DataFrame:
    """Join BIG-bench's example counts on (task, subtask); 0 or absent = unknown (NA)."""
    meta = metadata[["task", "subtask", "n_examples"]].copy()
    meta["subtask"] = meta["subtask"].fillna("")
    meta["n_examples"] = pd.to_numeric(meta["n_examples"], errors="coerce").where(lambda s: s > 0).astype("Int64")
    meta = meta.drop_duplicates(["task", "subtask"])
    keyed = scores.assign(_subtask=scores["subtask"].fillna(""))
    merged = keyed.merge(
        meta,
        left_on=["task", "_subtask"],
        right_on=["task", "subtask"],
        how="left",
        suffixes=("", "_meta"),
        validate="many_to_one",
    )
    return merged.drop(columns=["_subtask", "subtask_meta"])


def run(
    *,
    manifest: str,
    task_metadata: str,
    metrics: str,
    scores: str,
    bad_files: str,
    root: str,
    on_bad_file: str,
    label: str,
    max_file_mb: float = 25,
    threads: int = 1,
) -> None:
    files = read_csv(manifest)["path"].tolist()
    logger.info("parsing %d scores files under %s with %d process(es)", len(files), root, threads)
    table, bad, mismatches = parse_files(root, files, threads=threads, max_file_mb=max_file_mb)
    if len(bad) and on_bad_file == "error":
        first = bad.iloc[0]
        raise BadScoresFile(
            first["path"],
            first["json_path"],
            f"{first['reason']} ({len(bad)} bad file(s) in all; set on_bad_file: skip to list "
            "them in logs/bad_files.csv and go on)",
        )
    for row in bad.itertuples(index=False):
        logger.warning("skipped %s: %s: %s", row.path, row.json_path, row.reason)
    if mismatches:
        logger.warning(
            "%d score entries have a subtask_description that does not start with its task name; "
            "kept as written (BIG-bench issue #726)",
            mismatches,
        )
    table = add_n_examples(table, pd.read_csv(task_metadata, dtype={"subtask": str}))
    table = add_value_se(table, load_metric_facts(metrics))
    write_csv(bad, bad_files, label=label)
    write_parquet(table, scores, label=label)
    logger.info(
        "%d scores from %d files (%d skipped): %d families, %d tasks, %d metrics",
        len(table),
        len(files) - len(bad),
        len(bad),
        table["family"].nunique(),
        table["task"].nunique(),
        table["metric"].nunique(),
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
