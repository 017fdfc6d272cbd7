"""Rule calibration_study: measured false-positive rate, power and coverage of the new tests. SYNTHETIC.

docs/statistics.md, "Calibration". Curves are drawn on the real BIG-G (12
sizes) and GPT-3 (8 sizes) ladders (scripts/lib/ladders.py) with real test-set sizes (the
`n_quantiles` of BIG-bench's n_examples, config/bigbench_task_metadata.csv) and binomial sampling
of a 0/1-per-example score. Smooth shapes (H0 true): a straight line, power laws in log N (u^2,
u^0.5 with u the position on the log axis), the Mirage model's per-token probability
exp(-(N / c)^alpha) and logistics 1 and 2 decades wide (10-90 %). Sharp shapes: flat, then a jump
of 2, 4 or 8 binomial SE between the middle two sizes. Per shape: the rejection rate of
p_sharp <= level (false-positive rate on smooth shapes, power on jumps; Monte-Carlo SE beside it)
for both statistics (lr, es), and the backtest's one-sided coverage on smooth shapes.

Inputs: task_metadata. Outputs: tables/calibration.{csv,tex}, figures/calibration.csv.
Params: reps, draws, seed, n_quantiles, level, stop_after, min_width_decades, holdout, alpha, label.
"""

import logging

import numpy as np
import pandas as pd

from scripts.lib.io import run_rule, write_csv, write_text
from scripts.lib.ladders import BIG_G, GPT
from scripts.lib.present.latex import to_latex
from scripts.lib.stats.backtest import backtest_stack
from scripts.lib.stats.noise import agresti_coull_se
from scripts.lib.stats.sharpness import Stack, p_sharp_stack

logger = logging.getLogger(__name__)

LADDERS = {"BIG-G": [n for _, n in BIG_G], "GPT": [n for _, n in GPT]}
LOW, SPAN = 0.25, 0.4
"""Smooth shapes rise from chance 0.25 by 0.4 over the ladder."""
JUMPS_SE = (2.0, 4.0, 8.0)
SMOOTH_SHAPES = ("linear", "power_u2", "power_u0.5", "mirage_token_prob", "logistic_1dec", "logistic_2dec")
STATISTICS = ("lr", "es")


def shape(name: str, x: np.ndarray, n: float) -> np.ndarray:
    """True proportion at sizes x for one shape (jump_<J>se: flat, then J binomial SE higher)."""
    t = np.log10(x)
    u = (t - t[0]) / (t[-1] - t[0])
    mid = 0.5 * (t[len(t) // 2 - 1] + t[len(t) // 2])
    if name == "linear":
        return LOW + SPAN * u
    if name == "power_u2":
        return LOW + SPAN * u**2
    if name == "power_u0.5":
        return LOW + SPAN * np.sqrt(u)
    if name == "mirage_token_prob":
        return np.exp(-((x / 3e9) ** -0.35))
    if name.startswith("logistic_"):
        width = float(name.split("_")[1].removesuffix("dec"))
        return LOW + SPAN / (1 + np.exp(-(t - mid) * 2 * np.log(9.0) / width))
    jump = float(name.removeprefix("jump_").removesuffix("se"))
    se = np.sqrt(LOW * (1 - LOW) / n)
    return np.where(t > mid, LOW + jump * se, LOW)


def simulate(x: np.ndarray, p: np.ndarray, n: int, reps: int, rng: np.random.Generator) -> Stack:
    """reps binomial draws of the curve, with the pipeline's own noise (Agresti-Coull SE of each point)."""
    y = rng.binomial(n, np.clip(p, 0, 1), size=(reps, len(x))) / n
    sigma = agresti_coull_se(y, np.full_like(y, n), 0.0, 1.0)
    return Stack(np.arange(reps), np.tile(np.log10(x), (reps, 1)), y, sigma, np.full(reps, 0.01))


def calibrate(
    *,
    n_examples: list[int],
    reps: int,
    draws: int,
    seed: int,
    level: float,
    stop_after: int,
    min_width: float,
    holdout: int,
    alpha: float,
) -> pd.DataFrame:
    """One row per (ladder, n_examples, shape, statistic): rejection rate, its MC SE, backtest coverage."""
    rows = []
    shapes = [*SMOOTH_SHAPES, *(f"jump_{j:g}se" for j in JUMPS_SE)]
    for li, (ladder, sizes) in enumerate(LADDERS.items()):
        x = np.asarray(sizes, dtype=float)
        for ni, n in enumerate(n_examples):
            for si, name in enumerate(shapes):
                rng = np.random.default_rng([seed, li, ni, si])
                st = simulate(x, shape(name, x, n), int(n), reps, rng)
                bounds = np.tile([0.0, 1.0], (reps, 1))
                bt = backtest_stack(st, bounds, holdout=holdout, min_width=min_width, alpha=alpha)
                covered = float(np.mean(st.y[:, -1] <= bt["upper"].to_numpy()))
                for stat in STATISTICS:
                    res = p_sharp_stack(
                        st, min_width=min_width, draws=draws, stop_after=stop_after, seed=seed + 1, statistic=stat
                    )
                    rate = float(np.mean(res["p_sharp"] <= level))
                    rows.append(
                        {
                            "ladder": ladder,
                            "n_examples": int(n),
                            "shape": name,
                            "smooth": name in SMOOTH_SHAPES,
                            "statistic": stat,
                            "reps": reps,
                            "rejection_rate": rate,
                            "mc_se": float(np.sqrt(max(rate * (1 - rate), level * (1 - level)) / reps)),
                            "backtest_coverage": covered if name in SMOOTH_SHAPES else np.nan,
                        }
                    )
    return pd.DataFrame(rows)


def summary_rows(table: pd.DataFrame, level: float) -> pd.DataFrame:
    """Per statistic: worst false-positive rate over smooth shapes and whether it is within level + 2 MC SE."""
    smooth = table[table["smooth"]]
    out = smooth.groupby("statistic").apply(
        lambda g: pd.Series(
            {
                "max_fpr": g["rejection_rate"].max(),
                "mean_fpr": g["rejection_rate"].mean(),
                "fpr_ok": bool((g["rejection_rate"] <= level + 2 * g["mc_se"]).all()),
                "min_backtest_coverage": g["backtest_coverage"].min(),
            }
        ),
        include_groups=False,
    )
    jumps = table[~table["smooth"]].groupby(["statistic", "shape"])["rejection_rate"].mean().unstack()
    return out.join(jumps.add_prefix("power_")).reset_index()


def run(
    *,
    task_metadata: str,
    table_csv: str,
    table_tex: str,
    figure_csv: str,
    summary_csv: str,
    reps: int,
    draws: int,
    seed: int,
    n_quantiles: list[float],
    level: float,
    stop_after: int,
    min_width_decades: float,
    holdout: int,
    alpha: float,
    label: str,
) -> None:
    meta = pd.read_csv(task_metadata)
    if "n_examples" not in meta:
        raise ValueError(f"{task_metadata}: no column 'n_examples'")
    sizes = meta["n_examples"][meta["n_examples"] > 0]
    n_examples = sorted({int(round(sizes.quantile(q))) for q in n_quantiles})
    table = calibrate(
        n_examples=n_examples,
        reps=int(reps),
        draws=int(draws),
        seed=int(seed),
        level=float(level),
        stop_after=int(stop_after),
        min_width=float(min_width_decades),
        holdout=int(holdout),
        alpha=float(alpha),
    )
    table = table.sort_values(["statistic", "ladder", "n_examples", "shape"], kind="stable").reset_index(drop=True)
    summary = summary_rows(table, float(level))
    write_csv(table, table_csv, label=label)
    write_csv(table, figure_csv, label=label)
    write_csv(summary, summary_csv, label=label)
    caption = (
        f"SYNTHETIC calibration on the real BIG-G and GPT-3 ladders with n_examples {n_examples} (quantiles "
        f"{list(n_quantiles)} of BIG-bench's): rejection rate of p_sharp <= {level:g} ({reps} curves per row, "
        f"up to {draws} bootstrap draws), false-positive rate on smooth shapes, power on jumps; backtest coverage of "
        f"the one-sided {1 - alpha:.0%} bound on smooth shapes. Data: {label}."
    )
    write_text(table_tex, to_latex(summary, caption, "tab:calibration", float_format="{:.3f}"))
    for row in summary.itertuples():
        logger.info(
            "%s: max FPR %.3f (within level + 2 MC SE: %s), min backtest coverage %.3f",
            row.statistic,
            row.max_fpr,
            row.fpr_ok,
            row.min_backtest_coverage,
        )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
