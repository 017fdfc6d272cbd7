"""Model families and sizes shared by the adapters: the BIG-G ladder, config/model_sizes.csv, sizes in names.

`resolve_sizes` fills the three size columns of parse_scores for every (family, model_name), with
the kind of number (`non_embedding`, `total`, `flop_matched`, `name`) and its source, in this order:
config/model_sizes.csv, the BIG-G ladder, the number written in the model name (docs/extracts.md).
"""

import math
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from scripts.lib.sources.extracts.registry import ExtractError

BIG_G_LADDER = {
    "2m": 2098048.0,
    "16m": 16780288.0,
    "53m": 56629632.0,
    "125m": 134228992.0,
    "244m": 262161280.0,
    "422m": 453009408.0,
    "1b": 1073784832.0,
    "2b": 2097218560.0,
    "4b": 3623973888.0,
    "8b": 8590102528.0,
    "27b": 28991404032.0,
    "128b": 137440272384.0,
}
"""non_embedding_params of the BIG-G dense models by model_name, from their scores files' model
block (docs/bigbench-format.md §3); identical to audit_table.json's params_by_scale."""
BIG_G_SOURCE = "BIG-bench scores_*.json model block, non_embedding_params of the BIG-G ladder (docs/bigbench-format.md)"

SIZE_KINDS = ("non_embedding", "total", "flop_matched")
MODEL_SIZE_COLUMNS = ["family", "model_name", "params", "size_kind", "source"]
MODEL_COLUMNS = [
    "family",
    "model_name",
    "non_embedding_params",
    "total_params",
    "flop_matched_non_embedding_params",
    "size_kind",
    "size_source",
    "n_scores",
]
SIZE_RE = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)\s*([kKmMbBtT])(?![A-Za-z])")
SIZE_UNITS = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


def split_model_label(label: str, families: Iterable[str]) -> tuple[str, str]:
    """'<model_family> <model_name>' -> (family, model_name), trying the longest family first.

    'T0++ T0++' -> ('T0++', 'T0++'); 'BIG-G T=0 125m' -> ('BIG-G T=0', '125m'). ValueError if no
    known family starts the label.
    """
    for family in sorted(set(families), key=lambda f: (-len(f), f)):
        if label.startswith(f"{family} ") and label[len(family) + 1 :].strip():
            return family, label[len(family) + 1 :].strip()
    raise ValueError(f"model label {label!r} does not start with a known family {sorted(set(families))}")


def size_from_name(name: str) -> float | None:
    """The parameter count written in a model name ('125m' -> 1.25e8, 'GPT-3 2.7B' -> 2.7e9); None if none."""
    matches = SIZE_RE.findall(name)
    if len(matches) != 1:
        return None
    number, unit = matches[0]
    return float(number) * SIZE_UNITS[unit.lower()]


def check_model_sizes(sizes: pd.DataFrame, path: str) -> pd.DataFrame:
    """Validate config/model_sizes.csv (family, model_name, params, size_kind, source)."""
    missing = [c for c in MODEL_SIZE_COLUMNS if c not in sizes.columns]
    if missing:
        raise ExtractError(path, "header", f"missing column(s) {missing}; expected {MODEL_SIZE_COLUMNS}")
    sizes = sizes[MODEL_SIZE_COLUMNS].copy()
    params = pd.to_numeric(sizes["params"], errors="coerce")
    for i in range(len(sizes)):
        where = f"line {i + 2} ({sizes['family'].iat[i]} {sizes['model_name'].iat[i]})"
        if not (np.isfinite(params.iat[i]) and params.iat[i] > 0):
            raise ExtractError(path, where, f"params must be a positive number, got {sizes['params'].iat[i]!r}")
        if sizes["size_kind"].iat[i] not in SIZE_KINDS:
            raise ExtractError(path, where, f"size_kind {sizes['size_kind'].iat[i]!r} is not one of {SIZE_KINDS}")
        if not str(sizes["source"].iat[i]).strip() or pd.isna(sizes["source"].iat[i]):
            raise ExtractError(path, where, "every size needs a source")
    dup = sizes.duplicated(["family", "model_name"], keep=False)
    if dup.any():
        first = sizes.loc[dup].iloc[0]
        raise ExtractError(path, f"{first['family']} {first['model_name']}", "listed twice")
    return sizes.assign(params=params.astype(float))


def resolve_sizes(models: pd.DataFrame, sizes: pd.DataFrame) -> pd.DataFrame:
    """Per (family, model_name): the three size columns, size_kind and size_source.

    Order: config/model_sizes.csv; the BIG-G ladder for BIG-G families (dense: non_embedding;
    'BIG-G sparse': the names are FLOP-matched dense sizes); the number in the name (kind 'name').
    `non_embedding_params` always holds the value (a stand-in unless kind is non_embedding);
    total_params only for kind total; flop_matched_non_embedding_params for non_embedding (a dense
    model is its own FLOP match) and flop_matched. ValueError for a model with no size.
    """
    table = sizes.set_index(["family", "model_name"])
    out = []
    for family, name in models[["family", "model_name"]].drop_duplicates().itertuples(index=False):
        if (family, name) in table.index:
            row = table.loc[(family, name)]
            params, kind, source = float(row["params"]), str(row["size_kind"]), str(row["source"])
        elif family.startswith("BIG-G") and name in BIG_G_LADDER:
            params = BIG_G_LADDER[name]
            kind = "flop_matched" if "sparse" in family.lower() else "non_embedding"
            source = BIG_G_SOURCE
        elif (parsed := size_from_name(name)) is not None:
            params, kind, source = parsed, "name", "the number in the model name"
        else:
            raise ValueError(f"no size for model {family!r} {name!r}: add it to config/model_sizes.csv")
        out.append(
            {
                "family": family,
                "model_name": name,
                "non_embedding_params": params,
                "total_params": params if kind == "total" else math.nan,
                "flop_matched_non_embedding_params": params if kind in ("non_embedding", "flop_matched") else math.nan,
                "size_kind": kind,
                "size_source": source,
            }
        )
    return pd.DataFrame(out, columns=MODEL_COLUMNS[:-1])
