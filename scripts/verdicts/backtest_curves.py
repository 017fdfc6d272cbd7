"""Rule backtest_curves: could the largest model's score have been predicted from the smaller ones?

docs/statistics.md, "Unpredictability backtest". Per curve: the smooth family
(the sharpness test's H0) is fitted on all but the largest `holdout` points and extrapolated to
the largest one, averaged over the family's shapes by their likelihood (parameter and shape
uncertainty, plus the point's own noise); `unpredictable` = the observed value lies above the
one-sided 1 - `alpha` bound. Per metric: mean absolute backtest error and the share
unpredictable (Owen 2024 reports about 6 points on BBH aggregates and about 18 on single
BIG-bench tasks; cited as reported, not recomputed). Metric map: where one (family, task, subtask,
shots) has a sharp and a continuous metric (config/metrics.yaml `sharp`), the sharp metric's
held-out value is also predicted from the continuous one (map fitted on the smaller models,
applied to the extrapolated continuous value) and both errors are compared.

Inputs: curves.parquet, metrics.yaml. Outputs: backtest.parquet (per curve),
tables/backtest_by_metric.{csv,tex}, tables/backtest_metric_map.{csv,tex}.
Params: holdout, alpha, min_width_decades, residual_min_df, label.
"""

import logging

import numpy as np
import pandas as pd

from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_parquet, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.stats.backtest import backtest_table, map_predictions, y_bounds
from scripts.lib.stats.sharpness import CHUNK, check_columns, curve_noise, stack_curves

logger = logging.getLogger(__name__)

PAIR_KEYS = ["family", "task", "subtask", "shots"]
OWEN_NOTE = "Owen (2024), as reported: about 6 points on BBH aggregates, about 18 on single BIG-bench tasks"


def per_curve(points: pd.DataFrame, result: pd.DataFrame, bounds: pd.DataFrame) -> pd.DataFrame:
    """Backtest columns in metric units: backtest_pred (value units), err, err_frac, z, unpredictable.

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
    out["backtest_err_frac"] = out["backtest_err"] / scale.reindex(out.index)
    return out.drop(columns=["backtest_pred_y", "backtest_upper_y", "oriented"]).reset_index()


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
    holdout: int,
    alpha: float,
    min_width_decades: float,
    residual_min_df: int,
    label: str,
) -> None:
    facts = load_metric_facts(metrics)
    points = pd.read_parquet(curves)
    check_columns(points, curves)
    points = points.sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)
    sigma, _ = curve_noise(points, min_width=float(min_width_decades), min_df=int(residual_min_df))
    bounds = y_bounds(points)
    result = backtest_table(
        stack_curves(points, sigma),
        bounds,
        holdout=int(holdout),
        min_width=float(min_width_decades),
        alpha=float(alpha),
    )
    curves_out = per_curve(points, result, bounds)
    write_parquet(curves_out.sort_values("curve_id").reset_index(drop=True), table, label=label)
    summary = by_metric(curves_out)
    write_csv(summary, by_metric_csv, label=label)
    setting = (
        f"Smooth fit on all but the largest {holdout} model(s), extrapolated to the largest; unpredictable = above "
        f"the one-sided {1 - alpha:.0%} bound of the predictive distribution averaged over the smooth shapes."
    )
    write_text(
        by_metric_tex,
        to_latex(summary, f"Backtest per metric. {setting} {OWEN_NOTE}. Data: {label}.", "tab:backtest_by_metric"),
    )
    pairs = metric_map(points, sigma, bounds, metric_pairs(points, facts, result, int(holdout)), result, int(holdout))
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
        "%d curves backtested, %d unpredictable; %d sharp/continuous pairs",
        int(curves_out["backtest_err"].notna().sum()),
        int(curves_out["unpredictable"].sum()),
        len(pairs),
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
