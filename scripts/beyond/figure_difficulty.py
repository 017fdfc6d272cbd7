"""Rule figure_difficulty: the difficulty groups over training FLOPs, one panel per task, as Wu & Lo draw them.

docs/difficulty.md. For 3 and 10 groups, one figure each: per task, every model of the paper's
figures as a point at (training FLOPs, -Brier score of the group; the paper's sign), the groups
coloured from easiest (light) to hardest (dark), all questions in black, a line through the running
median of `WINDOW` neighbouring models to guide the eye (not a fit), the task's threshold `<cut>` that
defined difficulty (red, dashed), and in each panel's title the groups the non-monotonicity test
calls U or inverted U (from difficulty_verdicts; p < level). Nothing is recomputed here.

Inputs: groups_table (difficulty_groups.parquet), verdicts (tables/difficulty_verdicts.csv).
Outputs: figure_g3, figure_g10 (figures/difficulty_groups_{3,10}.{formats}). Params: label.
"""

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from scripts.lib.io import read_csv, run_rule
from scripts.lib.present.plot_style import figure_style, label_figure, message_figure, new_figure, save_figure
from scripts.lib.sources.extracts.difficulty_groups import PAPER_EMERGENT

logger = logging.getLogger(__name__)

TITLE = "Difficulty groups of ExpEmergence (Wu & Lo 2025): -Brier score over training compute, {g} groups"
WINDOW = 9
"""Models in the running median drawn through each group's points."""
SHORT = {"U": "U", "inverted U": "∩"}


def group_colors(groups: int) -> list[str]:
    """Sequential (viridis), easiest light to hardest dark, so order reads as difficulty."""
    cmap = colormaps["viridis"]
    return [cmap(v) for v in np.linspace(0.88, 0.0, groups)]


def running_median(y: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Centred running median of y (ordered by x); the window shrinks at the ends."""
    half = window // 2
    padded = np.pad(np.asarray(y, float), half, constant_values=np.nan)
    return np.nanmedian(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)


def verdict_note(verdicts: pd.DataFrame) -> str:
    """'∩ 1, U 8 9 10' for the groups the test calls non-monotone (group 0 as 'all')."""
    parts = []
    for verdict in ("inverted U", "U"):
        groups = verdicts.loc[verdicts["verdict"].eq(verdict), "group"]
        if len(groups):
            names = " ".join("all" if g == 0 else str(g) for g in sorted(groups))
            parts.append(f"{SHORT[verdict]} {names}")
    return ", ".join(parts) if parts else "all monotone"


def draw_task(ax: Axes, data: pd.DataFrame, verdicts: pd.DataFrame, *, groups: int) -> None:
    """One task's groups (coloured), the aggregate (black), the cut (red dashed) and the verdict note."""
    colors = ["black", *group_colors(groups)]
    for group, part in data.groupby("group", sort=True):
        part = part.sort_values(["flops", "model"], kind="stable")
        x, y = part["flops"].to_numpy(float), -part["value"].to_numpy(float)
        color = colors[int(group)]
        label = "all questions" if group == 0 else f"{group}" + (" (easiest)" if group == 1 else "")
        label += " (hardest)" if group == groups else ""
        ax.scatter(x, y, s=7, color=color, alpha=0.75, linewidths=0, label=label, zorder=3 if group == 0 else 2)
        ax.plot(x, running_median(y), color=color, linewidth=1.6 if group == 0 else 1.0, zorder=4 if group == 0 else 2)
    ax.axvline(float(data["cut_flops"].iat[0]), color="#c00000", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())  # minor log ticks were most of the drawing time (docs/performance.md)


def plot_groups(data: pd.DataFrame, verdicts: pd.DataFrame, *, groups: int, label: str) -> Figure:
    """A grid with one panel per task (the paper's 'emergence' tasks first)."""
    title = TITLE.format(g=groups)
    part = data[data["groups"].eq(groups)]
    if part.empty:
        return message_figure(f"No {groups}-group files.", title=title, data_label=label, synthetic=False)
    tasks = sorted(part["task"].unique(), key=lambda t: (t not in PAPER_EMERGENT, t))
    cols = 3
    rows = int(np.ceil(len(tasks) / cols))
    fig = new_figure(11, 2.6 * rows + 1.2)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, task in zip(axes, tasks, strict=False):
        mine = verdicts[verdicts["task"].eq(task) & verdicts["groups"].eq(groups)]
        draw_task(ax, part[part["task"].eq(task)], mine[mine["metric"].eq("brier_score")], groups=groups)
        kind = "emergence" if task in PAPER_EMERGENT else "no emergence"
        ax.set_title(
            f"{task} (paper: {kind})\ntest: {verdict_note(mine[mine['metric'].eq('brier_score')])}", fontsize=8
        )
    for ax in axes[len(tasks) :]:
        ax.axis("off")
    for ax in axes[(rows - 1) * cols :]:
        ax.set_xlabel("training compute (FLOPs)", fontsize=8)
    for ax in axes[::cols]:
        ax.set_ylabel("-Brier score (higher is better)", fontsize=8)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right center", title="difficulty group", fontsize=7, markerscale=2)
    subtitle = (
        "Groups: the task's questions sorted by the mean Brier score of the models below the red dashed "
        f"threshold, cut into {groups} equal parts. Lines: running median of {WINDOW} models (a guide, not a fit). "
        "test: the groups the non-monotonicity test calls inverted U (∩) or U (p below the level)."
    )
    label_figure(fig, title=title, subtitle=subtitle, data_label=label, synthetic=False)
    return fig


def tested_points(groups_table: pd.DataFrame) -> pd.DataFrame:
    """The Brier rows the test saw: models of the paper's figures with FLOPs."""
    keep = groups_table["metric"].eq("brier_score") & groups_table["in_paper_figures"]
    return groups_table[keep & np.isfinite(groups_table["flops"]) & groups_table["value"].notna()]


def run(*, groups_table: str, verdicts: str, figure_g3: Sequence[str], figure_g10: Sequence[str], label: str) -> None:
    data = tested_points(pd.read_parquet(groups_table))
    table = read_csv(verdicts)
    with figure_style():
        for groups, paths in ((3, figure_g3), (10, figure_g10)):
            save_figure(plot_groups(data, table, groups=groups, label=label), paths)
    logger.info("drew %d tasks for 3 and 10 groups", data["task"].nunique())


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
