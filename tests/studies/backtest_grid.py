"""The backtest alone on the calibration grid (SYNTHETIC; docs/statistics.md, Calibration).

Not a test (pytest does not collect it: the name does not start with `test_`). It draws the
calibration study's curves (`calibration_verdicts.simulate_unit`: BIG-G and GPT-3, n = 32 to
10,000, phi = 1, 2, 5, the smooth shapes at widths 1, 2, 4 and centres 0, 0.5, 1, and jumps of 2,
4, 8 SE at every gap), runs the backtest on them (`backtest_flags`) and prints, per smooth cell
judged where the rise is visible to the smaller models, the cells whose `unpredictable` rate or
coverage misses the level by more than 2 Monte-Carlo SE, and the power against jumps from flat.
PaLM's 3 models allow no test and are left out.

Usage: .venv/bin/python tests/studies/backtest_grid.py [--reps 40] [--extrapolation C] [--out FILE]
(40 curves per cell: about 2 minutes on 2 cores; `--extrapolation` overrides
`backtest.extrapolation`, default 0.5, for a sensitivity run).
"""

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.lib.stats.backtest import EXTRAPOLATION_DISCREPANCY  # noqa: E402
from scripts.lib.stats.calibration_verdicts import backtest_flags, simulate_unit  # noqa: E402

GRID = {
    "seed": 20230428,
    "n_examples": [32, 100, 1000, 10000],
    "phi": [1, 2, 5],
    "widths": [1, 2, 4],
    "centres": [0.0, 0.5, 1.0],
    "jumps_se": [2, 4, 8],
}
SHARPNESS = {"min_width_decades": 1.0}
BACKTEST = {"min_train": 4, "holdout": 1, "alpha": 0.05, "extrapolation": EXTRAPOLATION_DISCREPANCY}
LEVEL, COVERAGE_FLOOR = 0.05, 0.90


def unit(args: tuple[tuple[int, int, int], int, float]) -> pd.DataFrame:
    """One (ladder, n, phi): a row per curve with its cell, truth and the backtest's two flags."""
    index, reps, extrapolation = args
    meta, st = simulate_unit(
        index,
        {**GRID, "reps": reps},
        SHARPNESS["min_width_decades"],
        min_train=BACKTEST["min_train"],
        holdout=BACKTEST["holdout"],
    )
    flags = backtest_flags(st, SHARPNESS, {**BACKTEST, "extrapolation": extrapolation})
    return meta.assign(unpredictable=flags["unpredictable"].to_numpy(bool), covered=flags["covered"].to_numpy())


def summarise(curves: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Per smooth cell: rates, visibility and whether each rate fails; and the mean power per jump size."""
    curves = curves.assign(cov=curves["covered"].astype("Float64").astype(float))
    cells = curves.groupby(["ladder", "n_examples", "phi", "shape"], sort=False).agg(
        smooth=("smooth", "first"),
        visible=("rise_visible", "first"),
        visible_top=("rise_visible_top", "first"),
        unpredictable=("unpredictable", "mean"),
        coverage=("cov", "mean"),
        reps=("unpredictable", "size"),
        jump_se=("jump_se", "first"),
    )
    smooth = cells[cells["smooth"].astype(bool)].copy()
    rate = np.maximum(smooth["unpredictable"], LEVEL)
    miss = np.maximum(1.0 - smooth["coverage"], 1.0 - COVERAGE_FLOOR)
    smooth["visible"] = smooth["visible"].astype("boolean").fillna(False).astype(bool)
    smooth["visible_top"] = smooth["visible_top"].astype("boolean").fillna(False).astype(bool)
    smooth["fails_unpredictable"] = smooth["visible"] & (
        smooth["unpredictable"] > LEVEL + 2 * np.sqrt(rate * (1 - rate) / smooth["reps"])
    )
    smooth["fails_coverage"] = (
        smooth["visible_top"]
        & smooth["coverage"].notna()
        & (smooth["coverage"] < COVERAGE_FLOOR - 2 * np.sqrt(miss * (1 - miss) / smooth["reps"]))
    )
    jumps = cells[~cells["smooth"].astype(bool)]
    return smooth, jumps.groupby("jump_se")["unpredictable"].mean().to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--extrapolation", type=float, default=EXTRAPOLATION_DISCREPANCY)
    parser.add_argument("--out", type=Path, default=None, help="write the per-curve table as Parquet")
    args = parser.parse_args()
    units = [(index, args.reps, args.extrapolation) for index in product(range(2), range(4), range(3))]
    with ProcessPoolExecutor(2) as pool:
        curves = pd.concat(pool.map(unit, units), ignore_index=True)
    if args.out is not None:
        curves.to_parquet(args.out)
    smooth, power = summarise(curves)
    for rate, judged, worst in (("unpredictable", "visible", "max"), ("coverage", "visible_top", "min")):
        values = smooth.loc[smooth[judged], rate]
        print(
            f"{rate}: {int(smooth[f'fails_{rate}'].sum())} of {len(values)} visible cells fail "
            f"(mean {values.mean():.3f}, worst {values.agg(worst):.2f})"
        )
    print("power against jumps from flat, by size in SE:", {k: round(v, 3) for k, v in power.items()})
    failing = smooth[smooth["fails_unpredictable"] | smooth["fails_coverage"]]
    print(failing[["unpredictable", "coverage", "fails_unpredictable", "fails_coverage"]].to_string())


if __name__ == "__main__":
    main()
