"""Rule difficulty_curves: ExpEmergence's difficulty groups as a tidy table and as curves for the non-monotonicity test.

docs/difficulty.md. Reads the pinned group files of registry entry `expemergence_groups` (Wu & Lo,
ICLR 2025: each task's questions sorted by difficulty and cut into 3 or 10 groups; the reader
scripts/lib/sources/extracts/difficulty_groups.py cites what every column is) and writes:
- difficulty_groups.parquet: one row per task x groups x group (0 = all questions) x model x metric
  (brier_score, option_mass; multiple_choice_grade for group 0), with value_se.
- difficulty_points.parquet: the curves the test reads, on the paper's axis (training FLOPs): per
  task x groups x group x metric (brier_score, and the aggregate's multiple_choice_grade), one curve
  over all models of the paper's figures (scope `all models`) and one per family with at least
  `min_family_sizes` distinct FLOPs. Oriented higher-is-better: y = -Brier in [-1, 0] (the paper's
  sign, plot_question_group_tc_brier.py l.39), y = accuracy in [0, 1]; sigma = the binomial SE at
  the curve's mean value and each point's question count (not at the point's own value: weights that
  move with each point's noise made the non-monotonicity test liberal on these 60-point curves,
  docs/nonmonotone.md "Calibration").
  option_mass is not tested: it has no noise estimate.

Inputs: files (the entry's files, registry order). Outputs: groups_table, points.
Params: min_family_sizes (5), label.
"""

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from scripts.lib.io import run_rule, write_parquet
from scripts.lib.score_table import binomial_se
from scripts.lib.sources.extracts.difficulty_groups import read_group_files
from scripts.lib.stats.noise import MIN_SE_FRACTION

logger = logging.getLogger(__name__)

POOLED = "all models"
"""The scope of the curves over every model of the paper's figures."""
TESTED = {"brier_score": -1.0, "multiple_choice_grade": 1.0}
"""Metric -> orientation sign (y = sign x value); both in [0, 1]."""
CURVE_KEYS = ["scope", "task", "groups", "group", "metric"]
POINT_COLUMNS = [
    "curve_id",
    *CURVE_KEYS,
    "model",
    "family",
    "cut_flops",
    "x",
    "value",
    "y",
    "sigma",
    "y_low",
    "y_high",
]


def curve_id(frame: pd.DataFrame) -> pd.Series:
    """'<task>|G<groups>|g<group>|<metric>|<scope>': sorts by task, then the grouping, then the group."""
    return (
        frame["task"]
        + "|G"
        + frame["groups"].astype(str).str.zfill(2)
        + "|g"
        + frame["group"].astype(str).str.zfill(2)
        + "|"
        + frame["metric"]
        + "|"
        + frame["scope"]
    )


def curve_points(groups: pd.DataFrame, *, min_family_sizes: int) -> pd.DataFrame:
    """The tested curves (POINT_COLUMNS), pooled and per family, sorted by curve_id, x, model."""
    keep = groups["metric"].isin(list(TESTED)) & groups["in_paper_figures"]
    keep &= np.isfinite(groups["flops"]) & groups["flops"].gt(0) & groups["value"].notna()
    part = groups[keep]
    sizes = part.groupby(["task", "family"])["flops"].nunique()
    large = sizes[sizes >= min_family_sizes].reset_index()[["task", "family"]]
    families = part.merge(large, on=["task", "family"]).assign(scope=lambda d: d["family"])
    both = pd.concat([part.assign(scope=POOLED), families], ignore_index=True)
    sign = both["metric"].map(TESTED).to_numpy(float)
    ids = curve_id(both)
    mean_value = both["value"].groupby(ids).transform("mean")
    known = both["value_se"].notna().to_numpy()
    out = both.assign(
        curve_id=ids,
        x=both["flops"],
        y=sign * both["value"],
        sigma=np.where(known, np.maximum(binomial_se(mean_value, both["n_questions"]), MIN_SE_FRACTION), np.nan),
        y_low=np.where(sign < 0, -1.0, 0.0),
        y_high=np.where(sign < 0, 0.0, 1.0),
    )
    return out.sort_values(["curve_id", "x", "model"], kind="stable")[POINT_COLUMNS].reset_index(drop=True)


def run(*, files: Sequence[str], groups_table: str, points: str, min_family_sizes: int, label: str) -> None:
    groups = read_group_files(list(files))
    write_parquet(groups, groups_table, label=label)
    curves = curve_points(groups, min_family_sizes=int(min_family_sizes))
    write_parquet(curves, points, label=label)
    excluded = groups.loc[groups["group"].eq(0) & groups["metric"].eq("brier_score")]
    logger.info(
        "%d group rows from %d files; %d model rows without FLOPs and %d outside the paper's figures left out",
        len(groups),
        len(files),
        int(excluded["flops"].isna().sum()),
        int((~excluded["in_paper_figures"]).sum()),
    )
    scopes = curves.drop_duplicates("curve_id")["scope"]
    logger.info(
        "%d curves: %d over all models, %d per family (%d families with >= %d sizes)",
        len(scopes),
        int(scopes.eq(POOLED).sum()),
        int(scopes.ne(POOLED).sum()),
        scopes[scopes.ne(POOLED)].nunique(),
        int(min_family_sizes),
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
