"""Rule curve_verdicts: one verdict per curve, the Mirage screen beside the two tested properties.

docs/statistics.md. Joins emergence.parquet (the "possible emergence (Mirage
screen)": ES > n - 1 and range >= min_effect, unchanged) with the sharpness test and the backtest:
`emergent_tested` = screen and sharp and unpredictable. Per metric (preferred-metric curves and
all curves): curves, passing the screen, sharp, unpredictable, screen and sharp, screen and sharp
and unpredictable. Headline sentences in verdicts_summary.json (merged into summary.json under
"verdicts").

Inputs: emergence.parquet, sharpness.parquet, backtest.parquet. Outputs: verdicts.parquet,
verdicts.csv, tables/verdicts_by_metric.{csv,tex}, figures/verdicts_by_metric.csv,
verdicts_summary.json. Params: fdr, fdr_scope, alpha, holdout, min_width_decades (captions), label.
"""

import logging

import numpy as np
import pandas as pd

from scripts.lib.io import run_rule, write_csv, write_json, write_parquet, write_text
from scripts.lib.present.latex import to_latex

logger = logging.getLogger(__name__)

SHARP_COLUMNS = ["noise_source", "noise_dispersion", "sharp_statistic", "sharp_draws", "p_sharp", "q_sharp", "sharp"]
BACKTEST_COLUMNS = [
    "backtest_pred",
    "backtest_upper",
    "backtest_err",
    "backtest_err_frac",
    "backtest_z",
    "unpredictable",
]
COUNT_COLUMNS = ["screen", "sharp", "unpredictable", "screen_sharp", "screen_unpredictable", "emergent_tested"]
SCREEN_NAME = "possible emergence (Mirage screen)"


def verdicts(emergence: pd.DataFrame, sharp: pd.DataFrame, backtest: pd.DataFrame) -> pd.DataFrame:
    """Every emergence column, then noise, sharpness and backtest columns, and emergent_tested."""
    table = emergence.merge(sharp[["curve_id", *SHARP_COLUMNS]], on="curve_id", how="left")
    table = table.merge(backtest[["curve_id", *BACKTEST_COLUMNS]], on="curve_id", how="left")
    for col in ("sharp", "unpredictable"):
        table[col] = table[col].astype("boolean").fillna(False).astype(bool)
    table["emergent_tested"] = table["emergent"].astype(bool) & table["sharp"] & table["unpredictable"]
    return table.sort_values("curve_id", kind="stable").reset_index(drop=True)


def by_metric(table: pd.DataFrame) -> pd.DataFrame:
    """Per (scope, metric): curves; screen, sharp, unpredictable; screen with either; all three."""
    flags = table.assign(
        screen=table["emergent"].astype(bool),
        screen_sharp=table["emergent"].astype(bool) & table["sharp"],
        screen_unpredictable=table["emergent"].astype(bool) & table["unpredictable"],
    )
    rows = []
    for scope, part in (("preferred", flags[flags["is_preferred"].astype(bool)]), ("all", flags)):
        g = part.groupby("metric", sort=True)
        counts = g[COUNT_COLUMNS].sum().astype(int)
        counts.insert(0, "curves", g.size())
        total = counts.sum().to_frame().T
        total.index = ["(total)"]
        both = pd.concat([counts, total])
        both.index.name = "metric"
        rows.append(both.reset_index().assign(scope=scope))
    out = pd.concat(rows, ignore_index=True)
    return out[["scope", "metric", "curves", *COUNT_COLUMNS]]


def headline(table: pd.DataFrame, counts: pd.DataFrame) -> dict:
    """Headline numbers and sentences (read from the tables, never typed in)."""
    screened = table[table["emergent"].astype(bool)]
    k = int(screened["sharp"].sum())
    j = int(screened["emergent_tested"].sum())
    u = int(screened["unpredictable"].sum())
    m = len(screened)
    listed = screened[screened["sharp"] | screened["unpredictable"]]
    return {
        "screen_name": SCREEN_NAME,
        "curves": len(table),
        "tested_curves": int(table["p_sharp"].notna().sum()),
        "screened": m,
        "screened_sharp": k,
        "screened_unpredictable": u,
        "screened_sharp_unpredictable": j,
        "sharp_curves": int(table["sharp"].sum()),
        "unpredictable_curves": int(table["unpredictable"].sum()),
        "noise_sources": {str(s): int(c) for s, c in table["noise_source"].value_counts().sort_index().items()},
        "by_metric": {
            row.metric: {c: int(getattr(row, c)) for c in ["curves", *COUNT_COLUMNS]}
            for row in counts[counts["scope"] == "all"].itertuples()
        },
        "screened_verdicts": [
            {
                "family": r.family,
                "task": r.task,
                "subtask": None if pd.isna(r.subtask) else r.subtask,
                "shots": None if pd.isna(r.shots) else int(r.shots),
                "metric": r.metric,
                "sharp": bool(r.sharp),
                "unpredictable": bool(r.unpredictable),
            }
            for r in listed.itertuples()
        ],
        "sentences": [
            f"{k} of {m} curves that pass the Mirage screen ({SCREEN_NAME}) are sharp against noise; "
            f"{j} are also unpredictable from smaller models.",
            f"{u} of {m} screened curves are unpredictable (largest model above the backtest's bound).",
        ],
    }


def run(
    *,
    emergence: str,
    sharpness: str,
    backtest: str,
    table: str,
    csv: str,
    by_metric_csv: str,
    by_metric_tex: str,
    figure_csv: str,
    summary: str,
    fdr: float,
    fdr_scope: str,
    alpha: float,
    holdout: int,
    min_width_decades: float,
    label: str,
) -> None:
    result = verdicts(pd.read_parquet(emergence), pd.read_parquet(sharpness), pd.read_parquet(backtest))
    write_parquet(result, table, label=label)
    write_csv(result, csv, label=label)
    counts = by_metric(result)
    write_csv(counts, by_metric_csv, label=label)
    write_csv(counts, figure_csv, label=label)
    caption = (
        f"Per metric: curves passing the {SCREEN_NAME}; sharp (smooth null of logistics at least "
        f"{min_width_decades:g} decade(s) wide, lines and power laws in log N, rejected at FDR {fdr:g} over the "
        f"{'screened' if fdr_scope == 'screened' else 'all'} curves); unpredictable "
        f"(largest model above the one-sided {1 - alpha:.0%} backtest bound, {holdout} held out); and both with the "
        f"screen (emergent, tested). Data: {label}."
    )
    write_text(by_metric_tex, to_latex(counts, caption, "tab:verdicts_by_metric", float_format="{:.0f}"))
    head = headline(result, counts)
    head["data_label"] = label
    head["fdr"] = float(fdr)
    head["fdr_scope"] = str(fdr_scope)
    write_json(summary, head)
    for sentence in head["sentences"]:
        logger.info("%s", sentence)
    logger.info("%d of %d curves emergent_tested", int(np.sum(result["emergent_tested"])), len(result))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
