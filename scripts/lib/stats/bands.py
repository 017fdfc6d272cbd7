"""The band each model's smaller models predicted for it, for a few curves (the verdicts gallery).

The backtest tests every model k against the prediction from the k models below it, but keeps only
the summary per curve. To draw what was predicted, each curve is cut after model k and backtested
with the last point held out: the same prediction, by the same code (docs/statistics.md,
"Unpredictability backtest").
"""

import numpy as np
import pandas as pd

from scripts.lib.stats.backtest import backtest_table
from scripts.lib.stats.sharpness import Stack

BAND_COLUMNS = ["curve_id", "k", "pred_y", "upper_y"]


def predicted_bands(
    stacks: list[Stack], *, min_train: int, min_width_decades: float, alpha: float, extrapolation: float
) -> pd.DataFrame:
    """Per curve and model k (0-based, with at least `min_train` models below it): the mean predicted
    from models 0..k-1 and the one-sided 1 - alpha bound, in y units (the backtest's `upper`)."""
    parts = []
    for st in stacks:
        bounds = pd.DataFrame(
            st.bounds if st.bounds is not None else np.full((len(st.ids), 2), np.nan),
            index=st.ids,
            columns=["y_low", "y_high"],
        )
        for k in range(min_train, st.t.shape[1]):
            cut = Stack(st.ids, st.t[:, : k + 1], st.y[:, : k + 1], st.sigma[:, : k + 1], st.floor, st.bounds)
            res = backtest_table(
                [cut],
                bounds,
                min_train=k + 1,
                holdout=1,
                min_width_decades=min_width_decades,
                alpha=alpha,
                extrapolation=extrapolation,
            )
            band = {"curve_id": res["curve_id"], "k": k, "pred_y": res["backtest_pred_y"]}
            parts.append(pd.DataFrame(band | {"upper_y": res["backtest_upper_y"]}))
    if not parts:
        return pd.DataFrame(columns=BAND_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values(["curve_id", "k"], kind="stable").reset_index(drop=True)
