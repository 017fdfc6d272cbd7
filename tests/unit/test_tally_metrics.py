"""Unit tests of scripts/tally/tally_metrics.py: triplet rules, tallies, the Fig. 5B join, LaTeX escaping."""

import pandas as pd
import pytest

from scripts.lib.io import read_csv
from scripts.lib.present.latex import latex_escape, to_latex
from scripts.lib.stats.tally import combined_share, emergent_triplets, parse_triplet_rule, task_preferred_metrics
from scripts.tally.tally_metrics import annotated_by_metric, emergent_share_by_metric, run, tally

MCG = "multiple_choice_grade"
ESM = "exact_str_match"
BRIER = "calibration_multiple_choice_brier_score"


def curves(rows: list[tuple]) -> pd.DataFrame:
    """Emergence rows from (family, task, subtask, shots, metric, is_preferred, emergent)."""
    df = pd.DataFrame(rows, columns=["family", "task", "subtask", "shots", "metric", "is_preferred", "emergent"])
    df["shots"] = df["shots"].astype("Int64")
    df["curve_id"] = range(len(df))
    return df


# Three MCG triplets of family F where the rules disagree, plus a Brier triplet:
#   t1: 0-shot no, 3-shot yes            -> any: yes, all: no,  3-shot: yes, 0-shot: no
#   t2: 0-shot yes, 3-shot: task-level no but subtask s yes (a shot count is emergent if any curve is)
#                                         -> any: yes, all: yes, 3-shot: yes, 0-shot: yes
#   t3: 0-shot yes only                  -> any: yes, all: yes, 3-shot: not evaluated, 0-shot: yes
#   t4: unknown shots (null) no, 1-shot no -> never
#   (F, t1, brier): 0-shot yes, not preferred
RULE_CASE = curves(
    [
        ("F", "t1", None, 0, MCG, True, False),
        ("F", "t1", None, 3, MCG, True, True),
        ("F", "t2", None, 0, MCG, True, True),
        ("F", "t2", None, 3, MCG, True, False),
        ("F", "t2", "s", 3, MCG, True, True),
        ("F", "t3", None, 0, MCG, True, True),
        ("F", "t4", None, None, MCG, True, False),
        ("F", "t4", None, 1, MCG, True, False),
        ("F", "t1", None, 0, BRIER, False, True),
    ]
)


@pytest.mark.parametrize(
    ("rule", "emergent", "evaluated"),
    [
        ("any", {"t1", "t2", "t3"}, {"t1", "t2", "t3", "t4"}),
        ("all", {"t2", "t3"}, {"t1", "t2", "t3", "t4"}),
        (3, {"t1", "t2"}, {"t1", "t2"}),
        ("0", {"t2", "t3"}, {"t1", "t2", "t3"}),
    ],
)
def test_emergent_triplets_rules_differ(rule, emergent, evaluated) -> None:
    trip = emergent_triplets(RULE_CASE[RULE_CASE["metric"] == MCG], triplet_rule=rule)
    assert set(trip.loc[trip["emergent"], "task"]) == emergent
    assert set(trip.loc[trip["evaluated"], "task"]) == evaluated
    # t2 has 3 curves (0-shot, 3-shot task level, 3-shot subtask), 2 of them emergent, 2 shot counts.
    t2 = trip.set_index("task").loc["t2"]
    assert (t2["n_curves"], t2["n_emergent_curves"], t2["n_shot_counts"]) == (3, 2, 2)
    # t4: null shots is its own shot count.
    assert trip.set_index("task").loc["t4", "n_shot_counts"] == 2


def test_tally_preferred_and_all_metrics() -> None:
    pref = tally(RULE_CASE[RULE_CASE["is_preferred"]], triplet_rule="all").set_index("metric")
    # MCG: 8 curves, 4 emergent (t1 3-shot, t2 0-shot, t2:s 3-shot, t3 0-shot); 4 triplets, all evaluated,
    # 2 emergent under `all` (t2, t3); 4 tasks, 3 with an emergent curve (t1, t2, t3).
    row = pref.loc[MCG]
    assert (row["curves"], row["emergent_curves"], row["triplets"], row["triplets_evaluated"]) == (8, 4, 4, 4)
    assert (row["emergent_triplets"], row["tasks"], row["tasks_with_emergent_curve"]) == (2, 4, 3)
    assert row["share_emergent_curves"] == pytest.approx(4 / 8)
    assert row["share_emergent_triplets"] == pytest.approx(2 / 4)
    assert BRIER not in pref.index

    every = tally(RULE_CASE, triplet_rule=3)
    assert list(every["metric"]) == [MCG, BRIER]  # sorted by emergent triplets: MCG 2, Brier 0 (no 3-shot curve)
    brier = every.set_index("metric").loc[BRIER]
    # Brier: 1 curve, emergent, 1 triplet that has no 3-shot curve -> not evaluated, share NaN.
    assert (brier["curves"], brier["emergent_curves"], brier["triplets_evaluated"], brier["emergent_triplets"]) == (
        1,
        1,
        0,
        0,
    )
    assert pd.isna(brier["share_emergent_triplets"])


def test_tally_empty() -> None:
    assert tally(RULE_CASE.iloc[0:0], triplet_rule="any").empty


@pytest.mark.parametrize(("value", "expected"), [("any", "any"), ("ALL", "all"), (2, 2), ("3", 3)])
def test_parse_triplet_rule(value, expected) -> None:
    assert parse_triplet_rule(value) == expected


@pytest.mark.parametrize("value", [True, "some", "-1", 1.5])
def test_parse_triplet_rule_rejects(value) -> None:
    with pytest.raises(ValueError, match="triplet_rule"):
        parse_triplet_rule(value)


def scores(rows: list[tuple]) -> pd.DataFrame:
    """Score rows from (task, subtask, metric, is_preferred)."""
    return pd.DataFrame(rows, columns=["task", "subtask", "metric", "is_preferred"])


SCORES = scores(
    [
        # a: task-level entry prefers MCG (two rows: two files), BLEU is only a secondary metric.
        ("a", None, MCG, True),
        ("a", None, MCG, True),
        ("a", None, "bleu", False),
        ("a", "x", ESM, True),  # a subtask's preference does not override the task-level entry
        # b: task-level files disagree: ESM in 2 rows, MCG in 1 -> ESM ("most common of 2").
        ("b", None, ESM, True),
        ("b", None, ESM, True),
        ("b", None, MCG, True),
        # c: subtasks only: s1 MCG, s2 MCG (3 rows), s3 ESM -> MCG by 2 subtasks of 3 (rows do not count).
        ("c", "s1", MCG, True),
        ("c", "s2", MCG, True),
        ("c", "s2", MCG, True),
        ("c", "s2", MCG, True),
        ("c", "s3", ESM, True),
        # d: in the data but no preferred-metric score.
        ("d", None, "bleu", False),
    ]
)


def test_task_preferred_metrics() -> None:
    prefs = task_preferred_metrics(SCORES).set_index("task")
    assert prefs.loc["a", "metric"] == MCG and prefs.loc["a", "metric_basis"] == "task-level entry"
    assert prefs.loc["b", "metric"] == ESM and "most common of 2" in prefs.loc["b", "metric_basis"]
    assert prefs.loc["c", "metric"] == MCG and "subtasks (2 of 3)" in prefs.loc["c", "metric_basis"]
    assert "d" not in prefs.index


def test_annotated_by_metric_reports_missing_tasks() -> None:
    annotations = pd.DataFrame(
        {
            "task": ["a", "b", "c", "d", "zz", "a", "a"],
            "model_family": ["GPT-3", "PaLM", "PaLM", "LaMDA", "PaLM", "PaLM", "GPT-3"],  # last row: duplicate
        }
    )
    metadata = pd.DataFrame(
        {"task": ["zz", "zz"], "subtask": [None, "q"], "preferred_score": [ESM, MCG], "metrics": ["", ""]}
    )
    table, missing = annotated_by_metric(annotations, SCORES, task_metadata=metadata)
    # Found cases: a/GPT-3 MCG, a/PaLM MCG, b/PaLM ESM, c/PaLM MCG; zz has no scores but its task.json
    # prefers ESM, so zz/PaLM counts under ESM (basis: metadata) -> MCG 3 cases (2 tasks), ESM 2, share 3/5.
    by = table.set_index("metric")
    assert list(table["metric"]) == [MCG, ESM]
    assert (by.loc[MCG, "annotated_cases"], by.loc[MCG, "annotated_tasks"]) == (3, 2)
    assert by.loc[ESM, "annotated_cases"] == 2
    assert by.loc[MCG, "share"] == pytest.approx(3 / 5)
    assert by.loc[MCG, "model_families"] == "GPT-3 1; PaLM 2"
    # d is in the data without a preferred score; zz is not in the data at all -- both reported, with reasons.
    assert list(missing["task"]) == ["d", "zz"]
    reasons = dict(zip(missing["task"], missing["reason"], strict=True))
    assert "no preferred-metric scores" in reasons["d"]
    assert "not in the scores data" in reasons["zz"]
    assert missing.set_index("task").loc["zz", "metadata_preferred_score"] == ESM
    assert "counted under its task.json preferred metric" in reasons["zz"]
    assert "not counted" in reasons["d"]


def test_annotations_without_family_column() -> None:
    table, missing = annotated_by_metric(pd.DataFrame({"task": ["a", "c", "nope"]}), SCORES)
    assert table.set_index("metric").loc[MCG, "annotated_cases"] == 2
    assert table.loc[0, "model_families"] == ""
    assert list(missing["task"]) == ["nope"]


def test_emergent_share_by_metric() -> None:
    annotated = pd.DataFrame({"metric": [MCG, ESM, "bleu"], "annotated_cases": [6, 2, 2]})
    preferred = pd.DataFrame({"metric": [MCG, "rouge1", ESM], "emergent_triplets": [3, 1, 0]})
    share = emergent_share_by_metric(annotated, preferred).set_index("metric")
    # annotated: 6/10, 2/10, 2/10; detected: MCG 3/4, rouge1 1/4.
    assert share.loc[MCG, "annotated_share"] == pytest.approx(0.6)
    assert share.loc["rouge1", "annotated_cases"] == 0
    assert share.loc["rouge1", "detected_share"] == pytest.approx(0.25)
    assert combined_share(share.reset_index(), "annotated_cases") == pytest.approx(0.8)  # (6 + 2) / 10
    assert combined_share(share.reset_index(), "detected_emergent_triplets") == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("multiple_choice_grade", r"multiple\_choice\_grade"),
        ("50% & #1", r"50\% \& \#1"),
        ("{a}~^$", r"\{a\}\textasciitilde{}\textasciicircum{}\$"),
        ("a\\b", r"a\textbackslash{}b"),
        ("ES > n − 1, range ≥ 5%", r"ES > n - 1, range $\geq$ 5\%"),
    ],
)
def test_latex_escape(text, expected) -> None:
    assert latex_escape(text) == expected


def test_to_latex_booktabs() -> None:
    df = pd.DataFrame({"metric": ["exact_str_match"], "curves": [3], "share": [0.5], "sharp": [True]})
    tex = to_latex(df, "Share of 100% & more_x", "tab:x")
    assert r"\caption{Share of 100\% \& more\_x}" in tex
    assert r"\begin{tabular}{lrrl}" in tex
    assert "metric & curves & share & sharp \\\\" in tex
    assert "exact\\_str\\_match & 3 & 0.500 & yes \\\\" in tex
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")


def test_run_writes_every_table_identically(tmp_path) -> None:
    emergence = tmp_path / "emergence.parquet"
    RULE_CASE.assign(threshold=4.0, threshold_rule="auto", min_effect=0.05).to_parquet(emergence)
    score_path = tmp_path / "scores.parquet"
    SCORES.to_parquet(score_path)
    ann = tmp_path / "ann.csv"
    pd.DataFrame({"task": ["a", "zz"], "model_family": ["GPT-3", "PaLM"]}).to_csv(ann, index=False)
    metrics = tmp_path / "metrics.yaml"
    metrics.write_text(
        f"{MCG}: {{higher_is_better: true, low: 0, high: 1, name: Multiple choice grade, sharp: true}}\n"
    )
    names = ["preferred", "all", "annotated", "share"]
    outputs = {f"{n}_{ext}": tmp_path / "out" / f"{n}.{ext}" for n in names for ext in ("csv", "tex")}
    outputs |= {"annotated_missing": tmp_path / "out/missing.csv", "annotated_tasks": tmp_path / "out/tasks.csv"}
    kwargs = dict(
        emergence=str(emergence),
        scores=str(score_path),
        annotations=str(ann),
        metrics=str(metrics),
        triplet_rule="any",
        data_label="SYNTHETIC DATA test",
        **{k: str(v) for k, v in outputs.items()},
    )
    run(**kwargs)
    first = {k: v.read_bytes() for k, v in outputs.items()}
    run(**kwargs)
    assert first == {k: v.read_bytes() for k, v in outputs.items()}
    assert first["preferred_csv"].startswith(b"# SYNTHETIC DATA test\n")
    pref = read_csv(outputs["preferred_csv"])
    assert pref.loc[0, "name"] == "Multiple choice grade"
    assert r"triplet rule: any shot count" in first["preferred_tex"].decode()
    assert read_csv(outputs["annotated_missing"])["task"].tolist() == ["zz"]
