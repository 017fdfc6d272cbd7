"""Rule summary: every headline number in one JSON file, with provenance (docs/design.md §4, §8).

Inputs: the tally tables (read back from their CSVs, so summary.json can never disagree with them),
tables/annotated_missing.csv, manifest.csv (n_files), scores.parquet (families and tasks in the
data), emergence.parquet (the screen's settings, recorded as applied). Output: summary.json.
Params: synthetic, source, commit, run, data_label, triplet_rule.

summary.json keeps counts and sentences: the headline files it merges may carry per-row tables for
their own readers (curve_verdicts' `emergent_curves`, one record per curve, and `by_metric`, one row
per metric), and those rows stay in verdicts.csv and tables/verdicts_by_metric.csv (TABLE_KEYS).

Nothing here is typed in: the headline strings are formatted from the computed numbers. Every count
of "emergent" curves or triplets here is the possible emergence (Mirage screen) (ES > threshold and
range >= min_effect), and the headline sentences say so; the tested verdicts are in docs/statistics.md.
"""

import logging
import math
from typing import Any

import pandas as pd

from scripts.lib.io import json_safe, read_csv, read_json, run_rule, write_json
from scripts.lib.present.text import SCREEN_NAME
from scripts.lib.score_table import HEADLINE_METRICS
from scripts.lib.stats.emergence import SETTING_COLUMNS, screen_setting
from scripts.lib.stats.tally import combined_share

logger = logging.getLogger(__name__)

TABLE_KEYS = {"verdicts": ("emergent_curves", "by_metric")}
"""Per merged headline file, the keys that are tables (a row per curve or metric), left to their CSVs."""


def _pct(share: float) -> str:
    return "n/a" if share is None or (isinstance(share, float) and math.isnan(share)) else f"{100 * share:.1f}%"


def summarise(
    *,
    preferred: pd.DataFrame,
    every: pd.DataFrame,
    annotated: pd.DataFrame,
    share: pd.DataFrame,
    missing: pd.DataFrame,
    manifest: pd.DataFrame,
    scores: pd.DataFrame,
) -> dict[str, Any]:
    """The headline numbers, computed from the tables (see docs/design.md §4 for what each means)."""
    with_emergence = preferred.loc[preferred["emergent_triplets"] > 0, "metric"].tolist()
    annotated_metrics = annotated.loc[annotated["annotated_cases"] > 0, "metric"].tolist()
    ann_share = combined_share(share, "annotated_cases")
    det_share = combined_share(share, "detected_emergent_triplets")
    k, m = len(with_emergence), len(preferred)
    n_counted = int(annotated["annotated_cases"].sum())
    n_missing = len(missing)
    # Annotated tasks without scores are counted under their task.json preferred metric when it
    # has one (tally_metrics flags them in annotated_missing.csv); the rest are not counted.
    n_from_metadata = int(missing["counted_by_metadata"].sum()) if n_missing else 0
    names = dict(zip(share["metric"], share["name"], strict=True)) if "name" in share.columns else {}
    headline_names = " or ".join(str(names.get(metric, metric)) for metric in HEADLINE_METRICS)
    out: dict[str, Any] = {
        "n_files": len(manifest),
        "n_families": int(scores["family"].nunique()),
        "n_tasks": int(scores["task"].nunique()),
        "n_curves": int(every["curves"].sum()),
        "n_emergent_curves": int(every["emergent_curves"].sum()),
        "n_triplets": int(every["triplets"].sum()),
        "n_emergent_triplets": int(every["emergent_triplets"].sum()),
        "metrics_total": len(every),
        "metrics_with_emergence": int((every["emergent_triplets"] > 0).sum()),
        "n_preferred_curves": int(preferred["curves"].sum()),
        "n_emergent_preferred_curves": int(preferred["emergent_curves"].sum()),
        "preferred_metrics_total": m,
        "preferred_metrics_with_emergence": k,
        "preferred_metrics_with_emergence_names": with_emergence,
        "annotated_cases_total": n_counted + n_missing - n_from_metadata,
        "annotated_cases_counted": n_counted,
        "annotated_cases_found": n_counted - n_from_metadata,
        "annotated_cases_from_metadata": n_from_metadata,
        "annotated_cases_missing": n_missing,
        "annotated_metrics": len(annotated_metrics),
        "annotated_metric_names": annotated_metrics,
        "headline_metrics": list(HEADLINE_METRICS),
        "share_emergent_mcg_or_exact_str_match": json_safe(ann_share),
        "share_detected_emergent_mcg_or_exact_str_match": json_safe(det_share),
        "headline_preferred_metrics": f"{k} of {m} preferred metrics show {SCREEN_NAME}",
        "headline_annotated_metrics": (
            f"the {n_counted} annotated emergent cases fall under {len(annotated_metrics)} preferred metrics"
            + (
                f" ({n_from_metadata} of them by BIG-bench's task metadata, as the data has no scores for them)"
                if n_from_metadata
                else ""
            )
        ),
        "headline_annotated_share": (f"{_pct(ann_share)} of annotated emergent tasks are scored by {headline_names}"),
        "headline_detected_share": (
            f"{_pct(det_share)} of preferred-metric triplets with {SCREEN_NAME} are scored by {headline_names}"
        ),
    }
    return {key: json_safe(value) if not isinstance(value, list) else value for key, value in out.items()}


def headline_part(part: str, head: dict[str, Any]) -> dict[str, Any]:
    """A merged headline file without its data label (the run's is on top) and without its tables."""
    dropped = {"data_label", *TABLE_KEYS.get(part, ())}
    return {key: value for key, value in head.items() if key not in dropped}


def run(
    *,
    preferred: str,
    every: str,
    annotated: str,
    share: str,
    missing: str,
    manifest: str,
    scores: str,
    emergence: str,
    beyond: str,
    vision: str,
    verdicts: str,
    metric_pairs: str,
    summary: str,
    synthetic: bool,
    source: str,
    commit: str | None,
    run_name: str,
    data_label: str,
    triplet_rule: Any,
) -> None:
    emergence_threshold, min_effect = screen_setting(pd.read_parquet(emergence, columns=SETTING_COLUMNS))
    numbers = summarise(
        preferred=read_csv(preferred),
        every=read_csv(every),
        annotated=read_csv(annotated),
        share=read_csv(share),
        missing=read_csv(missing),
        manifest=read_csv(manifest),
        scores=pd.read_parquet(scores, columns=["family", "task"]),
    )
    data: dict[str, Any] = {
        "synthetic": bool(synthetic),
        "source": source,
        "commit": commit or None,
        "run": run_name,
        "data_label": data_label,
        "settings": {
            "emergence_threshold": emergence_threshold,
            "min_effect": min_effect,
            "triplet_rule": triplet_rule,
        },
        **numbers,
        # docs/design.md §9.1-§9.5 (null model, bootstrap, threshold sweep, human agreement, toy model) and §9.6
        # (vision models) write their own headline files from their tables; merged here (headline_part).
        "beyond": headline_part("beyond", read_json(beyond)),
        "vision": read_json(vision)["vision"],
        # The tested verdicts (sharp against noise, unpredictable from smaller models) and the
        # same-outputs metric pairs, each from its own rule's headline file.
        "verdicts": headline_part("verdicts", read_json(verdicts)),
        "metric_pairs": headline_part("metric_pairs", read_json(metric_pairs)),
    }
    write_json(summary, data)
    logger.info("%s; %s", numbers["headline_preferred_metrics"], numbers["headline_annotated_share"])


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
