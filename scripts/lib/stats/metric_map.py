"""The metric map: a sharp metric predicted from a continuous metric of the same outputs.

Wei et al.'s question, asked per curve: is the sharp metric (exact match, multiple-choice grade)
of a (family, task, subtask, shots) predictable from a continuous metric of the same outputs,
through a map fitted on the smaller models only? The map is the backtest's averaged smooth family
(`backtest.averaged_prediction`) with the continuous metric as its axis (docs/statistics.md).
"""

import numpy as np

from scripts.lib.stats.backtest import averaged_prediction
from scripts.lib.stats.smooth_fit import build_cells

MAP_MIN_WIDTH = 0.25
"""Width unit of the map's cells, as a fraction of the continuous metric's training range."""


def map_predictive(
    cont: np.ndarray, y_sharp: np.ndarray, sigma: np.ndarray, cont_new: np.ndarray, bounds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD (C,) of y_sharp at cont_new (C,) through a map y_sharp = a + b g(continuous).

    Fitted on the training points (C, n) of each row (e.g. the models below the one to predict);
    the continuous values are rescaled to [0, 1] over them; every cell (smooth and narrow: a sharp
    metric can be a step function of a continuous one), averaged as in the backtest, clipped to
    the sharp metric's `bounds` (C, 2). The SD is the map's (parameters and shapes), with sigma
    scaled by phi, without the new point's own noise.
    """
    lo = cont.min(axis=1, keepdims=True)
    span = np.maximum(cont.max(axis=1, keepdims=True) - lo, 1e-12)
    order = np.argsort(cont, axis=1, kind="stable")
    t_s = np.take_along_axis((cont - lo) / span, order, 1)
    y_s = np.take_along_axis(y_sharp, order, 1)
    s_s = np.take_along_axis(sigma, order, 1)
    t_new = (np.asarray(cont_new, dtype=float) - lo[:, 0]) / span[:, 0]
    cells = build_cells(t_s, min_width_decades=MAP_MIN_WIDTH)
    mean, var, _ = averaged_prediction(cells, t_s, y_s, s_s, t_new[:, None], bounds[:, :1], bounds[:, 1:], expand=False)
    return mean[:, 0], np.sqrt(var[:, 0])


def map_predictions(
    cont: np.ndarray, y_sharp: np.ndarray, sigma: np.ndarray, cont_new: np.ndarray, bounds: np.ndarray
) -> np.ndarray:
    """The mean of `map_predictive`: y_sharp predicted at cont_new (C,) from a map fitted on (C, n)."""
    return map_predictive(cont, y_sharp, sigma, cont_new, bounds)[0]
