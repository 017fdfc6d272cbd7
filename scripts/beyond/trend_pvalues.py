"""Rule trend_pvalues: does performance depend on scale (a trend)? A permutation test of every curve's ES.

docs/design.md §9.1, renamed (docs/statistics.md): this is a TREND test, not a sharpness test. H0 for
one curve: its values carry no information about model size, so every ordering of its points along
the scale axis is equally likely. A steady rise is far from its shuffles and gets a small p-value;
a flat-then-one-jump curve is not (most shuffles keep a zero median step), so a small p says "the
curve depends on scale", never "it is sharp" (the sharpness test is rule sharpness_curves). The
Mirage screen ("possible emergence (Mirage screen)": ES > threshold and range >= min_effect, the
`emergent` column of emergence.parquet) is read, never changed. The kernel (ties within the
screen's tolerance, exact enumeration when n! <= permutations, joint random draws) is
scripts/lib/stats/trend.py.

Per curve (trend_pvalues.parquet):
- `p_value`, one-sided (large positive ES): exact (`p_exact`, = #{orderings with ES >= observed} /
  n!) when n! <= permutations, else (1 + #{random orderings with ES >= observed}) / (1 +
  permutations); ">=" counts ties within TIE_TOLERANCE, +-inf compared exactly;
- `null_exceed_prob` = P(a reordering passes the screen) = the share of orderings with ES above
  the curve's threshold (strictly, with the tie tolerance) times the effect criterion (range >=
  min_effect x the metric's range, or unbounded metric; permutation-invariant, so 0 or 1);
- `q_value`: Benjamini-Hochberg over ALL scored curves; `survives_fdr` = passes the screen and
  q_value <= `fdr` (a screened curve with a trend);
- `null_es_q95`: the 95% quantile of the reordered ES.

Per (scope, metric) (tables/trend_by_metric.{csv,tex}; scope `preferred` = curves under their
entry's preferred metric, the Mirage Fig. 5A set; `all` = every curve; a `(total)` row per scope):
curves passing the screen (`observed_emergent`); the count expected under H0 (sum of
null_exceed_prob); a `level` interval of the null count (percentiles over the joint random draws:
draw j reorders every curve at once); the count p-value (1 + #{null count >= observed}) / (1 +
permutations); and the screened curves with a trend at `fdr`.

Inputs: curves.parquet, emergence.parquet, metrics.yaml. Outputs: trend_pvalues.parquet,
tables/trend_by_metric.{csv,tex}, figures/trend_observed_vs_expected.csv (every table row with the
settings the figure states; rule figure_trend draws it). Params: permutations, seed, fdr, level,
label; the screen's criterion is read from emergence.parquet.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_parquet, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.present.names import NULL_SCOPES, TOTAL
from scripts.lib.present.text import SCREEN_NAME, threshold_text, with_metric_names
from scripts.lib.stats.emergence import above_threshold, effect_ok, screen_setting
from scripts.lib.stats.multiplicity import benjamini_hochberg
from scripts.lib.stats.trend import permutation_null

logger = logging.getLogger(__name__)

CURVE_COLUMNS = [
    "curve_id",
    "family",
    "task",
    "subtask",
    "shots",
    "metric",
    "is_preferred",
    "n_points",
    "es",
    "threshold",
    "effect_ok",
    "emergent",
    "p_value",
    "p_exact",
    "q_value",
    "survives_fdr",
    "null_exceed_prob",
    "null_es_q95",
]

TABLE_COLUMNS = [
    "scope",
    "metric",
    "curves",
    "observed_emergent",
    "expected_emergent",
    "null_ci_low",
    "null_ci_high",
    "observed_minus_expected",
    "count_p_value",
    "emergent_surviving_fdr",
]


# --- the screen's effect criterion -----------------------------------------------------------------


def effect_mask(emergence: pd.DataFrame, *, min_effect: float) -> np.ndarray:
    """The screen's effect criterion on an emergence table (permutation-invariant)."""
    return effect_ok(emergence["effect"], emergence["effect_checked"], min_effect)


# --- tables ----------------------------------------------------------------------------------------


def group_weights(emergence: pd.DataFrame, ok: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The (scope, metric) groups, a (total) row per scope, and their weights over the curves.

    A curve counts in a group when it belongs to it and passes the effect criterion (only such
    curves can be emergent, observed or permuted).
    """
    metrics = sorted(emergence["metric"].unique())
    preferred = emergence["is_preferred"].astype(bool).to_numpy()
    metric = emergence["metric"].to_numpy()
    rows, weights = [], []
    for scope in NULL_SCOPES:
        in_scope = preferred if scope == "preferred" else np.ones(len(emergence), dtype=bool)
        scope_metrics = sorted(set(metric[in_scope])) if scope == "preferred" else metrics
        for name in [*scope_metrics, TOTAL]:
            member = in_scope if name == TOTAL else in_scope & (metric == name)
            rows.append({"scope": scope, "metric": name, "curves": int(member.sum())})
            weights.append(member & ok)
    return pd.DataFrame(rows), np.array(weights, dtype=float).reshape(len(rows), len(emergence))


def curve_table(emergence: pd.DataFrame, stats: pd.DataFrame, ok: np.ndarray, *, fdr: float) -> pd.DataFrame:
    """One row per curve: identity, ES, threshold, effect_ok, emergent (the screen), p/q values, null summaries.

    null_exceed_prob applies the effect criterion `ok` (fixed under reordering) to the share of
    orderings above the threshold, so it is P(a reordering passes the whole screen).
    """
    out = emergence[[c for c in CURVE_COLUMNS if c in emergence.columns]].copy()  # identity, ES, screen
    out["effect_ok"] = ok
    out = out.join(stats[["p_value", "p_exact", "null_es_q95"]])
    out["null_exceed_prob"] = stats["exceed_any_effect"].to_numpy() * ok
    out["q_value"] = benjamini_hochberg(out["p_value"].to_numpy())
    out["survives_fdr"] = out["emergent"].astype(bool) & (out["q_value"] <= fdr)
    return out[CURVE_COLUMNS].sort_values("curve_id", kind="stable").reset_index(drop=True)


def trend_by_metric(
    groups: pd.DataFrame,
    counts: np.ndarray,
    weights: np.ndarray,
    per_curve: pd.DataFrame,
    *,
    permutations: int,
    level: float,
) -> pd.DataFrame:
    """Per group: curves passing the screen, expected under H0 with a `level` interval, count p-value.

    The expectation is exact (weights @ null_exceed_prob, enumerated where n! <= permutations); the
    interval and the count p-value come from the joint random draws `counts`.
    """
    emergent = per_curve["emergent"].astype(bool).to_numpy()
    survives = per_curve["survives_fdr"].to_numpy(dtype=bool)
    member = weights > 0
    # Curves failing the effect criterion have weight 0: they are never emergent, so this is exact.
    out = groups.copy()
    out["observed_emergent"] = (member & emergent).sum(axis=1)
    out["expected_emergent"] = weights @ per_curve["null_exceed_prob"].to_numpy(dtype=float)
    alpha = (1.0 - level) / 2.0
    out["null_ci_low"] = np.quantile(counts, alpha, axis=1, method="inverted_cdf")
    out["null_ci_high"] = np.quantile(counts, 1.0 - alpha, axis=1, method="inverted_cdf")
    out["observed_minus_expected"] = out["observed_emergent"] - out["expected_emergent"]
    n_ge = (counts >= out["observed_emergent"].to_numpy()[:, None]).sum(axis=1)
    out["count_p_value"] = (1.0 + n_ge) / (1.0 + permutations)
    out["emergent_surviving_fdr"] = (member & survives).sum(axis=1)
    for col in ("observed_emergent", "null_ci_low", "null_ci_high", "emergent_surviving_fdr"):
        out[col] = out[col].astype(int)
    return out[TABLE_COLUMNS]


def latex_frame(named: pd.DataFrame) -> pd.DataFrame:
    """The compact LaTeX view of the table (expected count with its interval in one cell)."""
    return pd.DataFrame(
        {
            "scope": named["scope"],
            "metric": named["name"],
            "curves": named["curves"],
            "screened": named["observed_emergent"],
            "expected [interval]": [
                f"{e:.1f} [{lo}, {hi}]"
                for e, lo, hi in zip(
                    named["expected_emergent"], named["null_ci_low"], named["null_ci_high"], strict=True
                )
            ],
            "count p": named["count_p_value"],
            "screened with trend (BH)": named["emergent_surviving_fdr"],
        }
    )


def sort_table(table: pd.DataFrame) -> pd.DataFrame:
    """Scopes in NULL_SCOPES order; metrics by observed emergent count (desc.), then name; totals last."""
    key = table.assign(
        _scope=table["scope"].map({s: i for i, s in enumerate(NULL_SCOPES)}),
        _total=table["metric"] == TOTAL,
    )
    key = key.sort_values(
        ["_scope", "_total", "observed_emergent", "metric"], ascending=[True, True, False, True], kind="mergesort"
    )
    return key.drop(columns=["_scope", "_total"]).reset_index(drop=True)


# --- figure data ----------------------------------------------------------------------------------


def figure_data(
    named: pd.DataFrame,
    *,
    permutations: int,
    level: float,
    fdr: float,
    emergence_threshold: Any,
    min_effect: float,
) -> pd.DataFrame:
    """The numbers rule figure_trend draws (figures/trend_observed_vs_expected.csv).

    Every row of the table, the `(total)` rows included (they give the panel titles), plus the
    settings the legend and subtitle state, one column each.
    """
    out = named.copy()
    out["permutations"] = int(permutations)
    out["level"] = float(level)
    out["fdr"] = float(fdr)
    out["emergence_threshold"] = str(emergence_threshold)
    out["min_effect"] = float(min_effect)
    return out.reset_index(drop=True)


# --- rule ------------------------------------------------------------------------------------------


def run(
    *,
    curves: str,
    emergence: str,
    metrics: str,
    pvalues: str,
    table_csv: str,
    table_tex: str,
    figure_csv: str,
    permutations: int,
    seed: int,
    fdr: float,
    level: float,
    label: str,
) -> None:
    facts = load_metric_facts(metrics)
    scored = pd.read_parquet(emergence).sort_values("curve_id", kind="stable").reset_index(drop=True)
    points = pd.read_parquet(curves, columns=["curve_id", "x", "y"])
    emergence_threshold, min_effect = screen_setting(scored)
    ok = effect_mask(scored, min_effect=min_effect)
    recomputed = above_threshold(scored["es"].to_numpy(), scored["threshold"].to_numpy()) & ok
    if not np.array_equal(recomputed, scored["emergent"].astype(bool).to_numpy()):
        raise ValueError(f"{emergence}: emergent flags disagree with es > threshold and min_effect={min_effect}")
    groups, weights = group_weights(scored, ok)
    stats, counts = permutation_null(points, scored, weights, permutations=int(permutations), seed=int(seed))
    mismatch = ~np.isclose(stats["es_check"], scored["es"], rtol=1e-12, atol=0, equal_nan=True)
    if mismatch.any():
        raise ValueError(f"{emergence}: {int(mismatch.sum())} curves' ES differ from the trend test kernel's")
    per_curve = curve_table(scored, stats, ok, fdr=float(fdr))
    table = sort_table(
        trend_by_metric(groups, counts, weights, per_curve, permutations=int(permutations), level=float(level))
    )
    named = with_metric_names(table, facts)
    named.loc[named["metric"] == TOTAL, "name"] = "All metrics"

    write_parquet(per_curve, pvalues, label=label)
    write_csv(named, table_csv, label=label)
    caption = (
        f"Trend test (does performance depend on scale?): curves per metric passing the {SCREEN_NAME}, observed "
        f"and expected if the order of each curve's points carried no information about scale (every ordering "
        f"when n! <= {permutations}, else {permutations} random orderings, seed {seed}); interval: {level:.0%} of "
        f"the null count; screened curves whose trend p-value survives Benjamini-Hochberg at FDR {fdr:g} over all "
        f"scored curves. A trend is not sharpness. Screen: {threshold_text(emergence_threshold, min_effect)}. "
        f"Data: {label}."
    )
    write_text(table_tex, to_latex(latex_frame(named), caption, "tab:trend_by_metric", float_format="{:.3g}"))
    plotted = figure_data(
        named,
        permutations=int(permutations),
        level=float(level),
        fdr=float(fdr),
        emergence_threshold=emergence_threshold,
        min_effect=float(min_effect),
    )
    write_csv(plotted, figure_csv, label=label)
    n_exact = int(per_curve["p_exact"].sum())
    logger.info("exact p-values (every ordering enumerated) for %d of %d curves", n_exact, len(per_curve))
    for row in table[table["metric"] == TOTAL].itertuples():
        logger.info(
            "%s: %d curves pass the Mirage screen, %.1f expected without a trend [%d, %d], %d with a trend at FDR %g",
            row.scope,
            row.observed_emergent,
            row.expected_emergent,
            row.null_ci_low,
            row.null_ci_high,
            row.emergent_surviving_fdr,
            fdr,
        )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
