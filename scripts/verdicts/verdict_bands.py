"""Rule verdict_bands: the curves that come out emergent, with the band their smaller models predicted.

docs/statistics.md, "Verdicts". The gallery's curves: those emergent by the tests (first copies,
largest backtest z first); where fewer than `n_curves` are, the curves that pass the Mirage screen
and are unpredictable but not emergent (the sharpness test found them smooth) fill the gallery,
labelled by their verdict. For each, every model k with at least `min_train` smaller ones gets the
prediction from those (`scripts/lib/stats/bands.py`) and its one-sided bound, in the metric's units.

Inputs: verdicts.parquet, curves.parquet. Output: figures/verdicts_gallery.csv (one row per
plotted point: the curve's verdict columns, x, value, pred and bound; figure_verdicts_gallery draws
it). Params: n_curves, sharpness (min_width_decades, residual_min_df), backtest (min_train, alpha),
label.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from scripts.lib.io import run_rule, write_csv
from scripts.lib.stats.bands import predicted_bands
from scripts.lib.stats.sharpness import curve_noise, stack_curves

logger = logging.getLogger(__name__)

CURVE_COLUMNS = [
    "curve_id",
    "family",
    "task",
    "subtask",
    "shots",
    "metric",
    "emergence_verdict",
    "sharp_reason",
    "p_sharp",
    "backtest_z",
    "unpredictable_at",
]
COLUMNS = ["panel", *CURVE_COLUMNS, "x", "value", "pred", "bound"]


def gallery_curves(verdicts: pd.DataFrame, n_curves: int) -> pd.DataFrame:
    """The emergent first copies by backtest z, then screened-and-unpredictable ones, `n_curves` at most."""
    first = verdicts[verdicts["duplicate_of"].isna()]
    emergent = first[first["emergent_tested"].astype(bool)]
    near = first[first["emergent"].astype(bool) & first["unpredictable"].astype(bool) & ~first["emergent_tested"]]
    order = {"by": ["backtest_z", "curve_id"], "ascending": [False, True], "kind": "stable"}
    chosen = pd.concat([emergent.sort_values(**order), near.sort_values(**order)]).head(n_curves)
    return chosen[CURVE_COLUMNS].reset_index(drop=True).assign(panel=lambda d: np.arange(len(d)))


def gallery_points(
    chosen: pd.DataFrame, points: pd.DataFrame, sigma: np.ndarray, settings: dict[str, Any]
) -> pd.DataFrame:
    """Every point of the chosen curves with the prediction and bound its smaller models gave (value units)."""
    keep = points["curve_id"].isin(chosen["curve_id"]).to_numpy()
    sub = points[keep].reset_index(drop=True)
    with threadpool_limits(limits=1):
        bands = predicted_bands(stack_curves(sub, sigma[keep]), **settings)
    sub["k"] = sub.groupby("curve_id", sort=False).cumcount()
    sub = sub.merge(bands, on=["curve_id", "k"], how="left")
    sign = np.where(sub["oriented"].astype(bool), -1.0, 1.0)
    sub["pred"], sub["bound"] = sign * sub["pred_y"], sign * sub["upper_y"]
    out = chosen.merge(sub[["curve_id", "x", "value", "pred", "bound"]], on="curve_id")
    return out[COLUMNS].sort_values(["panel", "x"], kind="stable").reset_index(drop=True)


def run(
    *,
    verdicts: str,
    curves: str,
    data: str,
    n_curves: int,
    sharpness: dict[str, Any],
    backtest: dict[str, Any],
    label: str,
) -> None:
    table = pd.read_parquet(verdicts)
    chosen = gallery_curves(table, int(n_curves))
    points = pd.read_parquet(curves).sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)
    sigma, _ = curve_noise(
        points,
        min_width_decades=float(sharpness["min_width_decades"]),
        residual_min_df=int(sharpness["residual_min_df"]),
    )
    settings = {
        "min_train": int(backtest["min_train"]),
        "min_width_decades": float(sharpness["min_width_decades"]),
        "alpha": float(backtest["alpha"]),
        "extrapolation": float(backtest["extrapolation"]),
    }
    out = gallery_points(chosen, points, sigma, settings) if len(chosen) else pd.DataFrame(columns=COLUMNS)
    write_csv(out, data, label=label)
    n_emergent = int((chosen["emergence_verdict"] != "not emergent").sum())
    logger.info("gallery: %d emergent curves, %d screened and unpredictable", n_emergent, len(chosen) - n_emergent)


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
