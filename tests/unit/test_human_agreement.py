"""Agreement of our emergent flag with the Wei et al. (2022) App. E classes (rule human_agreement), by hand."""

import math

import pandas as pd
import pytest

from scripts.beyond.figure_agreement import run as draw_agreement
from scripts.beyond.human_agreement import (
    ALL_FAMILIES,
    agreement,
    confusion,
    emergence_scales,
    human_labels,
    parse_size,
    run,
    wilson_interval,
)
from scripts.lib.io import read_csv

POS = ["emergent_gpt3_or_lamda", "emergent_palm"]
NEG = ["smoothly_increasing", "flat"]


def classes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "task": ["a", "b", "c", "d", "e", "f", "g", "g", "h", "h"],
            "category": [
                "emergent_palm",
                "emergent_gpt3_or_lamda",
                "flat",
                "smoothly_increasing",
                "flat",
                "other",
                "emergent_palm",
                "palm62b_above_random_others_near",
                "emergent_palm",
                "flat",
            ],
        }
    )


def emergence() -> pd.DataFrame:
    """Family F (largest model 1e11): a, c emergent (b, d, e not); family G (6e11): only a (not emergent);
    non-preferred curves ignored."""
    rows = [
        ("F", "a", True, True, 1e11),
        ("F", "b", True, False, 1e11),
        ("F", "b", False, True, 1e11),  # a non-preferred emergent curve does not count
        ("F", "c", True, True, 1e11),
        ("F", "d", True, False, 1e11),
        ("F", "e", True, False, 1e11),
        ("G", "a", True, False, 6e11),
        ("F", "zzz", True, True, 1e11),  # not classified by Wei et al.
    ]
    return pd.DataFrame(rows, columns=["family", "task", "is_preferred", "emergent", "x_max"])


def annotations() -> pd.DataFrame:
    """Wei's emergence scales: a emerges in PaLM 540B only, b in GPT-3 13B (and LaMDA 137B), g in PaLM 64B."""
    return pd.DataFrame(
        {
            "task": ["a", "b", "b", "g"],
            "model_family": ["PaLM", "GPT-3", "LaMDA", "PaLM"],
            "emergence_scale": ["540B", "13B", "137B", "64B"],
        }
    )


def test_human_labels():
    labels = human_labels(classes(), emergent_classes=POS, not_emergent_classes=NEG).set_index("task")
    human = labels["human_emergent"]
    assert human.dropna().astype(bool).to_dict() == {
        "a": True,
        "b": True,
        "c": False,
        "d": False,
        "e": False,
        "g": True,
    }
    assert human.isna().loc[["f", "h"]].all()  # f: class "other" only; h: in both kinds of class
    assert labels.loc["g", "classes"] == "emergent_palm; palm62b_above_random_others_near"


def test_confusion_by_hand():
    table, tasks = agreement(emergence(), human_labels(classes(), emergent_classes=POS, not_emergent_classes=NEG))
    assert table["comparison"].unique().tolist() == ["all tasks"]  # no scales: no scale-matched rows
    f = table.set_index("family").loc["F"]
    # F: a TP, b FN, c FP, d TN, e TN -> precision 1/2, recall 1/2, accuracy 3/5;
    # kappa: p_o = 0.6, p_e = (2/5)(2/5) + (3/5)(3/5) = 0.52 -> (0.6 - 0.52) / 0.48 = 1/6
    assert (f["tp"], f["fp"], f["fn"], f["tn"]) == (1, 1, 1, 2)
    assert f["precision"] == 0.5 and f["recall"] == 0.5 and f["accuracy"] == pytest.approx(0.6)
    assert f["cohen_kappa"] == pytest.approx(1 / 6) and f["f1"] == pytest.approx(0.5)
    g = table.set_index("family").loc["G"]
    # G: only a, human emergent, ours not -> FN; precision undefined
    assert (g["tasks"], g["fn"]) == (1, 1) and math.isnan(g["precision"]) and g["recall"] == 0
    overall = table.set_index("family").loc[ALL_FAMILIES]
    # all families: a emergent in F -> TP (any family); the rest as in F
    assert (overall["tp"], overall["fp"], overall["fn"], overall["tn"]) == (1, 1, 1, 2)
    assert table["family"].tolist() == ["F", "G", ALL_FAMILIES]
    row = tasks.set_index("task")
    assert bool(row.loc["zzz", "in_data"]) and not row.loc["zzz", "compared"]
    assert not row.loc["f", "in_data"] and not row.loc["f", "compared"]


def test_parse_size_and_scales_by_hand():
    assert parse_size("13B", source="x") == 1.3e10 and parse_size("540b", source="x") == 5.4e11
    assert parse_size("125M", source="x") == 1.25e8 and math.isnan(parse_size("", source="x"))
    with pytest.raises(ValueError, match="ann.csv: emergence_scale 'big'"):
        parse_size("big", source="ann.csv")
    # b: the smaller of 13B (GPT-3) and 137B (LaMDA)
    assert emergence_scales(annotations(), source="x").to_dict() == {"a": 5.4e11, "b": 1.3e10, "g": 6.4e10}


def test_scale_matched_comparison_by_hand():
    human = human_labels(classes(), emergent_classes=POS, not_emergent_classes=NEG)
    table, tasks = agreement(emergence(), human, emergence_scales(annotations(), source="x"))
    rows = table.set_index(["comparison", "family"])
    # all tasks: as in test_confusion_by_hand
    assert tuple(rows.loc[("all tasks", "F"), ["tp", "fp", "fn", "tn"]]) == (1, 1, 1, 2)
    # scale-matched F (largest 1e11): a emerged only at 540B -> left out; b (13B) stays: b FN, c FP, d, e TN
    f = rows.loc[("scale-matched", "F")]
    assert (f["tasks"], f["tp"], f["fp"], f["fn"], f["tn"]) == (4, 0, 1, 1, 2)
    # G (6e11) reaches 540B: a stays (FN)
    assert tuple(rows.loc[("scale-matched", "G"), ["tasks", "fn"]]) == (1, 1)
    # all families: a's largest model is max(1e11, 6e11) -> reachable, TP through F; the rest as in F
    pooled = rows.loc[("scale-matched", ALL_FAMILIES)]
    assert (pooled["tp"], pooled["fp"], pooled["fn"], pooled["tn"]) == (1, 1, 1, 2)
    assert table["family"].tolist() == ["F", "G", ALL_FAMILIES] * 2
    assert tasks.set_index("task").loc["a", "emergence_scale_params"] == 5.4e11


def test_wilson_interval_known_value():
    # 5 of 10 at 95%: centre 0.5, half-width 1.96 * sqrt(0.025 + 0.0096) / 1.384 = 0.2634
    low, high = wilson_interval(5, 10)
    assert (low, high) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    assert wilson_interval(3, 3)[1] == 1.0


def test_confusion_of_nothing_is_nan_not_an_error():
    empty = pd.DataFrame({"human_emergent": pd.Series([], dtype=bool), "ours_emergent": pd.Series([], dtype=bool)})
    row = confusion(empty)
    assert row["tasks"] == 0 and math.isnan(row["precision"]) and math.isnan(row["cohen_kappa"])


def test_classes_both_ways_are_rejected():
    with pytest.raises(ValueError, match="both emergent and not emergent"):
        human_labels(classes(), emergent_classes=["flat"], not_emergent_classes=NEG)


def test_run_writes_tables_and_figure(tmp_path):
    emergence().to_parquet(tmp_path / "e.parquet")
    classes().to_csv(tmp_path / "classes.csv", index=False)
    annotations().to_csv(tmp_path / "ann.csv", index=False)
    out = {
        "table_csv": tmp_path / "c.csv",
        "table_tex": tmp_path / "c.tex",
        "tasks_csv": tmp_path / "t.csv",
        "figure_csv": tmp_path / "a.csv",
    }
    run(
        emergence=tmp_path / "e.parquet",
        classes=str(tmp_path / "classes.csv"),
        annotations=str(tmp_path / "ann.csv"),
        **out,
        emergent_classes=POS,
        not_emergent_classes=NEG,
        scale="non_embedding_params",
        label="SYNTHETIC DATA test",
    )
    table = read_csv(out["table_csv"])
    assert table["family"].tolist() == ["F", "G", ALL_FAMILIES] * 2
    assert table["comparison"].tolist() == ["all tasks"] * 3 + ["scale-matched"] * 3
    assert "precision [95\\% CI]" in out["table_tex"].read_text()
    # the figure's CSV: the counts and statistics it draws (kappa titles the matrix) and what its subtitle states
    plotted = read_csv(out["figure_csv"])
    drawn = ["comparison", "family", "tp", "fp", "fn", "tn", "precision", "recall_ci_high", "cohen_kappa"]
    assert plotted[drawn].equals(table[drawn])
    assert plotted.loc[2, ["tp", "fp", "fn", "tn"]].tolist() == [1, 1, 1, 2]  # all families, see test_confusion
    assert plotted["emergent_classes"].unique().tolist() == ["emergent_gpt3_or_lamda; emergent_palm"]
    assert plotted["not_emergent_classes"].unique().tolist() == ["smoothly_increasing; flat"]
    assert plotted["classes_file"].unique().tolist() == [str(tmp_path / "classes.csv")]
    # rule figure_agreement draws it, the same bytes every time
    figures = [[tmp_path / f"a{i}.png", tmp_path / f"a{i}.pdf"] for i in range(2)]
    for figure in figures:
        draw_agreement(data=out["figure_csv"], figure=figure, label="SYNTHETIC DATA test", synthetic=True)
    assert figures[0][0].stat().st_size > 0
    assert [f.read_bytes() for f in figures[0]] == [f.read_bytes() for f in figures[1]]


def test_no_scale_matched_rows_on_an_axis_that_is_not_a_parameter_count(tmp_path):
    # scale = training_step: "540B" cannot be compared with checkpoints, so only the all-tasks rows
    emergence().to_parquet(tmp_path / "e.parquet")
    classes().to_csv(tmp_path / "classes.csv", index=False)
    annotations().to_csv(tmp_path / "ann.csv", index=False)
    out = {name: tmp_path / f"{name}.csv" for name in ("table_csv", "tasks_csv", "figure_csv")}
    run(
        emergence=tmp_path / "e.parquet",
        classes=str(tmp_path / "classes.csv"),
        annotations=str(tmp_path / "ann.csv"),
        table_tex=tmp_path / "c.tex",
        **out,
        emergent_classes=POS,
        not_emergent_classes=NEG,
        scale="training_step",
        label="x",
    )
    assert read_csv(out["table_csv"])["comparison"].unique().tolist() == ["all tasks"]
