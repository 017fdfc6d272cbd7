"""Rule threshold_sensitivity: do the emergent tallies survive other thresholds and min_effects?

The paper states no ES threshold, so the Mirage screen is recounted on a grid of thresholds ×
min_effects (the configured pair read back from emergence.parquet and flagged `is_configured`),
and the "few metrics" conclusion is tested at every grid point, against lenient bars and the
paper's own. Definitions and columns: docs/design.md §9.3.

Input: emergence.parquet. Outputs: tables/threshold_sensitivity.csv (counts per grid point, scope
and metric), tables/threshold_sensitivity_grid.csv (the tests per grid point),
figures/threshold_sensitivity.csv (what figure_sensitivity draws). Params: thresholds, min_effects,
few_metrics_max_fraction, headline_share_min, paper_metrics_with_emergence,
paper_preferred_metrics, paper_headline_share_min, label.
"""

import logging
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import run_rule, write_csv
from scripts.lib.score_table import HEADLINE_METRICS
from scripts.lib.stats.emergence import above_threshold, auto_threshold, effect_ok, screen_setting, threshold_value

logger = logging.getLogger(__name__)

SCOPES = ("preferred", "all")
GRID = ["threshold_rule", "threshold", "min_effect"]
COUNT_COLUMNS = [*GRID, "is_configured", "scope", "metric", "curves", "emergent_curves"]
GRID_COLUMNS = [
    *GRID,
    "is_configured",
    "preferred_metrics",
    "preferred_metrics_with_emergence",
    "max_metrics_with_emergence",
    "few_metrics_max_fraction",
    "few_metrics_holds",
    "emergent_preferred_curves",
    "emergent_headline_curves",
    "share_headline",
    "headline_share_min",
    "headline_share_holds",
    "paper_max_metrics_with_emergence",
    "paper_few_metrics_holds",
    "paper_headline_share_min",
    "paper_headline_share_holds",
]
FIGURE_TEST_COLUMNS = [
    "preferred_metrics",
    "preferred_metrics_with_emergence",
    "max_metrics_with_emergence",
    "few_metrics_holds",
    "few_metrics_max_fraction",
    "headline_share_min",
]
"""Columns of the grid table that panel C of the figure draws (or states, in the subtitle)."""
FIGURE_COLUMNS = ["panel", *GRID, "is_configured", "metric", "emergent_curves", *FIGURE_TEST_COLUMNS]


def parse_thresholds(values: Iterable[Any], configured: Any) -> list[float]:
    """Distinct thresholds as floats, NaN standing for 'auto'; the configured one is always included."""
    out: list[float] = []
    for value in [*values, configured]:
        number = threshold_value(str(value).strip().lower())
        if not any((math.isnan(number) and math.isnan(o)) or number == o for o in out):
            out.append(number)
    return sorted(out, key=lambda t: (not math.isnan(t), t))


def parse_min_effects(values: Iterable[Any], configured: float) -> list[float]:
    """Distinct min_effect values (sorted), the configured one included."""
    return sorted({float(v) for v in [*values, configured]})


def emergent_grid(emergence: pd.DataFrame, thresholds: list[float], min_effects: list[float]) -> np.ndarray:
    """Boolean (thresholds x min_effects x curves): ES > threshold (NaN = auto: n_points - 1) and effect ok."""
    es = emergence["es"].to_numpy(dtype=float)
    auto = auto_threshold(emergence["n_points"])[None, :]
    thr = np.array(thresholds, dtype=float)[:, None]
    thr = np.where(np.isnan(thr), auto, thr)  # (T, N)
    ok = effect_ok(
        emergence["effect"].to_numpy()[None, :],
        emergence["effect_checked"].to_numpy()[None, :],
        np.array(min_effects, dtype=float)[:, None],
    )  # (E, N)
    return above_threshold(es[None, :], thr)[:, None, :] & ok[None, :, :]


def sensitivity_counts(
    emergence: pd.DataFrame,
    thresholds: list[float],
    min_effects: list[float],
    *,
    configured: tuple[float, float],
) -> pd.DataFrame:
    """Per grid point, scope and metric: curves and emergent curves (long format, see COUNT_COLUMNS)."""
    grid = emergent_grid(emergence, thresholds, min_effects).astype(np.int64)
    metric = emergence["metric"].to_numpy()
    preferred = emergence["is_preferred"].astype(bool).to_numpy()
    frames = []
    for scope in SCOPES:
        mask = preferred if scope == "preferred" else np.ones(len(emergence), dtype=bool)
        metrics = sorted(set(metric[mask]))
        onehot = (metric[None, :] == np.array(metrics, dtype=object)[:, None]) & mask[None, :]  # (M, N)
        counts = grid @ onehot.T.astype(np.int64)  # (T, E, M)
        t_idx, e_idx, m_idx = np.meshgrid(
            np.arange(len(thresholds)), np.arange(len(min_effects)), np.arange(len(metrics)), indexing="ij"
        )
        frames.append(
            pd.DataFrame(
                {
                    "threshold": np.array(thresholds)[t_idx.ravel()],
                    "min_effect": np.array(min_effects)[e_idx.ravel()],
                    "scope": scope,
                    "metric": np.array(metrics, dtype=object)[m_idx.ravel()],
                    "curves": onehot.sum(axis=1)[m_idx.ravel()],
                    "emergent_curves": counts.ravel(),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return _finish(out, configured, ["scope", "metric"])[COUNT_COLUMNS]


def _finish(df: pd.DataFrame, configured: tuple[float, float], keys: list[str]) -> pd.DataFrame:
    """Add threshold_rule and is_configured; sort by (auto first, threshold, min_effect, keys)."""
    conf_t, conf_e = configured
    out = df.copy()
    auto = out["threshold"].isna()
    out["threshold_rule"] = np.where(auto, "auto", "fixed")
    same_t = (auto & math.isnan(conf_t)) | (out["threshold"] == conf_t)
    out["is_configured"] = same_t & np.isclose(out["min_effect"], conf_e)
    out["_auto"] = ~auto
    out = out.sort_values(["_auto", "threshold", "min_effect", *keys], kind="mergesort")
    return out.drop(columns="_auto").reset_index(drop=True)


def share_holds(share: pd.Series, min_share: float) -> pd.Series:
    """share >= min_share per grid point; NA (vacuous) where no curve passes the screen (share NaN)."""
    return pd.Series(
        pd.array([pd.NA if math.isnan(v) else bool(v >= min_share) for v in share], dtype="boolean"), index=share.index
    )


def max_metrics(preferred_metrics: pd.Series, fraction: float) -> pd.Series:
    """floor(fraction x preferred metrics), the most metrics with emergence that still count as 'few'."""
    return np.floor(fraction * preferred_metrics + 1e-9).astype(int)


def few_metrics_grid(
    counts: pd.DataFrame,
    *,
    max_fraction: float,
    min_share: float,
    paper_fraction: float = 5 / 39,
    paper_share: float = 0.92,
) -> pd.DataFrame:
    """Per grid point: the 'few metrics' tests (see the module docstring) on the preferred-scope counts.

    `max_fraction`/`min_share` are the lenient bars; `paper_fraction` (5 of 39) and `paper_share`
    (0.92) the paper's own, in the `paper_*` columns.
    """
    pref = counts[counts["scope"] == "preferred"].copy()
    pref["_key"] = pref["threshold"]  # NaN = auto: its own group (dropna=False), apart from every number
    pref["_with"] = pref["emergent_curves"] > 0
    pref["_headline"] = np.where(pref["metric"].isin(HEADLINE_METRICS), pref["emergent_curves"], 0)
    by = pref.groupby(["_key", "min_effect"], sort=False, dropna=False)
    out = by.agg(
        threshold_rule=("threshold_rule", "first"),
        threshold=("threshold", "first"),
        is_configured=("is_configured", "first"),
        preferred_metrics=("metric", "nunique"),
        preferred_metrics_with_emergence=("_with", "sum"),
        emergent_preferred_curves=("emergent_curves", "sum"),
        emergent_headline_curves=("_headline", "sum"),
    ).reset_index()
    out["few_metrics_max_fraction"] = float(max_fraction)
    out["max_metrics_with_emergence"] = max_metrics(out["preferred_metrics"], max_fraction)
    out["few_metrics_holds"] = out["preferred_metrics_with_emergence"] <= out["max_metrics_with_emergence"]
    out["paper_max_metrics_with_emergence"] = max_metrics(out["preferred_metrics"], paper_fraction)
    out["paper_few_metrics_holds"] = out["preferred_metrics_with_emergence"] <= out["paper_max_metrics_with_emergence"]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = out["emergent_headline_curves"] / out["emergent_preferred_curves"].where(
            out["emergent_preferred_curves"] > 0
        )
    out["share_headline"] = share
    out["headline_share_min"] = float(min_share)
    out["headline_share_holds"] = share_holds(share, min_share)
    out["paper_headline_share_min"] = float(paper_share)
    out["paper_headline_share_holds"] = share_holds(share, paper_share)
    for col in ("preferred_metrics_with_emergence", "emergent_preferred_curves", "emergent_headline_curves"):
        out[col] = out[col].astype(int)
    return out[GRID_COLUMNS].reset_index(drop=True)


# --- figure data ----------------------------------------------------------------------------------


def figure_data(counts: pd.DataFrame, grid: pd.DataFrame, *, configured: tuple[float, float]) -> pd.DataFrame:
    """The numbers rule figure_sensitivity draws (figures/threshold_sensitivity.csv), long format.

    `panel` A: emergent preferred-metric curves per metric at the configured min_effect, one row
    per threshold ("auto" and the positive ones: a log axis); B: the same at the configured
    threshold, one row per min_effect; only metrics with an emergent preferred-metric curve
    somewhere on the grid get a line. C: every grid point of the "few metrics" test (the grid
    table's columns; `is_configured` boxes the configured point, whose threshold and min_effect
    title panels A and B).
    """
    conf_t, conf_e = configured
    pref = counts[counts["scope"] == "preferred"]
    shown = pref.loc[pref["emergent_curves"] > 0, "metric"].unique()
    lines = pref[pref["metric"].isin(shown)]
    at_e = lines[np.isclose(lines["min_effect"], conf_e) & (lines["threshold"].isna() | (lines["threshold"] > 0))]
    at_t = lines[lines["threshold"].isna() if math.isnan(conf_t) else lines["threshold"] == conf_t]
    columns = [*GRID, "is_configured", "metric", "emergent_curves"]
    return pd.concat(
        [
            at_e[columns].assign(panel="A"),
            at_t[columns].sort_values(["min_effect", "metric"], kind="mergesort").assign(panel="B"),
            grid[[*GRID, "is_configured", *FIGURE_TEST_COLUMNS]].assign(panel="C"),
        ],
        ignore_index=True,
    )[FIGURE_COLUMNS]


# --- rule ------------------------------------------------------------------------------------------


def run(
    *,
    emergence: str,
    table: str,
    grid_table: str,
    figure_csv: str,
    thresholds: list[Any],
    min_effects: list[float],
    few_metrics_max_fraction: float,
    headline_share_min: float,
    paper_metrics_with_emergence: int,
    paper_preferred_metrics: int,
    paper_headline_share_min: float,
    label: str,
) -> None:
    scored = pd.read_parquet(emergence)
    emergence_threshold, min_effect = screen_setting(scored)
    conf_t = threshold_value(emergence_threshold)
    configured = (conf_t, float(min_effect))
    t_grid = parse_thresholds(thresholds, emergence_threshold)
    e_grid = parse_min_effects(min_effects, min_effect)
    counts = sensitivity_counts(scored, t_grid, e_grid, configured=configured)
    grid = few_metrics_grid(
        counts,
        max_fraction=float(few_metrics_max_fraction),
        min_share=float(headline_share_min),
        paper_fraction=int(paper_metrics_with_emergence) / int(paper_preferred_metrics),
        paper_share=float(paper_headline_share_min),
    )
    here = counts[counts["is_configured"]]
    check = here.groupby("scope")["emergent_curves"].sum().get("all", 0)
    if check != int(scored["emergent"].astype(bool).sum()):
        raise ValueError(
            f"{emergence}: {check} emergent curves at the configured grid point, "
            f"{int(scored['emergent'].sum())} in the table"
        )
    write_csv(counts, table, label=label)
    write_csv(grid, grid_table, label=label)
    write_csv(figure_data(counts, grid, configured=configured), figure_csv, label=label)
    logger.info(
        "%d grid points; few metrics holds at %d (paper's bar: %d), headline share holds at %d (paper's bar: %d) "
        "of %d non-vacuous",
        len(grid),
        int(grid["few_metrics_holds"].sum()),
        int(grid["paper_few_metrics_holds"].sum()),
        int(grid["headline_share_holds"].sum()),
        int(grid["paper_headline_share_holds"].sum()),
        int(grid["headline_share_holds"].notna().sum()),
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
