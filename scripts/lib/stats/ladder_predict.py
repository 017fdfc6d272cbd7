"""Predict a large model's task accuracy from a ladder of small ones, three ways (docs/ladder.md).

Bhagia et al. (2024, arXiv 2412.04403) fit a ladder of small models (190M-1.3B parameters, 1-10x
their Chinchilla token count) and predict two large targets (OLMo 2 7B at 4T tokens, 13B at 5T).
Every function here takes one task's ladder as arrays and returns, per target, a prediction and
a `level` interval for the target's *observed* accuracy (so the interval holds the target's own
noise too):

- `predict_direct`: accuracy against one scale axis, log10 compute C = 6 N D, by the bounded smooth
  family of the backtest (`backtest.averaged_prediction`: shapes averaged, model-form terms,
  overdispersion phi). One axis cannot tell a small model trained long from a large one trained
  briefly at the same C; that spread becomes phi and widens the interval;
- `predict_via_bpb`: bits per byte of the correct answer (continuous) at the targets by the
  paper's step 1 (`loss_nd_draws`), then mapped to accuracy by the backtest's metric map
  (`metric_map.map_predictive`), every step-1 draw through the map (law of total variance);
- `predict_two_step`: the paper's chain, step 1 L(N, D) = E + A / N^alpha + B / D^beta fitted to
  task bpb (`fit_loss_nd`: Huber in log space by L-BFGS-B, as upstream), step 2
  acc = a / (1 + exp(-k (L - L0))) + b (`fit_sigmoid`); interval by a residual bootstrap of step 1
  and parameter draws of step 2.

Noise per point: the binomial SE over the task's questions (Agresti-Coull, `noise.agresti_coull_se`)
plus the run-to-run spread that the ladder's rerun seeds measure (`seed_sd`), in quadrature.
"""

from typing import NamedTuple

import numpy as np
from scipy.optimize import curve_fit, minimize
from scipy.stats import norm
from scipy.stats import t as student_t

from scripts.lib.stats.backtest import averaged_prediction, backtest_cells
from scripts.lib.stats.bounds import clip
from scripts.lib.stats.metric_map import map_predictive
from scripts.lib.stats.noise import SMOOTH_FIT_PARAMS, agresti_coull_se
from scripts.lib.stats.smooth_fit import build_cells

MIN_LADDER_POINTS = 6
"""Fewer ladder points than this: no prediction (the paper's L(N, D) alone has 5 parameters)."""
LOSS_ND_START = (3.0, 6.0, 0.1, 0.2, 1.0)
"""Upstream's start for (log A, log B, alpha, beta, E) (allenai/OLMo-ladder src/scripts/step1.py, rc_bpb)."""
HUBER_DELTA = 1e-3
"""Upstream's Huber delta on log residuals (get_coefficients_huber)."""
LBFGS_OPTIONS = {"gtol": 1e-10, "ftol": 1e-14, "maxiter": 100000}
"""Tight stops: a Huber gradient is at most delta / L per point, so scipy's default gtol (1e-5) stops
short of the optimum (on exact data from known parameters it stopped at E = 0.49 for 0.60)."""
SIGMOID_BOUNDS = ([-1.0, 0.0, 0.0, 0.0], [0.0, np.inf, np.inf, 1.0])
"""Upstream's bounds for (a, L0, k, b) (src/scripts/step2.py): a <= 0, so accuracy falls as bpb rises."""
PERFECT_POINT = (0.0, 1.0)
"""Upstream adds (bpb 0, accuracy 1) to the step-2 points: a perfect model is right on every question."""


class Prediction(NamedTuple):
    """Per target (m,): prediction and the lower and upper ends of its interval."""

    pred: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def check_ladder(task: str, n_points: int) -> None:
    """Refuse a ladder too short to fit; the message names the task."""
    if n_points < MIN_LADDER_POINTS:
        raise ValueError(f"task {task!r}: {n_points} ladder points, need at least {MIN_LADDER_POINTS}")


def accuracy_sigma(accuracy: np.ndarray, n_questions: float, seed_sd: float) -> np.ndarray:
    """SD of an observed accuracy: binomial over the questions (Agresti-Coull) and seed spread, in quadrature."""
    binomial = agresti_coull_se(np.asarray(accuracy, float), np.full(np.shape(accuracy), float(n_questions)), 0.0, 1.0)
    return np.sqrt(binomial**2 + seed_sd**2)


def seed_sd(diff: np.ndarray) -> float:
    """Run-to-run SD from the differences a - b of pairs of runs that differ only in their seed.

    Each difference has variance 2 s^2, so s^2 = sum (a - b)^2 / (2 pairs); 0 with no pair.
    """
    diff = np.asarray(diff, float)
    return float(np.sqrt(np.mean(diff**2) / 2.0)) if diff.size else 0.0


def _smooth_predictive(
    t: np.ndarray, y: np.ndarray, sigma: np.ndarray, t_new: np.ndarray, lo: float, hi: float, min_width_decades: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean, variance (m,) of the smooth family's fit at t_new and phi, for one curve (sorted by t here)."""
    order = np.argsort(t, kind="stable")
    t_s = t[order][None, :]
    cells = backtest_cells(build_cells(t_s, min_width_decades=min_width_decades))
    bound = np.array([[lo]]), np.array([[hi]])
    mean, var, phi = averaged_prediction(
        cells, t_s, y[order][None, :], sigma[order][None, :], np.asarray(t_new, float)[None, :], *bound, expand=True
    )
    return mean[0], var[0], float(phi[0])


def predict_direct(
    compute: np.ndarray,
    accuracy: np.ndarray,
    sigma: np.ndarray,
    target_compute: np.ndarray,
    target_sigma: np.ndarray,
    bounds: tuple[float, float],
    *,
    task: str,
    level: float,
    min_width_decades: float,
) -> Prediction:
    """Accuracy at the targets' compute from the ladder's accuracy against log10 compute.

    The backtest's predictive (docs/statistics.md, "Unpredictability backtest"): SD^2 = the
    mixture's variance + phi * target_sigma^2, referred to t with n - 4 degrees of freedom;
    the interval is clipped to `bounds` (chance, 1).
    """
    check_ladder(task, len(compute))
    mean, var, phi = _smooth_predictive(
        np.log10(compute), accuracy, sigma, np.log10(target_compute), *bounds, min_width_decades
    )
    sd = np.sqrt(var + phi * np.asarray(target_sigma, float) ** 2)
    half = student_t.ppf(0.5 + level / 2.0, max(len(compute) - SMOOTH_FIT_PARAMS, 1)) * sd
    return Prediction(mean, clip(mean - half, bounds[0], bounds[1]), clip(mean + half, bounds[0], bounds[1]))


def loss_nd(params: np.ndarray, n: np.ndarray, d: np.ndarray) -> np.ndarray:
    """L(N, D) = exp(log A) / N^alpha + exp(log B) / D^beta + E, params (..., 5) = (log A, log B, alpha, beta, E)."""
    p = np.asarray(params, float)
    return np.exp(p[..., 0:1] - np.log(n) * p[..., 2:3]) + np.exp(p[..., 1:2] - np.log(d) * p[..., 3:4]) + p[..., 4:5]


def fit_loss_nd(n: np.ndarray, d: np.ndarray, loss: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """(log A, log B, alpha, beta, E) minimising the summed Huber loss (delta 1e-3) of log residuals, all >= 0.

    As upstream (allenai/OLMo-ladder src/scaling/fitting_functions.py get_coefficients_huber): the
    same start (unless `start` is given: the bootstrap refits start at the point fit), bounds and
    L-BFGS-B, with the analytic gradient and tighter stops (`LBFGS_OPTIONS`). (scipy's
    least_squares with loss='huber' from that start stalls at exponents of several hundred.)
    """
    log_loss, log_n, log_d = np.log(loss), np.log(n), np.log(d)

    def objective(p: np.ndarray) -> tuple[float, np.ndarray]:
        term_n, term_d = np.exp(p[0] - log_n * p[2]), np.exp(p[1] - log_d * p[3])
        fitted = np.maximum(term_n + term_d + p[4], 1e-12)
        z = np.log(fitted) - log_loss
        small = np.abs(z) < HUBER_DELTA
        value = np.sum(np.where(small, 0.5 * z**2, HUBER_DELTA * (np.abs(z) - 0.5 * HUBER_DELTA)))
        slope = np.where(small, z, HUBER_DELTA * np.sign(z)) / fitted
        grad = np.stack([term_n, term_d, -log_n * term_n, -log_d * term_d, np.ones_like(z)]) @ slope
        return float(value), grad

    x0 = LOSS_ND_START if start is None else start
    fit = minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * 5, options=LBFGS_OPTIONS)
    return fit.x


def sigmoid(params: np.ndarray, bpb: np.ndarray) -> np.ndarray:
    """acc = a / (1 + exp(-k (bpb - L0))) + b, params (..., 4) = (a, L0, k, b) (upstream's order)."""
    p = np.asarray(params, float)
    a, l0, k, b = (p[..., i : i + 1] for i in range(4))
    return a / (1.0 + np.exp(np.clip(-k * (bpb - l0), -700.0, 700.0))) + b


def fit_sigmoid(bpb: np.ndarray, accuracy: np.ndarray, chance: float) -> tuple[np.ndarray, np.ndarray]:
    """(a, L0, k, b) and their covariance by least squares on the points plus (bpb 0, accuracy 1).

    Start and bounds as upstream (src/scripts/step2.py): a in [-1, 0], L0, k >= 0, b in [0, 1].
    """
    x = np.r_[np.asarray(bpb, float), PERFECT_POINT[0]]
    y = np.r_[np.asarray(accuracy, float), PERFECT_POINT[1]]
    popt, pcov = curve_fit(
        lambda v, *p: sigmoid(np.array(p), v),
        x,
        y,
        p0=[chance - 1.0, 0.9, 3.0, 1.0],
        bounds=SIGMOID_BOUNDS,
        maxfev=100000,
    )
    return popt, np.nan_to_num(pcov, nan=0.0, posinf=0.0)


class Step1(NamedTuple):
    """Task bpb at the targets: the L(N, D) fit's (m,) and its residual-bootstrap draws (draws, m)."""

    point: np.ndarray
    draws: np.ndarray


def loss_nd_draws(
    n: np.ndarray,
    d: np.ndarray,
    bpb: np.ndarray,
    target_n: np.ndarray,
    target_d: np.ndarray,
    *,
    task: str,
    draws: int,
    seed: int,
) -> Step1:
    """Step 1 at the targets: L(N, D) fitted to the ladder's bpb, and `draws` residual-bootstrap refits.

    Log residuals of the fit are resampled with replacement (inflated by sqrt(n / (n - 5)) for the
    5 fitted parameters) onto the fitted values and L(N, D) is refitted to each draw. What this
    cannot hold: the error of the form itself when extrapolated 1.5-2 decades of compute.
    """
    check_ladder(task, len(n))
    p1 = fit_loss_nd(n, d, bpb)
    fitted = loss_nd(p1, n, d)
    resid = (np.log(bpb) - np.log(fitted)) * np.sqrt(len(n) / max(len(n) - 5, 1))
    rng = np.random.default_rng(seed)
    boot = fitted * np.exp(rng.choice(resid, size=(draws, len(n)), replace=True))
    p1_draws = np.array([fit_loss_nd(n, d, row, start=p1) for row in boot])
    return Step1(loss_nd(p1, target_n, target_d), loss_nd(p1_draws, target_n[None, :], target_d[None, :]))


def predict_via_bpb(
    step1: Step1,
    bpb: np.ndarray,
    accuracy: np.ndarray,
    sigma: np.ndarray,
    target_sigma: np.ndarray,
    bounds: tuple[float, float],
    *,
    level: float,
) -> Prediction:
    """Accuracy at the targets through bpb: the paper's step 1 (`step1`), then the backtest's metric map.

    The map (`map_predictive`: the smooth and narrow shapes of accuracy against -bpb, averaged,
    bounded) is fitted on the ladder's (bpb, accuracy) and applied to every step-1 draw. Mean and
    variance by the law of total variance (spread of the map's means over the draws + the map's
    own variance), plus the target's own noise; a normal interval, clipped to `bounds`.
    """
    draws = step1.draws.T
    rows = draws.size
    map_mean, map_sd = map_predictive(
        np.tile(-np.asarray(bpb, float), (rows, 1)),
        np.tile(accuracy, (rows, 1)),
        np.tile(sigma, (rows, 1)),
        -draws.ravel(),
        np.tile(bounds, (rows, 1)),
    )
    map_mean, map_sd = map_mean.reshape(draws.shape), map_sd.reshape(draws.shape)
    pred = map_mean.mean(axis=1)
    total = np.sqrt(map_mean.var(axis=1) + (map_sd**2).mean(axis=1) + np.asarray(target_sigma, float) ** 2)
    half = norm.ppf(0.5 + level / 2.0) * total
    return Prediction(pred, clip(pred - half, bounds[0], bounds[1]), clip(pred + half, bounds[0], bounds[1]))


def predict_two_step(
    step1: Step1,
    step2_bpb: np.ndarray,
    step2_accuracy: np.ndarray,
    target_sigma: np.ndarray,
    bounds: tuple[float, float],
    *,
    level: float,
    seed: int,
) -> Prediction:
    """The paper's chain: step 1 (`step1`, L(N, D)), then the sigmoid fitted to (bpb, accuracy).

    Step 2 takes its own points (the paper fits it on intermediate checkpoints too). Interval: per
    step-1 draw, step 2 parameters drawn from their normal approximation (curve_fit covariance,
    clipped to the bounds) plus the target's own noise; the `level` percentile interval of the
    draws. The prediction is the point fits' chain.
    """
    p2, cov2 = fit_sigmoid(step2_bpb, step2_accuracy, bounds[0])
    rng = np.random.default_rng(seed)
    p2_draws = np.clip(rng.multivariate_normal(p2, cov2, size=len(step1.draws)), *SIGMOID_BOUNDS)
    noise = rng.standard_normal(step1.draws.shape) * np.asarray(target_sigma, float)[None, :]
    acc_draws = sigmoid(p2_draws, step1.draws) + noise
    lower, upper = np.quantile(acc_draws, [0.5 - level / 2.0, 0.5 + level / 2.0], axis=0)
    return Prediction(sigmoid(p2, step1.point), clip(lower, bounds[0], bounds[1]), clip(upper, bounds[0], bounds[1]))
