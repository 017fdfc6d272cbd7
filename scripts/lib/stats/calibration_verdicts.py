"""The calibration study's expensive half: simulate curves with known truth and run the pipeline's tests. SYNTHETIC.

docs/statistics.md, "Calibration". Curves of `calibration_curves` on the real BIG-G, GPT-3 and
PaLM ladders, read on n test examples with binomial noise times phi, go through the sharpness test
(`sharp`: p_sharp <= level, NA where the test cannot resolve the rise) and the backtest
(`unpredictable`, family-wise over the models it predicts; `covered`: the largest model inside its
one-sided bound). The Mirage screen is NOT applied here: each curve keeps its ES, range and number
of points (`screen_inputs`), and rule calibration_study applies the config's screen, so a new
screen threshold reruns only that cheap step, not these thousands of bootstrap tests.
"""

from concurrent.futures import ProcessPoolExecutor
from functools import partial
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.stats.backtest import backtest_table
from scripts.lib.stats.calibration_curves import LADDERS, Shape, jump_shapes, rise_visible, simulate, smooth_shapes
from scripts.lib.stats.emergence import above_threshold, auto_threshold, es_matrix, threshold_value
from scripts.lib.stats.noise import agresti_coull_se
from scripts.lib.stats.sharpness import MIN_POINTS, Stack, p_sharp_stack, sharp_verdict

CELL = ["ladder", "n_examples", "phi", "shape"]
SHAPE_COLUMNS = ["family", "smooth", "gap", "gap_log10_x", "jump_se"]
TRUTH = ["rise_visible", "rise_visible_top"]
"""Per smooth curve: no hidden onset at any model predicted / at the largest model's prediction (NA on jumps)."""
SCREEN_INPUTS = ["es", "y_range", "n_points"]
"""What the Mirage screen reads of a curve: its ES, its range and its number of points."""
VERDICTS = ["sharp", "unpredictable", "covered"]


def screen_inputs(y: np.ndarray) -> pd.DataFrame:
    """SCREEN_INPUTS of every row of `y` (curves in [0, 1], points in increasing-scale order)."""
    return pd.DataFrame({"es": es_matrix(y), "y_range": y.max(axis=1) - y.min(axis=1), "n_points": y.shape[1]})


def screen_flags(curves: pd.DataFrame, screen: dict[str, Any]) -> np.ndarray:
    """The Mirage screen (scripts/lib/stats/emergence.py) on SCREEN_INPUTS: ES > threshold, range >= min_effect."""
    fixed = threshold_value(screen["emergence_threshold"])
    n_points = curves["n_points"].to_numpy(float)
    threshold = auto_threshold(n_points) if np.isnan(fixed) else np.full(len(curves), fixed)
    es = curves["es"].to_numpy(float)
    return above_threshold(es, threshold) & (curves["y_range"].to_numpy(float) >= float(screen["min_effect"]))


def visibility(shapes: list[Shape], *, n: int, phi: float, min_train: int, holdout: int) -> pd.DataFrame:
    """The TRUTH columns per shape (rows in the order of `shapes`): `rise_visible` for smooth shapes, NA on jumps."""
    rows = [rise_visible(sh.p, n=n, phi=phi, min_train=min_train, holdout=holdout) for sh in shapes]
    smooth = np.array([sh.smooth for sh in shapes])
    return pd.DataFrame(rows, columns=TRUTH).astype("boolean").where(pd.Series(smooth), axis=0)


def simulate_unit(
    unit: tuple[int, int, int], cal: dict[str, Any], min_width: float, *, min_train: int, holdout: int
) -> tuple[pd.DataFrame, Stack]:
    """Every simulated curve of one (ladder, n, phi): one row per curve (cell, shape and TRUTH columns) and its Stack.

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
    ).join(visibility(shapes, n=n, phi=phi, min_train=min_train, holdout=holdout))
    meta = meta.loc[meta.index.repeat(reps)].reset_index(drop=True).assign(ladder=ladder, n_examples=n, phi=phi)
    y = np.concatenate(ys)
    size = len(y)
    sigma = agresti_coull_se(y, np.full_like(y, n), 0.0, 1.0)
    st = Stack(np.arange(size), np.tile(t, (size, 1)), y, sigma, np.zeros(size), np.tile([0.0, 1.0], (size, 1)))
    return meta, st


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
        extrapolation=float(backtest["extrapolation"]),
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
) -> pd.DataFrame:
    """The VERDICTS and SCREEN_INPUTS of every curve of one (ladder, n, phi)."""
    meta, st = simulate_unit(
        unit,
        cal,
        float(sharpness["min_width_decades"]),
        min_train=int(backtest["min_train"]),
        holdout=int(backtest["holdout"]),
    )
    flags = backtest_flags(st, sharpness, backtest)
    meta["sharp"] = sharp_flags(st, sharpness, int(cal["draws"]), float(sharpness["fdr"])).to_numpy()
    meta["unpredictable"] = flags["unpredictable"].to_numpy(bool)
    meta["covered"] = flags["covered"].to_numpy()
    return meta.join(screen_inputs(st.y))


def verdict_table(
    cal: dict[str, Any], sharpness: dict[str, Any], backtest: dict[str, Any], threads: int = 1
) -> pd.DataFrame:
    """One row per simulated curve: cell, shape and verdicts; (ladder, n, phi) units run on `threads` processes.

    Every unit is its own Stack, so the bootstrap's streams, and the numbers, do not depend on `threads`.
    """
    units = list(product(range(len(LADDERS)), range(len(cal["n_examples"])), range(len(cal["phi"]))))
    work = partial(unit_verdicts, cal=cal, sharpness=sharpness, backtest=backtest)
    if threads > 1:
        with ProcessPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(work, units))
    else:
        parts = [work(unit) for unit in units]
    return pd.concat(parts, ignore_index=True)[[*CELL, *SHAPE_COLUMNS, *TRUTH, *VERDICTS, *SCREEN_INPUTS]]
