"""Which source each curve came from: scores' `extract` column joined onto emergence rows by the curve key.

Shared by metric_pairs (counts per source) and figure_fig6_real (rows per extract). Null subtask
(task level) and null shots (unknown) are matched as their own values.
"""

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from scripts.lib.curve_schema import CURVE_KEYS


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(subtask=frame["subtask"].fillna(""), shots=frame["shots"].astype("Int64").fillna(-1))


def read_curve_sources(scores: str | Path) -> pd.DataFrame:
    """The curve keys of scores.parquet with their `extract` (NaN when the file has no such column)."""
    have = set(pq.read_schema(scores).names)
    frame = pd.read_parquet(scores, columns=[*CURVE_KEYS, *(["extract"] if "extract" in have else [])])
    if "extract" not in frame:
        frame["extract"] = None
    return frame.drop_duplicates(CURVE_KEYS)


def with_source(emergence: pd.DataFrame, sources: pd.DataFrame, default: str | None = None) -> pd.DataFrame:
    """emergence plus `source`: the extract of each curve, or `default` where none is known."""
    src = _keyed(sources)[[*CURVE_KEYS, "extract"]].drop_duplicates(CURVE_KEYS)
    merged = _keyed(emergence).merge(src, on=CURVE_KEYS, how="left", validate="many_to_one")
    out = emergence.copy()
    out["source"] = merged["extract"].astype(object).where(merged["extract"].notna(), default).to_numpy()
    return out
