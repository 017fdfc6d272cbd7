"""Rule null_model: is a curve's emergence score larger than a random ordering of its points gives?

Issue 7, part 1 (beyond the paper). The null hypothesis for one curve: its values carry no
information about model size, so every ordering of its points along the scale axis is equally
likely. For every scored curve we draw `permutations` random orderings (seeded by `seed`) and
compute the emergence score of each with the very kernel of the emergence rule
(`scripts.lib.emergence.es_matrix`), in numpy: curves are grouped by their number of points
and processed in chunks of a (curves x permutations x points) array (at most CHUNK_ELEMENTS values
at a time); there is no Python loop per permutation or per curve.

Per curve (null_pvalues.parquet):
- `p_value` = (1 + #{permutations with ES >= observed ES}) / (1 + permutations), one-sided (large
  positive ES = sharp improvement); its smallest possible value is 1 / (1 + permutations);
- `null_exceed_prob` = the share of permutations whose ES exceeds the curve's own threshold (as
  the emergent rule: strictly, with its relative tie tolerance) times the effect criterion (range
  >= min_effect x the metric's range, or unbounded metric), which is permutation-invariant and
  therefore held fixed;
- `q_value`: Benjamini-Hochberg adjusted p-value over ALL scored curves (one family of tests, every
  metric, preferred or not); `survives_fdr` = emergent and q_value <= `fdr`;
- `null_es_q95`: the 95% quantile of the permutation ES (a curve-specific critical value).

Per (scope, metric) (tables/null_by_metric.{csv,tex}; scope `preferred` = curves under their
entry's preferred metric, the Mirage Fig. 5A set; `all` = every curve; a `(total)` row per scope):
observed emergent curves; the count expected under the null, sum over curves of
null_exceed_prob; a `level` interval of the null count (percentiles of the count over the
permutation draws: draw j permutes every curve independently, so column j of the draws is one
joint sample of the null count); the count p-value (1 + #{null count >= observed}) / (1 +
permutations); and the emergent curves that survive BH at `fdr`.

Caveat stated in the figure (rule figure_null) and caption: a curve whose ES is infinite (zero
median step) is only significant if most shuffles of its values have a non-zero median step; a
flat-then-one-jump curve is not distinguishable from its shuffles by this score, whatever its effect.

Inputs: curves.parquet, emergence.parquet, metrics.yaml. Outputs: null_pvalues.parquet,
tables/null_by_metric.{csv,tex}, figures/null_observed_vs_expected.csv (every row of the table, with
the settings the figure states; rule figure_null draws it, so editing figures.formats reruns only
the drawing). Params: permutations, seed, fdr, level, min_effect, emergence_threshold (captions), label.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.emergence import above_threshold, effect_ok, es_matrix
from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_parquet, write_text
from scripts.lib.latex import to_latex
from scripts.lib.names import NULL_SCOPES, TOTAL
from scripts.lib.text import threshold_text, with_metric_names

logger = logging.getLogger(__name__)

CHUNK_ELEMENTS = 4_000_000
"""Values in one (curves x permutations x points) block; bounds memory (~32 MB per float array)."""


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


# --- the permutation kernel ------------------------------------------------------------------------


def effect_mask(emergence: pd.DataFrame, *, min_effect: float) -> np.ndarray:
    """The screen's effect criterion on an emergence table (permutation-invariant)."""
    return effect_ok(emergence["effect"], emergence["effect_checked"], min_effect)


def curve_matrix(points: pd.DataFrame, curve_ids: np.ndarray, n: int) -> np.ndarray:
    """The y values of the given n-point curves as a (len(curve_ids), n) array, points in scale order."""
    sub = points[points["curve_id"].isin(curve_ids)].sort_values(["curve_id", "x"], kind="stable")
    order = sub["curve_id"].to_numpy()[::n]
    if len(sub) != n * len(curve_ids) or not np.array_equal(order, np.sort(curve_ids)):
        raise ValueError(f"curves.parquet: the curves listed with n_points={n} do not all have {n} points")
    y = sub["y"].to_numpy(dtype=float).reshape(-1, n)
    # back to the caller's order
    return y[np.searchsorted(order, curve_ids)]


def permutation_block(
    y: np.ndarray,
    thresholds: np.ndarray,
    *,
    permutations: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ES of `permutations` random orderings of each row of y (c, n); one vectorised block.

    Returns the observed ES (c,), the count of permuted ES >= observed (c,), the boolean matrix
    permuted ES > threshold (c, permutations) and the 95% quantile of the permuted ES (c,).
    """
    c, n = y.shape
    observed = es_matrix(y)
    stacked = np.broadcast_to(y[:, None, :], (c, permutations, n))
    shuffled = rng.permuted(stacked.reshape(c * permutations, n), axis=-1)
    null = es_matrix(shuffled).reshape(c, permutations)
    n_ge = (null >= observed[:, None]).sum(axis=1)
    exceed = above_threshold(null, thresholds[:, None])
    q95 = np.quantile(null, 0.95, axis=1, method="inverted_cdf")
    return observed, n_ge, exceed, q95


def permutation_null(
    points: pd.DataFrame,
    emergence: pd.DataFrame,
    weights: np.ndarray,
    *,
    permutations: int,
    seed: int,
    chunk_elements: int = CHUNK_ELEMENTS,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Permutation statistics of every curve of `emergence` and the null counts of weighted groups.

    `weights` (groups x curves, in the row order of `emergence`) says which curves each group
    counts (1 = counted); the null count of group g in draw j is sum_i weights[g, i] *
    [permuted ES_ij > threshold_i]. Returns (per-curve frame in `emergence` order with columns
    es_check, n_ge, p_value, null_exceed_prob, null_es_q95; null counts, groups x permutations).
    Draws are a pure function of (seed, the curves, chunk_elements): curves are visited by
    increasing n_points, then in row order.
    """
    if permutations < 1:
        raise ValueError(f"null.permutations must be >= 1, got {permutations}")
    rng = np.random.default_rng(seed)
    n_curves = len(emergence)
    es_check = np.full(n_curves, np.nan)
    n_ge = np.zeros(n_curves, dtype=np.int64)
    exceed_prob = np.zeros(n_curves)
    q95 = np.full(n_curves, np.nan)
    counts = np.zeros((weights.shape[0], permutations))
    n_points = emergence["n_points"].to_numpy()
    ids = emergence["curve_id"].to_numpy()
    thresholds = emergence["threshold"].to_numpy(dtype=float)
    for n in np.unique(n_points):
        rows = np.flatnonzero(n_points == n)
        y_all = curve_matrix(points, ids[rows], int(n))
        step = max(1, chunk_elements // (permutations * int(n)))
        for start in range(0, len(rows), step):
            block = rows[start : start + step]
            observed, ge, exceed, hi = permutation_block(
                y_all[start : start + step], thresholds[block], permutations=permutations, rng=rng
            )
            es_check[block] = observed
            n_ge[block] = ge
            exceed_prob[block] = exceed.mean(axis=1)
            q95[block] = hi
            counts += weights[:, block] @ exceed
    stats = pd.DataFrame(
        {
            "es_check": es_check,
            "n_ge": n_ge,
            "p_value": (1.0 + n_ge) / (1.0 + permutations),
            "null_exceed_prob": exceed_prob,
            "null_es_q95": q95,
        },
        index=emergence.index,
    )
    return stats, np.rint(counts).astype(np.int64)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH adjusted p-values (q-values): q_(k) = min_{j >= k} p_(j) * m / j, capped at 1; NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return q
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q


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
    """One row per curve: identity, ES, threshold, effect_ok, emergent, p/q values and null summaries."""
    out = emergence[
        [
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
            "emergent",
        ]
    ].copy()
    out["effect_ok"] = ok
    out = out.join(stats[["p_value", "null_exceed_prob", "null_es_q95"]])
    out["q_value"] = benjamini_hochberg(out["p_value"].to_numpy())
    out["survives_fdr"] = out["emergent"].astype(bool) & (out["q_value"] <= fdr)
    return out[CURVE_COLUMNS].sort_values("curve_id", kind="stable").reset_index(drop=True)


def null_by_metric(
    groups: pd.DataFrame,
    counts: np.ndarray,
    weights: np.ndarray,
    per_curve: pd.DataFrame,
    *,
    permutations: int,
    level: float,
) -> pd.DataFrame:
    """Per group: observed emergent count, expected under the null with a `level` interval, count p-value."""
    emergent = per_curve["emergent"].astype(bool).to_numpy()
    survives = per_curve["survives_fdr"].to_numpy(dtype=bool)
    member = weights > 0
    # Curves failing the effect criterion have weight 0: they are never emergent, so this is exact.
    out = groups.copy()
    out["observed_emergent"] = (member & emergent).sum(axis=1)
    out["expected_emergent"] = counts.mean(axis=1)
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
            "observed": named["observed_emergent"],
            "expected [interval]": [
                f"{e:.1f} [{lo}, {hi}]"
                for e, lo, hi in zip(
                    named["expected_emergent"], named["null_ci_low"], named["null_ci_high"], strict=True
                )
            ],
            "count p": named["count_p_value"],
            "surviving BH": named["emergent_surviving_fdr"],
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
    """The numbers rule figure_null draws (figures/null_observed_vs_expected.csv).

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
    min_effect: float,
    emergence_threshold: Any,
    label: str,
) -> None:
    facts = load_metric_facts(metrics)
    scored = pd.read_parquet(emergence).sort_values("curve_id", kind="stable").reset_index(drop=True)
    points = pd.read_parquet(curves, columns=["curve_id", "x", "y"])
    ok = effect_mask(scored, min_effect=min_effect)
    recomputed = above_threshold(scored["es"].to_numpy(), scored["threshold"].to_numpy()) & ok
    if not np.array_equal(recomputed, scored["emergent"].astype(bool).to_numpy()):
        raise ValueError(f"{emergence}: emergent flags disagree with es > threshold and min_effect={min_effect}")
    groups, weights = group_weights(scored, ok)
    stats, counts = permutation_null(points, scored, weights, permutations=int(permutations), seed=int(seed))
    mismatch = ~np.isclose(stats["es_check"], scored["es"], rtol=1e-12, atol=0, equal_nan=True)
    if mismatch.any():
        raise ValueError(f"{emergence}: {int(mismatch.sum())} curves' ES differ from the permutation kernel's")
    per_curve = curve_table(scored, stats, ok, fdr=float(fdr))
    table = sort_table(
        null_by_metric(groups, counts, weights, per_curve, permutations=int(permutations), level=float(level))
    )
    named = with_metric_names(table, facts)
    named.loc[named["metric"] == TOTAL, "name"] = "All metrics"

    write_parquet(per_curve, pvalues, label=label)
    write_csv(named, table_csv, label=label)
    caption = (
        f"Emergent curves per metric, observed and expected under a permutation null ({permutations} random "
        f"orderings of each curve's points, seed {seed}); interval: {level:.0%} of the null count; "
        f"emergent curves surviving Benjamini-Hochberg at FDR {fdr:g} over all scored curves. "
        f"Emergent: {threshold_text(emergence_threshold, min_effect)}. Data: {label}."
    )
    write_text(table_tex, to_latex(latex_frame(named), caption, "tab:null_by_metric", float_format="{:.3g}"))
    plotted = figure_data(
        named,
        permutations=int(permutations),
        level=float(level),
        fdr=float(fdr),
        emergence_threshold=emergence_threshold,
        min_effect=float(min_effect),
    )
    write_csv(plotted, figure_csv, label=label)
    for row in table[table["metric"] == TOTAL].itertuples():
        logger.info(
            "%s: %d emergent curves observed, %.1f expected under the null [%d, %d], %d survive BH at %g",
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
