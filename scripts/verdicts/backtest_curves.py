"""Rule backtest_curves: could each model's score have been predicted from the smaller ones?

docs/statistics.md, "Unpredictability backtest". Per curve: every model with at least `min_train`
smaller ones is predicted from those alone by the bounded smooth family (the sharpness test's H0,
locally continuous in centre and width), averaged over its shapes by their evidence (parameter,
shape and overdispersion uncertainty, plus the point's own noise); `unpredictable` = some model
above its bound at Holm's family-wise level `alpha` over the models tested (t reference with phi's
df), `unpredictable_at` = the first such model's size. The largest-model columns (backtest_pred,
_upper, _err, _err_frac) predict the largest model from all but the largest `holdout`. Per metric:
mean absolute backtest error and the share
unpredictable (Owen 2024 reports about 6 points on BBH aggregates and about 18 on single
BIG-bench tasks; cited as reported, not recomputed). Metric map: where one (family, task, subtask,
shots) has a sharp and a continuous metric (config/metrics.yaml `sharp`), the sharp metric's
held-out value is also predicted from the continuous one (map fitted on the smaller models,
applied to the extrapolated continuous value) and both errors are compared.

Inputs: curves.parquet, metrics.yaml. Outputs: backtest.parquet (per curve),
tables/backtest_by_metric.{csv,tex}, tables/backtest_metric_map.{csv,tex}.
Params: sharpness (min_width_decades, residual_min_df) and backtest (min_train, holdout, alpha), by their
config names; label.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_parquet, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.stats.backtest import backtest_table
from scripts.lib.stats.bounds import y_bounds
from scripts.lib.stats.metric_map import map_predictions
from scripts.lib.stats.sharpness import CHUNK, check_columns, curve_noise, stack_curves

logger = logging.getLogger(__name__)

PAIR_KEYS = ["family", "task", "subtask", "shots"]
OWEN_NOTE = "Owen (2024), as reported: about 6 points on BBH aggregates, about 18 on single BIG-bench tasks"


def per_curve(points: pd.DataFrame, result: pd.DataFrame, bounds: pd.DataFrame) -> pd.DataFrame:
    """Backtest columns in metric units: backtest_pred, _upper, unpredictable_pred (value units), err, err_frac.

    err_frac divides by the metric's range (`y_bounds`), or by the curve's own range when unbounded.
    """
    first = points.groupby("curve_id", sort=True).first()
    width = (bounds["y_high"] - bounds["y_low"]).reindex(first.index)
    rng = points.groupby("curve_id")["y"].agg(lambda s: s.max() - s.min())
    scale = width.where(width.notna(), rng).replace(0, np.nan)
    out = result.set_index("curve_id").join(first[["metric", "oriented"]])
    sign = np.where(out["oriented"], -1.0, 1.0)
    out["backtest_pred"] = sign * out["backtest_pred_y"]
    out["backtest_upper"] = sign * out["backtest_upper_y"]
    out["unpredictable_pred"] = sign * out["unpredictable_pred_y"]
    out["backtest_err_frac"] = out["backtest_err"] / scale.reindex(out.index)
    # unpredictable_at left the Stack as 10^log10(x): the curve's own x, exactly.
    near = points[["curve_id", "x"]].join(out["unpredictable_at"], on="curve_id").dropna()
    near = near.loc[(np.log(near["x"]) - np.log(near["unpredictable_at"])).abs().groupby(near["curve_id"]).idxmin()]
    out["unpredictable_at"] = near.set_index("curve_id")["x"].reindex(out.index)
    return out.drop(columns=["backtest_pred_y", "backtest_upper_y", "unpredictable_pred_y", "oriented"]).reset_index()


def by_metric(table: pd.DataFrame) -> pd.DataFrame:
    """Per metric: curves backtested, mean |error| (metric units, fraction of range), share unpredictable."""
    ok = table[table["backtest_err"].notna()]
    grouped = ok.groupby("metric", sort=True)
    out = pd.DataFrame(
        {
            "curves": grouped.size(),
            "mean_abs_err": grouped["backtest_err"].agg(lambda s: s.abs().mean()),
            "mean_abs_err_frac": grouped["backtest_err_frac"].agg(lambda s: s.abs().mean()),
            "unpredictable": grouped["unpredictable"].sum().astype(int),
        }
    )
    out["share_unpredictable"] = out["unpredictable"] / out["curves"]
    return out.reset_index()


def metric_pairs(points: pd.DataFrame, facts: dict, backtest: pd.DataFrame, holdout: int) -> pd.DataFrame:
    """Every (sharp, continuous) curve pair of one (family, task, subtask, shots) with the same sizes."""
    first = points.groupby("curve_id", sort=True).first().reset_index()
    first["sharp_metric"] = first["metric"].map(lambda m: bool((facts.get(m) or {}).get("sharp", False)))
    xs = points.groupby("curve_id")["x"].agg(tuple)
    first["xs"] = first["curve_id"].map(xs)
    keys = first[PAIR_KEYS].astype(str).agg("|".join, axis=1)
    first["key"] = keys + "|" + first["xs"].astype(str)
    sharp = first[first["sharp_metric"]][["key", "curve_id", "metric", *PAIR_KEYS]]
    cont = first[~first["sharp_metric"]][["key", "curve_id", "metric"]]
    pairs = sharp.merge(cont, on="key", suffixes=("_sharp", "_cont"))
    pairs = pairs[
        pairs["curve_id_sharp"].isin(backtest["curve_id"]) & pairs["curve_id_cont"].isin(backtest["curve_id"])
    ]
    n = points.groupby("curve_id").size()
    return pairs[(pairs["curve_id_sharp"].map(n) - holdout) >= 3].drop(columns="key").reset_index(drop=True)


def metric_map(
    points: pd.DataFrame,
    sigma: np.ndarray,
    bounds: pd.DataFrame,
    pairs: pd.DataFrame,
    backtest: pd.DataFrame,
    holdout: int,
) -> pd.DataFrame:
    """Per pair: |error| of direct extrapolation and of the map from the continuous metric (y units)."""
    if pairs.empty:
        return pairs.assign(err_direct=[], err_map=[])
    ys = points.assign(sigma=sigma).groupby("curve_id")[["y", "sigma"]].agg(list)
    bt = backtest.set_index("curve_id")
    y_sharp = ys.loc[pairs["curve_id_sharp"], "y"].tolist()
    s_sharp = ys.loc[pairs["curve_id_sharp"], "sigma"].tolist()
    y_cont = ys.loc[pairs["curve_id_cont"], "y"].tolist()
    pred_cont = bt.loc[pairs["curve_id_cont"], "backtest_pred_y"].to_numpy(float)
    bounds_sharp = bounds.reindex(pairs["curve_id_sharp"])[["y_low", "y_high"]].to_numpy(float)
    err_map = np.full(len(pairs), np.nan)
    lengths = np.array([len(v) for v in y_sharp])
    for n in np.unique(lengths):
        for start in range(0, int(np.sum(lengths == n)), CHUNK):
            rows = np.flatnonzero(lengths == n)[start : start + CHUNK]
            ysh = np.array([y_sharp[i] for i in rows])
            pred = map_predictions(
                np.array([y_cont[i][: n - holdout] for i in rows]),
                ysh[:, : n - holdout],
                np.array([s_sharp[i][: n - holdout] for i in rows]),
                pred_cont[rows],
                bounds_sharp[rows],
            )
            err_map[rows] = ysh[:, -1] - pred
    return pairs.assign(err_direct=bt.loc[pairs["curve_id_sharp"], "backtest_err"].to_numpy(float), err_map=err_map)


def map_summary(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per (sharp metric, continuous metric): pairs, mean |error| direct and via the map, share map better."""
    columns = ["metric_sharp", "metric_cont", "pairs", "mae_direct", "mae_map", "share_map_better"]
    ok = pairs[np.isfinite(pairs["err_direct"]) & np.isfinite(pairs["err_map"])]
    if ok.empty:
        return pd.DataFrame(columns=columns)
    ok = ok.assign(a_direct=ok["err_direct"].abs(), a_map=ok["err_map"].abs())
    ok["map_better"] = ok["a_map"] < ok["a_direct"]
    g = ok.groupby(["metric_sharp", "metric_cont"], sort=True)
    out = pd.DataFrame(
        {
            "pairs": g.size(),
            "mae_direct": g["a_direct"].mean(),
            "mae_map": g["a_map"].mean(),
            "share_map_better": g["map_better"].mean(),
        }
    )
    return out.reset_index()[columns]


def run(
    *,
    curves: str,
    metrics: str,
    table: str,
    by_metric_csv: str,
    by_metric_tex: str,
    map_csv: str,
    map_tex: str,
    sharpness: dict[str, Any],
    backtest: dict[str, Any],
    label: str,
) -> None:
    min_width_decades, residual_min_df = float(sharpness["min_width_decades"]), int(sharpness["residual_min_df"])
    min_train, holdout, alpha = int(backtest["min_train"]), int(backtest["holdout"]), float(backtest["alpha"])
    facts = load_metric_facts(metrics)
    points = pd.read_parquet(curves)
    check_columns(points, curves)
    points = points.sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)
    sigma, _ = curve_noise(points, min_width_decades=float(min_width_decades), residual_min_df=int(residual_min_df))
    bounds = y_bounds(points)
    # One BLAS thread: the work is many small matrix products, which threads only contend over.
    with threadpool_limits(limits=1):
        result = backtest_table(
            stack_curves(points, sigma),
            bounds,
            min_train=int(min_train),
            holdout=int(holdout),
            min_width_decades=float(min_width_decades),
            alpha=float(alpha),
            extrapolation=float(backtest["extrapolation"]),
        )
    curves_out = per_curve(points, result, bounds)
    write_parquet(curves_out.sort_values("curve_id").reset_index(drop=True), table, label=label)
    summary = by_metric(curves_out)
    write_csv(summary, by_metric_csv, label=label)
    setting = (
        f"Errors: the largest model predicted from all but the largest {holdout} by the bounded smooth shapes, "
        f"averaged; unpredictable = some model (with at least {min_train} smaller ones, predicted from those) above "
        f"its bound at Holm's family-wise level {alpha:g} over the models of the curve."
    )
    write_text(
        by_metric_tex,
        to_latex(summary, f"Backtest per metric. {setting} {OWEN_NOTE}. Data: {label}.", "tab:backtest_by_metric"),
    )
    with threadpool_limits(limits=1):
        pairs = metric_map(
            points, sigma, bounds, metric_pairs(points, facts, result, int(holdout)), result, int(holdout)
        )
    mapped = map_summary(pairs)
    write_csv(mapped, map_csv, label=label)
    write_text(
        map_tex,
        to_latex(
            mapped,
            f"Sharp metric's largest model predicted directly vs from a continuous metric of the same task. {setting} "
            f"Data: {label}.",
            "tab:backtest_metric_map",
        ),
    )
    logger.info(
        "%d curves backtested (%d with a per-model test), %d unpredictable; %d sharp/continuous pairs",
        int(curves_out["backtest_err"].notna().sum()),
        int((curves_out["backtest_tests"] > 0).sum()),
        int(curves_out["unpredictable"].sum()),
        len(pairs),
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
