"""Rule metric_pairs: Mirage's prediction tested on the same outputs, a sharp metric against a continuous one.

For every case (family, task, subtask, shots) that has a curve under a sharp metric and a curve
under a continuous metric (config/metrics.yaml `sharp`), the Mirage screen (`emergent` in
emergence.parquet) is read under each. Mirage predicts that the screen fires under the sharp
metric and not under the continuous one far more often than the reverse. Per source (the
`extract` of each curve in scores.parquet; the run's source when there is no such column) and per
(sharp metric, continuous metric) pair, and once pooled per source (a case fires under "sharp"
when any of its sharp curves is emergent, likewise "continuous"), the table counts the four cells
sharp only (b), continuous only (c), both, neither, and gives:

- `p_mcnemar`: the exact McNemar test, two-sided, of b against c (binomial, b + c trials, 1/2);
- `sharp_share` = b / (b + c), the share of discordant cases in which the sharp metric is the
  one that fires, with its Clopper-Pearson interval at LEVEL (`share_lo`, `share_hi`); 1/2 is
  "no metric effect", 1 is Mirage's prediction.

When the statistics issue's verdicts (verdicts.parquet: emergent_tested = emergent, sharp against
noise and unpredictable) are an input, the same four cells and test are given for emergent_tested
(`tested_*` columns). Calibration of the test and the interval: tests/unit/test_metric_pairs.py
(measured false-positive rate and coverage under the null; docs/extracts.md).

Inputs: emergence, scores, metrics, optionally verdicts. Outputs: tables/metric_pairs.{csv,tex},
tables/metric_pairs_cases.csv (every case and pair with both flags), metric_pairs_summary.json
(one headline sentence per source; the lead merges it into summary.json). Params: source, label.
"""

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd
from scipy.stats import beta, binomtest

from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_json, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.sources.extracts.curves import read_curve_sources, with_source

logger = logging.getLogger(__name__)

LEVEL = 0.95
"""Coverage of the Clopper-Pearson interval of sharp_share."""
CASE_KEYS = ["family", "task", "subtask", "shots"]
EMERGENCE_KEYS = [*CASE_KEYS, "metric"]
POOLED = "any"
CELLS = ["sharp_only", "continuous_only", "both", "neither"]
TABLE_COLUMNS = [
    "source",
    "sharp_metric",
    "continuous_metric",
    "n_cases",
    *CELLS,
    "p_mcnemar",
    "sharp_share",
    "share_lo",
    "share_hi",
]
TESTED_COLUMNS = [f"tested_{c}" for c in CELLS] + ["tested_p_mcnemar"]
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


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: binomial test of b successes in b + c trials at 1/2 (1 when b + c = 0)."""
    n = int(b) + int(c)
    return 1.0 if n == 0 else float(binomtest(int(b), n, 0.5, alternative="two-sided").pvalue)


def clopper_pearson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a binomial proportion k / n; (nan, nan) when n = 0."""
    if n == 0:
        return float("nan"), float("nan")
    alpha = 1.0 - level
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def metric_cases(
    emergence: pd.DataFrame,
    facts: Mapping[str, Mapping[str, Any]],
    verdicts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every (case, sharp metric, continuous metric) with both flags, plus the pooled 'any' pair per case.

    `emergence` carries each curve's `source` (scripts/lib/sources/extracts/curves.py: with_source).
    """
    curves = emergence.assign(
        subtask=emergence["subtask"].fillna(""), shots=emergence["shots"].astype("Int64").fillna(-1)
    )[[*EMERGENCE_KEYS, "emergent", "source"]]
    curves["tested"] = False
    if verdicts is not None:
        v = verdicts.assign(subtask=verdicts["subtask"].fillna(""), shots=verdicts["shots"].astype("Int64").fillna(-1))
        curves = curves.drop(columns="tested").merge(
            v[[*EMERGENCE_KEYS, "emergent_tested"]].rename(columns={"emergent_tested": "tested"}),
            on=EMERGENCE_KEYS,
            how="left",
        )
        curves["tested"] = curves["tested"].astype("boolean").fillna(False).astype(bool)
    known = curves["metric"].isin(list(facts))
    curves["sharp"] = curves["metric"].map(lambda m: bool((facts.get(m) or {}).get("sharp", False)))
    curves = curves[known]
    keys = ["source", *CASE_KEYS]
    sharp = curves[curves["sharp"]]
    cont = curves[~curves["sharp"]]
    pairs = sharp.merge(cont, on=keys, suffixes=("_s", "_c"))
    per_pair = pd.DataFrame(
        {
            **{k: pairs[k] for k in keys},
            "sharp_metric": pairs["metric_s"],
            "continuous_metric": pairs["metric_c"],
            "sharp_fires": pairs["emergent_s"].astype(bool),
            "continuous_fires": pairs["emergent_c"].astype(bool),
            "sharp_tested": pairs["tested_s"].astype(bool),
            "continuous_tested": pairs["tested_c"].astype(bool),
        }
    )
    pooled = (
        per_pair.groupby(keys, sort=True)[["sharp_fires", "continuous_fires", "sharp_tested", "continuous_tested"]]
        .any()
        .reset_index()
        .assign(sharp_metric=POOLED, continuous_metric=POOLED)
    )
    out = pd.concat([per_pair, pooled], ignore_index=True)
    out["subtask"] = out["subtask"].replace("", None)
    out["shots"] = out["shots"].astype("Int64").mask(out["shots"] < 0)
    return out.sort_values(["source", "sharp_metric", "continuous_metric", *CASE_KEYS], kind="stable")[
        CASE_COLUMNS
    ].reset_index(drop=True)


def cell_counts(sharp: pd.Series, cont: pd.Series) -> dict[str, int]:
    """The four cells of the paired 2x2 table."""
    s, c = sharp.astype(bool).to_numpy(), cont.astype(bool).to_numpy()
    return {
        "sharp_only": int((s & ~c).sum()),
        "continuous_only": int((~s & c).sum()),
        "both": int((s & c).sum()),
        "neither": int((~s & ~c).sum()),
    }


def pair_table(cases: pd.DataFrame, *, with_verdicts: bool) -> pd.DataFrame:
    """One row per (source, sharp metric, continuous metric): cells, exact McNemar p, sharp share and its interval."""
    rows = []
    for (source, sm, cm), grp in cases.groupby(["source", "sharp_metric", "continuous_metric"], sort=True):
        cells = cell_counts(grp["sharp_fires"], grp["continuous_fires"])
        b, c = cells["sharp_only"], cells["continuous_only"]
        lo, hi = clopper_pearson(b, b + c)
        row = {
            "source": source,
            "sharp_metric": sm,
            "continuous_metric": cm,
            "n_cases": len(grp),
            **cells,
            "p_mcnemar": mcnemar_exact(b, c),
            "sharp_share": b / (b + c) if b + c else float("nan"),
            "share_lo": lo,
            "share_hi": hi,
        }
        if with_verdicts:
            tested = cell_counts(grp["sharp_tested"], grp["continuous_tested"])
            row.update({f"tested_{k}": v for k, v in tested.items()})
            row["tested_p_mcnemar"] = mcnemar_exact(tested["sharp_only"], tested["continuous_only"])
        rows.append(row)
    columns = TABLE_COLUMNS + (TESTED_COLUMNS if with_verdicts else [])
    table = pd.DataFrame(rows, columns=columns)
    # The pooled row first within each source, then the metric pairs alphabetically.
    table["_pooled"] = table["sharp_metric"].ne(POOLED)
    table = table.sort_values(["source", "_pooled", "sharp_metric", "continuous_metric"], kind="stable")
    return table.drop(columns="_pooled").reset_index(drop=True)


def headline(row: Mapping[str, Any]) -> str:
    """One sentence for a source's pooled row."""
    n, b, c = int(row["n_cases"]), int(row["sharp_only"]), int(row["continuous_only"])
    share = (
        f"the sharp metric is the one that fires in {row['sharp_share']:.0%} of the {b + c} discordant cases "
        f"({LEVEL:.0%} CI {row['share_lo']:.0%}-{row['share_hi']:.0%})"
        if b + c
        else "no case is discordant"
    )
    return (
        f"{row['source']}: of {n} (family, task, shots) cases scored under a sharp and a continuous metric, the "
        f"Mirage screen fires under the sharp metric only in {b}, under the continuous metric only in {c}, under "
        f"both in {int(row['both'])} and under neither in {int(row['neither'])}; {share}; exact McNemar "
        f"p = {row['p_mcnemar']:.3g}."
    )


def summary(table: pd.DataFrame) -> dict[str, Any]:
    """Per source: the pooled counts, test and headline sentence."""
    out: dict[str, Any] = {"level": LEVEL, "sources": {}}
    for row in table[table["sharp_metric"] == POOLED].to_dict("records"):
        out["sources"][row["source"]] = {**{k: row[k] for k in TABLE_COLUMNS[3:]}, "headline": headline(row)}
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
        f"Mirage screen under a sharp and a continuous metric on the same cases, per source ({label}). "
        f"sharp_share = sharp only / (sharp only + continuous only), Clopper-Pearson {LEVEL:.0%} interval; "
        "p_mcnemar: exact two-sided McNemar test. Rows 'any': a case fires if any of its sharp (continuous) "
        "curves does."
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
