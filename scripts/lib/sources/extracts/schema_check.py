"""The tidy scores schema every extract adapter must produce, and the one check of it.

The columns are parse_scores' (docs/design.md §2) plus the per-point noise (n_examples, value_se,
se_source), a second scale `flops` (training FLOPs, where the extract gives them) and `extract`
(the registry entry a row came from), so build_curves and every later rule run unchanged.
`finish_scores` gives an adapter's rows their dtypes and noise; `check_scores` rejects a frame
that downstream rules would misread, naming the entry and the first offending row.
"""

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.curve_schema import CURVE_KEYS
from scripts.lib.score_table import add_value_se
from scripts.lib.scores_schema import COLUMNS, NOISE_COLUMNS, SIZE_KEYS
from scripts.lib.sources.extracts.registry import ExtractError

logger = logging.getLogger(__name__)

SIZE_COLUMNS = list(SIZE_KEYS)
OUTPUT_COLUMNS = [*COLUMNS, *NOISE_COLUMNS, "flops", "extract"]
KEY_COLUMNS = ["family", "model_name", "task", "subtask", "shots", "metric"]
SE_SOURCES = {"binomial", "seeds", "reported"}
DTYPES = {
    "shots": "Int64",
    "n_examples": "Int64",
    "value": float,
    "is_preferred": bool,
    "low_score": float,
    "high_score": float,
    "value_se": float,
    "flops": float,
    **{c: float for c in SIZE_COLUMNS},
}


def join_n_examples(scores: pd.DataFrame, metadata: pd.DataFrame) -> pd.Series:
    """BIG-bench's example count of each row's (task, subtask) from the task metadata; NA when unknown."""
    meta = metadata[["task", "subtask", "n_examples"]].copy()
    meta["subtask"] = meta["subtask"].fillna("")
    meta["n"] = pd.to_numeric(meta["n_examples"], errors="coerce").where(lambda s: s > 0)
    lookup = meta.drop_duplicates(["task", "subtask"]).set_index(["task", "subtask"])["n"]
    keys = pd.MultiIndex.from_arrays([scores["task"], scores["subtask"].fillna("")])
    return pd.Series(lookup.reindex(keys).to_numpy(), index=scores.index).astype("Int64")


def finish_scores(rows: pd.DataFrame, *, extract: str, metric_facts: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """An adapter's rows -> OUTPUT_COLUMNS with dtypes; binomial value_se where the adapter gave none."""
    out = rows.copy()
    for col in ("total_params", "flop_matched_non_embedding_params", "flops", "value_se", "low_score", "high_score"):
        if col not in out:
            out[col] = np.nan
    if "se_source" not in out:
        out["se_source"] = None
    given = out["value_se"].astype(float)
    binomial = add_value_se(out.drop(columns=["value_se", "se_source"]), metric_facts)
    out["value_se"] = given.where(given.notna(), binomial["value_se"])
    out["se_source"] = np.where(given.notna(), out["se_source"], binomial["se_source"])
    out["se_source"] = out["se_source"].astype(object).where(out["value_se"].notna(), None)
    out["extract"] = extract
    out = out.astype(DTYPES)
    out["subtask"] = out["subtask"].astype(object).where(out["subtask"].notna(), None)
    return out[OUTPUT_COLUMNS].reset_index(drop=True)


def _fail(frame: pd.DataFrame, mask: pd.Series, extract: str, reason: str) -> None:
    if mask.any():
        row = frame.loc[mask].iloc[0]
        where = f"{row['family']} {row['model_name']}, task {row['task']}, metric {row['metric']}"
        raise ExtractError(str(row.get("source_file", extract)), where, f"{reason} ({int(mask.sum())} row(s))")


def check_scores(frame: pd.DataFrame, *, extract: str, metric_facts: Mapping[str, Mapping[str, Any]]) -> None:
    """The one schema check: columns, keys, sizes, values within the metric's range, unique keys, noise."""
    missing = [c for c in OUTPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise ExtractError(extract, "scores", f"adapter output lacks column(s) {missing}")
    if frame.empty:
        raise ExtractError(extract, "scores", "no scores")
    for col in ("family", "model_name", "task", "metric", "source_file"):
        _fail(frame, frame[col].isna() | frame[col].astype(str).eq(""), extract, f"empty {col}")
    size = frame["non_embedding_params"]
    _fail(frame, ~(np.isfinite(size) & (size > 0)), extract, "non_embedding_params must be a positive number")
    _fail(frame, frame["flops"].notna() & ~(frame["flops"] > 0), extract, "flops must be positive where given")
    _fail(frame, frame["shots"].notna() & (frame["shots"] < 0), extract, "negative shots")
    for name, facts in metric_facts.items():
        lo, hi = (facts or {}).get("low"), (facts or {}).get("high")
        sel = frame["metric"].eq(name) & frame["value"].notna()
        out = sel & ((lo is not None and frame["value"] < lo) | (hi is not None and frame["value"] > hi))
        _fail(frame, out, extract, f"value outside the range [{lo}, {hi}] of {name}")
    _fail(frame, frame["value_se"].notna() & ~(frame["value_se"] >= 0), extract, "negative value_se")
    bad_source = frame["value_se"].notna() & ~frame["se_source"].isin(sorted(SE_SOURCES))
    _fail(frame, bad_source, extract, f"se_source must be one of {sorted(SE_SOURCES)} where value_se is given")
    keyed = frame.assign(subtask=frame["subtask"].fillna(""), shots=frame["shots"].fillna(-1))
    _fail(frame, keyed.duplicated(KEY_COLUMNS, keep=False), extract, "duplicate (family, model, task, shots, metric)")


def check_disjoint_curves(scores: pd.DataFrame) -> None:
    """No curve (family, task, subtask, shots, metric) may mix rows of two extracts."""
    keyed = scores.assign(subtask=scores["subtask"].fillna(""), shots=scores["shots"].fillna(-1))
    n = keyed.groupby(CURVE_KEYS)["extract"].nunique()
    if (n > 1).any():
        key = n[n > 1].index[0]
        names = sorted(keyed.set_index(CURVE_KEYS).loc[key, "extract"].unique())
        raise ExtractError(" and ".join(names), f"curve {key}", "two extracts give points of the same curve")
