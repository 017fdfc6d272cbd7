"""Rule toy_model: the Mirage paper's mathematical argument in closed form (no data).

Per-token loss L(N) = (N / c)^alpha and what each metric makes of p = exp(-L): exact match p^l
(sharp), token edit distance (smooth), a multiple-choice grade and Brier score, and the finite
test-set resolution that turns small accuracies into exact zeros; the ES of each on a ladder, and
both tested verdicts for the grade and Brier score at each test size. Derivation: docs/design.md
§9.5; verdicts: docs/statistics.md.

Outputs: figures/mirage_toy_model.csv (every number figure_toy draws, long format, see
`figure_numbers`), tables/toy_resolution.csv (per target length and test size: models reading 0,
ES, es_floored, es_infinite). Params: the toy.* config keys, sharpness, backtest,
zero_median_floor, label (a constant: no data source reaches this rule).
"""

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from scripts.lib.io import run_rule, write_csv
from scripts.lib.stats.emergence import es_matrix
from scripts.lib.stats.verdict_curves import ladder_tests

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
                    "es_floored": float(es_matrix(y, floor=zero_median_floor)),  # accuracy range = 1
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
        frames.append(
            pd.DataFrame(
                {"panel": panel, "series": series, "length": length, "test_size": test_size, "n_params": x, "value": y}
            )
        )

    p = per_token_prob(grid, c=c, alpha=alpha)
    add("A", "per_token_cross_entropy", grid, per_token_loss(grid, c=c, alpha=alpha))
    add("A", "per_token_probability", grid, p)
    for length in lengths:
        add("B", "accuracy", grid, accuracy(p, length), length)
        add("C", "token_edit_distance", grid, token_edit_distance(p, length), length)
    grade, brier = multiple_choice(
        grid,
        c=c,
        alpha=alpha,
        n_options=n_options,
        crossing_params=crossing_params,
        margin_sd=margin_sd,
        option_length=option_length,
    )
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


# --- figure data ----------------------------------------------------------------------------------


def _row(panel: str, series: str, value: Any, length: Any = None, test_size: Any = None) -> dict[str, Any]:
    """One FIGURE_COLUMNS row of a number that is not a point on a model-size axis (n_params empty)."""
    return {
        "panel": panel,
        "series": series,
        "length": length,
        "test_size": test_size,
        "n_params": None,
        "value": value,
    }


def figure_numbers(
    ladder: np.ndarray,
    resolution: pd.DataFrame,
    *,
    c: float,
    alpha: float,
    lengths: Sequence[int],
    n_options: int,
    crossing_params: float,
    margin_sd: float,
    option_length: int,
) -> pd.DataFrame:
    """The numbers the figure states besides its curves, as FIGURE_COLUMNS rows with n_params empty.

    - A: `param_c`, `param_alpha` (the title's L(N) = (N / c)^alpha);
    - B, C, D: `es_<series>`, the emergence score on the ladder of each curve a legend names, values
      oriented so that higher is better (edit distance and Brier score negated);
    - D: `param_n_options` (title), `param_mc_crossing_params` (the vertical line);
    - F: `es_accuracy_exact` per length and `es_accuracy_measured` per (length, test size), the ES
      of tables/toy_resolution.csv (inf when infinite).
    """
    p = per_token_prob(ladder, c=c, alpha=alpha)
    rows = [_row("A", "param_c", c), _row("A", "param_alpha", alpha)]
    for length in lengths:
        rows.append(_row("B", "es_accuracy", float(es_matrix(accuracy(p, length))), length))
    for length in lengths:
        rows.append(_row("C", "es_token_edit_distance", float(es_matrix(-token_edit_distance(p, length))), length))
    grade, brier = multiple_choice(
        ladder,
        c=c,
        alpha=alpha,
        n_options=n_options,
        crossing_params=crossing_params,
        margin_sd=margin_sd,
        option_length=option_length,
    )
    rows += [
        _row("D", "es_multiple_choice_grade", float(es_matrix(grade))),
        _row("D", "es_brier_score", float(es_matrix(-brier))),
        _row("D", "param_n_options", n_options),
        _row("D", "param_mc_crossing_params", crossing_params),
    ]
    for r in resolution.itertuples():
        exact = pd.isna(r.test_size)
        rows.append(
            _row(
                "F",
                "es_accuracy_exact" if exact else "es_accuracy_measured",
                r.es,
                r.length,
                None if exact else r.test_size,
            )
        )
    out = pd.DataFrame(rows, columns=FIGURE_COLUMNS)
    out["length"] = out["length"].astype("Int64")
    out["test_size"] = out["test_size"].astype("Int64")
    out["n_params"] = out["n_params"].astype(float)
    out["value"] = out["value"].astype(float)
    return out


def verdict_numbers(
    ladder: np.ndarray, params: dict[str, Any], test_sizes: Sequence[int], sharpness: dict, backtest: dict
) -> pd.DataFrame:
    """Panel G: p_sharp, sharp and unpredictable (1/0) of the ladder's grade and Brier score per test size.

    The Brier score passes the Mirage screen (ES 13.5 > 11) but is sharp at no n; the grade is from n = 30 on.
    """
    keys = {"crossing_params": "mc_crossing_params", "margin_sd": "mc_margin_sd", "option_length": "mc_length"}
    mc = {k: params[keys.get(k, k)] for k in ("c", "alpha", "n_options", *keys)}
    grade, brier = multiple_choice(ladder, **mc)
    pairs = (("multiple_choice_grade", grade, False), ("brier_score", brier, True))
    series = [(m, v, neg, n) for n in sorted(test_sizes) for m, v, neg in pairs]
    tests = ladder_tests(ladder, series, sharpness, backtest, task="toy")
    rows = [
        _row("G", f"{col}_{metric}", float(test[col]), test_size=n)
        for (metric, _, _, n), test in zip(series, tests.to_dict("records"), strict=True)
        for col in ("p_sharp", "sharp", "unpredictable")
    ]
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS).astype(
        {"length": "Int64", "test_size": "Int64", "n_params": float}
    )


# --- rule ------------------------------------------------------------------------------------------


def run(
    *,
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
    sharpness: dict[str, Any] | None = None,
    backtest: dict[str, Any] | None = None,
) -> None:
    if not (alpha < 0 < c and 0 < n_min < n_max):
        raise ValueError(
            f"toy: need alpha < 0 < c and 0 < n_min < n_max (got c={c}, alpha={alpha}, n_min={n_min}, n_max={n_max})"
        )
    params = {
        "c": float(c),
        "alpha": float(alpha),
        "n_options": int(n_options),
        "mc_crossing_params": float(mc_crossing_params),
        "mc_margin_sd": float(mc_margin_sd),
        "mc_length": int(mc_length),
    }
    grid = np.logspace(math.log10(n_min), math.log10(n_max), int(n_grid))
    ladder = np.logspace(math.log10(n_min), math.log10(n_max), int(n_models))
    lengths = sorted({int(v) for v in lengths})
    sizes = sorted({int(v) for v in test_sizes})
    curves = curves_frame(
        grid,
        ladder,
        c=params["c"],
        alpha=params["alpha"],
        lengths=lengths,
        test_sizes=sizes,
        n_options=params["n_options"],
        crossing_params=params["mc_crossing_params"],
        margin_sd=params["mc_margin_sd"],
        option_length=params["mc_length"],
    )
    table = resolution_table(
        ladder,
        c=params["c"],
        alpha=params["alpha"],
        lengths=lengths,
        test_sizes=sizes,
        zero_median_floor=float(zero_median_floor),
    )
    numbers = figure_numbers(
        ladder,
        table,
        c=params["c"],
        alpha=params["alpha"],
        lengths=lengths,
        n_options=params["n_options"],
        crossing_params=params["mc_crossing_params"],
        margin_sd=params["mc_margin_sd"],
        option_length=params["mc_length"],
    )
    parts = [curves, numbers]
    if sharpness is not None and backtest is not None:
        parts.append(tested := verdict_numbers(ladder, params, sizes, sharpness, backtest))
        flags = tested[tested["series"].str.startswith("sharp_")]
        logger.info("verdicts: %s", ", ".join(f"{r.series} n={r.test_size}: {r.value:g}" for r in flags.itertuples()))
    plotted = pd.concat(parts, ignore_index=True).sort_values("panel", kind="mergesort")
    write_csv(plotted, figure_csv, label=label)
    write_csv(table, resolution, label=label)
    longest = table[table["length"] == max(lengths)]
    logger.info(
        "l=%d: ES %s",
        max(lengths),
        ", ".join(
            f"n={'exact' if pd.isna(r.test_size) else r.test_size}: {r.es_floored:.3g}" for r in longest.itertuples()
        ),
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
