"""Rule figure_fig6: the same tasks under Multiple choice grade and under Brier score (Mirage Fig. 6).

Inputs: emergence.parquet (which curves are emergent, ES), curves.parquet (the points),
metrics.yaml. Output: figures/fig6_metric_swap.{formats} and the CSV of the plotted points.
Params: family (fig6.family, default "BIG-G T=0", the paper's "LaMDA"), tasks (fig6.tasks; empty =
the paper's procedure), n_tasks (fig6.n_tasks), scale, data_label, synthetic. docs/design.md §5.

Task choice (paper's procedure): task-level curves of `family` whose multiple_choice_grade curve
passes the possible emergence (Mirage screen) and that also have a
calibration_multiple_choice_brier_score curve at the same shot count; per task the shot count with
the highest MCG floored ES (`es_floored`); the top n_tasks by that floored ES. Floored, not raw: a
flat-then-one-jump curve has ES = +inf, and ranking by ES would order every such curve only by task
name; the floored ES (denominator at least zero_median_floor x the metric's range) ranks them by
the size of their jump and equals ES for every curve whose median step is above the floor. Brier values are drawn
raw (lower is better), as in the paper; its ES is on negated values when the emergence rule oriented
it. If no task qualifies, the figure says so instead of failing the run.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from scripts.lib.io import load_metric_facts, run_rule, write_csv
from scripts.lib.present.plot_style import (
    figure_style,
    label_figure,
    log_x,
    message_figure,
    new_figure,
    plot_curve,
    save_figure,
    task_colors,
)
from scripts.lib.present.text import direction_text, es_text, metric_name, shots_text

logger = logging.getLogger(__name__)

MCG = "multiple_choice_grade"
BRIER = "calibration_multiple_choice_brier_score"
TITLE = "Changing the metric: Multiple choice grade vs Brier score (Mirage Fig. 6)"
SELECTION_COLUMNS = [
    "task",
    "shots",
    "mcg_curve_id",
    "brier_curve_id",
    "mcg_es",
    "mcg_es_floored",
    "mcg_emergent",
    "brier_es",
    "brier_es_floored",
    "brier_emergent",
    "brier_oriented",
]
POINT_COLUMNS = ["panel", "task", "shots", "metric", "curve_id", "x", "value", "es", "emergent"]


def select_fig6_tasks(
    emergence: pd.DataFrame, *, family: str, n_tasks: int, tasks: Sequence[str] | None = None
) -> pd.DataFrame:
    """The (task, shots) pairs to draw, with the MCG and Brier curve ids and their ES (see module doc)."""
    fam = emergence[(emergence["family"] == family) & emergence["subtask"].isna()]
    keep = ["task", "shots", "curve_id", "es", "es_floored", "emergent"]
    mcg = fam.loc[fam["metric"] == MCG, keep]
    brier = fam.loc[fam["metric"] == BRIER, keep + ["oriented"]]
    pairs = mcg.merge(brier, on=["task", "shots"], suffixes=("_mcg", "_brier"))
    pairs = pairs.rename(
        columns={
            "curve_id_mcg": "mcg_curve_id",
            "curve_id_brier": "brier_curve_id",
            "es_mcg": "mcg_es",
            "es_floored_mcg": "mcg_es_floored",
            "emergent_mcg": "mcg_emergent",
            "es_brier": "brier_es",
            "es_floored_brier": "brier_es_floored",
            "emergent_brier": "brier_emergent",
            "oriented": "brier_oriented",
        }
    )
    for col in ("mcg_emergent", "brier_emergent", "brier_oriented"):
        pairs[col] = pairs[col].astype("boolean").fillna(False).astype(bool)
    if tasks:
        wanted = list(dict.fromkeys(tasks))
        absent = sorted(set(wanted) - set(pairs["task"]))
        if absent:
            logger.warning("fig6: tasks without both an MCG and a Brier curve for %s, left out: %s", family, absent)
        pairs = pairs[pairs["task"].isin(wanted)]
    else:
        pairs = pairs[pairs["mcg_emergent"]]
    ranked = pairs.sort_values(
        ["mcg_es_floored", "task", "shots"], ascending=[False, True, True], na_position="last", kind="mergesort"
    )
    best = ranked.drop_duplicates("task", keep="first")
    if tasks:
        best = best.set_index("task").loc[[t for t in wanted if t in set(best["task"])]].reset_index()
    else:
        best = best.head(n_tasks)
    return best[SELECTION_COLUMNS].reset_index(drop=True)


def fig6_points(selection: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """The plotted points: both curves of every selected task, sorted by panel, task order, size."""
    rows = []
    for order, sel in enumerate(selection.itertuples(index=False)):
        for panel, metric, cid, es, emergent in (
            ("left", MCG, sel.mcg_curve_id, sel.mcg_es, sel.mcg_emergent),
            ("right", BRIER, sel.brier_curve_id, sel.brier_es, sel.brier_emergent),
        ):
            pts = curves.loc[curves["curve_id"] == cid, ["x", "value"]].sort_values("x", kind="mergesort")
            rows.append(
                pts.assign(
                    panel=panel,
                    task=sel.task,
                    shots=sel.shots,
                    metric=metric,
                    curve_id=cid,
                    es=es,
                    emergent=emergent,
                    _order=order,
                )
            )
    if not rows:
        return pd.DataFrame(columns=POINT_COLUMNS)
    out = pd.concat(rows, ignore_index=True).sort_values(["panel", "_order", "x"], kind="mergesort")
    out["shots"] = out["shots"].astype("Int64")
    return out[POINT_COLUMNS].reset_index(drop=True)


def plot_fig6(
    selection: pd.DataFrame,
    points: pd.DataFrame,
    facts: Mapping[str, Mapping[str, Any]],
    *,
    family: str,
    chosen_by: str,
    scale: str,
    data_label: str,
    synthetic: bool,
) -> Figure:
    """Left: MCG vs size; right: raw Brier score vs size; same colour per task; ES in the legends."""
    if selection.empty:
        message = (
            f"No task qualifies for family {family!r}: {chosen_by}.\n"
            f"Fig. 6 needs a task-level {metric_name(MCG, facts)} curve and a {metric_name(BRIER, facts)} curve."
        )
        return message_figure(message, title=TITLE, data_label=data_label, synthetic=synthetic)
    colors = task_colors(selection["task"])
    fig = new_figure(11.0, 4.8)
    axes = fig.subplots(1, 2)
    for ax, panel, metric, es_col, floor_col in (
        (axes[0], "left", MCG, "mcg_es", "mcg_es_floored"),
        (axes[1], "right", BRIER, "brier_es", "brier_es_floored"),
    ):
        for sel in selection.itertuples(index=False):
            pts = points[(points["panel"] == panel) & (points["task"] == sel.task)]
            label = f"{sel.task} ({shots_text(sel.shots)}): {es_text(getattr(sel, es_col), getattr(sel, floor_col))}"
            plot_curve(ax, pts["x"], pts["value"], color=colors[sel.task], label=label)
        log_x(ax, scale)
        ax.set_ylabel(f"{metric_name(metric, facts)} ({direction_text(metric, facts)})")
        ax.legend(fontsize=7, loc="best")
    oriented = bool(selection["brier_oriented"].any())
    axes[0].set_title(f"{family}: {metric_name(MCG, facts)}")
    axes[1].set_title(
        f"{family}: {metric_name(BRIER, facts)} (raw values)"
        + ("\nES computed on negated values, so improvement is positive" if oriented else "")
    )
    label_figure(fig, title=TITLE, subtitle=f"Tasks: {chosen_by}", data_label=data_label, synthetic=synthetic)
    return fig


def run(
    *,
    emergence: str,
    curves: str,
    metrics: str,
    figure: Any,
    data: str,
    family: str,
    tasks: Sequence[str] | None,
    n_tasks: int,
    scale: str,
    data_label: str,
    synthetic: bool,
) -> None:
    facts = load_metric_facts(metrics)
    scored = pd.read_parquet(emergence)
    selection = select_fig6_tasks(scored, family=family, n_tasks=int(n_tasks), tasks=list(tasks or []))
    chosen_by = (
        f"as listed in config fig6.tasks ({len(selection)} of {len(tasks)} usable)"
        if tasks
        else f"top {n_tasks} by floored ES among tasks whose {metric_name(MCG, facts)} curve passes the Mirage screen "
        f"and that have a "
        f"{metric_name(BRIER, facts)} curve ({len(selection)} found)"
    )
    ids = set(selection["mcg_curve_id"]) | set(selection["brier_curve_id"])
    points_src = (
        pd.read_parquet(curves, columns=["curve_id", "x", "value"], filters=[("curve_id", "in", sorted(ids))])
        if ids
        else None
    )
    points = fig6_points(selection, points_src) if points_src is not None else pd.DataFrame(columns=POINT_COLUMNS)
    with figure_style():
        fig = plot_fig6(
            selection,
            points,
            facts,
            family=family,
            chosen_by=chosen_by,
            scale=scale,
            data_label=data_label,
            synthetic=synthetic,
        )
        save_figure(fig, figure)
    write_csv(points, data, label=data_label)
    logger.info("fig6: %s; tasks %s", chosen_by, list(selection["task"]))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
