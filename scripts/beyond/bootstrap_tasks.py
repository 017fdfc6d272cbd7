"""Rule bootstrap_tasks: how much do the per-metric tallies depend on which tasks BIG-bench has?

docs/design.md §9.2 (beyond the paper). Tasks are the sampling unit: a task contributes all of its
(family, task, metric) triplets together, so resampling tasks with replacement keeps the
dependence between a task's families, shots and subtasks. `samples` bootstrap resamples (seeded
by `seed`) are drawn at once as a multinomial weights matrix W (samples x tasks: how often each
task is drawn); with K (tasks x metrics) the per-task counts, every resample's counts are W @ K
(no Python loop per resample). Intervals are percentile intervals at `level` (default 95%): the
(1 - level)/2 and (1 + level)/2 empirical quantiles of the resampled values (inverted CDF, so the
bounds are values some resample took).

Scopes (one block of rows each):
- `annotated`: the hand-annotated emergent (task, model family) cases of the annotations CSV, each
  under its task's preferred metric: from the scores, or, for a task the data lacks, from BIG-bench's
  task metadata (`lib.tally.join_annotations`, the very cases Mirage Fig. 5B/5C and the tally count,
  so the interval brackets the headline share; the paper's "> 92%" is this scope's Multiple choice
  grade + Exact string match share);
- `preferred`: (family, task, metric) triplets passing the possible emergence (Mirage screen) under
  preferred metrics, by `triplet_rule` (the tally's Fig. 5C "detected" share);
- `all`: the same over every metric.

Per metric: the emergent count and its interval; `share` = the metric's part of the scope's
emergent cases, with interval; `rate` = emergent / evaluated triplets (not for `annotated`). A
row `multiple_choice_grade+exact_str_match` gives the combined share, a `(total)` row the total.
Shares are undefined in a resample without any emergent case; such resamples are left out of
that share's interval and counted in `resamples_without_cases`.

Inputs: emergence.parquet, scores.parquet, the annotations CSV, the task metadata CSV, metrics.yaml. Outputs:
tables/bootstrap_by_metric.{csv,tex}, figures/emergent_share_bootstrap.csv (the rows the figure
draws, with the settings it states; rule figure_bootstrap draws it, so editing figures.formats
reruns only the drawing). Params: samples, seed, level, triplet_rule, label.
"""

import logging
import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.present.names import BOOTSTRAP_FIGURE_SCOPES, HEADLINE, TOTAL
from scripts.lib.present.text import SCREEN_NAME, metric_name, triplet_rule_text, with_metric_names
from scripts.lib.score_table import HEADLINE_METRICS
from scripts.lib.stats.tally import (
    emergent_triplets,
    join_annotations,
    parse_triplet_rule,
    preferred_curves,
)

logger = logging.getLogger(__name__)

SCOPES = ("annotated", "preferred", "all")


TABLE_COLUMNS = [
    "scope",
    "metric",
    "tasks",
    "cases",
    "emergent",
    "emergent_ci_low",
    "emergent_ci_high",
    "share",
    "share_ci_low",
    "share_ci_high",
    "rate",
    "rate_ci_low",
    "rate_ci_high",
    "resamples_without_cases",
]


def task_metric_counts(cases: pd.DataFrame, *, emergent: str, evaluated: str | None) -> tuple[pd.DataFrame, ...]:
    """Per-task, per-metric counts: (emergent cases, evaluated cases) as task x metric frames.

    `cases` has one row per case with columns task, metric and the 0/1 column(s) named by
    `emergent` / `evaluated` (evaluated None = every row is a case).
    """
    frame = cases[["task", "metric"]].copy()
    frame["emergent"] = cases[emergent].astype(int).to_numpy()
    frame["evaluated"] = cases[evaluated].astype(int).to_numpy() if evaluated else 1
    wide = (
        frame.pivot_table(index="task", columns="metric", values=["emergent", "evaluated"], aggfunc="sum", fill_value=0)
        .sort_index(axis=0)
        .sort_index(axis=1)
    )
    return wide["emergent"].astype(int), wide["evaluated"].astype(int)


def bootstrap_weights(n_tasks: int, samples: int, rng: np.random.Generator) -> np.ndarray:
    """(samples x n_tasks) multinomial draw counts: each row resamples n_tasks tasks with replacement."""
    if n_tasks == 0:
        return np.zeros((samples, 0), dtype=np.int64)
    return rng.multinomial(n_tasks, np.full(n_tasks, 1.0 / n_tasks), size=samples)


def percentile_interval(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0 (NaN resamples ignored; all-NaN -> NaN)."""
    alpha = (1.0 - level) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (no resample defines a share)
        low = np.nanquantile(values, alpha, axis=0, method="inverted_cdf")
        high = np.nanquantile(values, 1.0 - alpha, axis=0, method="inverted_cdf")
    return low, high


def bootstrap_scope(
    emergent: pd.DataFrame,
    evaluated: pd.DataFrame,
    weights: np.ndarray,
    *,
    level: float,
    with_rate: bool,
) -> pd.DataFrame:
    """Rows per metric, the combined headline metrics and the total, for one scope.

    `emergent`/`evaluated`: task x metric counts; `weights`: samples x tasks (same task order).
    """
    metrics = list(emergent.columns)
    k = emergent.to_numpy(dtype=float)
    e = evaluated.to_numpy(dtype=float)
    headline = np.array([m in HEADLINE_METRICS for m in metrics], dtype=float)
    # columns: each metric, the headline pair, the total
    combine = np.column_stack([np.eye(len(metrics)), headline, np.ones(len(metrics))])
    names = [*metrics, HEADLINE, TOTAL]
    obs_k = k.sum(axis=0) @ combine
    obs_e = e.sum(axis=0) @ combine
    boot_k = weights @ k @ combine
    boot_e = weights @ e @ combine
    with np.errstate(divide="ignore", invalid="ignore"):
        obs_share = np.where(obs_k[-1] > 0, obs_k / obs_k[-1], np.nan)
        boot_share = np.where(boot_k[:, -1:] > 0, boot_k / boot_k[:, -1:], np.nan)
        obs_rate = np.where(obs_e > 0, obs_k / obs_e, np.nan)
        boot_rate = np.where(boot_e > 0, boot_k / boot_e, np.nan)
    k_low, k_high = percentile_interval(boot_k, level)
    s_low, s_high = percentile_interval(boot_share, level)
    r_low, r_high = percentile_interval(boot_rate, level)
    tasks = ((e @ combine) > 0).sum(axis=0)
    out = pd.DataFrame(
        {
            "metric": names,
            "tasks": tasks.astype(int),
            "cases": obs_e.astype(int),
            "emergent": obs_k.astype(int),
            "emergent_ci_low": k_low,
            "emergent_ci_high": k_high,
            "share": obs_share,
            "share_ci_low": s_low,
            "share_ci_high": s_high,
            "rate": obs_rate,
            "rate_ci_low": r_low,
            "rate_ci_high": r_high,
            "resamples_without_cases": int((boot_k[:, -1] == 0).sum()) if len(weights) else 0,
        }
    )
    if not with_rate:
        out[["rate", "rate_ci_low", "rate_ci_high"]] = np.nan
    return out


def scope_cases(emergence: pd.DataFrame, annotated: pd.DataFrame, *, triplet_rule: Any) -> dict[str, pd.DataFrame]:
    """The cases of each scope: annotated (task, family) rows; preferred and all triplets with flags."""
    rule = parse_triplet_rule(triplet_rule)
    ann = annotated[["task", "metric"]].dropna().assign(emergent=1, evaluated=1)
    return {
        "annotated": ann,
        "preferred": emergent_triplets(preferred_curves(emergence), triplet_rule=rule),
        "all": emergent_triplets(emergence, triplet_rule=rule),
    }


def bootstrap_by_metric(
    emergence: pd.DataFrame,
    annotated: pd.DataFrame,
    *,
    samples: int,
    seed: int,
    level: float,
    triplet_rule: Any,
) -> pd.DataFrame:
    """Every scope's rows (see the module docstring); scopes use consecutive draws of one seeded generator."""
    if samples < 1:
        raise ValueError(f"bootstrap.samples must be >= 1, got {samples}")
    rng = np.random.default_rng(seed)
    frames = []
    for scope, cases in scope_cases(emergence, annotated, triplet_rule=triplet_rule).items():
        if cases.empty:
            logger.warning("bootstrap scope %s: no cases", scope)
            continue
        evaluated = None if scope == "annotated" else "evaluated"
        k, e = task_metric_counts(cases, emergent="emergent", evaluated=evaluated)
        weights = bootstrap_weights(len(k), samples, rng)
        rows = bootstrap_scope(k, e, weights, level=level, with_rate=scope != "annotated")
        rows.insert(0, "scope", scope)
        frames.append(rows)
    if not frames:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    order = out.assign(
        _scope=out["scope"].map({s: i for i, s in enumerate(SCOPES)}),
        _special=out["metric"].map({HEADLINE: 1, TOTAL: 2}).fillna(0),
    ).sort_values(["_scope", "_special", "emergent", "metric"], ascending=[True, True, False, True], kind="mergesort")
    return order[TABLE_COLUMNS].reset_index(drop=True)


def interval_text(value: float, low: float, high: float, fmt: str = "{:.3g}") -> str:
    """'v [low, high]' for LaTeX tables; '--' when the value is undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "--"
    return f"{fmt.format(value)} [{fmt.format(low)}, {fmt.format(high)}]"


def latex_frame(named: pd.DataFrame) -> pd.DataFrame:
    """The compact LaTeX view: scope, metric name, then each statistic with its interval."""
    return pd.DataFrame(
        {
            "scope": named["scope"],
            "metric": named["name"],
            "tasks": named["tasks"],
            "emergent": [
                interval_text(*v, fmt="{:.0f}")
                for v in zip(named["emergent"], named["emergent_ci_low"], named["emergent_ci_high"], strict=True)
            ],
            "share": [
                interval_text(*v, fmt="{:.2f}")
                for v in zip(named["share"], named["share_ci_low"], named["share_ci_high"], strict=True)
            ],
            "rate": [
                interval_text(*v, fmt="{:.2f}")
                for v in zip(named["rate"], named["rate_ci_low"], named["rate_ci_high"], strict=True)
            ],
        }
    )


def display_names(table: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """with_metric_names, plus plain names for the headline and total rows."""
    named = with_metric_names(table, facts)
    named.loc[named["metric"] == HEADLINE, "name"] = " + ".join(metric_name(m, facts) for m in HEADLINE_METRICS)
    named.loc[named["metric"] == TOTAL, "name"] = "All metrics"
    return named


# --- figure data ----------------------------------------------------------------------------------


def figure_data(named: pd.DataFrame, *, samples: int, level: float, triplet_rule: Any) -> pd.DataFrame:
    """The numbers rule figure_bootstrap draws (figures/emergent_share_bootstrap.csv).

    The annotated and preferred rows with at least one emergent case: each metric's bar, the
    combined headline bar and the `(total)` row of each scope (panel titles), plus the settings the
    subtitle states (samples, level, triplet_rule), one column each.
    """
    rows = named[named["scope"].isin(BOOTSTRAP_FIGURE_SCOPES) & (named["emergent"] > 0)].copy()
    rows["samples"] = int(samples)
    rows["level"] = float(level)
    rows["triplet_rule"] = parse_triplet_rule(triplet_rule)
    return rows.reset_index(drop=True)


# --- rule ------------------------------------------------------------------------------------------


def run(
    *,
    emergence: str,
    scores: str,
    annotations: str,
    task_metadata: str,
    metrics: str,
    table_csv: str,
    table_tex: str,
    figure_csv: str,
    samples: int,
    seed: int,
    level: float,
    triplet_rule: Any,
    label: str,
) -> None:
    facts = load_metric_facts(metrics)
    score_rows = pd.read_parquet(scores, columns=["task", "subtask", "metric", "is_preferred"])
    annotated, _missing = join_annotations(
        pd.read_csv(annotations, comment="#"), score_rows, task_metadata=pd.read_csv(task_metadata)
    )
    table = bootstrap_by_metric(
        pd.read_parquet(emergence),
        annotated,
        samples=int(samples),
        seed=int(seed),
        level=float(level),
        triplet_rule=triplet_rule,
    )
    named = display_names(table, facts)
    rule_text = triplet_rule_text(parse_triplet_rule(triplet_rule))
    write_csv(named, table_csv, label=label)
    caption = (
        f"Emergent cases per metric with {level:.0%} bootstrap percentile intervals ({samples} resamples of tasks "
        f"with replacement, seed {seed}). Scopes: hand-annotated cases (Mirage Fig. 5B/5C, including those counted "
        f"from task metadata), preferred-metric triplets passing the {SCREEN_NAME}, every metric; share = part "
        f"of the scope's emergent cases; rate = emergent / evaluated triplets; {rule_text}. Data: {label}."
    )
    write_text(table_tex, to_latex(latex_frame(named), caption, "tab:bootstrap_by_metric"))
    write_csv(
        figure_data(named, samples=int(samples), level=float(level), triplet_rule=triplet_rule), figure_csv, label=label
    )
    for row in table[table["metric"] == HEADLINE].itertuples():
        logger.info(
            "%s: MCG + exact_str_match share %.3f [%.3f, %.3f]",
            row.scope,
            row.share,
            row.share_ci_low,
            row.share_ci_high,
        )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
