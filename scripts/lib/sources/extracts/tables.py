"""Reading the CSV tables of the multi-metric extracts: required columns, numbers, model sizes in B and FLOPs.

Shared by the ExpEmergence and ObsScaling adapters, whose model tables have the same columns
(ExpEmergence's comes from ObsScaling's `base_llm_benchmark_eval.csv`): `Model`, `Model Family`,
`Model Size (B)` (total parameters, billions) and `FLOPs (1E21)` (training compute, 10^21 FLOPs).
"""

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from scripts.lib.sources.extracts.registry import ExtractError, read_bytes

MODEL_TABLE_COLUMNS = ["Model", "Model Family", "Model Size (B)", "FLOPs (1E21)"]


def read_table(path: str | Path, required: Sequence[str]) -> pd.DataFrame:
    """A CSV with the required columns; an error names the file and the missing columns."""
    try:
        frame = pd.read_csv(io.BytesIO(read_bytes(path)))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ExtractError(str(path), "$", f"not a readable CSV: {str(exc).splitlines()[0]}") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ExtractError(str(path), "header", f"missing column(s) {missing}")
    return frame


def numeric(frame: pd.DataFrame, column: str, path: str | Path) -> pd.Series:
    """A column as floats; a non-numeric cell is an error naming the file, line and column."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ExtractError(str(path), f"line {i + 2}, column {column!r}", f"not a number: {frame[column].iat[i]!r:.40}")
    return values.astype(float)


def model_sizes(frame: pd.DataFrame, path: str | Path, *, source: str) -> pd.DataFrame:
    """family, model_name, the size columns and flops of every model of a `Model Family` table.

    `Model Size (B)` is a published total parameter count (kind `total`); it also stands in for
    non_embedding_params (the emergence score depends only on the order of sizes in a family).
    """
    size_b = numeric(frame, "Model Size (B)", path)
    flops = numeric(frame, "FLOPs (1E21)", path)
    bad = ~(size_b > 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ExtractError(str(path), f"line {i + 2} ({frame['Model'].iat[i]})", "Model Size (B) must be positive")
    return pd.DataFrame(
        {
            "family": frame["Model Family"].astype(str),
            "model_name": frame["Model"].astype(str),
            "non_embedding_params": size_b * 1e9,
            "total_params": size_b * 1e9,
            "flop_matched_non_embedding_params": np.nan,
            "flops": flops * 1e21,
            "size_kind": "total",
            "size_source": source,
        }
    )
