"""Row and scope names that a table's rule writes and its figure and summary rules read back.

One place, so a rule and the figure drawn from its CSV can never disagree on a label.
"""

from scripts.lib.score_table import HEADLINE_METRICS

TOTAL = "(total)"
"""The `metric` of the row that sums a scope over its metrics."""


NULL_SCOPES = ("preferred", "all")
"""The scopes of the trend (permutation) test table, one figure panel each."""


HEADLINE = "+".join(HEADLINE_METRICS)
"""The `metric` of the combined Multiple choice grade + Exact string match row."""


BOOTSTRAP_FIGURE_SCOPES = ("annotated", "preferred")
"""The scopes rule figure_bootstrap draws, one panel each."""


ALL_FAMILIES = "all families"
"""The `family` of the agreement rows pooled over families."""


COMPARISONS = ("all tasks", "scale-matched")
"""The `comparison` of the agreement rows: every classed task, or only the human-emergent tasks whose
emergence scale the family's largest model on the task reaches (plus every human-not-emergent task)."""


AGREEMENT_STATS = (
    "precision",
    "precision_ci_low",
    "precision_ci_high",
    "recall",
    "recall_ci_low",
    "recall_ci_high",
    "cohen_kappa",
)
"""The agreement statistics rule human_agreement writes per row and its figure and summary read back."""
