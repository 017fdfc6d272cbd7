"""Rule verdicts_vs_annotations: where our backtest finds the jump against where people saw it emerge.

docs/statistics.md, "Against people". Wei (2022) annotates, per BIG-bench task and model family,
the smallest model at which the ability emerges (config/annotations/README.md: `emergence_scale`;
LaMDA is BIG-bench's `BIG-G T=0`, GPT-3 is `GPT`). Wherever the data has that family and task,
the annotated size is placed on the family's ladder (the nearest model, within a factor
MAX_SIZE_RATIO) and compared with `unpredictable_at` of the task's preferred-metric curves (the
post names no metric): `same model`, `one apart` (one rung up or down the ladder), `further apart`,
or `not found` (no curve of the task is unpredictable anywhere); `scale not on ladder` when the
annotated size is not one of the data's models. With several curves per (task, family) (shot
counts, subtasks) the one whose jump is nearest the annotated model is reported, and how many
there were. Identical curves (`duplicate_of`) are counted once.

Inputs: verdicts.parquet, curves.parquet, annotations CSV (config `annotations`). Outputs:
tables/verdicts_vs_annotations.{csv,tex}. Params: label.
"""

import logging

import numpy as np
import pandas as pd

from scripts.lib.io import run_rule, write_csv, write_text
from scripts.lib.present.latex import to_latex

logger = logging.getLogger(__name__)

FAMILIES = {"LaMDA": "BIG-G T=0", "GPT-3": "GPT", "PaLM": "PaLM"}
"""The post's family names and the BIG-bench family each stands for (config/annotations/README.md)."""
MAX_SIZE_RATIO = 2.0
"""An annotated size further than this factor from every model of the ladder is not on the ladder."""
SIZE_SUFFIXES = {"M": 1e6, "B": 1e9, "T": 1e12}
SAME, ONE_APART, FURTHER, NOT_FOUND, OFF_LADDER = (
    "same model",
    "one apart",
    "further apart",
    "not found",
    "scale not on ladder",
)
MATCHES = (SAME, ONE_APART, FURTHER, NOT_FOUND, OFF_LADDER)
COLUMNS = [
    "task",
    "model_family",
    "family",
    "emergence_scale",
    "annotated_model",
    "curves",
    "subtask",
    "shots",
    "metric",
    "unpredictable_at",
    "steps_apart",
    "backtest_z",
    "sharp",
    "emergent_tested",
    "emergence_verdict",
    "match",
]


def parse_sizes(text: pd.Series) -> pd.Series:
    """'13B' -> 1.3e10 ('M', 'B', 'T' suffixes; a bare number as is; unparseable -> NaN)."""
    s = text.astype(str).str.strip().str.upper()
    factor = s.str[-1].map(SIZE_SUFFIXES)
    number = pd.to_numeric(s.where(factor.isna(), s.str[:-1]), errors="coerce")
    return number * factor.fillna(1.0)


def rungs(points: pd.DataFrame) -> pd.DataFrame:
    """Per point: curve_id, x and its rung (0 = smallest model of the curve)."""
    pts = points[["curve_id", "x"]].sort_values(["curve_id", "x"], kind="stable")
    return pts.assign(rung=pts.groupby("curve_id").cumcount())


def nearest_rung(ladder: pd.DataFrame, ids: pd.Series, size: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row (curve id, size): the rung and x of the curve's model nearest `size` in log size (NaN if none)."""
    rows = pd.DataFrame({"curve_id": ids.to_numpy(), "size": size.to_numpy(float), "row": np.arange(len(ids))})
    joined = rows.merge(ladder, on="curve_id")
    joined["dist"] = np.abs(np.log10(joined["x"]) - np.log10(joined["size"]))
    best = joined.sort_values(["row", "dist"], kind="stable").drop_duplicates("row").set_index("row")
    best = best.reindex(np.arange(len(ids)))
    dist = best["dist"].to_numpy(float)
    return np.where(np.isfinite(dist), best["rung"], np.nan), np.where(
        dist <= np.log10(MAX_SIZE_RATIO), best["x"], np.nan
    )


def compare(verdicts: pd.DataFrame, points: pd.DataFrame, annotations: pd.DataFrame) -> pd.DataFrame:
    """One row per annotation (task, family) found in the data: the nearest jump of its preferred curves."""
    ann = annotations.assign(
        task=annotations["task"].astype(str).str.strip(),
        model_family=annotations["model_family"].astype(str).str.strip(),
        size=parse_sizes(annotations["emergence_scale"]),
    )
    ann["family"] = ann["model_family"].map(FAMILIES)
    first = verdicts[verdicts["is_preferred"].astype(bool) & verdicts["duplicate_of"].isna()]
    curves = ann.merge(first, on=["family", "task"], how="inner")
    ladder = rungs(points)
    curves["annotated_rung"], curves["annotated_model"] = nearest_rung(ladder, curves["curve_id"], curves["size"])
    found_rung, _ = nearest_rung(ladder, curves["curve_id"], curves["unpredictable_at"])
    curves["steps_apart"] = np.where(
        curves["unpredictable"].astype(bool).to_numpy() & np.isfinite(curves["annotated_model"]),
        found_rung - curves["annotated_rung"],
        np.nan,
    )
    steps = curves["steps_apart"].abs().to_numpy()
    curves["match"] = np.select(
        [~np.isfinite(curves["annotated_model"]), ~np.isfinite(steps), steps == 0, steps == 1],
        [OFF_LADDER, NOT_FOUND, SAME, ONE_APART],
        FURTHER,
    )
    curves["order"] = pd.Categorical(curves["match"], categories=list(MATCHES)).codes
    curves["distance"] = curves["steps_apart"].abs()
    keys = ["task", "model_family"]
    curves["curves"] = curves.groupby(keys)["curve_id"].transform("size")
    best = curves.sort_values([*keys, "order", "distance", "curve_id"], kind="stable").drop_duplicates(keys)
    best["sharp"] = best["sharp"].astype("boolean")
    best["emergence_verdict"] = best["emergence_verdict"].astype(str)
    return best[COLUMNS].sort_values(["model_family", "task"], kind="stable").reset_index(drop=True)


def run(*, verdicts: str, curves: str, annotations: str, csv: str, tex: str, label: str) -> None:
    table = compare(pd.read_parquet(verdicts), pd.read_parquet(curves), pd.read_csv(annotations, comment="#"))
    write_csv(table, csv, label=label)
    counts = table["match"].value_counts().reindex(list(MATCHES), fill_value=0)
    summary = ", ".join(f"{n} {m}" for m, n in counts.items())
    caption = (
        "Wei (2022)'s annotated emergence scale per BIG-bench task and family (LaMDA = BIG-G T=0, GPT-3 = GPT) "
        "against the first model our backtest finds unpredictable (unpredictable_at), preferred metric, the curve "
        f"whose jump is nearest per (task, family); steps_apart in models of the ladder. {len(table)} annotated "
        f"(task, family) pairs in the data: {summary}. Data: {label}."
    )
    write_text(tex, to_latex(table, caption, "tab:verdicts_vs_annotations", float_format="{:.3g}"))
    logger.info("%d annotated (task, family) pairs in the data: %s", len(table), summary)


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
