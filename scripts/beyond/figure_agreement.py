"""Rule figure_agreement: the Mirage screen against human judgement (Wei et al. 2022, App. E; docs/design.md §9.4).

Draws figures/agreement.{formats} from figures/agreement.csv, which rule human_agreement writes: per
comparison (all tasks; scale-matched) and model family the confusion counts (positive = emergent),
precision and recall with 95% Wilson intervals and Cohen's kappa, and what the subtitle states (the
classes file, the human classes counted as emergent and as not emergent). Left: the all-families
confusion matrix over all tasks; right: precision and recall per family and comparison. Nothing is
recomputed here, so editing `figures.formats` reruns only this drawing.

Input: the figure CSV. Output: the figure in every format. Params: label, synthetic.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scripts.lib.io import run_rule
from scripts.lib.present.names import ALL_FAMILIES, COMPARISONS
from scripts.lib.present.plot_style import draw_table, label_figure, message_figure, new_figure

logger = logging.getLogger(__name__)

TITLE = "Possible emergence (Mirage screen) vs human judgement (Wei et al. 2022, App. E)"


def _classes(joined: Any) -> str:
    """'a; b' (as the CSV stores a list of classes) -> 'a / b'; an empty list reads back as NaN."""
    return "" if pd.isna(joined) else " / ".join(str(joined).split("; "))


def plot_agreement(table: pd.DataFrame, *, label: str, synthetic: bool) -> Figure:
    """Left: the all-families confusion matrix; right: precision and recall per family with Wilson intervals."""
    overall = table[(table["family"] == ALL_FAMILIES) & (table["comparison"] == COMPARISONS[0])]
    if overall.empty or int(overall["tasks"].iloc[0]) == 0:
        return message_figure(
            "No task is both in the data and classified by Wei et al. (2022).",
            title=TITLE,
            data_label=label,
            synthetic=synthetic,
        )
    row = overall.iloc[0]
    fig = new_figure(11, 1.8 + 0.45 * max(4, len(table)))
    ax_c, ax_p = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    matrix = np.array([[row["tp"], row["fn"]], [row["fp"], row["tn"]]], dtype=float)
    ax_c.imshow(matrix, cmap="Blues", vmin=0, vmax=max(1.0, matrix.max()) * 1.3)
    names = [["agree (emergent)", "we miss"], ["we add", "agree (not)"]]
    for i in range(2):
        for j in range(2):
            ax_c.text(j, i, f"{int(matrix[i, j])}\n{names[i][j]}", ha="center", va="center", fontsize=9)
    ax_c.set_xticks([0, 1], ["screen: passes", "screen: not"])
    ax_c.set_yticks([0, 1], ["human: emergent", "human: not"])
    ax_c.grid(False)
    ax_c.set_title(f"all families, all tasks: {int(row['tasks'])}, κ = {row['cohen_kappa']:.2f}", loc="left")

    ys = np.arange(len(table))
    for offset, what, color in ((-0.15, "precision", "#4e79a7"), (0.15, "recall", "#f28e2b")):
        val = table[what].to_numpy(dtype=float)
        err = np.vstack([val - table[f"{what}_ci_low"], table[f"{what}_ci_high"] - val]).clip(min=0)
        ax_p.errorbar(val, ys + offset, xerr=np.nan_to_num(err), fmt="o", color=color, capsize=3, label=what)
    names = [
        f"{f}{'' if c == COMPARISONS[0] else ', ' + c} (n = {n})"
        for c, f, n in zip(table["comparison"], table["family"], table["tasks"], strict=True)
    ]
    ax_p.set_yticks(ys, names)
    ax_p.set_ylim(len(table) - 0.5, -0.5)
    ax_p.set_xlim(-0.02, 1.02)
    ax_p.set_xlabel("precision / recall (positive = emergent; 95% Wilson intervals)")
    ax_p.legend(fontsize=8, loc="lower left")
    ax_p.grid(axis="y", visible=False)
    ax_p.set_title("per model family; scale-matched: human positives the family's size can reach", loc="left")
    label_figure(
        fig,
        title=TITLE,
        subtitle=(
            f"human: {_classes(row['emergent_classes'])} vs {_classes(row['not_emergent_classes'])}; "
            "ours: any preferred-metric curve passes the Mirage screen.\n"
            f"Classes: {row['classes_file']}"
        ),
        data_label=label,
        synthetic=synthetic,
    )
    return fig


def run(*, data: str, figure: Any, label: str, synthetic: bool) -> None:
    table = draw_table(
        data, figure, lambda t: plot_agreement(t, label=label, synthetic=synthetic), dtype={"family": str}
    )
    logger.info("drew %d families", len(table))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
