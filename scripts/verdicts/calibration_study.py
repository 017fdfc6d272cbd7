"""Rule calibration_study: error rates, coverage and power of the tested verdicts. SYNTHETIC.

docs/statistics.md, "Calibration". Reads every simulated curve's verdicts from rule
calibration_verdicts (the pipeline's sharpness test and backtest on curves with known truth on the
real BIG-G, GPT-3 and PaLM ladders), applies the config's Mirage screen and combines
`emergent_tested` = screen and unpredictable and (sharp True or NA). Per cell (ladder, n, phi,
shape) and rate: the share of curves flagged (a false-positive rate on smooth shapes, power on
jumps), its Monte-Carlo SE, and on smooth shapes `ok` = rate <= level + 2 MC SE; `coverage` is the
share of curves whose largest model lies inside the backtest's nominal one-sided 1 - alpha bound
(`ok` = coverage >= coverage_floor - 2 MC SE). The split keeps a screen edit cheap: only this step reruns.

Input: calibration/verdicts.parquet. Outputs: tables/calibration.{csv,tex},
tables/calibration_summary.csv, figures/calibration.csv. Params: calibration (its n_examples, phi,
reps, coverage_floor), sharpness (fdr) and backtest (alpha), the levels; screen (min_effect,
emergence_threshold), label.
"""

import logging
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import run_rule, write_csv, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.stats.calibration_verdicts import CELL, SHAPE_COLUMNS, TRUTH, screen_flags
from scripts.lib.stats.verdict_classes import emergence_tested

logger = logging.getLogger(__name__)

RATES = ("sharp", "unpredictable", "emergent_tested", "coverage")
"""The measured shares; `coverage` only on smooth shapes."""
REASONS = {
    "hidden": "onset hidden from the smaller models: unpredictable by Wei's definition",
    "sharp_na": "sharp NA: the rise sits in a gap the ladder cannot resolve",
}
"""Why a smooth cell's rate is not a plain false-positive rate or coverage (column `reason`)."""


def rate_table(curves: pd.DataFrame, *, levels: dict[str, float], coverage_floor: float) -> pd.DataFrame:
    """One row per (cell, rate): rate, curves, MC SE, level, bound = level + 2 MC SE, `ok` (smooth cells), `reason`.

    MC SE is that of a share of `curves` draws at the larger of the rate and the level, so a rate
    of 0 does not claim an SE of 0. Coverage is checked as its complement against 1 - coverage_floor.
    `rise_visible` is the truth the rate is judged on (coverage: the largest model's prediction);
    `unpredictable` and `coverage` are not judged (`ok` NA) where the onset is hidden.
    """
    flags = curves.assign(
        sharp=curves["sharp"].astype("boolean").fillna(False).astype(float),
        unpredictable=curves["unpredictable"].astype(float),
        emergent_tested=curves["emergent_tested"].astype(float),
        coverage=curves["covered"].astype("Float64").astype(float),
        sharp_na=(curves["emergent_tested"].astype(bool) & curves["sharp"].isna()).astype(float),
    )
    g = flags.groupby(CELL, sort=False)
    shape_cols = g[SHAPE_COLUMNS].first().join(g[TRUTH].first().astype("boolean"))
    sharp_na = g["sharp_na"].sum() > 0.5 * g["emergent_tested"].sum()
    rows = []
    for rate in RATES:
        part = shape_cols.assign(
            rate_name=rate, rate=g[rate].mean(), curves=g[rate].count(), level=levels.get(rate, np.nan)
        )
        if rate == "coverage":
            part = part[part["smooth"]]
            part["level"] = coverage_floor
            part["rise_visible"] = part["rise_visible_top"]
        miss = (1.0 - part["rate"]) if rate == "coverage" else part["rate"]
        nominal = (1.0 - part["level"]) if rate == "coverage" else part["level"]
        spread = np.maximum(miss * (1 - miss), nominal * (1 - nominal))
        part["mc_se"] = np.sqrt(spread / part["curves"].where(part["curves"] > 0))
        sign = -1.0 if rate == "coverage" else 1.0
        part["bound"] = part["level"] + sign * 2.0 * part["mc_se"]
        ok = (miss <= nominal + 2.0 * part["mc_se"]).where(part["rate"].notna())
        hidden = part["smooth"] & ~part["rise_visible"].fillna(True).astype(bool)
        judged = part["smooth"] & ~(hidden & (rate in ("unpredictable", "coverage")))
        part["ok"] = ok.where(judged).astype("boolean")
        part["reason"] = pd.Series(pd.NA, index=part.index, dtype="string")
        if rate in ("unpredictable", "coverage"):
            part.loc[hidden, "reason"] = REASONS["hidden"]
        if rate == "emergent_tested":
            part.loc[part["smooth"] & sharp_na.reindex(part.index) & (part["rate"] > 0), "reason"] = REASONS["sharp_na"]
        rows.append(part)
    out = pd.concat(rows).reset_index().rename(columns={"rate_name": "rate", "rate": "value"})
    columns = ["rise_visible", "rate", "value", "curves", "mc_se", "level", "bound", "ok", "reason"]
    return out[[*CELL, *SHAPE_COLUMNS, *columns]]


def summary_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Per rate and truth (rise visible or hidden): the worst smooth cell (highest rate, lowest coverage), how
    many cells are judged and pass, and how many fail for a stated limit (`reason` sharp NA).

    Where the onset is hidden, `unpredictable` and `coverage` are not judged: their worst cell is
    the share called unpredictable (the right answer there) and the lowest coverage.
    """
    smooth = table[table["smooth"] & table["value"].notna()]
    rows = []
    for rate, visible in product(RATES, (True, False)):
        part = smooth[(smooth["rate"] == rate) & (smooth["rise_visible"].fillna(True) == visible)]
        if part.empty:
            continue
        worst = part.loc[part["value"].idxmin() if rate == "coverage" else part["value"].idxmax()]
        judged = part["ok"].dropna().astype(bool)
        rows.append(
            {
                "rate": rate,
                "rise_visible": visible,
                "cells": len(part),
                "cells_judged": len(judged),
                "cells_ok": int(judged.sum()),
                "all_ok": bool(judged.all()) if len(judged) else pd.NA,
                "cells_limit": int(
                    (~part["ok"].fillna(True).astype(bool) & (part["reason"] == REASONS["sharp_na"])).sum()
                ),
                "mean": part["value"].mean(),
                **{c: worst[c] for c in [*CELL, "value", "mc_se", "level", "bound"]},
            }
        )
    return pd.DataFrame(rows).rename(columns={"value": "worst", "mc_se": "worst_mc_se"})


def shape_table(table: pd.DataFrame) -> pd.DataFrame:
    """The LaTeX table: per smooth shape, the worst judged cell of each rate over ladders, n and phi, and the
    number of cells whose onset is hidden from the smaller models (`unpredictable` not judged there)."""
    smooth = table[table["smooth"]]
    judged = smooth[smooth["ok"].notna() | smooth["rate"].isin(["sharp", "emergent_tested"])]
    worst = judged.pivot_table(index="shape", columns="rate", values="value", aggfunc="max", sort=False)
    worst["coverage"] = judged[judged["rate"] == "coverage"].groupby("shape", sort=False)["value"].min()
    worst["all ok"] = smooth.groupby("shape", sort=False)["ok"].agg(lambda s: bool(s.dropna().astype(bool).all()))
    hidden = smooth[(smooth["rate"] == "unpredictable") & (smooth["reason"] == REASONS["hidden"])]
    worst["hidden"] = hidden.groupby("shape", sort=False).size().reindex(worst.index, fill_value=0)
    shapes = list(dict.fromkeys(smooth["shape"]))
    return worst.reindex(index=shapes, columns=[*RATES, "hidden", "all ok"]).rename_axis("shape").reset_index()


def with_screen(curves: pd.DataFrame, screen: dict[str, Any]) -> pd.DataFrame:
    """The simulated verdicts with `emergent_tested` under this screen (the pipeline's rule, verdict_classes)."""
    screened = pd.Series(screen_flags(curves, screen), index=curves.index)
    return curves.assign(emergent_tested=emergence_tested(screened, curves["sharp"], curves["unpredictable"]))


def run(
    *,
    verdicts: str,
    table_csv: str,
    table_tex: str,
    figure_csv: str,
    summary_csv: str,
    calibration: dict[str, Any],
    sharpness: dict[str, Any],
    backtest: dict[str, Any],
    screen: dict[str, Any],
    label: str,
) -> None:
    curves = with_screen(pd.read_parquet(verdicts), screen)
    levels = {
        "sharp": float(sharpness["fdr"]),
        "unpredictable": float(backtest["alpha"]),
        "emergent_tested": float(backtest["alpha"]),
    }
    table = rate_table(curves, levels=levels, coverage_floor=float(calibration["coverage_floor"]))
    table = table.sort_values(["rate", "ladder", "n_examples", "phi"], kind="stable")
    summary = summary_rows(table)
    write_csv(table, table_csv, label=label)
    write_csv(table, figure_csv, label=label)
    write_csv(summary, summary_csv, label=label)
    caption = (
        f"SYNTHETIC calibration on the real BIG-G, GPT-3 and PaLM ladders, n_examples "
        f"{list(calibration['n_examples'])}, "
        f"phi {list(calibration['phi'])}, {calibration['reps']} curves per cell: per smooth shape, the largest "
        f"false-positive rate of sharp (p_sharp <= {levels['sharp']:g}), unpredictable and emergent_tested "
        f"(level {levels['unpredictable']:g}) and the smallest coverage of the backtest's one-sided "
        f"{1 - levels['unpredictable']:.0%} bound over ladders, n and phi; unpredictable and coverage only where the "
        f"rise is visible to the smaller models (hidden = cells whose onset is hidden from them, unpredictable by "
        f"Wei et al.'s definition); all ok = every judged cell within level + 2 Monte-Carlo SE (coverage >= "
        f"{calibration['coverage_floor']:g} - 2 MC SE). Data: {label}."
    )
    write_text(table_tex, to_latex(shape_table(table), caption, "tab:calibration", float_format="{:.3f}"))
    for row in summary.itertuples():
        logger.info(
            "%s, rise visible %s: worst %.3f ± %.3f (%s n=%d phi=%g %s), %d of %d judged cells ok (%d cells)",
            row.rate,
            row.rise_visible,
            row.worst,
            row.worst_mc_se,
            row.ladder,
            row.n_examples,
            row.phi,
            row.shape,
            row.cells_ok,
            row.cells_judged,
            row.cells,
        )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
