"""Rule calibration_study: error rates, coverage and power of the tested verdicts. SYNTHETIC.

docs/statistics.md, "Calibration". Curves with known truth (scripts/lib/stats/calibration_curves.py)
on the real BIG-G, GPT-3 and PaLM ladders, read on n test examples with binomial noise times phi,
go through the pipeline's own tests: the sharpness test (`sharp`: p_sharp <= level, NA where the
test cannot resolve the rise), the backtest (`unpredictable`, family-wise over the models it
predicts) and the Mirage screen, combined as `emergent_tested` = screen and unpredictable and
(sharp True or NA). Per cell (ladder, n, phi, shape) and rate: the share of curves flagged (a
false-positive rate on smooth shapes, power on jumps), its Monte-Carlo SE, and on smooth shapes
`ok` = rate <= level + 2 MC SE; `coverage` is the share of curves whose largest model lies inside
the backtest's nominal one-sided 1 - alpha bound (`ok` = coverage >= coverage_floor - 2 MC SE).

Outputs: tables/calibration.{csv,tex}, tables/calibration_summary.csv, figures/calibration.csv.
Params: calibration, sharpness, backtest (config sections), screen (min_effect, emergence_threshold),
label; threads (the (ladder, n, phi) units run in parallel).
"""

import logging
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import run_rule, write_csv, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.stats.backtest import backtest_table
from scripts.lib.stats.calibration_curves import LADDERS, Shape, jump_shapes, simulate, smooth_shapes
from scripts.lib.stats.emergence import above_threshold, auto_threshold, es_matrix, threshold_value
from scripts.lib.stats.noise import agresti_coull_se
from scripts.lib.stats.sharpness import MIN_POINTS, Stack, p_sharp_stack, sharp_verdict
from scripts.lib.stats.verdict_classes import emergence_tested

logger = logging.getLogger(__name__)

RATES = ("sharp", "unpredictable", "emergent_tested", "coverage")
"""The measured shares; `coverage` only on smooth shapes."""
CELL = ["ladder", "n_examples", "phi", "shape"]
SHAPE_COLUMNS = ["family", "smooth", "gap", "gap_log10_x", "jump_se"]


def simulate_unit(unit: tuple[int, int, int], cal: dict[str, Any], min_width: float) -> tuple[pd.DataFrame, Stack]:
    """Every simulated curve of one (ladder, n, phi): one row per curve (cell and shape columns) and its Stack.

    One random stream per (seed, ladder, n, phi, shape), so adding a cell leaves the others alone;
    the points' sigma is the pipeline's binomial (Agresti-Coull) SE, which does not know phi.
    """
    li, ni, pi = unit
    ladder, x = list(LADDERS.items())[li]
    n, phi, reps = int(cal["n_examples"][ni]), float(cal["phi"][pi]), int(cal["reps"])
    t = np.log10(x)
    shapes: list[Shape] = smooth_shapes(x, min_width=min_width, widths=cal["widths"], centres=cal["centres"])
    shapes += jump_shapes(x, n=n, phi=phi, jumps_se=cal["jumps_se"])
    ys = [
        simulate(sh.p, n=n, phi=phi, reps=reps, rng=np.random.default_rng([int(cal["seed"]), li, ni, pi, si]))
        for si, sh in enumerate(shapes)
    ]
    meta = pd.DataFrame(
        [
            (
                sh.name,
                sh.family,
                sh.smooth,
                sh.gap,
                0.5 * (t[sh.gap] + t[sh.gap + 1]) if sh.gap >= 0 else np.nan,
                sh.jump_se,
            )
            for sh in shapes
        ],
        columns=["shape", *SHAPE_COLUMNS],
    )
    meta = meta.loc[meta.index.repeat(reps)].reset_index(drop=True).assign(ladder=ladder, n_examples=n, phi=phi)
    y = np.concatenate(ys)
    size = len(y)
    sigma = agresti_coull_se(y, np.full_like(y, n), 0.0, 1.0)
    st = Stack(np.arange(size), np.tile(t, (size, 1)), y, sigma, np.zeros(size), np.tile([0.0, 1.0], (size, 1)))
    return meta, st


def screen_flags(y: np.ndarray, screen: dict[str, Any]) -> np.ndarray:
    """The Mirage screen (scripts/lib/stats/emergence.py) on curves in [0, 1]: ES > threshold, range >= min_effect."""
    fixed = threshold_value(screen["emergence_threshold"])
    threshold = auto_threshold(np.full(len(y), y.shape[1])) if np.isnan(fixed) else np.full(len(y), fixed)
    return above_threshold(es_matrix(y), threshold) & (y.max(axis=1) - y.min(axis=1) >= float(screen["min_effect"]))


def sharp_flags(st: Stack, sharpness: dict[str, Any], draws: int, level: float) -> pd.Series:
    """`sharp` per curve (True / False / NA) by the pipeline's own rule (`sharp_verdict`), each curve its own family.

    A curve's q is its p: the rate is the per-test false-positive rate that BH over a family of
    null curves turns into a family-wise one. NA (not counted as sharp) where the ladder has too few
    points or the rise sits in a gap wider than the resolution.
    """
    table = pd.DataFrame({"p_sharp": np.nan, "rise_gap_decades": np.nan}, index=st.ids)
    if st.t.shape[1] >= MIN_POINTS:
        res = p_sharp_stack(
            st,
            min_width_decades=float(sharpness["min_width_decades"]),
            draws=draws,
            stop_after=int(sharpness["stop_after"]),
            seed=int(sharpness["seed"]),
            statistic=str(sharpness["statistic"]),
        ).set_index("curve_id")
        table = res[["p_sharp", "rise_gap_decades"]].reindex(st.ids)
    table = table.assign(q_sharp=table["p_sharp"], n_points=st.t.shape[1])
    sharp, _ = sharp_verdict(
        table,
        np.ones(len(table), dtype=bool),
        fdr=level,
        min_width_decades=float(sharpness["min_width_decades"]),
    )
    return sharp


def backtest_flags(st: Stack, sharpness: dict[str, Any], backtest: dict[str, Any]) -> pd.DataFrame:
    """`unpredictable` (family-wise over the models predicted) and `covered` per curve.

    `covered`: the largest model lies inside its nominal one-sided 1 - alpha bound; NA when the
    ladder is too short for that prediction.
    """
    res = backtest_table(
        [st],
        pd.DataFrame(st.bounds, columns=["y_low", "y_high"], index=st.ids),
        min_train=int(backtest["min_train"]),
        holdout=int(backtest["holdout"]),
        min_width_decades=float(sharpness["min_width_decades"]),
        alpha=float(backtest["alpha"]),
    ).set_index("curve_id")
    upper = res["backtest_upper_y"].reindex(st.ids)
    covered = pd.Series(st.y[:, -1] <= upper.to_numpy(), index=st.ids).astype("boolean").mask(upper.isna())
    unpredictable = res["unpredictable"].reindex(st.ids).astype("boolean").fillna(False).astype(bool)
    return pd.DataFrame({"unpredictable": unpredictable, "covered": covered})


def unit_verdicts(
    unit: tuple[int, int, int],
    cal: dict[str, Any],
    sharpness: dict[str, Any],
    backtest: dict[str, Any],
    screen: dict[str, Any],
) -> pd.DataFrame:
    """The verdicts sharp, unpredictable, emergent_tested and covered of every curve of one (ladder, n, phi)."""
    meta, st = simulate_unit(unit, cal, float(sharpness["min_width_decades"]))
    flags = backtest_flags(st, sharpness, backtest)
    meta["sharp"] = sharp_flags(st, sharpness, int(cal["draws"]), float(sharpness["fdr"])).to_numpy()
    meta["unpredictable"] = flags["unpredictable"].to_numpy(bool)
    meta["covered"] = flags["covered"].to_numpy()
    screened = pd.Series(screen_flags(st.y, screen))
    meta["emergent_tested"] = emergence_tested(screened, meta["sharp"], meta["unpredictable"]).to_numpy()
    return meta


def verdict_table(
    cal: dict[str, Any], sharpness: dict[str, Any], backtest: dict[str, Any], screen: dict[str, Any], threads: int = 1
) -> pd.DataFrame:
    """One row per simulated curve: cell, shape and verdicts; (ladder, n, phi) units run on `threads` processes.

    Every unit is its own Stack, so the bootstrap's streams, and the numbers, do not depend on `threads`.
    """
    units = list(product(range(len(LADDERS)), range(len(cal["n_examples"])), range(len(cal["phi"]))))
    work = partial(unit_verdicts, cal=cal, sharpness=sharpness, backtest=backtest, screen=screen)
    if threads > 1:
        with ProcessPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(work, units))
    else:
        parts = [work(unit) for unit in units]
    logger.info("%d curves in %d (ladder, n, phi) units tested", sum(map(len, parts)), len(units))
    return pd.concat(parts, ignore_index=True)[[*CELL, *SHAPE_COLUMNS, *RATES[:3], "covered"]]


def rate_table(curves: pd.DataFrame, *, levels: dict[str, float], coverage_floor: float) -> pd.DataFrame:
    """One row per (cell, rate): rate, curves, MC SE, level, bound = level + 2 MC SE and `ok` (smooth cells).

    MC SE is that of a share of `curves` draws at the larger of the rate and the level, so a rate
    of 0 does not claim an SE of 0. Coverage is checked as its complement against 1 - coverage_floor.
    """
    flags = curves.assign(
        sharp=curves["sharp"].astype("boolean").fillna(False).astype(float),
        unpredictable=curves["unpredictable"].astype(float),
        emergent_tested=curves["emergent_tested"].astype(float),
        coverage=curves["covered"].astype("Float64").astype(float),
    )
    g = flags.groupby(CELL, sort=False)
    shape_cols = g[SHAPE_COLUMNS].first()
    rows = []
    for rate in RATES:
        part = shape_cols.assign(
            rate_name=rate, rate=g[rate].mean(), curves=g[rate].count(), level=levels.get(rate, np.nan)
        )
        if rate == "coverage":
            part = part[part["smooth"]]
            part["level"] = coverage_floor
        miss = (1.0 - part["rate"]) if rate == "coverage" else part["rate"]
        nominal = (1.0 - part["level"]) if rate == "coverage" else part["level"]
        spread = np.maximum(miss * (1 - miss), nominal * (1 - nominal))
        part["mc_se"] = np.sqrt(spread / part["curves"].where(part["curves"] > 0))
        sign = -1.0 if rate == "coverage" else 1.0
        part["bound"] = part["level"] + sign * 2.0 * part["mc_se"]
        ok = (miss <= nominal + 2.0 * part["mc_se"]).where(part["rate"].notna())
        part["ok"] = ok.where(part["smooth"]).astype("boolean")
        rows.append(part)
    out = pd.concat(rows).reset_index().rename(columns={"rate_name": "rate", "rate": "value"})
    return out[[*CELL, *SHAPE_COLUMNS, "rate", "value", "curves", "mc_se", "level", "bound", "ok"]]


def summary_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Per rate: the worst smooth cell (highest false-positive rate, lowest coverage) and how many cells pass."""
    smooth = table[table["smooth"] & table["value"].notna()]
    rows = []
    for rate, part in smooth.groupby("rate", sort=False):
        worst = part.loc[part["value"].idxmin() if rate == "coverage" else part["value"].idxmax()]
        rows.append(
            {
                "rate": rate,
                "cells": len(part),
                "cells_ok": int(part["ok"].astype(bool).sum()),
                "all_ok": bool(part["ok"].astype(bool).all()),
                "mean": part["value"].mean(),
                **{c: worst[c] for c in [*CELL, "value", "mc_se", "level", "bound"]},
            }
        )
    return pd.DataFrame(rows).rename(columns={"value": "worst", "mc_se": "worst_mc_se"})


def shape_table(table: pd.DataFrame) -> pd.DataFrame:
    """The LaTeX table: per smooth shape, the worst cell of each rate over ladders, n and phi."""
    smooth = table[table["smooth"]]
    worst = smooth.pivot_table(index="shape", columns="rate", values="value", aggfunc="max", sort=False)
    worst["coverage"] = smooth[smooth["rate"] == "coverage"].groupby("shape", sort=False)["value"].min()
    worst["all ok"] = smooth.groupby("shape", sort=False)["ok"].agg(lambda s: bool(s.dropna().astype(bool).all()))
    return worst[[*RATES, "all ok"]].reset_index()


def run(
    *,
    table_csv: str,
    table_tex: str,
    figure_csv: str,
    summary_csv: str,
    calibration: dict[str, Any],
    sharpness: dict[str, Any],
    backtest: dict[str, Any],
    screen: dict[str, Any],
    label: str,
    threads: int = 1,
) -> None:
    curves = verdict_table(dict(calibration), dict(sharpness), dict(backtest), dict(screen), threads=int(threads))
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
        f"{1 - levels['unpredictable']:.0%} bound over ladders, n and phi; all ok = every cell within level + 2 "
        f"Monte-Carlo SE (coverage >= {calibration['coverage_floor']:g} - 2 MC SE). Data: {label}."
    )
    write_text(table_tex, to_latex(shape_table(table), caption, "tab:calibration", float_format="{:.3f}"))
    for row in summary.itertuples():
        logger.info(
            "%s: worst %.3f ± %.3f (%s n=%d phi=%g %s), %d of %d cells ok",
            row.rate,
            row.worst,
            row.worst_mc_se,
            row.ladder,
            row.n_examples,
            row.phi,
            row.shape,
            row.cells_ok,
            row.cells,
        )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
