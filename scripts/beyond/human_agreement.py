"""Rule human_agreement: does the Mirage screen agree with people who looked at the curves?

Wei et al. (2022, TMLR, Appendix E) sort BIG-bench tasks into classes by eye; a task's human label
comes from its classes, ours from its preferred-metric curves per family (the screen, never a
tested claim), compared over all tasks and scale-matched (a human positive only where the family
reaches the size at which the ability was seen). Definitions: docs/design.md §9.4. Caveat: Wei et
al. judged GPT-3, LaMDA and PaLM; the BIG-bench families only partly overlap.

Inputs: emergence.parquet, the classes CSV, the annotations CSV (emergence scales). Outputs:
tables/agreement_confusion.{csv,tex} (TP, FP, FN, TN, precision and recall with Wilson intervals,
F1, accuracy, Cohen's kappa per comparison and family), tables/agreement_tasks.csv (per task),
figures/agreement.csv (what figure_agreement draws). Params: emergent_classes,
not_emergent_classes, scale, label.
"""

import logging
import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from scripts.lib.io import run_rule, write_csv, write_text
from scripts.lib.present.latex import to_latex
from scripts.lib.present.names import AGREEMENT_STATS, ALL_FAMILIES, COMPARISONS
from scripts.lib.present.text import SCREEN_NAME

logger = logging.getLogger(__name__)

Z95 = 1.959963984540054
"""Normal quantile of the 95% Wilson intervals."""

SIZE_SCALES = ("non_embedding_params", "total_params", "flop_matched_non_embedding_params")
"""The `scale` axes that are parameter counts, on which an emergence scale like "540B" can be compared."""

SIZE_SUFFIXES = {"M": 1e6, "B": 1e9, "T": 1e12}

CONFUSION_COLUMNS = [
    "comparison",
    "family",
    "tasks",
    "human_emergent",
    "ours_emergent",
    "tp",
    "fp",
    "fn",
    "tn",
    "precision",
    "precision_ci_low",
    "precision_ci_high",
    "recall",
    "recall_ci_low",
    "recall_ci_high",
    "f1",
    "accuracy",
    "cohen_kappa",
]
FIGURE_COLUMNS = ["comparison", "family", "tasks", "tp", "fp", "fn", "tn", *AGREEMENT_STATS]
"""Columns of the confusion table that rule figure_agreement draws."""


def human_labels(
    classes: pd.DataFrame,
    *,
    emergent_classes: Iterable[str],
    not_emergent_classes: Iterable[str],
) -> pd.DataFrame:
    """Per task: its classes ('; '-joined) and human_emergent (True/False/NA when ambiguous or unclassed)."""
    if not {"task", "category"} <= set(classes.columns):
        raise ValueError(f"agreement classes: need columns task, category (got {list(classes.columns)})")
    pos, neg = set(emergent_classes), set(not_emergent_classes)
    if pos & neg:
        raise ValueError(f"agreement: classes both emergent and not emergent: {sorted(pos & neg)}")
    df = classes[["task", "category"]].dropna().astype(str)
    df = df.assign(task=df["task"].str.strip(), category=df["category"].str.strip())
    by = df.groupby("task", sort=True)["category"]
    out = pd.DataFrame({"classes": by.agg(lambda s: "; ".join(sorted(set(s))))})
    is_pos = by.agg(lambda s: bool(set(s) & pos))
    is_neg = by.agg(lambda s: bool(set(s) & neg))
    label = pd.array([pd.NA] * len(out), dtype="boolean")
    label[(is_pos & ~is_neg).to_numpy()] = True
    label[(is_neg & ~is_pos).to_numpy()] = False
    out["human_emergent"] = label
    ambiguous = out.index[(is_pos & is_neg).to_numpy()].tolist()
    if ambiguous:
        logger.warning(
            "agreement: %d task(s) in both emergent and not-emergent classes, left out: %s",
            len(ambiguous),
            ", ".join(ambiguous),
        )
    return out.reset_index()


def parse_size(text: Any, *, source: str) -> float:
    """'13B' -> 1.3e10 (suffix M, B or T; a plain number is taken as is); empty -> NaN."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return math.nan
    value = str(text).strip().upper()
    factor = SIZE_SUFFIXES.get(value[-1], 1.0)
    try:
        return float(value[:-1] if value[-1] in SIZE_SUFFIXES else value) * factor
    except ValueError:
        raise ValueError(f"{source}: emergence_scale {text!r} is not a size like 13B or 540B") from None


def emergence_scales(annotations: pd.DataFrame, *, source: str) -> pd.Series:
    """Per task: the smallest model size at which an annotated family shows the ability (NaN if unrecorded)."""
    if "task" not in annotations.columns:
        raise ValueError(f"{source}: no 'task' column")
    if "emergence_scale" not in annotations.columns:
        return pd.Series(dtype=float, name="emergence_scale_params")
    sizes = annotations["emergence_scale"].map(lambda v: parse_size(v, source=source))
    return sizes.groupby(annotations["task"].astype(str).str.strip()).min().rename("emergence_scale_params")


def our_labels(emergence: pd.DataFrame) -> pd.DataFrame:
    """Per (family, task): emergent = any preferred-metric curve passes the screen, and the largest model
    (x_max) of those curves; plus the ALL_FAMILIES rows (any family; the largest over families)."""
    pref = emergence[emergence["is_preferred"].astype(bool).to_numpy()]
    frame = pd.DataFrame(
        {
            "family": pref["family"],
            "task": pref["task"],
            "ours_emergent": pref["emergent"].astype("boolean").fillna(False).astype(bool),
            "largest_model": pref["x_max"].astype(float),
        }
    )
    agg = {"ours_emergent": ("ours_emergent", "any"), "largest_model": ("largest_model", "max")}
    per_family = frame.groupby(["family", "task"], sort=True).agg(**agg).reset_index()
    overall = per_family.groupby("task", sort=True).agg(**agg).reset_index()
    overall.insert(0, "family", ALL_FAMILIES)
    return pd.concat([per_family, overall], ignore_index=True)


def reachable(joined: pd.DataFrame) -> pd.Series:
    """Scale-matched membership: human-not-emergent, or no recorded scale, or largest model >= the scale."""
    human = joined["human_emergent"].astype(bool)
    scale = joined["emergence_scale_params"]
    return ~human | scale.isna() | (joined["largest_model"] >= scale)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (NaN, NaN for n = 0)."""
    if n == 0:
        return math.nan, math.nan
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def confusion(compared: pd.DataFrame) -> dict[str, Any]:
    """Counts and agreement statistics of one family (columns human_emergent, ours_emergent: bool)."""
    h = compared["human_emergent"].astype(bool).to_numpy()
    o = compared["ours_emergent"].astype(bool).to_numpy()
    tp, fp = int((h & o).sum()), int((~h & o).sum())
    fn, tn = int((h & ~o).sum()), int((~h & ~o).sum())
    n = tp + fp + fn + tn
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    p_lo, p_hi = wilson_interval(tp, tp + fp)
    r_lo, r_hi = wilson_interval(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    accuracy = _ratio(tp + tn, n)
    expected = _ratio((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn), n * n)
    kappa = _ratio(accuracy - expected, 1 - expected) if n and expected != 1 else math.nan
    return {
        "tasks": n,
        "human_emergent": tp + fn,
        "ours_emergent": tp + fp,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": precision,
        "precision_ci_low": p_lo,
        "precision_ci_high": p_hi,
        "recall": recall,
        "recall_ci_low": r_lo,
        "recall_ci_high": r_hi,
        "f1": f1,
        "accuracy": accuracy,
        "cohen_kappa": kappa,
    }


def agreement(
    emergence: pd.DataFrame, human: pd.DataFrame, scales: pd.Series | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(confusion table per comparison and family, ALL_FAMILIES last in each; per-task table of labels).

    `scales`: per task, the smallest emergence scale in parameters (emergence_scales); None = no
    scale-matched rows (the scale axis is not a parameter count).
    """
    ours = our_labels(emergence)
    human = human.merge(
        (scales if scales is not None else pd.Series(dtype=float, name="emergence_scale_params")).rename(
            "emergence_scale_params"
        ),
        left_on="task",
        right_index=True,
        how="left",
    )
    labelled = human[human["human_emergent"].notna()]
    joined = ours.merge(labelled, on="task", how="inner")
    families = sorted(f for f in joined["family"].unique() if f != ALL_FAMILIES)
    subsets = {COMPARISONS[0]: joined}
    if scales is not None:
        subsets[COMPARISONS[1]] = joined[reachable(joined).to_numpy()]
    rows = [
        {"comparison": name, "family": fam, **confusion(part[part["family"] == fam])}
        for name, part in subsets.items()
        for fam in [*families, ALL_FAMILIES]
    ]
    table = pd.DataFrame(rows, columns=CONFUSION_COLUMNS)
    wide = ours.pivot(index="task", columns="family", values="ours_emergent")
    wide = wide[[*families, ALL_FAMILIES]] if ALL_FAMILIES in wide.columns else wide
    wide.columns = [f"ours_{c}" for c in wide.columns]
    tasks = human.merge(wide.reset_index(), on="task", how="outer").sort_values("task", kind="stable")
    tasks["in_data"] = tasks["task"].isin(set(ours["task"]))
    tasks["compared"] = tasks["in_data"] & tasks["human_emergent"].notna()
    return table, tasks.reset_index(drop=True)


def latex_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The compact LaTeX view: counts, then precision and recall with their Wilson intervals."""

    def cell(v: float, lo: float, hi: float) -> str:
        return "--" if math.isnan(v) else f"{v:.2f} [{lo:.2f}, {hi:.2f}]"

    return pd.DataFrame(
        {
            "comparison": table["comparison"],
            "family": table["family"],
            "tasks": table["tasks"],
            "TP": table["tp"],
            "FP": table["fp"],
            "FN": table["fn"],
            "TN": table["tn"],
            "precision [95% CI]": [
                cell(*v)
                for v in zip(table["precision"], table["precision_ci_low"], table["precision_ci_high"], strict=True)
            ],
            "recall [95% CI]": [
                cell(*v) for v in zip(table["recall"], table["recall_ci_low"], table["recall_ci_high"], strict=True)
            ],
            "kappa": table["cohen_kappa"],
        }
    )


# --- figure data ----------------------------------------------------------------------------------


def figure_data(
    table: pd.DataFrame,
    *,
    classes_file: str,
    emergent_classes: Iterable[str],
    not_emergent_classes: Iterable[str],
) -> pd.DataFrame:
    """The numbers rule figure_agreement draws (figures/agreement.csv).

    Per family: the confusion counts, precision and recall with their Wilson intervals and Cohen's
    kappa (the all-families row gives the confusion matrix and its title), plus what the subtitle
    states: the classes file and the human classes on each side ('; '-joined), one column each.
    """
    out = table[FIGURE_COLUMNS].copy()
    out["classes_file"] = str(classes_file)
    out["emergent_classes"] = "; ".join(emergent_classes)
    out["not_emergent_classes"] = "; ".join(not_emergent_classes)
    return out.reset_index(drop=True)


# --- rule ------------------------------------------------------------------------------------------


def run(
    *,
    emergence: str,
    classes: str,
    annotations: str,
    table_csv: str,
    table_tex: str,
    tasks_csv: str,
    figure_csv: str,
    emergent_classes: list[str],
    not_emergent_classes: list[str],
    scale: str,
    label: str,
) -> None:
    human = human_labels(
        pd.read_csv(classes, comment="#"),
        emergent_classes=emergent_classes,
        not_emergent_classes=not_emergent_classes,
    )
    scales = None
    if scale not in SIZE_SCALES:
        logger.warning("agreement: scale %s is not a parameter count, so no scale-matched comparison", scale)
    else:
        scales = emergence_scales(pd.read_csv(annotations, comment="#"), source=str(annotations))
    table, tasks = agreement(pd.read_parquet(emergence), human, scales)
    write_csv(table, table_csv, label=label)
    write_csv(tasks, tasks_csv, label=label)
    caption = (
        f"Agreement of the {SCREEN_NAME} (any preferred-metric curve of the task passes it) with the human "
        f"classes of Wei et al. (2022), Appendix E ({classes}): emergent = {', '.join(emergent_classes)}; not "
        f"emergent = {', '.join(not_emergent_classes)}. Positive = emergent; 95% Wilson intervals. Scale-matched: "
        f"a human-emergent task only where the family's largest model reaches the size at which it emerged "
        f"({annotations}). Data: {label}."
    )
    write_text(table_tex, to_latex(latex_frame(table), caption, "tab:agreement_confusion"))
    write_csv(
        figure_data(
            table, classes_file=classes, emergent_classes=emergent_classes, not_emergent_classes=not_emergent_classes
        ),
        figure_csv,
        label=label,
    )
    for row in table.itertuples():
        logger.info(
            "%s, %s: %d tasks, TP %d FP %d FN %d TN %d, precision %.2f recall %.2f",
            row.comparison,
            row.family,
            row.tasks,
            row.tp,
            row.fp,
            row.fn,
            row.tn,
            row.precision,
            row.recall,
        )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
