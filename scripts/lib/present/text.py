"""Names, rules and numbers in words, for captions, titles and tables.

Kept apart from the plotting helpers so that a table rule that only needs a metric's name does not
rerun when the figure style changes.
"""

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from scripts.lib.score_table import HEADLINE_METRICS

SCREEN_NAME = "possible emergence (Mirage screen)"
"""What the `emergent` column is (ES > threshold and range >= min_effect), in every caption and headline.

The screen reproduces Mirage Figs. 5A-C; it tests neither sharpness nor unpredictability against
noise (docs/statistics.md), so no caption calls a screened curve "emergent" without this name.
"""


def metric_name(metric: str, facts: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The plain-words name of a metric (metrics.yaml `name`), or the raw name if unknown."""
    entry = (facts or {}).get(metric) or {}
    return str(entry.get("name") or metric)


def threshold_text(emergence_threshold: Any, min_effect: float | None = None) -> str:
    """The Mirage screen's criterion in words, for titles and captions (arguments: `screen_setting`)."""
    if str(emergence_threshold) == "auto":
        text = "ES > n_points − 1 (auto: sharper than a straight line)"
    elif math.isnan(float(emergence_threshold)):
        return "no curves screened"
    else:
        text = f"ES > {float(emergence_threshold):g}"
    if min_effect is not None and not math.isnan(float(min_effect)):
        text += f", range ≥ {float(min_effect):.0%} of the metric's range"
    return text


def triplet_rule_text(triplet_rule: Any) -> str:
    """When a (family, task, metric) triplet counts as emergent, in words."""
    rule = str(triplet_rule)
    if rule == "any":
        return "triplet rule: any shot count"
    if rule == "all":
        return "triplet rule: all shot counts"
    return f"triplet rule: the {int(rule)}-shot curve"


def shots_text(shots: Any) -> str:
    """'3-shot', or 'shots unknown' for a null shot count."""
    if shots is None or shots is pd.NA or (isinstance(shots, float) and math.isnan(shots)):
        return "shots unknown"
    return f"{int(shots)}-shot"


def es_text(es: float, es_floored: float | None = None) -> str:
    """'ES = 12.3', or 'ES = ∞ (floored 45.6)' for an infinite score."""
    if es is None or (isinstance(es, float) and math.isnan(es)):
        return "ES = n/a"
    if math.isinf(es):
        sign = "" if es > 0 else "−"
        floored = f" (floored {es_floored:.3g})" if es_floored is not None and math.isfinite(es_floored) else ""
        return f"ES = {sign}∞{floored}"
    return f"ES = {es:.3g}"


def direction_text(metric: str, facts: Mapping[str, Mapping[str, Any]] | None) -> str:
    """'higher is better' / 'lower is better' from metrics.yaml (unknown metrics: higher)."""
    entry = (facts or {}).get(metric) or {}
    return "higher is better" if entry.get("higher_is_better", True) else "lower is better"


def with_metric_names(df: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Insert `name` (plain words), `sharp` (all-or-nothing metric) and `linear_in_logprob` (linear in
    the per-token log-probability, the Mirage argument's "continuous") after `metric`; empty if unknown.

    Why both flags: a metric can be continuous without being linear (perplexity is exp(cross-entropy)),
    and only the linear ones are where Mirage predicts apparent emergence to vanish.
    """
    out = df.copy()
    at = list(out.columns).index("metric") + 1
    out.insert(at, "name", [metric_name(m, facts) for m in out["metric"]])
    sharp = [facts[m].get("sharp") if m in facts else None for m in out["metric"]]
    out.insert(at + 1, "sharp", pd.array(sharp, dtype="boolean"))
    linear = [bool(facts[m].get("linear_in_logprob", False)) if m in facts else None for m in out["metric"]]
    out.insert(at + 2, "linear_in_logprob", pd.array(linear, dtype="boolean"))
    return out


def few_metrics_definition(max_fraction: float, min_share: float, *, paper_share: float | None = None) -> str:
    """The 'few metrics' tests in words (the grid table's caption, the figure and the summary).

    "Emergent" is the possible emergence (Mirage screen) at the grid point; `paper_share` adds the
    paper's own bars (paper_* columns of the grid table).
    """
    text = (
        f"few_metrics_holds: preferred metrics with >= 1 emergent preferred-metric curve <= {max_fraction:g} x "
        f"preferred metrics with any curve; headline_share_holds: emergent preferred-metric curves under "
        f"{' or '.join(HEADLINE_METRICS)} / all emergent preferred-metric curves >= {min_share:g} (grid points "
        "without emergent curves are vacuous)"
    )
    if paper_share is not None:
        text += (
            "; the paper's own bars: paper_few_metrics_holds: the same count <= paper_max_metrics_with_emergence "
            "(the paper's k of m preferred metrics, scaled to ours and rounded down); paper_headline_share_holds: "
            "the "
            f"same share >= {paper_share:g}"
        )
    return f"{text}; emergent = possible emergence (Mirage screen)"
