"""Rule toy_model: the Mirage paper's mathematical argument, in closed form (no data).

Issue 7, part 5 (Schaeffer et al. 2023, Sec. 2-3, Fig. 2/3). A model with N parameters has
per-token cross-entropy L(N) = (N / c)^alpha (c > 0, alpha < 0), so its probability of the right
token, p(N) = exp(-L(N)), improves smoothly with scale. What a metric makes of it:

- accuracy (exact string match) of a target of l tokens: p^l — nonlinear: near 0 for small
  models, then a steep rise in log N ("emergence"), sharper the longer the target;
- token edit distance: l (1 - p), the expected number of wrong tokens — linear in p, smooth;
- multiple choice (K = `n_options` options, as the synthetic sample generator): the right option's
  log-likelihood margin over the best distractor is m(N) = L(N*) - L(N) per token, zero at the
  crossing size N* = `mc_crossing_params`. Examples differ by a Normal(0, `mc_margin_sd`) offset
  of their margin, so the share of examples whose right option is the argmax is
  Phi(m / mc_margin_sd); multiple choice grade = 1/K + (1 - 1/K) Phi(m / sd) (an example whose
  right option does not win scores chance). The probability put on the right option is
  q = 1/K + (1 - 1/K) sigmoid(l_mc m) for an option of l_mc = `mc_length` tokens (the log-odds of
  an l_mc-token option move l_mc times the per-token margin), with the rest spread evenly over
  the distractors, so the (multi-class) Brier score is K/(K-1) (1 - q)^2 — continuous in q;
- resolution: accuracy measured on n test examples can only take values k/n. We use the
  deterministic floor(p^l n) / n (the count of right answers a perfectly typical test set of n
  examples would give, rounded down; no random draw), so a model with p^l < 1/n reads as
  exactly 0: small models look flat, and the curve seems to jump at the size where p^l passes
  1/n. The emergence score (scripts/emergence_scores.es_matrix) of the accuracy on a ladder of
  `n_models` log-spaced sizes rises as n shrinks once p^l < 1/n for a good part of the ladder
  (long targets): the leading zeros make the median step small, and infinite when more than
  half of the steps are 0-to-0. It is not monotone in n: for short targets, where few models
  read 0, the coarser steps k/n move ES a little either way (tables/toy_resolution.csv).

Outputs: figures/mirage_toy_model.{formats}, figures/mirage_toy_model.csv (every plotted curve,
long format: panel, series, length, test_size, n_params, value), tables/toy_resolution.csv (per
target length and test size: models reading 0, ES, es_floored, es_infinite; test_size empty =
exact accuracy). ES is computed on the ladder, metric values oriented so that higher is better
(edit distance and Brier score negated), es_floored with zero_median_floor x the metric's range.
Params: the toy.* config keys, zero_median_floor, label, synthetic.
"""

import logging
import math
from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from scripts._common import run_rule, write_csv
from scripts.emergence_scores import es_matrix
from scripts.plot_style import figure_style, label_figure, log_x, new_figure, save_figure

logger = logging.getLogger(__name__)

FIGURE_COLUMNS = ["panel", "series", "length", "test_size", "n_params", "value"]
RESOLUTION_COLUMNS = [
    "length",
    "test_size",
    "n_models",
    "models_reading_zero",
    "y_min",
    "y_max",
    "es",
    "es_floored",
    "es_infinite",
]
LENGTH_COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f")


# --- the model -------------------------------------------------------------------------------------


def per_token_loss(n_params: np.ndarray, *, c: float, alpha: float) -> np.ndarray:
    """L(N) = (N / c)^alpha, nats per token."""
    return (np.asarray(n_params, dtype=float) / c) ** alpha


def per_token_prob(n_params: np.ndarray, *, c: float, alpha: float) -> np.ndarray:
    """p(N) = exp(-L(N))."""
    return np.exp(-per_token_loss(n_params, c=c, alpha=alpha))


def accuracy(p: np.ndarray, length: int) -> np.ndarray:
    """Exact match of an l-token target: p^l."""
    return np.asarray(p, dtype=float) ** length


def token_edit_distance(p: np.ndarray, length: int) -> np.ndarray:
    """Expected wrong tokens of an l-token target: l (1 - p)."""
    return length * (1.0 - np.asarray(p, dtype=float))


def multiple_choice(
    n_params: np.ndarray,
    *,
    c: float,
    alpha: float,
    n_options: int,
    crossing_params: float,
    margin_sd: float,
    option_length: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(multiple choice grade, Brier score) of the toy multiple-choice model (module docstring)."""
    margin = per_token_loss(crossing_params, c=c, alpha=alpha) - per_token_loss(n_params, c=c, alpha=alpha)
    chance = 1.0 / n_options
    grade = chance + (1.0 - chance) * ndtr(margin / margin_sd)
    q = chance + (1.0 - chance) * expit(option_length * margin)
    brier = n_options / (n_options - 1.0) * (1.0 - q) ** 2
    return grade, brier


def measured(values: np.ndarray, test_size: int) -> np.ndarray:
    """What a test set of n examples reports: floor(value * n) / n (deterministic; see module docstring)."""
    # the small epsilon keeps exact multiples of 1/n (e.g. 0.3 * 10) from flooring one step down
    return np.floor(np.asarray(values, dtype=float) * test_size + 1e-9) / test_size


def es_floored(y: np.ndarray, *, floor: float) -> np.ndarray:
    """The finite companion of ES for rows of y: denominator max(sqrt(median step^2), floor)."""
    y = np.asarray(y, dtype=float)
    spread = y.max(axis=-1) - y.min(axis=-1)
    sign = np.sign(y.argmax(axis=-1) - y.argmin(axis=-1))
    denom = np.maximum(np.sqrt(np.median(np.diff(y, axis=-1) ** 2, axis=-1)), floor)
    return np.where(spread == 0, 0.0, sign * spread / denom)


def resolution_table(
    ladder: np.ndarray,
    *,
    c: float,
    alpha: float,
    lengths: Sequence[int],
    test_sizes: Sequence[int],
    zero_median_floor: float,
) -> pd.DataFrame:
    """Per (length, test size; None = exact): accuracy on the ladder, models reading 0, ES and its floored companion."""
    p = per_token_prob(ladder, c=c, alpha=alpha)
    rows = []
    for length in lengths:
        exact = accuracy(p, length)
        for n in [None, *sorted(test_sizes, reverse=True)]:
            y = exact if n is None else measured(exact, n)
            es = float(es_matrix(y))
            rows.append(
                {
                    "length": int(length),
                    "test_size": n,
                    "n_models": len(y),
                    "models_reading_zero": int((y == 0).sum()),
                    "y_min": float(y.min()),
                    "y_max": float(y.max()),
                    "es": es,
                    "es_floored": float(es_floored(y, floor=zero_median_floor)),  # accuracy range = 1
                    "es_infinite": math.isinf(es),
                }
            )
    out = pd.DataFrame(rows, columns=RESOLUTION_COLUMNS)
    out["test_size"] = out["test_size"].astype("Int64")
    return out


def curves_frame(
    grid: np.ndarray,
    ladder: np.ndarray,
    *,
    c: float,
    alpha: float,
    lengths: Sequence[int],
    test_sizes: Sequence[int],
    n_options: int,
    crossing_params: float,
    margin_sd: float,
    option_length: int,
) -> pd.DataFrame:
    """Every plotted curve (long format, FIGURE_COLUMNS): fine-grid model curves and ladder measurements."""
    frames = []

    def add(panel: str, series: str, x: np.ndarray, y: np.ndarray, length: Any = None, test_size: Any = None) -> None:
        frames.append(pd.DataFrame({"panel": panel, "series": series, "length": length, "test_size": test_size,
                                    "n_params": x, "value": y}))

    p = per_token_prob(grid, c=c, alpha=alpha)
    add("A", "per_token_cross_entropy", grid, per_token_loss(grid, c=c, alpha=alpha))
    add("A", "per_token_probability", grid, p)
    for length in lengths:
        add("B", "accuracy", grid, accuracy(p, length), length)
        add("C", "token_edit_distance", grid, token_edit_distance(p, length), length)
    grade, brier = multiple_choice(grid, c=c, alpha=alpha, n_options=n_options, crossing_params=crossing_params,
                                   margin_sd=margin_sd, option_length=option_length)
    add("D", "multiple_choice_grade", grid, grade)
    add("D", "brier_score", grid, brier)
    longest = max(lengths)
    exact = accuracy(per_token_prob(ladder, c=c, alpha=alpha), longest)
    add("E", "accuracy_exact", ladder, exact, longest)
    for n in sorted(test_sizes, reverse=True):
        add("E", "accuracy_measured", ladder, measured(exact, n), longest, n)
    out = pd.concat(frames, ignore_index=True)
    out["length"] = out["length"].astype("Int64")
    out["test_size"] = out["test_size"].astype("Int64")
    return out[FIGURE_COLUMNS]


# --- figure ----------------------------------------------------------------------------------------


def _ladder_es(values: np.ndarray) -> str:
    es = float(es_matrix(values))
    if math.isinf(es):
        return "ES = ∞" if es > 0 else "ES = −∞"
    return f"ES = {es:.1f}" if abs(es) < 1000 else f"ES = {es:.2g}"


def plot_toy(
    curves: pd.DataFrame,
    resolution: pd.DataFrame,
    ladder: np.ndarray,
    *,
    params: dict[str, Any],
    label: str,
    synthetic: bool,
) -> Any:
    """Six panels: loss and p; accuracy; edit distance; MCG vs Brier; resolution staircase; ES vs test size."""
    fig = new_figure(13, 8)
    axes = fig.subplots(2, 3).ravel()
    lengths = sorted(int(v) for v in curves["length"].dropna().unique())
    colors = {length: LENGTH_COLORS[i % len(LENGTH_COLORS)] for i, length in enumerate(lengths)}

    def series(panel: str, name: str, length: Any = None, test_size: Any = None) -> pd.DataFrame:
        sel = (curves["panel"] == panel) & (curves["series"] == name)
        if length is not None:
            sel &= curves["length"] == length
        sel &= curves["test_size"].isna() if test_size is None else curves["test_size"] == test_size
        return curves[sel]

    def at_ladder(values_of: Any) -> np.ndarray:
        return values_of(ladder)

    c, alpha = params["c"], params["alpha"]
    ax = axes[0]
    loss = series("A", "per_token_cross_entropy")
    prob = series("A", "per_token_probability")
    ax.plot(loss["n_params"], loss["value"], color="#333333", label="per-token cross-entropy L(N)")
    ax.set_ylabel("L(N), nats per token")
    twin = ax.twinx()
    twin.plot(prob["n_params"], prob["value"], color="#4e79a7", label="p(N) = exp(−L)")
    twin.set_ylabel("per-token probability p(N)", color="#4e79a7")
    twin.set_ylim(0, 1)
    twin.grid(False)
    ax.set_title(f"A. L(N) = (N / {c:.3g})^{alpha:g}", loc="left")
    ax.legend(handles=[*ax.get_lines(), *twin.get_lines()], fontsize=7, loc="center right")

    for ax, panel, name, title, ylabel, orient in (
        (axes[1], "B", "accuracy", "B. accuracy p^ℓ: sharp", "exact string match", 1.0),
        (axes[2], "C", "token_edit_distance", "C. token edit distance ℓ(1 − p): smooth",
         "expected wrong tokens (lower is better)", -1.0),
    ):
        for length in lengths:
            s = series(panel, name, length)
            func = accuracy if panel == "B" else token_edit_distance
            ladder_values = at_ladder(lambda x, f=func, ell=length: f(per_token_prob(x, c=c, alpha=alpha), ell))
            ax.plot(s["n_params"], s["value"], color=colors[length],
                    label=f"ℓ = {length} ({_ladder_es(orient * ladder_values)})")
        ax.set_title(title, loc="left")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)

    ax = axes[3]
    grade, brier = series("D", "multiple_choice_grade"), series("D", "brier_score")
    g_l, b_l = multiple_choice(ladder, c=c, alpha=alpha, n_options=params["n_options"],
                               crossing_params=params["mc_crossing_params"], margin_sd=params["mc_margin_sd"],
                               option_length=params["mc_length"])
    ax.plot(grade["n_params"], grade["value"], color="#4e79a7", label=f"multiple choice grade ({_ladder_es(g_l)})")
    ax.plot(brier["n_params"], brier["value"], color="#e15759", linestyle="--",
            label=f"Brier score, lower is better ({_ladder_es(-b_l)})")
    ax.axvline(params["mc_crossing_params"], color="#999999", linewidth=0.8)
    ax.set_title(f"D. {params['n_options']} options: grade vs Brier score", loc="left")
    ax.set_ylabel("score")
    ax.legend(fontsize=7)

    ax = axes[4]
    longest = max(lengths)
    exact = series("E", "accuracy_exact", longest)
    ax.plot(exact["n_params"], exact["value"], color="#333333", marker="o", ms=3, label="exact p^ℓ")
    sizes = sorted(int(v) for v in curves.loc[curves["panel"] == "E", "test_size"].dropna().unique())
    palette = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.85, max(len(sizes), 1)))
    for color, n in zip(palette, sizes, strict=False):
        s = series("E", "accuracy_measured", longest, n)
        ax.plot(s["n_params"], s["value"], color=color, marker=".", ms=4, linewidth=1, label=f"n = {n}")
    ax.set_title(f"E. ℓ = {longest} measured on n examples", loc="left")
    ax.set_ylabel("floor(p^ℓ · n) / n")
    ax.legend(fontsize=7, ncol=2)

    ax = axes[5]
    finite = resolution.loc[~resolution["es_infinite"], "es"].abs()
    top = float(finite.max()) * 2.0 if len(finite) else 10.0
    for length in lengths:
        part = resolution[(resolution["length"] == length) & resolution["test_size"].notna()].sort_values("test_size")
        shown = np.where(part["es_infinite"], top, part["es"])
        ax.plot(part["test_size"].astype(float), shown, marker="o", ms=3, color=colors[length], label=f"ℓ = {length}")
        inf = part["es_infinite"].to_numpy()
        ax.scatter(part["test_size"].astype(float)[inf], shown[inf], marker="^", s=45, color=colors[length], zorder=3)
        exact_es = resolution[(resolution["length"] == length) & resolution["test_size"].isna()]["es"]
        ax.axhline(float(exact_es.iloc[0]), color=colors[length], linestyle=":", linewidth=0.8)
    ax.axhline(top, color="#999999", linewidth=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(top=top * 1.4)
    ax.text(1.0, top, " ∞", transform=ax.get_yaxis_transform(), va="center", ha="left", fontsize=9)
    ax.set_xlabel("test examples n")
    ax.set_ylabel("emergence score of the measured accuracy")
    ax.set_title("F. ES vs test-set size (▲ = ∞; dotted: exact)", loc="left")
    ax.legend(fontsize=7, loc="center right")

    for ax in axes[:5]:
        log_x(ax)
    label_figure(
        fig,
        title="The Mirage argument: one smooth improvement, sharp or smooth by the metric",
        subtitle=(
            f"closed-form model, no data; ES on a ladder of {len(ladder)} log-spaced sizes; "
            "resolution by floor(acc · n) / n"
        ),
        data_label=f"none (closed-form model); run: {label}",
        synthetic=synthetic,
    )
    return fig


# --- rule ------------------------------------------------------------------------------------------


def run(
    *,
    figure: Any,
    figure_csv: str,
    resolution: str,
    c: float,
    alpha: float,
    n_min: float,
    n_max: float,
    n_models: int,
    n_grid: int,
    lengths: list[int],
    test_sizes: list[int],
    n_options: int,
    mc_crossing_params: float,
    mc_margin_sd: float,
    mc_length: int,
    zero_median_floor: float,
    label: str,
    synthetic: bool,
) -> None:
    if not (alpha < 0 < c and 0 < n_min < n_max):
        raise ValueError(f"toy: need alpha < 0 < c and 0 < n_min < n_max (got c={c}, alpha={alpha}, "
                         f"n_min={n_min}, n_max={n_max})")
    params = {"c": float(c), "alpha": float(alpha), "n_options": int(n_options),
              "mc_crossing_params": float(mc_crossing_params), "mc_margin_sd": float(mc_margin_sd),
              "mc_length": int(mc_length)}
    grid = np.logspace(math.log10(n_min), math.log10(n_max), int(n_grid))
    ladder = np.logspace(math.log10(n_min), math.log10(n_max), int(n_models))
    lengths = sorted({int(v) for v in lengths})
    sizes = sorted({int(v) for v in test_sizes})
    curves = curves_frame(grid, ladder, c=params["c"], alpha=params["alpha"], lengths=lengths, test_sizes=sizes,
                          n_options=params["n_options"], crossing_params=params["mc_crossing_params"],
                          margin_sd=params["mc_margin_sd"], option_length=params["mc_length"])
    table = resolution_table(ladder, c=params["c"], alpha=params["alpha"], lengths=lengths, test_sizes=sizes,
                             zero_median_floor=float(zero_median_floor))
    note = f"{label} | Mirage toy model: closed-form curves, no data"
    write_csv(curves, figure_csv, label=note)
    write_csv(table, resolution, label=note)
    with figure_style():
        fig = plot_toy(curves, table, ladder, params=params, label=label, synthetic=synthetic)
        save_figure(fig, figure)
    longest = table[table["length"] == max(lengths)]
    logger.info("l=%d: ES %s", max(lengths), ", ".join(
        f"n={'exact' if pd.isna(r.test_size) else r.test_size}: {r.es_floored:.3g}" for r in longest.itertuples()))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
