"""The backtest on sweeps of known curves (SYNTHETIC; docs/statistics.md, Calibration).

Not a test (pytest does not collect it). Gumbel and logistic rises 0.25 + 0.5 x
`calibration_curves.sigmoid`, 2, 3 and 4 decades wide, centred every half decade from 10^7 to
10^12 on the BIG-G ladder, binomial noise of n = 32 to 10,000 (phi = 1), range [0, 1], 200 curves
per cell: the share of curves whose largest model lies under its nominal one-sided 95 % bound
(predicted from the eleven smaller models) and the share called unpredictable. Then straight
lines with extra model-to-model noise (phi = 1, 2, 5) on the 12, 5 and 4 largest BIG-G models.
Then the power against a +0.45 jump from chance at BIG-G's 128B and 1B models.

Usage: .venv/bin/python tests/studies/backtest_sweeps.py [--out FILE.csv]   (about 5 minutes on 2 cores)
"""

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.lib.stats.backtest import backtest_stack  # noqa: E402
from scripts.lib.stats.calibration_curves import LADDERS, LOW, SPAN, sigmoid, simulate  # noqa: E402
from scripts.lib.stats.noise import agresti_coull_se  # noqa: E402
from scripts.lib.stats.sharpness import Stack  # noqa: E402

REPS = 200
LADDER_NAMES = {11: "128B", 6: "1B"}
T = np.log10(LADDERS["BIG-G"])


def flags(
    p: np.ndarray, t: np.ndarray, *, n: int, phi: float, reps: int, seed: list[int], min_train: int = 4
) -> tuple[float, float]:
    """reps noisy readings of the truth p at log-sizes t, backtested: (unpredictable rate, coverage of the top)."""
    y = simulate(p, n=n, phi=phi, reps=reps, rng=np.random.default_rng(seed))
    sigma = agresti_coull_se(y, np.full_like(y, n), 0.0, 1.0)
    st = Stack(np.arange(reps), np.tile(t, (reps, 1)), y, sigma, np.zeros(reps))
    out = backtest_stack(
        st, np.tile([0.0, 1.0], (reps, 1)), min_train=min_train, holdout=1, min_width_decades=1.0, alpha=0.05
    )
    return float(out["unpredictable"].mean()), float((y[:, -1] <= out["upper"].to_numpy()).mean())


def cell(args: tuple[str, float, float, int]) -> tuple[str, float, float, int, float, float]:
    """(kind, width, centre, n) -> the cell with its coverage and unpredictable rate."""
    kind, width, centre, n = args
    p = LOW + SPAN * sigmoid(kind, T, centre, width)
    seed = [n, int(width), int(2 * centre), kind == "gumbel"]
    unpredictable, covered = flags(p, T, n=n, phi=1.0, reps=REPS, seed=seed)
    return kind, width, centre, n, covered, unpredictable


def line_cell(args: tuple[int, float, int]) -> tuple[int, float, float, float]:
    """A straight line 0.25 -> 0.75 on the largest `points` BIG-G models, n = 1000, variance phi x binomial,
    2,000 curves (`min_train` 3 below 5 points): the false `unpredictable` rate and the bound's coverage."""
    points, phi, reps = args
    t = T[-points:]
    p = LOW + SPAN * (t - t[0]) / (t[-1] - t[0])
    seed, min_train = [points, int(phi)], min(4, points - 1)
    unpredictable, covered = flags(p, t, n=1000, phi=phi, reps=reps, seed=seed, min_train=min_train)
    return points, phi, unpredictable, covered


def jump_cell(args: tuple[int, int]) -> tuple[str, int, float]:
    """Chance 0.25, then 0.70 from model `at` on (BIG-G), n examples, 200 curves: the share called unpredictable."""
    at, n = args
    p = np.where(np.arange(len(T)) >= at, 0.70, LOW)
    return LADDER_NAMES[at], n, flags(p, T, n=n, phi=1.0, reps=REPS, seed=[at, n])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write the per-cell table as CSV")
    args = parser.parse_args()
    jobs = [
        (kind, width, centre, n)
        for kind in ("gumbel", "logistic")
        for width in (2.0, 3.0, 4.0)
        for centre in np.arange(7.0, 12.01, 0.5)
        for n in (32, 100, 1000, 10000)
    ]
    with ProcessPoolExecutor(2) as pool:
        columns = ["kind", "width", "centre", "n", "coverage", "unpredictable"]
        cells = pd.DataFrame(pool.map(cell, jobs), columns=columns)
    if args.out is not None:
        cells.to_csv(args.out, index=False)
    for label, part in (("n >= 100", cells[cells["n"] >= 100]), ("n = 32", cells[cells["n"] == 32])):
        print(
            f"{label}: {int((part['coverage'] >= 0.9).sum())} of {len(part)} cells cover >= 0.90; "
            f"unpredictable mean {part['unpredictable'].mean():.4f}, max {part['unpredictable'].max():.3f}"
        )
        print(part.nsmallest(3, "coverage").to_string(index=False))
    means = cells[cells["n"] >= 100].groupby(["kind", "n"])["coverage"].mean().round(3)
    print("mean coverage per kind and n:", means.to_dict())
    with ProcessPoolExecutor(2) as pool:
        lines = pd.DataFrame(
            pool.map(line_cell, [(points, phi, 2000) for points in (12, 5, 4) for phi in (1.0, 2.0, 5.0)]),
            columns=["points", "phi", "unpredictable", "coverage"],
        )
    print("straight lines with extra noise (n = 1000):")
    print(lines.to_string(index=False))
    with ProcessPoolExecutor(2) as pool:
        power = pd.DataFrame(
            pool.map(jump_cell, [(at, n) for at in (11, 6) for n in (32, 100, 1000)]),
            columns=["jump_at", "n", "unpredictable"],
        )
    print("power against +0.45 from chance:")
    print(power.to_string(index=False))


if __name__ == "__main__":
    main()
