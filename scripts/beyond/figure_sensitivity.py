"""Rule figure_sensitivity: the emergent tally across thresholds and min_effect values (docs/design.md §9.3).

Draws figures/threshold_sensitivity.{formats} from figures/threshold_sensitivity.csv, which rule
threshold_sensitivity writes in long format (`panel`): A, emergent preferred-metric curves per
metric against the ES threshold at the configured min_effect; B, the same against min_effect at the
configured threshold; C, the preferred metrics with emergence at every grid point, green where the
"few metrics" test holds, the configured point boxed. The configured pair, the test's definition
and the x ticks of panel A are read from the panel C rows. Nothing is recomputed here, so editing
`figures.formats` reruns only this drawing.

Inputs: the figure CSV, metrics.yaml (metric names and colours). Output: the figure in every format.
Params: label, synthetic.
"""

import logging
import math
import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from scripts.lib.io import load_metric_facts, run_rule
from scripts.lib.present.plot_style import draw_table, label_figure, message_figure, metric_color, new_figure
from scripts.lib.present.text import few_metrics_definition, metric_name

logger = logging.getLogger(__name__)

TITLE = "Sensitivity of the possible emergence (Mirage screen) tally to the threshold and min_effect"


def _threshold_text(threshold: float) -> str:
    return "auto (n_points − 1)" if math.isnan(threshold) else f"ES > {threshold:g}"


def plot_sensitivity(
    data: pd.DataFrame,
    facts: Mapping[str, Mapping[str, Any]],
    *,
    label: str,
    synthetic: bool,
) -> Figure:
    """Three panels: emergent preferred curves per metric vs threshold, vs min_effect; metrics with emergence."""
    g = data[data["panel"] == "C"].reset_index(drop=True)
    if g.empty:
        return message_figure("No preferred-metric curves.", title=TITLE, data_label=label, synthetic=synthetic)
    g["is_configured"] = g["is_configured"].astype(bool)
    g["few_metrics_holds"] = g["few_metrics_holds"].astype(bool)
    here = g[g["is_configured"]].iloc[0]
    conf_t, conf_e = float(here["threshold"]), float(here["min_effect"])
    at_e, at_t = data[data["panel"] == "A"], data[data["panel"] == "B"]
    shown = sorted(set(at_e["metric"]) | set(at_t["metric"]))
    fig = new_figure(14, 4.6)
    ax_t, ax_e, ax_g = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.2, 1, 1.1]})

    fixed = at_e[at_e["threshold"] > 0]
    auto = at_e[at_e["threshold"].isna()]
    x_fixed = np.sort(g.loc[g["threshold"] > 0, "threshold"].unique())  # every grid threshold on the log axis
    x_auto = x_fixed.min() / 2.0 if len(x_fixed) else 1.0
    for metric in shown:
        color = metric_color(metric, facts)
        line = fixed[fixed["metric"] == metric].sort_values("threshold")
        ax_t.plot(
            line["threshold"], line["emergent_curves"], marker="o", ms=3, color=color, label=metric_name(metric, facts)
        )
        a = auto[auto["metric"] == metric]
        if len(a):
            ax_t.scatter([x_auto], a["emergent_curves"], marker="s", color=color, zorder=3)
    ax_t.set_xscale("log")
    ticks = [x_auto, *[t for t in (1, 10, 100) if len(x_fixed) and x_fixed.min() <= t <= x_fixed.max()]]
    ax_t.set_xticks(ticks, ["auto", *[f"{t:g}" for t in ticks[1:]]])
    ax_t.minorticks_off()
    ax_t.set_xlabel("ES threshold")
    ax_t.set_ylabel("preferred-metric curves passing the screen")
    ax_t.set_title(f"A. vs threshold (min_effect = {conf_e:g})", loc="left")
    ax_t.legend(fontsize=7, loc="upper right")

    for metric in shown:
        line = at_t[at_t["metric"] == metric].sort_values("min_effect")
        ax_e.plot(line["min_effect"], line["emergent_curves"], marker="o", ms=3, color=metric_color(metric, facts))
    ax_e.set_xlabel("min_effect (fraction of the metric's range)")
    ax_e.set_ylabel("preferred-metric curves passing the screen")
    ax_e.set_title(f"B. vs min_effect ({_threshold_text(conf_t)})", loc="left")

    g["row"] = [_threshold_text(t) if math.isnan(t) else f"{t:.3g}" for t in g["threshold"]]
    rows = list(dict.fromkeys(g["row"]))
    cols = sorted(g["min_effect"].unique())
    value = np.full((len(rows), len(cols)), np.nan)
    holds = np.zeros_like(value, dtype=bool)
    for r in g.itertuples():
        i, j = rows.index(r.row), cols.index(r.min_effect)
        value[i, j] = r.preferred_metrics_with_emergence
        holds[i, j] = bool(r.few_metrics_holds)
    n_pref = int(g["preferred_metrics"].max())
    ax_g.imshow(np.where(holds, 1.0, 0.0), cmap=ListedColormap(["#f4b6b6", "#b9e3b0"]), vmin=0, vmax=1, aspect="auto")
    for r in g[g["is_configured"]].itertuples():
        i, j = rows.index(r.row), cols.index(r.min_effect)
        ax_g.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=1.5))
    for i in range(len(rows)):
        for j in range(len(cols)):
            ax_g.text(j, i, f"{int(value[i, j])}", ha="center", va="center", fontsize=7)
    ax_g.set_xticks(range(len(cols)), [f"{c:g}" for c in cols])
    ax_g.set_yticks(range(len(rows)), rows, fontsize=7)
    ax_g.set_xlabel("min_effect")
    ax_g.set_ylabel("ES threshold")
    ax_g.grid(False)
    limit = int(g["max_metrics_with_emergence"].max())
    ax_g.set_title(f"C. preferred metrics with emergence (of {n_pref}; green: ≤ {limit}; box: configured)", loc="left")
    holds_all = bool(g["few_metrics_holds"].all())
    definition = few_metrics_definition(float(here["few_metrics_max_fraction"]), float(here["headline_share_min"]))
    label_figure(
        fig,
        title=TITLE,
        subtitle=textwrap.fill(
            f"'few metrics' {'holds' if holds_all else 'fails'} across the grid. {definition}", width=170
        ),
        data_label=label,
        synthetic=synthetic,
    )
    return fig


def run(*, data: str, metrics: str, figure: Any, label: str, synthetic: bool) -> None:
    facts = load_metric_facts(metrics)
    table = draw_table(data, figure, lambda t: plot_sensitivity(t, facts, label=label, synthetic=synthetic))
    logger.info("drew %d grid points", int((table["panel"] == "C").sum()))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
