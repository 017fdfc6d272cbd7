"""Per-curve verdict classes: tested emergence, its cause, identical curves (docs/statistics.md, "Verdicts").

Pure pandas functions on per-curve tables, shared by curve_verdicts, metric_pairs and
verdicts_vs_annotations:

- `emergence_tested`: screen ∧ unpredictable ∧ (sharp is True or NA). A rise the ladder can
  resolve and the sharpness test finds smooth is not emergent; one it cannot resolve (NA, e.g. a
  jump over GPT-3's last 1.1-decade gap) is left to the backtest.
- `duplicate_of`: curves whose points are identical to an earlier curve of the same (task,
  subtask, metric, shots), e.g. strange_stories under BIG-G T=0 and T=1 in the bigbench_csv
  extract; only first copies are counted in tallies and headlines.
- `continuous_partners`, `partner_verdicts` and `emergence_verdict`: Mirage's argument per curve.
  Where the same (family, task, subtask, shots) is also scored on the same models by a continuous
  metric (config/metrics.yaml `sharp: false`), the continuous curve's own tests decide between
  "metric-induced" (it is predictable at the model where the sharp metric is not) and "emergent
  under the continuous metric too" (it is itself unpredictable at or before that model, and not
  resolved as smooth). An emergent curve whose own metric is continuous is in the latter class;
  a sharp one without a tested partner is "no continuous metric to tell". The continuous
  curve's screen is not used: its range rule (min_effect) fails for small-range metrics such as
  BERTScore whatever their shape.
"""

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

NOT_EMERGENT = "not emergent"
METRIC_INDUCED = "emergent, metric-induced"
CONTINUOUS_TOO = "emergent under the continuous metric too"
NO_CONTINUOUS = "emergent, no continuous metric to tell"
CLASSES = (NOT_EMERGENT, METRIC_INDUCED, CONTINUOUS_TOO, NO_CONTINUOUS)
"""The values of `emergence_verdict`, in display order."""
CLASS_SLUGS = dict(zip(CLASSES, ("not_emergent", "metric_induced", "continuous_too", "no_continuous"), strict=True))
"""Column names for per-class counts."""

CASE_KEYS = ["family", "task", "subtask", "shots"]
SAME_EXAMPLES = ["task", "subtask", "metric", "shots"]
"""Two curves can only be copies of each other when they score the same examples the same way."""
DIGITS = 9
"""Points are compared after rounding to this many decimals (values written by different parsers)."""
X_TOLERANCE = 1e-9
"""Relative tolerance when comparing model sizes (unpredictable_at against a partner's)."""
PARTNER_COLUMNS = [
    "continuous_curve_id",
    "continuous_metric",
    "n_continuous",
    "continuous_sharp",
    "continuous_unpredictable",
    "continuous_unpredictable_at",
    "continuous_emergent_at",
]


def emergence_tested(screen: pd.Series, sharp: pd.Series, unpredictable: pd.Series) -> pd.Series:
    """screen ∧ unpredictable ∧ (sharp True or NA); `sharp` is pandas "boolean" (NA = not resolvable)."""
    resolved_smooth = sharp.astype("boolean").eq(False).fillna(False).astype(bool)
    return screen.astype(bool) & unpredictable.astype("boolean").fillna(False).astype(bool) & ~resolved_smooth


def _keyed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """`keys` as comparable strings (NA subtask and shots become '')."""
    return frame[keys].astype(object).where(frame[keys].notna(), "").astype(str)


def duplicate_of(points: pd.DataFrame) -> pd.Series:
    """Per curve_id (sorted): the smallest curve_id with identical (x, y) points and the same SAME_EXAMPLES, or NA.

    `points` has one row per point: curve_id, x, y and the SAME_EXAMPLES columns.
    """
    pts = points.sort_values(["curve_id", "x"], kind="stable")
    xy = pd.Series(
        np.round(pts["x"].to_numpy(float), 0).astype(str).astype(object)
        + ":"
        + np.round(pts["y"].to_numpy(float), DIGITS).astype(str),
        index=pts.index,
    )
    signature = xy.groupby(pts["curve_id"], sort=True).agg("|".join)
    keys = _keyed(pts.groupby("curve_id", sort=True)[SAME_EXAMPLES].first(), SAME_EXAMPLES)
    frame = keys.assign(signature=signature, curve_id=signature.index)
    first = frame.groupby([*SAME_EXAMPLES, "signature"], sort=False)["curve_id"].transform("min")
    out = first.where(first != frame["curve_id"]).astype("Int64")
    out.name = "duplicate_of"
    return out


def ladder(points: pd.DataFrame) -> pd.Series:
    """Per curve_id: its model sizes as one string, so only curves on the same models are paired."""
    pts = points.sort_values(["curve_id", "x"], kind="stable")
    sizes = pd.Series(np.round(pts["x"].to_numpy(float), 0).astype(str), index=pts.index)
    return sizes.groupby(pts["curve_id"], sort=True).agg("|".join).rename("ladder")


def continuous_partners(curves: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Every (sharp curve, continuous curve) pair of one (family, task, subtask, shots) on the same ladder.

    `curves`: one row per curve with curve_id, CASE_KEYS, metric, ladder. Metrics not in `facts`
    are neither. Columns: curve_id (the sharp one), continuous_curve_id, continuous_metric.
    """
    cont_metric = is_continuous(curves["metric"], facts)
    sharp_metric = curves["metric"].isin(list(facts)) & ~cont_metric
    keyed = _keyed(curves, [*CASE_KEYS, "ladder"]).assign(curve_id=curves["curve_id"], metric=curves["metric"])
    sharp = keyed[sharp_metric]
    cont = keyed[cont_metric].rename(columns={"curve_id": "continuous_curve_id", "metric": "continuous_metric"})
    pairs = sharp.merge(cont, on=[*CASE_KEYS, "ladder"])
    return pairs[["curve_id", "continuous_curve_id", "continuous_metric"]].reset_index(drop=True)


def partner_verdicts(table: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Per sharp curve with a tested continuous partner: the partner's verdicts at the sharp curve's unpredictable_at.

    `table`: one row per curve with curve_id, sharp, unpredictable, unpredictable_at, backtest_z.
    A partner counts when its backtest ran (backtest_z finite). It is emergent at x when it is
    unpredictable at or before x and not resolved as smooth (sharp True or NA). With several
    partners (ROUGE-1/2/L, BLEU …) the one emergent at x is reported first, so one emergent
    continuous metric is enough for "emergent under the continuous metric too".
    """
    cols = ["curve_id", "sharp", "unpredictable", "unpredictable_at", "backtest_z"]
    own = table[["curve_id", "unpredictable_at"]].rename(columns={"unpredictable_at": "at"})
    part = table[cols].rename(columns={c: f"continuous_{c}" for c in cols})
    joined = pairs.merge(own, on="curve_id").merge(part, on="continuous_curve_id")
    joined = joined[np.isfinite(joined["continuous_backtest_z"].astype(float))]
    cont_at = joined["continuous_unpredictable_at"].astype(float)
    before = cont_at <= joined["at"].astype(float) * (1 + X_TOLERANCE)
    joined["continuous_emergent_at"] = (
        joined["continuous_unpredictable"].astype("boolean").fillna(False).astype(bool)
        & before.to_numpy()
        & ~joined["continuous_sharp"].astype("boolean").eq(False).fillna(False).astype(bool)
    )
    joined["n_continuous"] = joined.groupby("curve_id")["continuous_curve_id"].transform("size")
    joined = joined.sort_values(["curve_id", "continuous_emergent_at", "continuous_curve_id"], ascending=[1, 0, 1])
    return joined.drop_duplicates("curve_id")[["curve_id", *PARTNER_COLUMNS]].reset_index(drop=True)


def emergence_verdict(
    emergent_tested: pd.Series, continuous: pd.Series, has_partner: pd.Series, partner_emergent: pd.Series
) -> pd.Series:
    """The class per curve (CLASSES): not emergent; else by the curve's own metric and its tested partner.

    A curve under a continuous metric (`continuous`) that is emergent is emergent under the
    continuous metric; a sharp one by its partner, if any was tested.
    """
    partner = has_partner.astype(bool).to_numpy()
    too = partner_emergent.astype("boolean").fillna(False).astype(bool).to_numpy()
    cause = np.where(partner, np.where(too, CONTINUOUS_TOO, METRIC_INDUCED), NO_CONTINUOUS)
    cause = np.where(continuous.astype(bool).to_numpy(), CONTINUOUS_TOO, cause)
    verdict = np.where(emergent_tested.astype(bool).to_numpy(), cause, NOT_EMERGENT)
    return pd.Series(pd.Categorical(verdict, categories=list(CLASSES)), index=emergent_tested.index)


def is_continuous(metric: pd.Series, facts: Mapping[str, Mapping[str, Any]]) -> pd.Series:
    """True for metrics config/metrics.yaml lists with `sharp: false` (unknown metrics are neither)."""
    return metric.map(lambda m: m in facts and not bool((facts.get(m) or {}).get("sharp", False))).astype(bool)
