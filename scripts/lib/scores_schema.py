"""The columns of the tidy scores table (scores.parquet) and of logs/bad_files.csv, for every source.

Why a lib module: parse_scores (BIG-bench files), lm_eval_source (lm-evaluation-harness files) and
the tests all write or check the same table, and a rule script must not import another rule
script (STYLE §4). Downstream rules (build_curves onward) read only these columns.
"""

SIZE_KEYS = ("non_embedding_params", "total_params", "flop_matched_non_embedding_params")
"""The model-size columns; config `scale` names one of them (or, for lm_eval, training_step/tokens)."""

COLUMNS = [
    "family",
    "model_name",
    *SIZE_KEYS,
    "task",
    "subtask",
    "shots",
    "metric",
    "value",
    "is_preferred",
    "low_score",
    "high_score",
    "source_file",
]
"""scores.parquet as parse_scores writes it, before the noise columns (n_examples, value_se, se_source)."""

NOISE_COLUMNS = ["n_examples", "value_se", "se_source"]
"""Per score: examples (nullable integer), standard error in value units, and where it came from."""

BAD_FILE_COLUMNS = ["path", "json_path", "reason"]
"""logs/bad_files.csv: one row per skipped input file (on_bad_file: skip)."""
