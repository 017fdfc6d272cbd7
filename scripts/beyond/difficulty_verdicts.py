"""Rule difficulty_verdicts: is each difficulty group's curve a U, an inverted U or monotone? Beside Wu & Lo's reading.

docs/difficulty.md. Every curve of difficulty_points.parquet (task x 3 or 10 groups x group x
metric, over training FLOPs; all models of the paper's figures, and each family with enough sizes)
goes through the non-monotonicity test (scripts/lib/stats/nonmonotone.py: isotonic monotone null,
unimodal alternative, parametric bootstrap, dispersion re-estimated). Wu & Lo (ICLR 2025) read the
easy groups (the first third of the questions) as inverted U and the hard ones (the last third) as
U; the tables put each verdict beside that reading. Per task the comparison asks whether the easy
groups come out inverted U and the hard ones U, and whether the aggregate's rise starts where the
easiest group recovers: the onset is the knee of the best continuous two-segment line in log10
FLOPs whose slope increases (`convex_knee`), fitted to the aggregate accuracy over all FLOPs; the
easiest group recovers at the bottom of its U, or at that knee beyond the top of its hump (the
paper's easy shape is an inverted U followed by a rise, of which a unimodal test names the larger
part); the two coincide within `match_decades`.

Inputs: points (difficulty_points.parquet). Outputs: table_csv, table_tex (all-models curves),
family_csv (per-family curves), comparison_csv, comparison_tex. Params: nonmonotone (the config
section: alpha, draws, seed, min_points, the same test as every curve's), difficulty (match_decades), label.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd

from scripts.lib.io import run_rule, write_csv, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.sources.extracts.difficulty_groups import PAPER_EMERGENT
from scripts.lib.stats.multiplicity import benjamini_hochberg
from scripts.lib.stats.nonmonotone import nonmonotone_curves

logger = logging.getLogger(__name__)

POOLED = "all models"
READING = {"easy": "inverted U", "hard": "U"}
"""Wu & Lo's reading of a difficulty class (none for the middle groups and the aggregate)."""
MIN_SIDE = 3
"""Distinct x on each side of a two-segment knee."""
TABLE_COLUMNS = [
    "scope",
    "task",
    "groups",
    "group",
    "difficulty",
    "metric",
    "n_models",
    "verdict",
    "p_nonmonotone",
    "q_nonmonotone",
    "turn_flops",
    "turn_vs_cut_decades",
    "dip_depth",
    "dispersion",
    "wu_lo_reading",
    "agrees",
]


def difficulty_class(group: pd.Series, groups: pd.Series) -> np.ndarray:
    """'all' (group 0), 'easy' (in the first third: 3 g <= G), 'hard' (in the last: 3 (g - 1) >= 2 G), 'middle'."""
    return np.select(
        [group.eq(0), 3 * group <= groups, 3 * (group - 1) >= 2 * groups], ["all", "easy", "hard"], "middle"
    )


def verdict_label(nonmonotone: pd.Series, kind: pd.Series) -> np.ndarray:
    """'U', 'inverted U', 'monotone' (not rejected) or 'not tested'."""
    tested = nonmonotone.notna().to_numpy()
    yes = nonmonotone.fillna(False).to_numpy(bool)
    named = np.where(kind.astype(object).eq("U"), "U", "inverted U")
    return np.where(~tested, "not tested", np.where(yes, named, "monotone"))


def verdict_table(points: pd.DataFrame, tests: pd.DataFrame) -> pd.DataFrame:
    """One row per curve: its keys, the test's result in words, Wu & Lo's reading and whether they agree.

    q_nonmonotone is Benjamini-Hochberg over the rows given (call it once per table).
    """
    first = points.groupby("curve_id", sort=True)
    meta = first[["scope", "task", "groups", "group", "metric", "cut_flops"]].first()
    meta["n_models"] = first.size()
    t = meta.join(tests, how="left")
    t["difficulty"] = difficulty_class(t["group"], t["groups"])
    t["verdict"] = verdict_label(t["nonmonotone"], t["nonmonotone_kind"])
    t["q_nonmonotone"] = benjamini_hochberg(t["p_nonmonotone"].to_numpy(float))
    t["turn_flops"] = t["turn_x"]
    t["turn_vs_cut_decades"] = np.log10(t["turn_x"] / t["cut_flops"])
    t["dispersion"] = t["nonmonotone_dispersion"]
    reading = t["difficulty"].map(READING).where(t["metric"].eq("brier_score"))
    t["wu_lo_reading"] = reading.fillna("")
    t["agrees"] = pd.array(np.where(reading.isna(), None, t["verdict"].eq(reading)), dtype="boolean")
    return t.reset_index(drop=True)[TABLE_COLUMNS]


def convex_knee(t: np.ndarray, y: np.ndarray, *, min_side: int = MIN_SIDE) -> float:
    """The knee (in t) of the least-squares continuous two-segment line whose slope increases there; NaN if none.

    Candidates are the distinct t with at least `min_side` distinct t on each side.
    """
    t, y = np.asarray(t, float), np.asarray(y, float)
    distinct = np.unique(t)
    knees = distinct[min_side : len(distinct) - min_side + 1] if len(distinct) >= 2 * min_side else distinct[:0]
    if len(knees) == 0:
        return float("nan")
    d = t[None, :] - knees[:, None]
    design = np.stack([np.ones_like(d), np.minimum(d, 0.0), np.maximum(d, 0.0)], axis=-1)  # (K, n, 3)
    gram = np.einsum("kni,knj->kij", design, design)
    coef = np.linalg.solve(gram, np.einsum("kni,n->ki", design, y)[..., None])[..., 0]
    rss = ((np.einsum("kni,ki->kn", design, coef) - y) ** 2).sum(axis=1)
    rss = np.where((coef[:, 2] > coef[:, 1]) & (coef[:, 2] > 0), rss, np.inf)
    return float(knees[np.argmin(rss)]) if np.isfinite(rss).any() else float("nan")


def onset_flops(curve: pd.DataFrame, *, after: float = 0.0) -> float:
    """10^knee of a curve's points (x, y) with x >= after (FLOPs)."""
    part = curve[curve["x"] >= after]
    return 10.0 ** convex_knee(np.log10(part["x"].to_numpy(float)), part["y"].to_numpy(float))


def easiest_recovery(row: pd.Series, curve: pd.DataFrame) -> float:
    """Where the easiest group recovers, in FLOPs: the bottom of its U, or the knee beyond the top of its hump.

    Wu & Lo's easy shape is an inverted U then a rise; a unimodal test names whichever part dominates,
    so a U (fall, then rise) is the recovery itself. NaN for a monotone curve.
    """
    if row["verdict"] == "U":
        return float(row["turn_flops"])
    if row["verdict"] == "inverted U":
        return onset_flops(curve, after=float(row["turn_flops"]))
    return float("nan")


def count_matching(table: pd.DataFrame, difficulty: str) -> tuple[int, int]:
    """(groups of this difficulty, of which come out as Wu & Lo read them)."""
    part = table[table["difficulty"].eq(difficulty)]
    return len(part), int(part["agrees"].fillna(False).sum())


def supported(n_easy: int, easy: int, n_hard: int, hard: int) -> str:
    """'yes' (every easy group inverted U and every hard one U), 'partly', or 'no' (none)."""
    total = easy + hard
    return "yes" if total == n_easy + n_hard else ("partly" if total else "no")


def comparison(points: pd.DataFrame, table: pd.DataFrame, *, match_decades: float) -> pd.DataFrame:
    """Per task x groups (all models, Brier groups): Wu & Lo's reading counted, and the onset beside the recovery."""
    rows = []
    pooled = table[table["scope"].eq(POOLED)]
    curves = dict(tuple(points[points["scope"].eq(POOLED)].groupby(["task", "groups", "group", "metric"])))
    for (task, groups), part in pooled.groupby(["task", "groups"], sort=True):
        brier = part[part["metric"].eq("brier_score")]
        n_easy, easy = count_matching(brier, "easy")
        n_hard, hard = count_matching(brier, "hard")
        aggregate = part[part["group"].eq(0)].set_index("metric")["verdict"]
        onset = onset_flops(curves[(task, groups, 0, "multiple_choice_grade")])
        recovery = easiest_recovery(brier[brier["group"].eq(1)].iloc[0], curves[(task, groups, 1, "brier_score")])
        gap = np.log10(onset / recovery)
        rows.append(
            {
                "task": task,
                "groups": groups,
                "paper_type": "emergence" if task in PAPER_EMERGENT else "no emergence",
                "cut_flops": points.loc[points["task"].eq(task), "cut_flops"].iat[0],
                "easy_groups": n_easy,
                "easy_inverted_u": easy,
                "easy_nonmonotone": int(brier["difficulty"].eq("easy").mul(brier["verdict"].ne("monotone")).sum()),
                "hard_groups": n_hard,
                "hard_u": hard,
                "reading_supported": supported(n_easy, easy, n_hard, hard),
                "aggregate_accuracy": aggregate.get("multiple_choice_grade", "not tested"),
                "aggregate_brier": aggregate.get("brier_score", "not tested"),
                "accuracy_onset_flops": onset,
                "easiest_recovery_flops": recovery,
                "onset_minus_recovery_decades": gap,
                "coincide": None if np.isnan(gap) else bool(abs(gap) <= match_decades),
            }
        )
    return pd.DataFrame(rows)


def run(
    *,
    points: str,
    table_csv: str,
    table_tex: str,
    family_csv: str,
    comparison_csv: str,
    comparison_tex: str,
    nonmonotone: dict[str, Any],
    difficulty: dict[str, Any],
    label: str,
) -> None:
    alpha, draws, match_decades = float(nonmonotone["alpha"]), int(nonmonotone["draws"]), difficulty["match_decades"]
    curves = pd.read_parquet(points).sort_values(["curve_id", "x"], kind="stable").reset_index(drop=True)
    tests = nonmonotone_curves(
        curves[["curve_id", "x", "y", "sigma", "y_low", "y_high"]],
        alpha=alpha,
        draws=draws,
        seed=int(nonmonotone["seed"]),
        min_points=int(nonmonotone["min_points"]),
    )
    pooled = curves["scope"].eq(POOLED)
    table = verdict_table(curves[pooled], tests)
    families = verdict_table(curves[~pooled], tests)
    compared = comparison(curves, table, match_decades=float(match_decades))
    write_csv(table, table_csv, label=label)
    write_csv(families, family_csv, label=label)
    write_csv(compared, comparison_csv, label=label)
    caption = (
        f"Difficulty groups of ExpEmergence (Wu & Lo 2025), all models on training FLOPs: non-monotonicity "
        f"verdicts at level {alpha:g} ({draws} bootstrap draws), beside Wu & Lo's reading. {label}"
    )
    write_text(
        table_tex, to_latex(table.drop(columns="scope"), caption, "tab:difficulty_verdicts", float_format="{:.3g}")
    )
    caption = (
        f"Per task: easy groups inverted U and hard groups U as Wu & Lo read them; the aggregate accuracy's "
        f"onset beside the easiest group's recovery (coincide within {match_decades:g} decades). {label}"
    )
    write_text(comparison_tex, to_latex(compared, caption, "tab:difficulty_comparison", float_format="{:.3g}"))
    for scope, part in (("all models", table), ("families", families)):
        counts = part.groupby("difficulty")["verdict"].value_counts().unstack(fill_value=0)
        logger.info("%s: %d curves; verdicts by difficulty:\n%s", scope, len(part), counts.to_string())
    logger.info(
        "Wu & Lo's reading supported per task x groups: %s", compared["reading_supported"].value_counts().to_dict()
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
