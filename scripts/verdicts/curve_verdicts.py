"""Rule curve_verdicts: one verdict per curve, the Mirage screen beside the two tested properties and the cause.

docs/statistics.md, "Verdicts". Joins emergence.parquet (the "possible emergence (Mirage screen)":
ES > n - 1 and range >= min_effect, unchanged) with the sharpness test and the backtest:

- `emergent_tested` = screen ∧ unpredictable ∧ (sharp True or NA): `sharp` stays nullable (NA = the
  ladder cannot resolve the jump, `sharp_reason` says why);
- `duplicate_of`: the first curve with identical points (same task, subtask, metric, shots), NA
  for first copies; only first copies are counted in the tables and headlines;
- the cause (scripts/lib/stats/verdict_classes.py): the continuous partner's verdicts at the sharp
  curve's `unpredictable_at`, whether the sharp value there is predicted from the continuous
  value there through a map fitted only on the smaller models (`map_pred_at`, `map_predicts`),
  and the class `emergence_verdict`. The map is reported beside the class, not inside it: fitted
  where the sharp metric sits at chance, a map cannot foresee the threshold Mirage describes, so
  the class rests on the continuous curve's own tests.

Inputs: emergence.parquet, sharpness.parquet, backtest.parquet, nonmonotone.parquet (its columns are
copied beside the verdict, docs/nonmonotone.md), curves.parquet, metrics.yaml.
Outputs: verdicts.parquet, verdicts.csv, tables/verdicts_by_metric.{csv,tex},
figures/verdicts_by_metric.csv, verdicts_summary.json. Params: sharpness (fdr, fdr_scope,
min_width_decades, residual_min_df) and backtest (alpha, holdout), by their config names; label.
"""

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from scripts.lib.io import load_metric_facts, run_rule, write_csv, write_json, write_parquet, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.stats.backtest import MIN_TRAIN_POINTS
from scripts.lib.stats.bounds import y_bounds
from scripts.lib.stats.metric_map import map_predictive
from scripts.lib.stats.sharpness import curve_noise
from scripts.lib.stats.verdict_classes import (
    CLASS_SLUGS,
    CLASSES,
    NOT_EMERGENT,
    continuous_partners,
    duplicate_of,
    emergence_tested,
    emergence_verdict,
    is_continuous,
    ladder,
    partner_verdicts,
)

logger = logging.getLogger(__name__)

SHARP_COLUMNS = [
    "noise_source",
    "noise_dispersion",
    "sharp_statistic",
    "sharp_draws",
    "p_sharp",
    "q_sharp",
    "sharp",
    "sharp_reason",
]
BACKTEST_COLUMNS = [
    "backtest_pred",
    "backtest_upper",
    "backtest_err",
    "backtest_err_frac",
    "backtest_z",
    "backtest_p",
    "unpredictable",
    "unpredictable_at",
]
COUNT_COLUMNS = [
    "screen",
    "sharp",
    "sharp_unresolved",
    "unpredictable",
    "screen_sharp",
    "screen_unpredictable",
    "emergent_tested",
    *CLASS_SLUGS.values(),
]
NONMONOTONE_COLUMNS = ["p_nonmonotone", "nonmonotone", "nonmonotone_kind", "turn_x", "dip_depth"]
"""The non-monotonicity test's columns (docs/nonmonotone.md): beside the verdict, not part of it."""
SCREEN_NAME = "possible emergence (Mirage screen)"


def verdicts(
    emergence: pd.DataFrame, sharp: pd.DataFrame, backtest: pd.DataFrame, nonmonotone: pd.DataFrame
) -> pd.DataFrame:
    """Every emergence column, then the sharpness, backtest and non-monotonicity columns (contract columns
    missing -> NA), and emergent_tested; `sharp` and `nonmonotone` stay pandas "boolean"."""
    sharp = sharp.reindex(columns=["curve_id", *SHARP_COLUMNS])
    backtest = backtest.reindex(columns=["curve_id", *BACKTEST_COLUMNS])
    nonmonotone = nonmonotone.reindex(columns=["curve_id", *NONMONOTONE_COLUMNS])
    table = emergence.merge(sharp, on="curve_id", how="left").merge(backtest, on="curve_id", how="left")
    table = table.merge(nonmonotone, on="curve_id", how="left")
    table["sharp"] = table["sharp"].astype("boolean")
    table["nonmonotone"] = table["nonmonotone"].astype("boolean")
    table["unpredictable"] = table["unpredictable"].astype("boolean").fillna(False).astype(bool)
    table["unpredictable_at"] = table["unpredictable_at"].astype(float)
    table["emergent_tested"] = emergence_tested(table["emergent"], table["sharp"], table["unpredictable"])
    return table.sort_values("curve_id", kind="stable").reset_index(drop=True)


def map_at_jump(points: pd.DataFrame, sigma: np.ndarray, rows: pd.DataFrame, *, alpha: float) -> pd.DataFrame:
    """Sharp value at unpredictable_at predicted from the continuous value there (map fitted on the smaller models).

    `rows`: curve_id, continuous_curve_id, unpredictable_at, noise_dispersion (the sharp curve's).
    `map_predicts` = observed <= prediction + z_(1 - alpha) * SD, the SD combining the map's own
    (map_predictive: parameters and shapes) with the point's noise times the dispersion factor.
    Columns: curve_id, map_pred_at (metric units), map_predicts (boolean, NA where fewer than
    MIN_TRAIN_POINTS smaller models).
    """
    pts = points.assign(sigma=sigma).sort_values(["curve_id", "x"], kind="stable")
    per = pts.groupby("curve_id", sort=True)[["x", "y", "sigma"]].agg(list)
    oriented = pts.groupby("curve_id", sort=True)["oriented"].first().astype(bool)
    bounds = y_bounds(points)
    out = pd.DataFrame({"curve_id": rows["curve_id"].to_numpy(), "map_pred_at": np.nan})
    out["map_predicts"] = pd.array([pd.NA] * len(out), dtype="boolean")
    xs = [np.asarray(per.at[c, "x"], float) for c in rows["curve_id"]]
    at = rows["unpredictable_at"].to_numpy(float)
    k = np.array([int(np.argmin(np.abs(np.log(x) - np.log(a)))) for x, a in zip(xs, at, strict=True)], dtype=int)
    z = ndtri(1.0 - alpha)
    for n_train in np.unique(k[k >= MIN_TRAIN_POINTS]):
        idx = np.flatnonzero(k == n_train)
        sharp_ids, cont_ids = rows["curve_id"].to_numpy()[idx], rows["continuous_curve_id"].to_numpy()[idx]
        y_s = np.array([per.at[c, "y"][: n_train + 1] for c in sharp_ids], dtype=float)
        s_s = np.array([per.at[c, "sigma"][: n_train + 1] for c in sharp_ids], dtype=float)
        y_c = np.array([per.at[c, "y"][: n_train + 1] for c in cont_ids], dtype=float)
        pred, map_sd = map_predictive(
            y_c[:, :n_train],
            y_s[:, :n_train],
            s_s[:, :n_train],
            y_c[:, n_train],
            bounds.reindex(sharp_ids)[["y_low", "y_high"]].to_numpy(float),
        )
        disp = np.nan_to_num(rows["noise_dispersion"].to_numpy(float)[idx], nan=1.0)
        sign = np.where(oriented.reindex(sharp_ids).to_numpy(bool), -1.0, 1.0)
        out.loc[idx, "map_pred_at"] = sign * pred
        sd = np.sqrt(map_sd**2 + np.maximum(disp, 1.0) * s_s[:, n_train] ** 2)
        known = np.isfinite(sd) & np.isfinite(pred)
        out.loc[idx[known], "map_predicts"] = (y_s[:, n_train] <= pred + z * sd)[known]
    return out


def with_cause(
    table: pd.DataFrame,
    points: pd.DataFrame,
    facts: Mapping[str, Mapping[str, Any]],
    *,
    alpha: float,
    min_width_decades: float,
    residual_min_df: int,
) -> pd.DataFrame:
    """Add duplicate_of, the continuous partner's verdicts, the map at the jump and emergence_verdict."""
    points = points.sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)
    table = table.merge(duplicate_of(points).reset_index(), on="curve_id", how="left")
    curves = table[["curve_id", "family", "task", "subtask", "shots", "metric"]].merge(
        ladder(points).reset_index(), on="curve_id"
    )
    partners = partner_verdicts(table, continuous_partners(curves, facts))
    table = table.merge(partners, on="curve_id", how="left")
    jumps = table.loc[table["emergent_tested"] & table["continuous_curve_id"].notna()]
    mapped = pd.DataFrame(
        {
            "curve_id": pd.Series(dtype=table["curve_id"].dtype),
            "map_pred_at": pd.Series(dtype=float),
            "map_predicts": pd.array([], dtype="boolean"),
        }
    )
    if len(jumps):
        sigma, _ = curve_noise(points, min_width_decades=min_width_decades, residual_min_df=residual_min_df)
        mapped = map_at_jump(points, sigma, jumps, alpha=alpha)
    table = table.merge(mapped, on="curve_id", how="left")
    table["emergence_verdict"] = emergence_verdict(
        table["emergent_tested"],
        is_continuous(table["metric"], facts),
        table["continuous_curve_id"].notna(),
        table["continuous_emergent_at"],
    )
    for col in ("continuous_curve_id", "n_continuous"):
        table[col] = table[col].astype("Int64")
    for col in ("continuous_sharp", "continuous_unpredictable", "continuous_emergent_at", "map_predicts"):
        table[col] = table[col].astype("boolean")
    return table


def by_metric(table: pd.DataFrame) -> pd.DataFrame:
    """Per (scope, metric), first copies only: curves, duplicates left out, COUNT_COLUMNS."""
    screen = table["emergent"].astype(bool)
    sharp = table["sharp"].astype("boolean")
    flags = pd.DataFrame(
        {
            "metric": table["metric"],
            "first": table["duplicate_of"].isna(),
            "screen": screen,
            "sharp": sharp.fillna(False).astype(bool),
            "sharp_unresolved": sharp.isna() & table["p_sharp"].notna(),
            "unpredictable": table["unpredictable"],
            "screen_sharp": screen & sharp.fillna(False).astype(bool),
            "screen_unpredictable": screen & table["unpredictable"],
            "emergent_tested": table["emergent_tested"],
            **{slug: table["emergence_verdict"].astype(str).eq(c) for c, slug in CLASS_SLUGS.items()},
        }
    )
    rows = []
    for scope, part in (("preferred", flags[table["is_preferred"].astype(bool)]), ("all", flags)):
        first = part[part["first"]]
        counts = first.groupby("metric", sort=True)[COUNT_COLUMNS].sum().astype(int)
        counts.insert(0, "duplicates", (~part["first"]).groupby(part["metric"]).sum().reindex(counts.index).fillna(0))
        counts.insert(0, "curves", first.groupby("metric").size())
        total = counts.sum().to_frame().T
        total.index = ["(total)"]
        both = pd.concat([counts, total]).astype(int)
        both.index.name = "metric"
        rows.append(both.reset_index().assign(scope=scope))
    out = pd.concat(rows, ignore_index=True)
    return out[["scope", "metric", "curves", "duplicates", *COUNT_COLUMNS]]


def _opt(value: Any) -> Any:
    """None for NA, else the value as a plain Python scalar (JSON)."""
    if pd.isna(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def headline(table: pd.DataFrame, counts: pd.DataFrame) -> dict:
    """Headline numbers and sentences, first copies only (read from the tables, never typed in)."""
    first = table[table["duplicate_of"].isna()]
    screened = first[first["emergent"].astype(bool)]
    m = len(screened)
    k = int(screened["sharp"].fillna(False).sum())
    na = int((screened["sharp"].isna() & screened["p_sharp"].notna()).sum())
    u = int(screened["unpredictable"].sum())
    j = int(screened["emergent_tested"].sum())
    per_class = {c: int((first["emergence_verdict"] == c).sum()) for c in CLASSES}
    emergent = first[first["emergence_verdict"] != NOT_EMERGENT]
    dips = first["nonmonotone"].astype("boolean").fillna(False).astype(bool)
    kinds = {str(k): int(n) for k, n in first.loc[dips, "nonmonotone_kind"].value_counts().items()}
    return {
        "screen_name": SCREEN_NAME,
        "curves": len(first),
        "duplicates": int(table["duplicate_of"].notna().sum()),
        "tested_curves": int(first["p_sharp"].notna().sum()),
        "screened": m,
        "screened_sharp": k,
        "screened_sharp_unresolved": na,
        "screened_unpredictable": u,
        "screened_sharp_unpredictable": int((screened["sharp"].fillna(False) & screened["unpredictable"]).sum()),
        "emergent_tested": j,
        "classes": per_class,
        "nonmonotone": kinds,
        "noise_sources": {str(s): int(c) for s, c in first["noise_source"].value_counts().sort_index().items()},
        "by_metric": {
            row.metric: {c: int(getattr(row, c)) for c in ["curves", "duplicates", *COUNT_COLUMNS]}
            for row in counts[counts["scope"] == "all"].itertuples()
        },
        "emergent_curves": [
            {
                "family": r.family,
                "task": r.task,
                "subtask": _opt(r.subtask),
                "shots": None if pd.isna(r.shots) else int(r.shots),
                "metric": r.metric,
                "p_sharp": _opt(r.p_sharp),
                "sharp": _opt(r.sharp),
                "backtest_z": _opt(r.backtest_z),
                "unpredictable_at": _opt(r.unpredictable_at),
                "emergence_verdict": str(r.emergence_verdict),
                "continuous_metric": _opt(r.continuous_metric),
                "map_predicts": _opt(r.map_predicts),
            }
            for r in emergent.itertuples()
        ],
        "sentences": [
            f"Of {m} distinct curves that pass the Mirage screen ({SCREEN_NAME}), {k} are sharp against noise, {na} "
            f"have a jump the ladder cannot resolve, {u} are unpredictable from smaller models; {j} are emergent by "
            "the tests (screen, unpredictable, and not resolved as smooth).",
            f"Of {len(first)} distinct curves ({int(table['duplicate_of'].notna().sum())} identical copies counted "
            "once): " + "; ".join(f"{n} {c}" for c, n in per_class.items()) + ".",
            f"Of {int(first['p_nonmonotone'].notna().sum())} distinct curves tested for a dip or a hump, "
            f"{kinds.get('U', 0)} dip (U-shaped) and {kinds.get('inverted_U', 0)} hump (inverted U) beyond their "
            "noise.",
        ],
    }


def run(
    *,
    emergence: str,
    sharpness_parquet: str,
    backtest_parquet: str,
    nonmonotone_parquet: str,
    curves: str,
    metrics: str,
    table: str,
    csv: str,
    by_metric_csv: str,
    by_metric_tex: str,
    figure_csv: str,
    summary: str,
    sharpness: dict[str, Any],
    backtest: dict[str, Any],
    label: str,
) -> None:
    fdr, fdr_scope = float(sharpness["fdr"]), str(sharpness["fdr_scope"])
    min_width_decades, residual_min_df = float(sharpness["min_width_decades"]), int(sharpness["residual_min_df"])
    alpha, holdout = float(backtest["alpha"]), int(backtest["holdout"])
    result = with_cause(
        verdicts(
            pd.read_parquet(emergence),
            pd.read_parquet(sharpness_parquet),
            pd.read_parquet(backtest_parquet),
            pd.read_parquet(nonmonotone_parquet),
        ),
        pd.read_parquet(curves),
        load_metric_facts(metrics),
        alpha=float(alpha),
        min_width_decades=min_width_decades,
        residual_min_df=int(residual_min_df),
    )
    write_parquet(result, table, label=label)
    write_csv(result, csv, label=label)
    counts = by_metric(result)
    write_csv(counts, by_metric_csv, label=label)
    write_csv(counts, figure_csv, label=label)
    caption = (
        f"Per metric, identical curves counted once: curves passing the {SCREEN_NAME}; sharp (smooth null of "
        f"rises at least {min_width_decades:g} decade(s) wide, FDR {fdr:g} over the {fdr_scope} curves; "
        f"unresolved = the ladder cannot resolve the jump); unpredictable (some model above the family-wise "
        f"{1 - alpha:.0%} backtest bound from the models below it); emergent (tested) = screen, unpredictable, "
        f"not resolved as smooth; and its cause from a continuous metric of the same outputs. Data: {label}."
    )
    write_text(by_metric_tex, to_latex(counts, caption, "tab:verdicts_by_metric", float_format="{:.0f}"))
    head = headline(result, counts)
    head.update(data_label=label, fdr=float(fdr), fdr_scope=str(fdr_scope), holdout=int(holdout))
    write_json(summary, head)
    for sentence in head["sentences"]:
        logger.info("%s", sentence)


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
