"""Rule figure_fig6_real: Mirage Fig. 6 on real models, the same outputs under a sharp and a continuous metric.

One row of panels per real extract that scores the same outputs under more than one metric
(docs/extracts.md), next to the paper's own LaMDA panel where the data has it:

1. ExpEmergence (Wu & Lo 2025): multiple-choice accuracy vs (target-conditioned) Brier score; one
   line per model family with at least MIN_SIZES sizes, on the task with the most emergent
   accuracy curves among them.
2. ObsScaling (Ruan et al. 2024): international_phonetic_alphabet_transliterate under exact match
   vs BLEU; one line per family with at least MIN_SIZES sizes.
3. on-emergence (Lu et al. 2024): exact match vs BERTScore vs edit distance; the family with the
   most such cases, one line per task (the MAX_LINES tasks with the highest exact-match ES, each at
   its shot count with the highest ES).
4. The paper's panel: BIG-G T=0 ("LaMDA") multiple_choice_grade vs BIG-bench's Brier score; the
   extracts hold no BIG-G Brier score, so the row says so when that is the case.

Raw values are drawn (lower-is-better metrics are not negated; their ES is on negated values when
orient_metrics is set). The legend gives each curve's ES and whether the Mirage screen flags it.

Inputs: emergence.parquet, curves.parquet, scores.parquet (which extract each curve came from),
metrics.yaml. Outputs: figures/fig6_real_models.{formats} and the CSV of the plotted points.
Params: scale, data_label.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scripts.lib.io import load_metric_facts, run_rule, write_csv
from scripts.lib.present.plot_style import (
    figure_style,
    label_figure,
    log_x,
    new_figure,
    plot_curve,
    save_figure,
    task_colors,
)
from scripts.lib.present.text import direction_text, es_text, metric_name, shots_text
from scripts.lib.sources.extracts.curves import read_curve_sources, with_source

logger = logging.getLogger(__name__)

MIN_SIZES = 4
MAX_LINES = 6
TITLE = "Changing the metric on real models (Mirage Fig. 6): the same outputs, a sharp and a continuous metric"
LINE_KEYS = ["family", "task", "subtask", "shots"]
POINT_COLUMNS = ["row", "line", *LINE_KEYS, "metric", "curve_id", "x", "value", "es", "emergent"]


@dataclass(frozen=True)
class RowSpec:
    """One row of panels: which curves, and whether its lines are families (one task) or tasks (one family)."""

    title: str
    metrics: tuple[str, ...]
    extract: str | None = None
    family: str | None = None
    task: str | None = None
    lines: str = "family"


ROWS = (
    RowSpec(
        "ExpEmergence (Wu & Lo 2025): accuracy vs Brier score",
        ("multiple_choice_grade", "brier_score"),
        extract="expemergence",
    ),
    RowSpec(
        "ObsScaling (Ruan et al. 2024): IPA transliteration, exact match vs BLEU",
        ("exact_str_match", "bleu"),
        extract="obsscaling",
        task="international_phonetic_alphabet_transliterate",
    ),
    RowSpec(
        "on-emergence (Lu et al. 2024): exact match vs BERTScore vs edit distance",
        ("exact_match_accuracy", "bertscore", "edit_distance"),
        extract="on_emergence",
        lines="task",
    ),
    RowSpec(
        'The paper\'s panel: BIG-G T=0 ("LaMDA"), multiple choice grade vs Brier score',
        ("multiple_choice_grade", "calibration_multiple_choice_brier_score"),
        family="BIG-G T=0",
        lines="task",
    ),
)


def complete_lines(emergence: pd.DataFrame, spec: RowSpec) -> pd.DataFrame:
    """(family, task, subtask, shots) with a curve of >= MIN_SIZES points under every metric of the row.

    Columns: the line keys, then per metric `<metric>:curve_id`, `:es`, `:es_floored`, `:emergent`.
    """
    sel = emergence[emergence["metric"].isin(spec.metrics) & (emergence["n_points"] >= MIN_SIZES)]
    if spec.extract is not None:
        sel = sel[sel["source"] == spec.extract]
    if spec.family is not None:
        sel = sel[sel["family"] == spec.family]
    if spec.task is not None:
        sel = sel[sel["task"] == spec.task]
    keyed = sel.assign(subtask=sel["subtask"].fillna(""), shots=sel["shots"].astype("Int64").fillna(-1))
    wide = None
    for metric in spec.metrics:
        part = keyed.loc[keyed["metric"] == metric, [*LINE_KEYS, "curve_id", "es", "es_floored", "emergent"]]
        part = part.rename(columns={c: f"{metric}:{c}" for c in ("curve_id", "es", "es_floored", "emergent")})
        wide = part if wide is None else wide.merge(part, on=LINE_KEYS)
    return wide.sort_values(LINE_KEYS, kind="stable").reset_index(drop=True)


def choose_lines(lines: pd.DataFrame, spec: RowSpec) -> pd.DataFrame:
    """The lines drawn: families on the best task (`lines='family'`) or the top tasks of the best family."""
    if lines.empty:
        return lines
    first = spec.metrics[0]
    flagged = lines[f"{first}:emergent"].astype(bool)
    if spec.lines == "family":
        # The (task, subtask, shots) with the most emergent first-metric curves, then the most lines.
        group = ["task", "subtask", "shots"]
        score = lines.assign(_em=flagged).groupby(group).agg(n_em=("_em", "sum"), n=("_em", "size")).reset_index()
        best = score.sort_values(["n_em", "n", *group], ascending=[False, False, True, True, True]).iloc[0]
        chosen = lines[(lines[group] == best[group].to_numpy()).all(axis=1)]
        return chosen.head(MAX_LINES).reset_index(drop=True)
    # One family (the one with the most complete lines), its tasks by first-metric ES, one shot count each.
    family = lines.groupby("family").size().sort_values(ascending=False, kind="stable").index[0]
    fam = lines[lines["family"] == family].sort_values(
        [f"{first}:emergent", f"{first}:es_floored", "task"], ascending=[False, False, True], kind="stable"
    )
    return fam.drop_duplicates(["task", "subtask"]).head(MAX_LINES).reset_index(drop=True)


def line_label(row: pd.Series, spec: RowSpec) -> str:
    """The legend name of a line: the family (one task per row) or the task and shots (one family)."""
    shots = None if row["shots"] < 0 else int(row["shots"])
    return str(row["family"]) if spec.lines == "family" else f"{row['task']} ({shots_text(shots)})"


def fig6_real_points(emergence: pd.DataFrame, curves: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, str]]:
    """The plotted points of every row, and per row the subtitle (what was chosen, or why it is empty)."""
    rows, notes = [], {}
    for i, spec in enumerate(ROWS):
        chosen = choose_lines(complete_lines(emergence, spec), spec)
        if chosen.empty:
            notes[i] = f"not in these data (no case with >= {MIN_SIZES} sizes under every metric of the row)"
            continue
        first = chosen.iloc[0]
        notes[i] = (
            f"task {first['task']} ({shots_text(None if first['shots'] < 0 else int(first['shots']))})"
            if spec.lines == "family"
            else f"family {first['family']}"
        )
        for _, line in chosen.iterrows():
            for metric in spec.metrics:
                cid = line[f"{metric}:curve_id"]
                pts = curves.loc[curves["curve_id"] == cid, ["x", "value"]].sort_values("x", kind="mergesort")
                rows.append(
                    pts.assign(
                        row=i,
                        line=line_label(line, spec),
                        family=line["family"],
                        task=line["task"],
                        subtask=line["subtask"] or None,
                        shots=None if line["shots"] < 0 else int(line["shots"]),
                        metric=metric,
                        curve_id=cid,
                        es=line[f"{metric}:es"],
                        emergent=bool(line[f"{metric}:emergent"]),
                    )
                )
    if not rows:
        return pd.DataFrame(columns=POINT_COLUMNS), notes
    out = pd.concat(rows, ignore_index=True)
    out["shots"] = out["shots"].astype("Int64")
    return out[POINT_COLUMNS].reset_index(drop=True), notes


def _draw_panel(ax: Axes, pts: pd.DataFrame, colors: Mapping[str, str], facts: Mapping[str, Any], scale: str) -> None:
    metric = pts["metric"].iat[0]
    for line, grp in pts.groupby("line", sort=False):
        flag = " *" if bool(grp["emergent"].iat[0]) else ""
        plot_curve(ax, grp["x"], grp["value"], color=colors[line], label=f"{line}: {es_text(grp['es'].iat[0])}{flag}")
    log_x(ax, scale)
    ax.set_title(metric_name(metric, facts), fontsize=9)
    ax.set_ylabel(direction_text(metric, facts), fontsize=8)
    ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=1, frameon=False)


def plot_fig6_real(
    points: pd.DataFrame, notes: Mapping[int, str], facts: Mapping[str, Any], *, scale: str, data_label: str
) -> Figure:
    """One row (sub-figure) per RowSpec, one panel per metric; * marks a curve the Mirage screen flags."""
    ncols = max(len(s.metrics) for s in ROWS)
    drawn = [not points[points["row"] == i].empty for i in range(len(ROWS))]
    heights = [5.2 if d else 0.6 for d in drawn]
    fig = new_figure(4.6 * ncols, sum(heights) + 0.8)
    subfigs = fig.subfigures(len(ROWS), 1, height_ratios=heights)
    for i, (spec, sub) in enumerate(zip(ROWS, subfigs, strict=True)):
        sub.suptitle(f"{spec.title}: {notes.get(i, '')}", fontsize=9, fontweight="bold")
        if not drawn[i]:
            continue
        row_pts = points[points["row"] == i]
        colors = task_colors(list(dict.fromkeys(row_pts["line"])))
        axes = sub.subplots(1, ncols, squeeze=False)[0]
        for j, ax in enumerate(axes):
            if j >= len(spec.metrics):
                ax.axis("off")
                continue
            _draw_panel(ax, row_pts[row_pts["metric"] == spec.metrics[j]], colors, facts, scale)
            if spec.extract is not None and scale == "non_embedding_params":
                ax.set_xlabel("Model parameters (published total count)")
    label_figure(
        fig,
        title=TITLE,
        subtitle="Legends: each curve's emergence score; * = flagged by the Mirage screen.",
        data_label=data_label,
        synthetic=False,
    )
    return fig


def run(
    *,
    emergence: str,
    curves: str,
    scores: str,
    metrics: str,
    figure: Sequence[str],
    data: str,
    scale: str,
    data_label: str,
) -> None:
    facts = load_metric_facts(metrics)
    scored = with_source(pd.read_parquet(emergence), read_curve_sources(scores))
    points, notes = fig6_real_points(scored, pd.read_parquet(curves, columns=["curve_id", "x", "value"]))
    with figure_style():
        save_figure(plot_fig6_real(points, notes, facts, scale=scale, data_label=data_label), figure)
    write_csv(points, data, label=data_label)
    for i, spec in enumerate(ROWS):
        logger.info("fig6_real row %d (%s): %s", i + 1, spec.title, notes.get(i))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
