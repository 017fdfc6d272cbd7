"""The columns of curves.parquet: one row per point of a curve, as every curve-building rule writes it.

Shared by build_curves (the scores' curves) and vision_scores (the vision models' curves), so the
downstream rules read one layout whatever built the curves.
"""

CURVE_KEYS = ["family", "task", "subtask", "shots", "metric"]
"""What makes a curve: one metric for one (family, task, subtask-or-task-level, shots)."""

NOISE_COLUMNS = ["value_se", "se_source", "n_examples"]
"""Per point: standard error in value units, where it came from (binomial/reported/seeds), examples."""

POINT_COLUMNS = [
    "curve_id",
    *CURVE_KEYS,
    "is_preferred",
    "x",
    "value",
    "y",
    *NOISE_COLUMNS,
    "n_duplicates",
    "n_nan_dropped",
    "oriented",
    "known_metric",
    "higher_is_better",
    "low_score",
    "high_score",
    "metric_low",
    "metric_high",
]
"""The columns of curves.parquet, in order."""
