"""Rule vision_scores: smooth and sharp metrics of the digits ladders, scored like the BIG-bench curves.

Mirage Sec. 5 offline (docs/vision.md). From the per-test-example outcomes of rule vision_train_*:

- classifier, smooth: test accuracy = c / n (c correct of n test images);
- classifier, sharp: subset accuracy = the probability that K test images drawn together (a
  uniformly random K-subset, without replacement) are all classified correctly. Exactly, that is
  the fraction of all K-subsets that are all correct, C(c, K) / C(n, K) = prod_{i<K} (c - i)/(n - i)
  (the hypergeometric probability of K successes in K draws). It is <= accuracy^K and tends to it
  as n grows; if each image is correct independently with probability p its expectation is exactly
  p^K (tests/test_vision.py checks this by enumeration);
- autoencoder, smooth: mean over test images of the per-image MSE (pixels in [0, 1]); lower is
  better, so it is negated before scoring (`oriented`), exactly as Brier score is for BIG-bench;
- autoencoder, sharp: the fraction of test images whose MSE is strictly below `error_threshold` c.

Each metric gives one curve per seed (subtask "seed <s>") and the mean over seeds (subtask null,
like a BIG-bench task-level aggregate), in the format of curves.parquet (x = parameter count),
scored by scripts.emergence.emergence_scores.score_curves with the pipeline's own `zero_median_floor`,
`emergence_threshold` and `min_effect`. MSE has no fixed range, so its effect size is not checked
(`effect_checked` false) and its floored ES uses the curve's own range.

Verdicts (docs/statistics.md): `value_se` is the spread over seeds (SD / sqrt(seeds) for the mean curve, SD for one
seed's; `se_source` "seeds"); the verdicts add the fixed test set's binomial SE for shares of test images.
With the `sharpness` and `backtest` params every curve gets p_sharp, q_sharp (BH over the vision
curves), sharp and unpredictable (docs/statistics.md), in emergence.parquet, the table and summary.

Inputs: classifier, autoencoder (outcome parquets). Outputs: curves, emergence (parquet, every
curve), table_csv / table_tex (tables/vision_emergence: the four mean curves, with the spread of ES
over seeds), summary (vision_summary.json, every number under the key "vision").
Params: subset_size, error_threshold, zero_median_floor, emergence_threshold, min_effect, label,
sharpness and backtest (optional).
"""

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.curve_schema import POINT_COLUMNS
from scripts.lib.io import run_rule, write_csv, write_json, write_parquet, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.present.text import threshold_text
from scripts.lib.sources.vision_models import FAMILIES, METRICS, metric_label
from scripts.lib.stats.emergence import score_curves
from scripts.lib.stats.verdict_curves import mean_and_seeds, tests_from_config

logger = logging.getLogger(__name__)

TASK = "digits"
SUBSET_FORMULA = "C(c, K) / C(n, K): the fraction of all K-subsets of the n test images that are all correct"


def subset_accuracy(n_correct: Any, n_total: Any, k: int) -> np.ndarray:
    """P(all of K test images drawn without replacement are correct) = C(c, K) / C(n, K).

    Computed as prod_{i<K} (c - i) / (n - i), which is 0 when c < K; vectorised over c and n.
    """
    if k < 1:
        raise ValueError(f"subset size K must be >= 1, got {k}")
    c = np.asarray(n_correct, dtype=float)
    n = np.asarray(n_total, dtype=float)
    if np.any(n < k):
        raise ValueError(f"subset size K={k} is larger than the number of test images")
    prob = np.ones(np.broadcast(c, n).shape)
    for i in range(k):
        prob = prob * np.clip(c - i, 0.0, None) / (n - i)
    return prob


def fraction_below(errors: Any, threshold: float) -> float:
    """Share of errors strictly below `threshold`."""
    values = np.asarray(errors, dtype=float)
    return float(np.mean(values < threshold))


def seed_metrics(
    classifier: pd.DataFrame, autoencoder: pd.DataFrame, *, subset_size: int, error_threshold: float
) -> pd.DataFrame:
    """One row per (model, size, seed, metric): model, size, n_params, seed, metric, value."""
    keys = ["size", "n_params", "seed"]
    clf = classifier.groupby(keys, sort=True).agg(n_correct=("correct", "sum"), n_total=("correct", "size"))
    clf = clf.reset_index()
    clf_metrics = pd.concat(
        [
            clf[keys].assign(metric="accuracy", value=clf["n_correct"] / clf["n_total"]),
            clf[keys].assign(
                metric="subset_accuracy", value=subset_accuracy(clf["n_correct"], clf["n_total"], subset_size)
            ),
        ]
    ).assign(model="classifier")
    below = autoencoder["mse"] < error_threshold
    ae = autoencoder.assign(below=below).groupby(keys, sort=True).agg(mse=("mse", "mean"), below=("below", "mean"))
    ae = ae.reset_index()
    ae_metrics = pd.concat(
        [
            ae[keys].assign(metric="reconstruction_mse", value=ae["mse"]),
            ae[keys].assign(metric="reconstruction_below_c", value=ae["below"]),
        ]
    ).assign(model="autoencoder")
    table = pd.concat([clf_metrics, ae_metrics], ignore_index=True)
    order = {m: i for i, m in enumerate(METRICS)}
    table = table.sort_values(["metric", "size", "seed"], key=lambda s: s.map(order) if s.name == "metric" else s)
    return table[["model", "size", "n_params", "seed", "metric", "value"]].reset_index(drop=True)


def vision_curves(metrics: pd.DataFrame, n_test: int | None = None) -> pd.DataFrame:
    """Curves in the curves.parquet format: per metric the mean over seeds (subtask null), then each seed.

    value_se: the spread over seeds (SD / sqrt(seeds) for the mean, SD for one seed), NaN (noise
    unknown) with one seed; n_examples = `n_test` for shares of test images, so the verdicts add
    their binomial SE (scripts/lib/stats/noise.py).
    """
    keys = ["model", "metric", "size", "n_params"]
    spread = metrics.groupby(keys, sort=False)["value"].agg(value="mean", sd="std", seeds="size").reset_index()
    mean = spread[[*keys, "value"]]
    points = pd.concat([mean.assign(seed=-1), metrics], ignore_index=True)
    points = points.merge(spread[[*keys, "sd", "seeds"]], on=keys, how="left")
    points["metric_order"] = points["metric"].map({m: i for i, m in enumerate(METRICS)})
    points = points.sort_values(["metric_order", "seed", "n_params"], kind="stable").reset_index(drop=True)
    points["subtask"] = [None if s < 0 else f"seed {s}" for s in points["seed"]]
    facts = pd.DataFrame.from_dict(METRICS, orient="index")
    points = points.join(facts[["higher_is_better", "low", "high"]], on="metric")
    points["curve_id"] = points.groupby(["metric_order", "seed"], sort=True).ngroup()
    higher = points["higher_is_better"].astype(bool)
    share = np.isfinite(points["low"].astype(float)) & np.isfinite(points["high"].astype(float))
    # the spread over seeds only: scripts/lib/stats/noise.py adds the test set's binomial variance
    # wherever n_examples is known (the shares of test images)
    value_se = np.where(points["seed"] < 0, points["sd"] / np.sqrt(points["seeds"]), points["sd"])
    curves = pd.DataFrame(
        {
            "curve_id": points["curve_id"].astype("int64"),
            "family": points["model"].map(FAMILIES),
            "task": TASK,
            "subtask": points["subtask"].astype(object),
            "shots": pd.array([pd.NA] * len(points), dtype="Int64"),
            "metric": points["metric"],
            "is_preferred": False,
            "x": points["n_params"].astype(float),
            "value": points["value"].astype(float),
            "y": np.where(higher, points["value"], -points["value"]).astype(float),
            "value_se": value_se.astype(float),
            "se_source": np.where(np.isfinite(value_se), "seeds", None),
            "n_examples": pd.array([n_test if ok and n_test else pd.NA for ok in share], dtype="Int64"),
            "n_duplicates": 0,
            "n_nan_dropped": 0,
            "oriented": ~higher,
            "known_metric": True,
            "higher_is_better": higher,
            "low_score": math.nan,
            "high_score": math.nan,
            "metric_low": points["low"].astype(float),
            "metric_high": points["high"].astype(float),
        }
    )
    return curves[POINT_COLUMNS].sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)


def emergence_table(
    curves: pd.DataFrame, scored: pd.DataFrame, *, subset_size: int, error_threshold: float
) -> pd.DataFrame:
    """One row per metric: the mean curve's ES and flag, its end values, and ES over the seed curves."""
    mean = scored.loc[scored["subtask"].isna()].set_index("metric")
    seeds = scored.loc[scored["subtask"].notna()]
    per_seed = seeds.groupby("metric").agg(
        n_seeds=("es", "size"),
        es_seed_min=("es", "min"),
        es_seed_median=("es", "median"),
        es_seed_max=("es", "max"),
        n_seeds_emergent=("emergent", "sum"),
    )
    mean_points = curves.loc[curves["subtask"].isna()].sort_values(["metric", "x"])
    ends = mean_points.groupby("metric")["value"].agg(value_smallest="first", value_largest="last")
    rows = []
    for metric, facts in METRICS.items():
        row = mean.loc[metric]
        rows.append(
            {
                "model": facts["model"],
                "metric": metric,
                "kind": facts["kind"],
                "definition": metric_label(metric, subset_size=subset_size, error_threshold=error_threshold),
                "n_sizes": int(row["n_points"]),
                "params_min": int(row["x_min"]),
                "params_max": int(row["x_max"]),
                "value_smallest": float(ends.loc[metric, "value_smallest"]),
                "value_largest": float(ends.loc[metric, "value_largest"]),
                "es": float(row["es"]),
                "es_floored": float(row["es_floored"]),
                "threshold": float(row["threshold"]),
                "effect": float(row["effect"]),
                "emergent": bool(row["emergent"]),
                "n_seeds": int(per_seed.loc[metric, "n_seeds"]),
                "es_seed_min": float(per_seed.loc[metric, "es_seed_min"]),
                "es_seed_median": float(per_seed.loc[metric, "es_seed_median"]),
                "es_seed_max": float(per_seed.loc[metric, "es_seed_max"]),
                "n_seeds_emergent": int(per_seed.loc[metric, "n_seeds_emergent"]),
                **mean_and_seeds(row, seeds[seeds["metric"] == metric]),
            }
        )
    return pd.DataFrame(rows)


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def vision_summary(
    table: pd.DataFrame,
    *,
    n_test: int,
    sizes: dict[str, list[int]],
    seeds: list[int],
    subset_size: int,
    error_threshold: float,
    emergence_threshold: Any,
    min_effect: float,
    label: str,
) -> dict[str, Any]:
    """The headline numbers, all under "vision" (merged into summary.json by the lead's summary rule)."""
    curves = {}
    for row in table.itertuples(index=False):
        curves[f"{row.model}/{row.metric}"] = {
            "kind": row.kind,
            "definition": row.definition,
            "es": _finite_or_none(row.es),
            "es_infinite": bool(math.isinf(row.es)),
            "es_floored": _finite_or_none(row.es_floored),
            "threshold": row.threshold,
            "emergent": row.emergent,
            "es_seed_min": _finite_or_none(row.es_seed_min),
            "es_seed_max": _finite_or_none(row.es_seed_max),
            "n_seeds_emergent": row.n_seeds_emergent,
            "p_sharp": _finite_or_none(row.p_sharp),
            "sharp": row.sharp,
            "unpredictable": row.unpredictable,
            "n_seeds_sharp": row.n_seeds_sharp,
        }
    smooth = table["kind"] == "smooth"
    return {
        "vision": {
            "data": label,
            "n_test_images": n_test,
            "sizes": sizes,
            "seeds": seeds,
            "subset_size": subset_size,
            "subset_accuracy_formula": SUBSET_FORMULA,
            "error_threshold": error_threshold,
            "emergence_threshold": emergence_threshold,
            "min_effect": min_effect,
            "curves": curves,
            "n_smooth_emergent": int(table.loc[smooth, "emergent"].sum()),
            "n_sharp_emergent": int(table.loc[~smooth, "emergent"].sum()),
            "n_smooth": int(smooth.sum()),
            "n_sharp": int((~smooth).sum()),
        }
    }


def latex_table(table: pd.DataFrame, *, label: str, emergence_threshold: Any, min_effect: float) -> str:
    """The booktabs version of the table (the columns a reader needs)."""
    view = table[
        [
            "model",
            "definition",
            "kind",
            "value_smallest",
            "value_largest",
            "es",
            "threshold",
            "emergent",
            "es_seed_min",
            "es_seed_max",
        ]
    ].rename(
        columns={
            "definition": "metric",
            "value_smallest": "smallest model",
            "value_largest": "largest model",
            "es_seed_min": "ES min (seeds)",
            "es_seed_max": "ES max (seeds)",
            "es": "ES",
        }
    )
    criterion = threshold_text(emergence_threshold, min_effect)
    caption = (
        "Emergence scores of small MLPs on scikit-learn digits under a smooth and a sharp metric (Mirage Sec. 5). "
        f"ES of the mean curve over seeds; emergent: {criterion} (range not checked for MSE). Data: {label}."
    )
    return to_latex(view, caption, "tab:vision_emergence", float_format="{:.3g}")


def run(
    *,
    classifier: str,
    autoencoder: str,
    curves: str,
    emergence: str,
    table_csv: str,
    table_tex: str,
    summary: str,
    subset_size: int,
    error_threshold: float,
    zero_median_floor: float,
    emergence_threshold: float | str,
    min_effect: float,
    label: str,
    sharpness: dict[str, Any] | None = None,
    backtest: dict[str, Any] | None = None,
) -> None:
    clf = pd.read_parquet(classifier)
    ae = pd.read_parquet(autoencoder)
    metrics = seed_metrics(clf, ae, subset_size=subset_size, error_threshold=error_threshold)
    points = vision_curves(metrics, n_test=int(clf["example"].nunique()))
    scored = score_curves(
        points, zero_median_floor=zero_median_floor, emergence_threshold=emergence_threshold, min_effect=min_effect
    )
    if sharpness is not None and backtest is not None:
        tests = tests_from_config(points, sharpness, backtest).drop(columns="backtest_pred_y")
        scored = scored.merge(tests, on="curve_id", how="left")
    table = emergence_table(points, scored, subset_size=subset_size, error_threshold=error_threshold)
    write_parquet(points, curves, label=label)
    write_parquet(scored, emergence, label=label)
    write_csv(table, table_csv, label=label)
    write_text(
        table_tex, latex_table(table, label=label, emergence_threshold=emergence_threshold, min_effect=min_effect)
    )
    write_json(
        summary,
        vision_summary(
            table,
            n_test=int(clf["example"].nunique()),
            sizes={
                "classifier": sorted(int(s) for s in clf["size"].unique()),
                "autoencoder": sorted(int(s) for s in ae["size"].unique()),
            },
            seeds=sorted(int(s) for s in clf["seed"].unique()),
            subset_size=subset_size,
            error_threshold=error_threshold,
            emergence_threshold=emergence_threshold,
            min_effect=min_effect,
            label=label,
        ),
    )
    for row in table.itertuples(index=False):
        logger.info(
            "%s %s (%s): ES %.3g (threshold %.3g) -> %s; seeds ES %.3g..%.3g, %d/%d emergent",
            row.model,
            row.metric,
            row.kind,
            row.es,
            row.threshold,
            "emergent" if row.emergent else "not emergent",
            row.es_seed_min,
            row.es_seed_max,
            row.n_seeds_emergent,
            row.n_seeds,
        )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
