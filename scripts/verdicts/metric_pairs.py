"""Rule metric_pairs: Mirage's prediction tested on the same outputs, a sharp metric against a continuous one.

docs/statistics.md, "Metric pairs". For every case (family, task, subtask, shots) that has a curve
under a sharp metric and a curve under a continuous metric (config/metrics.yaml `sharp`), two
flags are read under each metric: the Mirage screen (`emergent` in emergence.parquet) and, when
verdicts.parquet is an input, the tested verdict without the screen (`unpredictable` and not
resolved as smooth: scripts/lib/stats/verdict_classes.py). The screen's range rule alone fires
for a sharp metric whose continuous twin moves by less than `min_effect`, so the tested columns,
not the screen's, answer Mirage's question. Identical curves (`duplicate_of`) are counted once.
Per source (the `extract` of each curve in scores.parquet; the run's source when there is no such
column) and per (sharp metric, continuous metric) pair, and once pooled per source (a case fires
under "sharp" when any of its sharp curves does, likewise "continuous"), the table counts the four
cells sharp only (b), continuous only (c), both, neither, and gives:

- `sharp_share` = b / (b + c): 1/2 is "no metric effect", 1 is Mirage's prediction;
- `p_cluster`: the cases are not independent (one family's tasks under several shot counts and
  subtasks), so McNemar's b-against-c is tested with cases clustered by task: an exact
  sign-flip randomization test of sum_task (b_task - c_task), two-sided (with one case per task it
  is the exact McNemar test; cf. Obuchowski 1998 for the clustered McNemar);
- `p_holm`: Holm's correction over every p-value the table reports (both flags, all rows).

The screen is compared only where its range rule was checked under both metrics (`effect_checked`
in emergence.parquet). For an unbounded metric (edit distance, log-likelihood, perplexity: a null
`low` or `high` in config/metrics.yaml) the screen skips that rule, so a curve passes on ES alone (an
edit distance falling by 0.2 characters): it fires far more often than under the bounded sharp
metric it is paired with, by construction. On on-emergence that made edit distance fire in 24 of
38 cases, and the pooled row read "continuous only 10, sharp only 3" (sharp share 0.23) while both
BERTScore rows read 0.9 and 1: the reversal was the screen's, not the metrics'. Such a pair's
screen flags are NA (`*_fires`), its screen cells empty, and the pooled screen flag of a case is
read from its comparable pairs only (NA when it has none). The tested flags (noise and backtest,
scale-free) are kept for every pair, so the screen cells of a row can sum to fewer than n_cases.

Inputs: emergence, scores, metrics, optionally verdicts. Outputs: tables/metric_pairs.{csv,tex},
tables/metric_pairs_cases.csv (every case and pair with its flags), metric_pairs_summary.json
(one headline sentence per source, merged into summary.json by rule summary). Params: source, label.
"""

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import json_safe, load_metric_facts, run_rule, write_csv, write_json, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.sources.extracts.curves import read_curve_sources, with_source
from scripts.lib.stats.multiplicity import holm
from scripts.lib.stats.verdict_classes import emergence_tested

logger = logging.getLogger(__name__)

CASE_KEYS = ["family", "task", "subtask", "shots"]
EMERGENCE_KEYS = [*CASE_KEYS, "metric"]
CLUSTER = "task"
"""Cases of one task (its families, shot counts, subtasks) share examples: the unit of the test."""
POOLED = "any"
CELLS = ["sharp_only", "continuous_only", "both", "neither"]
TABLE_COLUMNS = [
    "source",
    "sharp_metric",
    "continuous_metric",
    "n_cases",
    "n_clusters",
    *CELLS,
    "sharp_share",
    "p_cluster",
    "p_holm",
]
TESTED_COLUMNS = [f"tested_{c}" for c in CELLS] + ["tested_sharp_share", "tested_p_cluster", "tested_p_holm"]
SCREEN_FLAGS = ["sharp_fires", "continuous_fires"]
TESTED_FLAGS = ["sharp_tested", "continuous_tested"]
SCREEN_NOT_COMPARED = (
    "the Mirage screen is not compared (no case pairs the sharp metric with a continuous metric whose range the "
    "screen checks: an unbounded metric passes it on ES alone)"
)
CASE_COLUMNS = [
    "source",
    *CASE_KEYS,
    "sharp_metric",
    "continuous_metric",
    "sharp_fires",
    "continuous_fires",
    "sharp_tested",
    "continuous_tested",
]


def cluster_sign_test(b: np.ndarray, c: np.ndarray) -> float:
    """Two-sided exact sign-flip test of sum(b - c) over clusters (b, c: discordant counts per cluster).

    Under H0 the sharp and continuous labels are exchangeable within each cluster, so each
    cluster's d = b - c is as likely to be -d: P(|S| >= |s|) over the 2^k sign patterns, computed
    exactly by convolution. One case per cluster gives the exact McNemar p-value; 1 when b = c.
    """
    d = np.asarray(b, dtype=int) - np.asarray(c, dtype=int)
    size = np.abs(d[d != 0])
    total = int(size.sum())
    if total == 0:
        return 1.0
    dist = np.zeros(2 * total + 1)
    dist[total] = 1.0
    for v in size:
        dist = 0.5 * (np.roll(dist, int(v)) + np.roll(dist, -int(v)))
    values = np.arange(-total, total + 1)
    return float(min(1.0, dist[np.abs(values) >= abs(int(d.sum()))].sum()))


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """subtask and shots comparable across tables (NA -> '' and -1)."""
    return frame.assign(subtask=frame["subtask"].fillna(""), shots=frame["shots"].astype("Int64").fillna(-1))


def metric_cases(
    emergence: pd.DataFrame,
    facts: Mapping[str, Mapping[str, Any]],
    verdicts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every (case, sharp metric, continuous metric) with both flags, plus the pooled 'any' pair per case.

    `emergence` carries each curve's `source` (scripts/lib/sources/extracts/curves.py: with_source).
    With `verdicts`: `tested` = unpredictable and not resolved as smooth (the screen left out), and
    curves that copy an earlier one (`duplicate_of`) are left out.
    """
    curves = _keyed(emergence)[[*EMERGENCE_KEYS, "emergent", "effect_checked", "source"]]
    # The screen as applied only where its range rule ran (see the module docstring): NA otherwise.
    curves["emergent"] = curves["emergent"].astype("boolean").where(curves["effect_checked"].astype(bool))
    curves["tested"] = False
    if verdicts is not None:
        v = _keyed(verdicts).reindex(columns=[*EMERGENCE_KEYS, "sharp", "unpredictable", "duplicate_of"])
        curves = curves.drop(columns="tested").merge(v, on=EMERGENCE_KEYS, how="left")
        curves = curves[curves["duplicate_of"].isna()]
        screen_aside = pd.Series(True, index=curves.index)
        curves["tested"] = emergence_tested(screen_aside, curves["sharp"], curves["unpredictable"])
    known = curves["metric"].isin(list(facts))
    curves["sharp"] = curves["metric"].map(lambda m: bool((facts.get(m) or {}).get("sharp", False)))
    curves = curves[known]
    keys = ["source", *CASE_KEYS]
    columns = [*keys, "metric", "emergent", "tested"]
    pairs = curves[curves["sharp"]][columns].merge(curves[~curves["sharp"]][columns], on=keys, suffixes=("_s", "_c"))
    per_pair = pd.DataFrame(
        {
            **{k: pairs[k] for k in keys},
            "sharp_metric": pairs["metric_s"],
            "continuous_metric": pairs["metric_c"],
            "sharp_tested": pairs["tested_s"].astype(bool),
            "continuous_tested": pairs["tested_c"].astype(bool),
        }
    )
    comparable = pairs["emergent_s"].notna() & pairs["emergent_c"].notna()
    for flag, column in zip(SCREEN_FLAGS, ["emergent_s", "emergent_c"], strict=True):
        per_pair[flag] = pairs[column].where(comparable)
    grouped = per_pair.groupby(keys, sort=True)
    pooled = grouped[[*SCREEN_FLAGS, *TESTED_FLAGS]].any()  # NA skipped: the screen over comparable pairs
    pooled[SCREEN_FLAGS] = pooled[SCREEN_FLAGS].astype("boolean").where(grouped["sharp_fires"].count() > 0)
    pooled = pooled.reset_index().assign(sharp_metric=POOLED, continuous_metric=POOLED)
    out = pd.concat([per_pair, pooled], ignore_index=True)
    out["subtask"] = out["subtask"].replace("", None)
    out["shots"] = out["shots"].astype("Int64").mask(out["shots"] < 0)
    return out.sort_values(["source", "sharp_metric", "continuous_metric", *CASE_KEYS], kind="stable")[
        CASE_COLUMNS
    ].reset_index(drop=True)


def cell_test(group: pd.DataFrame, sharp: str, cont: str) -> dict[str, Any]:
    """The four cells of the paired 2x2 table, the sharp share and the test clustered by task.

    Over the cases where both flags are known; with none, every cell and the test are NaN.
    """
    group = group[group[sharp].notna() & group[cont].notna()]
    if group.empty:
        return dict.fromkeys([*CELLS, "sharp_share", "p_cluster"], float("nan"))
    s, c = group[sharp].astype(bool), group[cont].astype(bool)
    per_task = pd.DataFrame({"b": s & ~c, "c": ~s & c}).groupby(group[CLUSTER].to_numpy()).sum()
    b, cc = int(per_task["b"].sum()), int(per_task["c"].sum())
    return {
        "sharp_only": b,
        "continuous_only": cc,
        "both": int((s & c).sum()),
        "neither": int((~s & ~c).sum()),
        "sharp_share": b / (b + cc) if b + cc else float("nan"),
        "p_cluster": cluster_sign_test(per_task["b"].to_numpy(), per_task["c"].to_numpy()),
    }


def pair_table(cases: pd.DataFrame, *, with_verdicts: bool) -> pd.DataFrame:
    """One row per (source, sharp metric, continuous metric): cells, sharp share, clustered test, Holm over all p."""
    rows = []
    for (source, sm, cm), grp in cases.groupby(["source", "sharp_metric", "continuous_metric"], sort=True):
        row = {
            "source": source,
            "sharp_metric": sm,
            "continuous_metric": cm,
            "n_cases": len(grp),
            "n_clusters": grp[CLUSTER].nunique(),
            **cell_test(grp, "sharp_fires", "continuous_fires"),
        }
        if with_verdicts:
            row.update({f"tested_{k}": v for k, v in cell_test(grp, "sharp_tested", "continuous_tested").items()})
        rows.append(row)
    columns = TABLE_COLUMNS + (TESTED_COLUMNS if with_verdicts else [])
    table = pd.DataFrame(rows, columns=columns)
    counts = [c for c in columns if c.removeprefix("tested_") in CELLS]
    table[counts] = table[counts].astype("Int64")  # NA: the screen not compared
    p_columns = ["p_cluster", "tested_p_cluster"] if with_verdicts else ["p_cluster"]
    adjusted = holm(table[p_columns].to_numpy(float).ravel()).reshape(len(table), len(p_columns))
    for i, col in enumerate(p_columns):
        table[col.replace("p_cluster", "p_holm")] = adjusted[:, i]
    # The pooled row first within each source, then the metric pairs alphabetically.
    table["_pooled"] = table["sharp_metric"].ne(POOLED)
    table = table.sort_values(["source", "_pooled", "sharp_metric", "continuous_metric"], kind="stable")
    return table.drop(columns="_pooled").reset_index(drop=True)


def _cells_sentence(row: Mapping[str, Any], prefix: str, what: str) -> str:
    """'under the sharp metric only in b, …; share; clustered p (Holm)' for one flag."""
    b, c = int(row[f"{prefix}sharp_only"]), int(row[f"{prefix}continuous_only"])
    share = (
        f"the sharp metric is the one in {row[f'{prefix}sharp_share']:.0%} of the {b + c} discordant cases"
        if b + c
        else "no case is discordant"
    )
    return (
        f"{what} holds under the sharp metric only in {b}, under the continuous metric only in {c}, under both in "
        f"{int(row[f'{prefix}both'])} and under neither in {int(row[f'{prefix}neither'])}; {share} "
        f"(test clustered by task: p = {row[f'{prefix}p_cluster']:.3g}, Holm-adjusted {row[f'{prefix}p_holm']:.3g})"
    )


def headline(row: Mapping[str, Any]) -> str:
    """One sentence for a source's pooled row: the tested verdicts when present, then the screen."""
    head = (
        f"{row['source']}: of {int(row['n_cases'])} (family, task, shots) cases in {int(row['n_clusters'])} tasks "
        "scored under a sharp and a continuous metric, "
    )
    parts = []
    if "tested_p_cluster" in row and pd.notna(row["tested_p_cluster"]):
        parts.append(_cells_sentence(row, "tested_", "emergence by the tests (unpredictable, not resolved as smooth)"))
    parts.append(_cells_sentence(row, "", "the Mirage screen") if pd.notna(row["p_cluster"]) else SCREEN_NOT_COMPARED)
    return head + "; ".join(parts) + "."


def summary(table: pd.DataFrame) -> dict[str, Any]:
    """Per source: the pooled counts, tests and headline sentence."""
    out: dict[str, Any] = {"cluster": CLUSTER, "correction": "holm", "sources": {}}
    for row in table[table["sharp_metric"] == POOLED].to_dict("records"):
        out["sources"][row["source"]] = {
            k: None if pd.isna(v) else json_safe(v) for k, v in row.items() if k not in TABLE_COLUMNS[:3]
        }
        out["sources"][row["source"]]["headline"] = headline(row)
    out["headlines"] = [v["headline"] for v in out["sources"].values()]
    if not out["headlines"]:
        out["headlines"] = ["No (family, task, shots) case is scored under both a sharp and a continuous metric."]
    return out


def run(
    *,
    emergence: str,
    scores: str,
    metrics: str,
    table: str,
    tex: str,
    cases: str,
    summary_json: str,
    source: str,
    label: str,
    verdicts: str | None = None,
) -> None:
    facts = load_metric_facts(metrics)
    scored = with_source(pd.read_parquet(emergence), read_curve_sources(scores), default=source)
    verdict_table = pd.read_parquet(verdicts) if verdicts else None
    case_table = metric_cases(scored, facts, verdict_table)
    pairs = pair_table(case_table, with_verdicts=verdict_table is not None)
    write_csv(case_table, cases, label=label)
    write_csv(pairs, table, label=label)
    caption = (
        f"Sharp against continuous metric on the same cases, per source ({label}): the Mirage screen and "
        "(tested_*) unpredictable and not resolved as smooth. sharp_share = sharp only / (sharp only + continuous "
        "only); p_cluster: exact two-sided sign-flip test of sharp only minus continuous only, cases clustered by "
        "task; p_holm: Holm over every p-value of the table. Rows 'any': a case fires if any of its sharp "
        "(continuous) curves does. Identical curves counted once."
    )
    write_text(tex, to_latex(pairs, caption, "tab:metric_pairs"))
    result = summary(pairs)
    write_json(summary_json, result)
    for sentence in result["headlines"]:
        logger.info("%s", sentence)


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
