"""The tests for curves that are not BIG-bench's: the vision ladders and the Mirage toy model.

`tests_from_config` runs both tests (scripts/lib/stats/backtest.py `curve_tests`) with the `sharpness:`
and `backtest:` config sections as a rule receives them; `binomial_ladder` turns closed-form
values on a model ladder into curves read as measured on n test examples and `ladder_tests` tests
them; `mean_and_seeds` summarises a mean curve's verdicts beside its seed curves'.
"""

import math
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.stats.backtest import curve_tests


def tests_from_config(points: pd.DataFrame, sharpness: dict, backtest: dict) -> pd.DataFrame:
    """`curve_tests` with the `sharpness:` and `backtest:` config sections (a rule's params)."""
    return curve_tests(
        points,
        min_width_decades=float(sharpness["min_width_decades"]),
        draws=int(sharpness["draws"]),
        stop_after=int(sharpness["stop_after"]),
        seed=int(sharpness["seed"]),
        fdr=float(sharpness["fdr"]),
        holdout=int(backtest["holdout"]),
        alpha=float(backtest["alpha"]),
        residual_min_df=int(sharpness["residual_min_df"]),
        min_train=int(backtest["min_train"]),
        extrapolation=float(backtest["extrapolation"]),
    )


def binomial_ladder(ladder: np.ndarray, series: list[tuple[str, np.ndarray, bool, int]], task: str) -> pd.DataFrame:
    """Curves (curve_id = position in `series`) of (metric, values in [0, 1], lower_is_better, n examples).

    The noise is the binomial (Agresti-Coull) SE of n examples: exact for a 0/1 score, an upper
    bound for a per-example score in [0, 1] (its variance is at most p (1 - p)).
    """
    frames = [
        pd.DataFrame(
            {
                "curve_id": cid,
                "x": np.asarray(ladder, dtype=float),
                "value": values,
                "y": -values if negate else values,
                "value_se": np.nan,
                "se_source": "binomial",
                "n_examples": n,
                "metric_low": 0.0,
                "metric_high": 1.0,
                "oriented": negate,
                "task": task,
                "subtask": None,
                "metric": metric,
            }
        )
        for cid, (metric, values, negate, n) in enumerate(series)
    ]
    return pd.concat(frames, ignore_index=True).astype({"n_examples": "Int64"})


def ladder_tests(
    ladder: np.ndarray, series: list[tuple[str, np.ndarray, bool, int]], sharpness: dict, backtest: dict, *, task: str
) -> pd.DataFrame:
    """Both tests of every `binomial_ladder` series; one row per series, in order."""
    points = binomial_ladder(ladder, series, task)
    return tests_from_config(points, sharpness, backtest).set_index("curve_id").reindex(range(len(series)))


def mean_and_seeds(mean_row: pd.Series, seed_rows: pd.DataFrame) -> dict[str, Any]:
    """The mean curve's p_sharp, sharp (None where the ladder cannot resolve it) and unpredictable, and how
    many seed curves are sharp/unpredictable."""
    if "p_sharp" not in mean_row.index:
        return dict.fromkeys(["sharp", "unpredictable", "n_seeds_sharp", "n_seeds_unpredictable"], None) | {
            "p_sharp": math.nan
        }
    return {
        "p_sharp": float(mean_row["p_sharp"]),
        "sharp": None if pd.isna(mean_row["sharp"]) else bool(mean_row["sharp"]),
        "unpredictable": bool(mean_row["unpredictable"]),
        "n_seeds_sharp": int(seed_rows["sharp"].astype("boolean").fillna(False).sum()),
        "n_seeds_unpredictable": int(seed_rows["unpredictable"].sum()),
    }
