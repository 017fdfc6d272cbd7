"""SYNTHETIC curves with known truth for the non-monotonicity test (docs/nonmonotone.md, "Calibration").

Pure functions. A shape is the true accuracy p on a real ladder (BIG-G's 12 sizes, GPT-3's 8, and
a pooled ladder of POOLED_MODELS models over POOLED_DECADES decades with tied sizes, like the
ExpEmergence data: many families, one FLOPs axis); a simulated curve reads p on n questions
(binomial, variance inflated by phi: `calibration_curves.simulate`), with the pipeline's
Agresti-Coull sigma and the range [0, 1].

Monotone shapes (truth "monotone"; every one must be rejected at most alpha of the time): flat
at chance and at 0.5, straight rising and falling lines, logistic rises 0.5, 1 and 2 decades wide,
a falling logistic, and rises that reach a ceiling early and stay flat there (the hard case: the
flat top is where noise draws spurious humps). Planted shapes (truth "U" / "inverted_U"): a V
that falls by `depth` SE from the smallest model to the turn and rises by as much to the largest
(mirrored for a hump), SE = sqrt(phi p (1 - p) / n) at p = BASE, turns at TURNS of the log range.
"""

import numpy as np
import pandas as pd
from scipy.stats import beta

from scripts.lib.stats.calibration_curves import LADDERS, LOW, simulate
from scripts.lib.stats.noise import agresti_coull_se
from scripts.lib.stats.nonmonotone import nonmonotone_curves

POOLED_MODELS = 65
POOLED_DECADES = 4.0
POOLED_STEP = 0.05
"""Pooled sizes are rounded to this many decades, which ties about one model in eight (as FLOPs tie)."""
BASE = 0.5
"""The level planted dips and humps turn at (the largest binomial SE: the hardest place)."""
DEPTHS_SE = (1.0, 2.0, 3.0, 4.0, 6.0)
TURNS = (0.25, 0.5, 0.75)
NS = (34, 100, 350, 1000, 5000)
PHIS = (1.0, 2.0)


def pooled_ladder(models: int = POOLED_MODELS, decades: float = POOLED_DECADES, lo: float = 20.5) -> np.ndarray:
    """`models` sizes (10^lo ... 10^(lo + decades) FLOPs), dense in the middle (Beta(2, 2) quantiles,
    SD 0.9 decades as ExpEmergence's), rounded to POOLED_STEP decades so some tie; ascending."""
    q = beta.ppf((np.arange(models) + 0.5) / models, 2.0, 2.0)
    return 10.0 ** (lo + np.round(decades * q / POOLED_STEP) * POOLED_STEP)


def ladders() -> dict[str, np.ndarray]:
    """The three calibration ladders, smallest first."""
    return {"BIG-G": LADDERS["BIG-G"], "GPT-3": LADDERS["GPT-3"], "pooled": pooled_ladder()}


def logistic(u: np.ndarray, centre: float, width: float) -> np.ndarray:
    """A logistic in u (the position on the ladder's log range, 0 to 1) rising 10 -> 90 % over `width`."""
    return 1.0 / (1.0 + np.exp(-(u - centre) * 2.0 * np.log(9.0) / width))


def monotone_shapes(x: np.ndarray) -> dict[str, np.ndarray]:
    """Monotone truths p on the ladder x; logistic widths in decades of x."""
    t = np.log10(x)
    span = t[-1] - t[0]
    u = (t - t[0]) / span
    shapes = {
        "flat_chance": np.full(len(x), LOW),
        "flat_half": np.full(len(x), BASE),
        "line_up": LOW + 0.5 * u,
        "line_down": 0.75 - 0.5 * u,
        "logistic_down_w1": 0.75 - 0.5 * logistic(u, 0.5, 1.0 / span),
    }
    shapes |= {f"logistic_w{w:g}": LOW + 0.5 * logistic(u, 0.5, w / span) for w in (0.5, 1.0, 2.0)}
    # Rises that end early and stay at their ceiling for the upper half or more of the ladder.
    shapes |= {f"ceiling_{top:g}": LOW + (top - LOW) * logistic(u, 0.25, 0.5 / span) for top in (0.9, 0.99)}
    return shapes


def planted_shapes(x: np.ndarray, *, n: int, phi: float) -> list[tuple[str, str, float, float, np.ndarray]]:
    """(name, truth, depth in SE, turn, p) of every planted V (U) and inverted V (inverted_U)."""
    t = np.log10(x)
    u = (t - t[0]) / (t[-1] - t[0])
    se = np.sqrt(phi * BASE * (1.0 - BASE) / n)
    out = []
    for c in TURNS:
        v = np.where(u < c, (c - u) / c, (u - c) / (1.0 - c))  # 1 at both ends, 0 at the turn
        for d in DEPTHS_SE:
            out.append((f"U_{d:g}se_turn{c:g}", "U", d, c, BASE + d * se * v))
            out.append((f"hump_{d:g}se_turn{c:g}", "inverted_U", d, c, BASE - d * se * v))
    return out


def simulated_points(
    x: np.ndarray, p: np.ndarray, *, n: int, phi: float, reps: int, rng, sigma_at: str = "observed"
) -> pd.DataFrame:
    """reps noisy curves of the truth p (curve_id 0..reps-1) as `nonmonotone_curves` reads them.

    sigma_at: where the binomial SE is evaluated, "observed" (each point's own score, as the
    pipeline's noise model does) or "mean" (the curve's mean score: weights free of the noise)."""
    y = simulate(p, n=n, phi=phi, reps=reps, rng=rng)
    at = y if sigma_at == "observed" else np.broadcast_to(y.mean(axis=1, keepdims=True), y.shape)
    sigma = agresti_coull_se(at, np.full(y.shape, float(n)), 0.0, 1.0)
    return pd.DataFrame(
        {
            "curve_id": np.repeat(np.arange(reps), len(x)),
            "x": np.tile(x, reps),
            "y": y.ravel(),
            "sigma": sigma.ravel(),
            "y_low": 0.0,
            "y_high": 1.0,
        }
    )


def rates(verdicts: pd.DataFrame, truth: str) -> float:
    """The share of curves declared non-monotone (monotone truth: a false positive) or declared
    non-monotone of the planted kind (U / inverted_U truth: a hit)."""
    yes = verdicts["nonmonotone"].fillna(False).to_numpy(bool)
    if truth != "monotone":
        yes &= (verdicts["nonmonotone_kind"] == truth).to_numpy()
    return float(yes.mean())


def calibration_cell(
    x: np.ndarray,
    shapes: list[tuple[str, str, float, float, np.ndarray]],
    *,
    n: int,
    phi: float,
    reps: int,
    alpha: float,
    draws: int,
    seed: int,
    sigma_at: str = "observed",
) -> pd.DataFrame:
    """Rates of every shape on one (ladder, n, phi), all shapes' curves tested in one call."""
    rng = np.random.default_rng([seed, n, int(10 * phi), len(x)])
    frames = [simulated_points(x, s[-1], n=n, phi=phi, reps=reps, rng=rng, sigma_at=sigma_at) for s in shapes]
    for k, f in enumerate(frames):
        f["curve_id"] += k * reps
    verdicts = nonmonotone_curves(pd.concat(frames, ignore_index=True), alpha=alpha, draws=draws, seed=seed)
    out = []
    for k, (name, truth, depth, turn, _) in enumerate(shapes):
        rate = rates(verdicts.iloc[k * reps : (k + 1) * reps], truth)
        out.append(
            {
                "shape": name,
                "truth": truth,
                "depth_se": depth,
                "turn": turn,
                "reps": reps,
                "rate": rate,
                "mc_se": np.sqrt(max(rate * (1.0 - rate), 1e-12) / reps),
            }
        )
    return pd.DataFrame(out)


def calibrate(
    *,
    reps_null: int,
    reps_planted: int,
    alpha: float,
    draws: int,
    seed: int,
    ns: tuple[int, ...] = NS,
    phis: tuple[float, ...] = PHIS,
    ladder_names: tuple[str, ...] | None = None,
    sigma_at: str = "observed",
) -> pd.DataFrame:
    """The tidy calibration table: ladder, n, phi, shape, truth, depth_se, turn, reps, rate, mc_se.

    rate is the false-positive rate on monotone truths and the power (right kind) on planted ones.
    """
    parts = []
    for name, x in ladders().items():
        if ladder_names is not None and name not in ladder_names:
            continue
        mono = [(s, "monotone", np.nan, np.nan, p) for s, p in monotone_shapes(x).items()]
        for n in ns:
            for phi in phis:
                kw = {"n": n, "phi": phi, "alpha": alpha, "draws": draws, "seed": seed, "sigma_at": sigma_at}
                cells = [calibration_cell(x, mono, reps=reps_null, **kw)]
                if reps_planted:
                    cells.append(calibration_cell(x, planted_shapes(x, n=n, phi=phi), reps=reps_planted, **kw))
                parts.append(pd.concat(cells).assign(ladder=name, n=n, phi=phi))
    table = pd.concat(parts, ignore_index=True)
    cols = ["ladder", "n", "phi", "shape", "truth", "depth_se", "turn", "reps", "rate", "mc_se"]
    return table[cols]
