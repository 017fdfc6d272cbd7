"""Rule figure_fig5a: the emergence score of every preferred-metric curve, per metric (Mirage Fig. 5A).

Input: emergence.parquet (es_floored, threshold and emergent per curve), metrics.yaml (names,
colours). Output: figures/fig5a_emergence_by_preferred_metric.{formats} and the CSV of the plotted
points beside it. Params: data_label, synthetic; the screen's criterion in the subtitle is read from
the table. docs/design.md §4-§5.

Why es_floored: ES is infinite for a flat-then-jump curve; the floored companion is finite, so every
curve can be drawn (infinite ones are marked with a triangle). With `emergence_threshold: auto`
each curve has its own threshold (n_points − 1): the figure shades their range and draws the
median as the typical value, and says so.
"""

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from scripts.lib.io import load_metric_facts, run_rule, write_csv
from scripts.lib.present.plot_style import (
    figure_style,
    label_figure,
    message_figure,
    metric_color,
    new_figure,
    save_figure,
)
from scripts.lib.present.text import metric_name, threshold_text
from scripts.lib.stats.emergence import screen_setting
from scripts.lib.stats.tally import preferred_curves

logger = logging.getLogger(__name__)

TITLE = "Emergence score of every curve under its preferred metric (Mirage Fig. 5A)"
POINT_COLUMNS = [
    "metric",
    "name",
    "family",
    "task",
    "subtask",
    "shots",
    "n_points",
    "es",
    "es_floored",
    "es_infinite",
    "threshold",
    "emergent",
]


def fig5a_data(emergence: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """The plotted points: preferred-metric curves, metrics ordered by emergent curves then curves."""
    pref = preferred_curves(emergence).copy()
    if pref.empty:
        return pd.DataFrame(columns=POINT_COLUMNS)
    pref["emergent"] = pref["emergent"].astype("boolean").fillna(False).astype(bool)
    pref["name"] = [metric_name(m, facts) for m in pref["metric"]]
    counts = pref.groupby("metric").agg(k=("emergent", "sum"), n=("emergent", "size"))
    order = counts.reset_index().sort_values(["k", "n", "metric"], ascending=[False, False, True], kind="mergesort")
    rank = {m: i for i, m in enumerate(order["metric"])}
    pref["_rank"] = pref["metric"].map(rank)
    pref = pref.sort_values(
        ["_rank", "family", "task", "subtask", "shots"], na_position="first", kind="mergesort"
    ).reset_index(drop=True)
    return pref[POINT_COLUMNS]


def _threshold_artists(ax: Any, thresholds: pd.Series) -> list[Any]:
    """A line for one threshold; for per-curve thresholds a band over their range plus the median."""
    values = thresholds.dropna().astype(float)
    if values.empty:
        return []
    lo, hi, med = float(values.min()), float(values.max()), float(values.median())
    if np.isclose(lo, hi):
        ax.axhline(lo, color="black", linestyle="--", linewidth=1)
        return [Line2D([], [], color="black", linestyle="--", label=f"threshold ES = {lo:g}")]
    ax.axhspan(lo, hi, color="grey", alpha=0.15, linewidth=0)
    ax.axhline(med, color="black", linestyle="--", linewidth=1)
    return [
        Patch(color="grey", alpha=0.3, label=f"per-curve thresholds (n_points − 1): {lo:g}–{hi:g}"),
        Line2D([], [], color="black", linestyle="--", label=f"typical threshold (median) = {med:g}"),
    ]


def plot_fig5a(
    points: pd.DataFrame,
    facts: Mapping[str, Mapping[str, Any]],
    *,
    emergence_threshold: Any,
    min_effect: float,
    data_label: str,
    synthetic: bool,
) -> Figure:
    """Box + deterministic-jitter strip of es_floored per preferred metric on a symlog axis."""
    criterion = threshold_text(emergence_threshold, min_effect)
    if points.empty:
        return message_figure(
            "No preferred-metric curves were scored.", title=TITLE, data_label=data_label, synthetic=synthetic
        )
    metrics = list(dict.fromkeys(points["metric"]))
    n_with = int(points.groupby("metric")["emergent"].any().sum())
    fig = new_figure(max(8.0, 0.55 * len(metrics) + 4.5), 5.5)
    ax = fig.add_subplot()
    rng = np.random.default_rng(0)  # fixed jitter: reruns draw the same points
    label_at = blended_transform_factory(ax.transData, ax.transAxes)
    for i, metric in enumerate(metrics):
        sub = points[points["metric"] == metric]
        y = sub["es_floored"].astype(float).to_numpy()
        color = metric_color(metric, facts)
        ax.boxplot(
            y[np.isfinite(y)],
            positions=[i],
            widths=0.6,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": color, "alpha": 0.25, "edgecolor": color},
            medianprops={"color": color},
            whiskerprops={"color": color},
            capprops={"color": color},
        )
        x = i + rng.uniform(-0.22, 0.22, size=len(sub))
        emergent = sub["emergent"].to_numpy(bool)
        infinite = sub["es_infinite"].astype("boolean").fillna(False).to_numpy(bool)
        for mask, marker in ((~infinite, "o"), (infinite, "^")):
            ax.scatter(x[mask & ~emergent], y[mask & ~emergent], s=12, marker=marker, color=color, alpha=0.35, lw=0)
            ax.scatter(
                x[mask & emergent], y[mask & emergent], s=22, marker=marker, color=color, edgecolor="black", lw=0.6
            )
        ax.text(i, 1.0, f"{int(emergent.sum())}/{len(sub)}", transform=label_at, ha="center", va="bottom", fontsize=7)
    handles = _threshold_artists(ax, points["threshold"])
    handles += [
        Line2D([], [], marker="o", ls="", color="grey", mec="black", label="possible emergence (Mirage screen)"),
        Line2D([], [], marker="o", ls="", color="grey", alpha=0.35, mec="none", label="does not pass the screen"),
        Line2D([], [], marker="^", ls="", color="grey", label="ES infinite (floored value shown)"),
    ]
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xticks(range(len(metrics)), [metric_name(m, facts) for m in metrics], rotation=40, ha="right")
    ax.set_xlim(-0.7, len(metrics) - 0.3)
    ax.set_ylabel("Emergence score (floored; symlog scale)")
    ax.set_xlabel("Preferred metric (numbers above: curves passing the Mirage screen / all curves)")
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    subtitle = (
        f"{n_with} of {len(metrics)} preferred metrics show possible emergence (Mirage screen) in ≥1 curve\n"
        f"Mirage screen: {criterion}"
    )
    label_figure(fig, title=TITLE, subtitle=subtitle, data_label=data_label, synthetic=synthetic)
    return fig


def run(
    *,
    emergence: str,
    metrics: str,
    figure: Any,
    data: str,
    data_label: str,
    synthetic: bool,
) -> None:
    facts = load_metric_facts(metrics)
    scored = pd.read_parquet(emergence)
    points = fig5a_data(scored, facts)
    emergence_threshold, min_effect = screen_setting(scored)
    with figure_style():
        fig = plot_fig5a(
            points,
            facts,
            emergence_threshold=emergence_threshold,
            min_effect=min_effect,
            data_label=data_label,
            synthetic=synthetic,
        )
        save_figure(fig, figure)
    write_csv(points, data, label=data_label)
    logger.info("%d preferred-metric curves under %d metrics", len(points), points["metric"].nunique())


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
