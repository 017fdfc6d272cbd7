"""Rule figure_toy: the Mirage argument in six panels, from the toy model's numbers (docs/design.md §9.5).

Draws figures/mirage_toy_model.{formats} from figures/mirage_toy_model.csv, which rule toy_model
writes in long format (panel, series, length, test_size, n_params, value): A, per-token
cross-entropy and probability; B, accuracy p^l (sharp); C, token edit distance l(1 - p) (smooth);
D, multiple choice grade vs Brier score; E, accuracy measured on n test examples; F, the emergence
score of the measured accuracy against n. The legends' ES, the titles' constants and panel F are
rows of the same CSV (`scripts.beyond.toy_model.figure_numbers`). Nothing is recomputed here, so editing
`figures.formats` reruns only this drawing.

The model has no data: the figure carries no SYNTHETIC DATA banner, whatever the source, and its
footer names the model (param `label`, a constant).

Input: the figure CSV. Output: the figure in every format. Params: label.
"""

import logging
import math
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scripts.lib.io import run_rule
from scripts.lib.present.plot_style import draw_table, label_figure, log_x, new_figure

logger = logging.getLogger(__name__)

LENGTH_COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f")


def es_label(es: float) -> str:
    """'ES = 10.1', 'ES = 7.1e+05', 'ES = ∞' for a legend."""
    if math.isinf(es):
        return "ES = ∞" if es > 0 else "ES = −∞"
    return f"ES = {es:.1f}" if abs(es) < 1000 else f"ES = {es:.2g}"


def plot_toy(data: pd.DataFrame, *, label: str) -> Figure:
    """Six panels: loss and p; accuracy; edit distance; MCG vs Brier; resolution staircase; ES vs test size."""
    fig = new_figure(13, 8)
    axes = fig.subplots(2, 3).ravel()
    lengths = sorted(int(v) for v in data.loc[data["panel"] == "B", "length"].dropna().unique())
    colors = {length: LENGTH_COLORS[i % len(LENGTH_COLORS)] for i, length in enumerate(lengths)}

    def series(panel: str, name: str, length: Any = None, test_size: Any = None) -> pd.DataFrame:
        sel = (data["panel"] == panel) & (data["series"] == name)
        if length is not None:
            sel &= data["length"] == length
        sel &= data["test_size"].isna() if test_size is None else data["test_size"] == test_size
        return data[sel]

    def number(panel: str, name: str, length: Any = None) -> float:
        return float(series(panel, name, length)["value"].iloc[0])

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
    ax.set_title(f"A. L(N) = (N / {number('A', 'param_c'):.3g})^{number('A', 'param_alpha'):g}", loc="left")
    ax.legend(handles=[*ax.get_lines(), *twin.get_lines()], fontsize=7, loc="center right")

    for ax, panel, name, title, ylabel in (
        (axes[1], "B", "accuracy", "B. accuracy p^ℓ: sharp", "exact string match"),
        (
            axes[2],
            "C",
            "token_edit_distance",
            "C. token edit distance ℓ(1 − p): smooth",
            "expected wrong tokens (lower is better)",
        ),
    ):
        for length in lengths:
            s = series(panel, name, length)
            ax.plot(
                s["n_params"],
                s["value"],
                color=colors[length],
                label=f"ℓ = {length} ({es_label(number(panel, f'es_{name}', length))})",
            )
        ax.set_title(title, loc="left")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)

    ax = axes[3]
    grade, brier = series("D", "multiple_choice_grade"), series("D", "brier_score")
    ax.plot(
        grade["n_params"],
        grade["value"],
        color="#4e79a7",
        label=f"multiple choice grade ({es_label(number('D', 'es_multiple_choice_grade'))})",
    )
    ax.plot(
        brier["n_params"],
        brier["value"],
        color="#e15759",
        linestyle="--",
        label=f"Brier score, lower is better ({es_label(number('D', 'es_brier_score'))})",
    )
    ax.axvline(number("D", "param_mc_crossing_params"), color="#999999", linewidth=0.8)
    ax.set_title(f"D. {int(number('D', 'param_n_options'))} options: grade vs Brier score", loc="left")
    ax.set_ylabel("score")
    ax.legend(fontsize=7)

    ax = axes[4]
    longest = max(lengths)
    exact = series("E", "accuracy_exact", longest)
    ax.plot(exact["n_params"], exact["value"], color="#333333", marker="o", ms=3, label="exact p^ℓ")
    sizes = sorted(int(v) for v in data.loc[data["panel"] == "E", "test_size"].dropna().unique())
    palette = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.85, max(len(sizes), 1)))
    for color, n in zip(palette, sizes, strict=False):
        s = series("E", "accuracy_measured", longest, n)
        ax.plot(s["n_params"], s["value"], color=color, marker=".", ms=4, linewidth=1, label=f"n = {n}")
    ax.set_title(f"E. ℓ = {longest} measured on n examples", loc="left")
    ax.set_ylabel("floor(p^ℓ · n) / n")
    ax.legend(fontsize=7, ncol=2)

    ax = axes[5]
    es_rows = data[data["panel"] == "F"]
    finite = es_rows.loc[~np.isinf(es_rows["value"]), "value"].abs()
    top = float(finite.max()) * 2.0 if len(finite) else 10.0
    for length in lengths:
        part = es_rows[(es_rows["series"] == "es_accuracy_measured") & (es_rows["length"] == length)]
        part = part.sort_values("test_size")
        inf = np.isinf(part["value"].to_numpy())
        shown = np.where(inf, top, part["value"])
        ax.plot(part["test_size"].astype(float), shown, marker="o", ms=3, color=colors[length], label=f"ℓ = {length}")
        ax.scatter(part["test_size"].astype(float)[inf], shown[inf], marker="^", s=45, color=colors[length], zorder=3)
        ax.axhline(number("F", "es_accuracy_exact", length), color=colors[length], linestyle=":", linewidth=0.8)
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
            f"closed-form model, no data; ES on a ladder of {len(exact)} log-spaced sizes; "
            "resolution by floor(acc · n) / n"
        ),
        data_label=label,
        synthetic=False,
    )
    return fig


def run(*, data: str, figure: Any, label: str) -> None:
    curves = draw_table(data, figure, lambda t: plot_toy(t, label=label))
    logger.info("drew %d points", int(curves["n_params"].notna().sum()))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
