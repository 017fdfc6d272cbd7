"""SYNTHETIC curves with known truth for the calibration study (docs/statistics.md, "Calibration").

Pure functions. A shape is the true score p(N) of a 0/1-per-example metric in [0, 1] on a real
ladder (scripts/lib/ladders.py: BIG-G, GPT-3, PaLM); a simulated curve is p read on n test
examples (binomial) plus model-to-model noise that inflates the binomial variance by phi.

Smooth shapes (H0 true: every one rises over at least `min_width` decades):
- `boundary_<kind>`: the steepest member of H0, a logistic or Gumbel whose 10-90 % rise is
  exactly `min_width` decades, centred in the ladder's last gap (the hardest case for a late jump);
- `<kind>_w<W>_c<C>`: logistics and Gumbel curves W x min_width decades wide, centred at the
  fraction C of the ladder's log range (C = 1: the top model);
- `mirage_a<alpha>_c<C>`: the Mirage mechanism (Schaeffer et al. 2023): a per-token loss falling
  as a power law (c / N)^alpha and exact match p = exp(-(c / N)^alpha) (longer targets only move c),
  with published exponents, Kaplan et al. (2020) alpha_N = 0.076 and Hoffmann et al. (2022)
  alpha = 0.34; p = 1/e at N = c;
- `line`, `power_u<k>` (u^k, u the position on the log axis) and `power_N<b>` (a power law in N).

Jump shapes (H0 false): flat at chance, then `jump_se` total SE (binomial times sqrt(phi)) higher
from the model after gap g on (every gap, the last included); clipped to [0, 1].

Whether a smooth rise is visible to the models a prediction is fitted on (`onset_hidden`,
`rise_visible`) is a property of the truth, n and phi only: a smooth curve whose onset lies beyond
the training models is unpredictable from them by Wei et al.'s definition, so the backtest's
false-positive rate and coverage are judged only where the rise is visible.
"""

from dataclasses import dataclass

import numpy as np

from scripts.lib.ladders import BIG_G, GPT, PALM
from scripts.lib.stats.smooth_fit import GUMBEL_WIDTH, LOGISTIC_10_90

LADDERS: dict[str, np.ndarray] = {
    "BIG-G": np.array([n for _, n in BIG_G], dtype=float),
    "GPT-3": np.array([n for _, n in GPT], dtype=float),
    "PaLM": np.array([n for _, n in PALM], dtype=float),
}
"""The real ladders (non-embedding parameters), smallest first."""
LOW = 0.25
"""Chance of a 4-way multiple-choice task: where sigmoids, lines, power laws and jumps start."""
SPAN = 0.5
"""The rise of sigmoids (their full range) and of lines and power laws (over the ladder)."""
MIRAGE_ALPHAS = {"kaplan": 0.076, "hoffmann": 0.34}
"""Loss exponents: Kaplan et al. (2020) alpha_N; Hoffmann et al. (2022), L = E + A / N^alpha."""
POWERS_U = (0.5, 2.0, 3.0)
"""Exponents of the power laws in log N (concave, convex, steeply convex)."""
POWERS_N = (0.2,)
"""Exponents of the power laws in N (most of the rise in the last decades)."""
VISIBLE_SE = 2.0
"""A rise shows at a model when its truth stands this many reading SEs above the smallest model's
(the calibration's smallest jump): below it, the models read as flat."""


@dataclass(frozen=True)
class Shape:
    """A named truth: `p` (n,) at the ladder's sizes; jumps carry their gap index and size in SE."""

    name: str
    family: str
    smooth: bool
    p: np.ndarray
    gap: int = -1
    jump_se: float = float("nan")


def sigmoid(kind: str, t: np.ndarray, centre: float, width: float) -> np.ndarray:
    """A logistic or Gumbel exp(-exp(-(t - c) / w)) in [0, 1] that is `width` decades wide by the smooth
    null's one measure (twice the steeper half-rise: the logistic's 10-90 % rise; docs/statistics.md,
    "The smooth null"), so width = min_width_decades is the steepest member of H0."""
    if kind == "logistic":
        return 1.0 / (1.0 + np.exp(-(t - centre) * LOGISTIC_10_90 / width))
    return np.exp(-np.exp(-(t - centre) * GUMBEL_WIDTH / width))


def smooth_shapes(x: np.ndarray, *, min_width: float, widths: list[float], centres: list[float]) -> list[Shape]:
    """Every smooth shape on the ladder x (sizes, ascending); names are the same on every ladder."""
    t = np.log10(np.asarray(x, dtype=float))
    u = (t - t[0]) / (t[-1] - t[0])
    at = {c: t[0] + c * (t[-1] - t[0]) for c in centres}
    last_gap = 0.5 * (t[-2] + t[-1])
    out = [
        Shape(f"boundary_{kind}", "boundary", True, LOW + SPAN * sigmoid(kind, t, last_gap, min_width))
        for kind in ("logistic", "gumbel")
    ]
    out += [
        Shape(f"{kind}_w{w:g}_c{c:.2f}", kind, True, LOW + SPAN * sigmoid(kind, t, at[c], w * min_width))
        for kind in ("logistic", "gumbel")
        for w in widths
        for c in centres
    ]
    out += [
        Shape(f"mirage_a{a:g}_c{c:.2f}", "mirage", True, np.exp(-((10.0 ** at[c] / x) ** a)))
        for a in MIRAGE_ALPHAS.values()
        for c in centres
    ]
    out.append(Shape("line", "line", True, LOW + SPAN * u))
    out += [Shape(f"power_u{k:g}", "power", True, LOW + SPAN * u**k) for k in POWERS_U]
    out += [
        Shape(f"power_N{b:g}", "power", True, LOW + SPAN * (x**b - x[0] ** b) / (x[-1] ** b - x[0] ** b))
        for b in POWERS_N
    ]
    return out


def jump_shapes(x: np.ndarray, *, n: int, phi: float, jumps_se: list[float]) -> list[Shape]:
    """Flat at LOW, then LOW + J SE from the model after gap g on, for every gap g and J in jumps_se.

    SE = sqrt(phi LOW (1 - LOW) / n), the noise the test must see through at the flat part.
    """
    se = np.sqrt(phi * LOW * (1.0 - LOW) / n)
    idx = np.arange(len(x))
    return [
        Shape(f"jump_{j:g}se_gap{g}", "jump", False, np.where(idx > g, min(LOW + j * se, 1.0), LOW), g, float(j))
        for g in range(len(x) - 1)
        for j in jumps_se
    ]


def simulate(p: np.ndarray, *, n: int, phi: float, reps: int, rng: np.random.Generator) -> np.ndarray:
    """reps noisy readings (reps, len(p)) of the truth p: binomial on n examples, variance times phi.

    The extra model-to-model noise is Gaussian with variance (phi - 1) p (1 - p) / n, so the total
    is phi times the binomial variance the pipeline assumes; readings are clipped to [0, 1].
    """
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    y = rng.binomial(n, p, size=(reps, len(p))) / n
    if phi > 1.0:
        y = y + rng.standard_normal(y.shape) * np.sqrt((phi - 1.0) * p * (1.0 - p) / n)
    return np.clip(y, 0.0, 1.0)


def reading_se(p: np.ndarray, *, n: int, phi: float) -> np.ndarray:
    """SD of a reading of the truth p on n examples with phi times the binomial variance (`simulate`)."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    return np.sqrt(phi * p * (1.0 - p) / n)


def onset_hidden(
    p: np.ndarray, train_end: np.ndarray, target: np.ndarray, *, n: int, phi: float, visible_se: float = VISIBLE_SE
) -> np.ndarray:
    """Per prediction (model `target` from models 0..`train_end`): is the rise's onset hidden from them?

    Hidden when the truth at the last training model stands less than `visible_se` of its reading SE
    above the smallest model's (the training models read as flat) while the target stands at least
    `visible_se` of its own reading SE above the last training model: in truth a flat-then-jump of
    at least that size, which no extrapolation of the smaller models foresees (Wei et al. 2022).
    """
    se = reading_se(p, n=n, phi=phi)
    j, k = np.asarray(train_end), np.asarray(target)
    return (p[j] - p[0] < visible_se * se[j]) & (p[k] - p[j] >= visible_se * se[k])


def rise_visible(p: np.ndarray, *, n: int, phi: float, min_train: int, holdout: int) -> tuple[bool, bool]:
    """Is the rise visible (no hidden onset) to the backtest's predictions: (every model, the largest)?

    Every model k >= min_train is predicted from models 0..k-1 (`unpredictable`, family-wise); the
    largest from models 0..n-1-holdout (the bound whose coverage is measured). True where nothing
    is predicted.
    """
    k = np.arange(min_train, len(p))
    every = not onset_hidden(p, k - 1, k, n=n, phi=phi).any()
    largest = len(p) - holdout < 1 or not bool(onset_hidden(p, len(p) - 1 - holdout, len(p) - 1, n=n, phi=phi))
    return every, largest
