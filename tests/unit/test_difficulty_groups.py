"""Difficulty groups of ExpEmergence (Wu & Lo 2025): the reader, its adapter, the curves, the verdict table, the figure.

Hand-written group files in tmp_path (values in the test), rows of the real files under
/work/shared/data/real_multimetric/expemergence/data/ (file, line and column cited; skipped when
absent), and a tiny hand-made frame for the verdict table.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scripts.beyond.difficulty_curves import POOLED, curve_points
from scripts.beyond.difficulty_curves import run as run_curves
from scripts.beyond.difficulty_verdicts import (
    convex_knee,
    difficulty_class,
    easiest_recovery,
    supported,
    verdict_table,
)
from scripts.beyond.difficulty_verdicts import run as run_verdicts
from scripts.beyond.figure_difficulty import run as run_figure
from scripts.beyond.figure_difficulty import running_median, verdict_note
from scripts.lib.io import read_csv
from scripts.lib.sources.extracts import difficulty_groups
from scripts.lib.sources.extracts.difficulty_groups import read_group_files, score_rows, subtask_name
from scripts.lib.sources.extracts.registry import ENTRIES, ExtractError, extract_files
from scripts.lib.sources.extracts.schema_check import check_scores, finish_scores
from tests.helpers.extracts_testing import DATA, FACTS, context, needs, real_files

HEADER = (
    "Model,Model Family,Model Size (B),FLOPs (1E21),0_2_brier,0_2_san,2_4_brier,2_4_san,4_6_brier,4_6_san,acc,brier,san"
)
ROWS = [
    "EleutherAI/pythia-70m,Pythia,0.07,5,0.1,0.9,0.5,0.8,0.9,0.7,0.5,0.5,0.8",
    "microsoft/phi-2,Phi,2.7,20,0.2,1.02,0.4,0.9,0.6,0.8,0.6,0.4,0.906667",
    "meta-llama/Meta-Llama-3-8B,Llama-3,8,,0.0,1.0,0.3,1.0,0.6,1.0,0.7,0.3,1.0",
    "never/evaluated,Other,1,1,,,,,,,,,",
]


def write_file(root: Path, header: str = HEADER, rows: list[str] = ROWS, groups: int = 3) -> Path:
    """A 3-group hindu_knowledge file (cut 10 = 1e22 FLOPs) of 6 questions, 2 per group."""
    path = root / "hindu_knowledge" / f"hindu_knowledge_instance_brier_-1000_10_{groups}_redist.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


# --- the reader on hand-written rows -----------------------------------------------------------------


def test_hand_written_rows_become_tidy_groups_and_the_aggregate(tmp_path):
    tidy = read_group_files([write_file(tmp_path)])
    assert set(tidy["model"]) == {"EleutherAI/pythia-70m", "microsoft/phi-2", "meta-llama/Meta-Llama-3-8B"}
    row = tidy.set_index(["model", "group", "metric"]).loc[("EleutherAI/pythia-70m", 3, "brier_score")]
    assert (row["lo"], row["hi"], row["n_questions"], row["value"]) == (4, 6, 2, 0.9)
    assert row["value_se"] == pytest.approx(math.sqrt(0.9 * 0.1 / 2))  # 0.2121: Bhatia-Davis bound, n = 2
    assert row["flops"] == pytest.approx(5e21) and row["params"] == pytest.approx(0.07e9)
    assert row["cut_flops"] == pytest.approx(1e22) and row["task"] == "hindu_knowledge" and row["groups"] == 3
    everything = tidy.set_index(["model", "group", "metric"]).loc[("EleutherAI/pythia-70m", 0, "multiple_choice_grade")]
    assert (everything["lo"], everything["hi"], everything["value"]) == (0, 6, 0.5)
    assert everything["value_se"] == pytest.approx(math.sqrt(0.25 / 6))  # binomial, 6 questions
    mass = tidy[tidy["metric"].eq("option_mass")]
    assert mass["value_se"].isna().all() and mass["value"].max() == 1.02  # phi-2's 0_2_san: above 1 is allowed
    # 3 models x (3 groups x 2 metrics + the aggregate's 3) = 27 rows
    assert len(tidy) == 27 and set(tidy["group"]) == {0, 1, 2, 3}


def test_who_defined_difficulty_and_who_is_in_the_paper_figures(tmp_path):
    tidy = read_group_files([write_file(tmp_path)]).drop_duplicates("model").set_index("model")
    # pythia: 5 <= cut 10 -> defines; phi-2: 20 > 10 and in removed_models; Llama-3-8B: NaN FLOPs pass upstream's test
    assert tidy["defines_difficulty"].to_dict() == {
        "EleutherAI/pythia-70m": True,
        "meta-llama/Meta-Llama-3-8B": True,
        "microsoft/phi-2": False,
    }
    assert tidy["in_paper_figures"].to_dict() == {
        "EleutherAI/pythia-70m": True,
        "meta-llama/Meta-Llama-3-8B": False,
        "microsoft/phi-2": False,
    }


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        (HEADER.replace(",2_4_san", ""), [r.replace(",0.8,0.9,0.7", ",0.9,0.7", 1) for r in ROWS[:1]], "2_4_san"),
        (HEADER.replace("acc,", "accuracy,"), ROWS, r"missing column\(s\) \['acc'\]"),
        (HEADER, [ROWS[0].replace(",0.9,0.7,", ",abc,0.7,", 1)], r"line 2, column '4_6_brier'.*not a number"),
        (HEADER, [ROWS[0].replace(",0.9,0.7,", ",1.5,0.7,", 1)], r"column '4_6_brier'.*outside \[0, 1\]"),
        (HEADER.replace("4_6", "5_6"), ROWS[:1], "not contiguous"),
    ],
    ids=["missing-group-column", "missing-acc", "non-numeric", "out-of-range", "gap"],
)
def test_bad_input_names_the_file_and_the_column(tmp_path, header, rows, message):
    path = write_file(tmp_path, header, rows)
    with pytest.raises(ExtractError, match=message) as err:
        read_group_files([path])
    assert str(err.value).startswith(str(path))


def test_a_file_name_and_group_count_that_disagree_are_errors(tmp_path):
    with pytest.raises(ExtractError, match="3 <lo>_<hi> groups, the file name says 10"):
        read_group_files([write_file(tmp_path, groups=10)])
    odd = tmp_path / "mmlu" / "mmlu_brier.csv"
    odd.parent.mkdir()
    odd.write_text(HEADER + "\n")
    with pytest.raises(ExtractError, match="not <task>/<task>_instance_brier"):
        read_group_files([odd])


def test_score_rows_are_3_group_brier_subtasks_of_bigbench_tasks(tmp_path):
    rows = score_rows(read_group_files([write_file(tmp_path)]))
    assert sorted(set(rows["subtask"])) == ["difficulty 1/3 (easiest)", "difficulty 2/3", "difficulty 3/3 (hardest)"]
    assert set(rows["metric"]) == {"brier_score"} and (rows["n_examples"] == 2).all() and not rows["is_preferred"].any()
    assert list(subtask_name(pd.Series([1, 5, 10]), pd.Series([10, 10, 10]))) == [
        "difficulty 1/10 (easiest)",
        "difficulty 5/10",
        "difficulty 10/10 (hardest)",
    ]


# --- the real files ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    return read_group_files(extract_files(["expemergence_groups"], DATA))


@needs("expemergence_groups")
def test_real_rows_read_by_hand(real):
    rows = real.set_index(["task", "groups", "group", "model", "metric"])["value"]
    # hindu_knowledge/hindu_knowledge_instance_brier_-1000_10_3_redist.csv, line 38: EleutherAI/pythia-70m-deduped,
    # columns 0_58_brier 0.4387006340039365, 116_175_brier 0.7343938520060932, acc 0.3142857142857143.
    assert rows[("hindu_knowledge", 3, 1, "EleutherAI/pythia-70m-deduped", "brier_score")] == 0.4387006340039365
    assert rows[("hindu_knowledge", 3, 3, "EleutherAI/pythia-70m-deduped", "brier_score")] == 0.7343938520060932
    assert (
        rows[("hindu_knowledge", 3, 0, "EleutherAI/pythia-70m-deduped", "multiple_choice_grade")] == 0.3142857142857143
    )
    # mmlu/mmlu_instance_brier_-1000_31.622776601683793_10_redist.csv, line 2: meta-llama/Llama-2-7b-hf,
    # columns 0_1404_brier 0.3827551238697226, 12637_14042_san 0.995419585207342.
    assert rows[("mmlu", 10, 1, "meta-llama/Llama-2-7b-hf", "brier_score")] == 0.3827551238697226
    assert rows[("mmlu", 10, 10, "meta-llama/Llama-2-7b-hf", "option_mass")] == 0.995419585207342
    # parsinlu_qa_mc/..._199.52623149688787_3_redist.csv, line 38: pythia-70m-deduped, 0_350_san 0.0201419346278662.
    assert rows[("parsinlu_qa", 3, 1, "EleutherAI/pythia-70m-deduped", "option_mass")] == 0.0201419346278662
    sizes = real.drop_duplicates(["task", "groups", "group"]).set_index(["task", "groups", "group"])["n_questions"]
    assert sizes[("hindu_knowledge", 3, 3)] == 59 and sizes[("mmlu", 10, 10)] == 1405  # 175 - 116, 14042 - 12637


@needs("expemergence_groups")
def test_real_groups_partition_the_questions(real):
    # The size-weighted mean of the groups' Brier scores is the file's overall `brier` (measured: < 3e-14),
    # so the groups are disjoint question ranges of size hi - lo that cover every question.
    brier = real[real["metric"].eq("brier_score")]
    groups = brier[brier["group"].gt(0)].assign(w=lambda d: d["value"] * d["n_questions"])
    mean = (
        groups.groupby(["task", "groups", "model"])["w"].sum()
        / groups.groupby(["task", "groups", "model"])["n_questions"].sum()
    )
    overall = brier[brier["group"].eq(0)].set_index(["task", "groups", "model"])["value"]
    assert np.abs(mean - overall.reindex(mean.index)).max() < 1e-12
    models = real.groupby("task")["model"].nunique()
    assert models["arithmetic"] == 68 and models["mmlu"] == 67 and models.drop(["arithmetic", "mmlu"]).eq(65).all()


@needs("expemergence_groups")
def test_the_adapter_passes_the_extracts_schema_check():
    adapted = difficulty_groups.adapt(real_files("expemergence_groups"), context())
    joined = adapted.rows.merge(adapted.models.drop(columns=["size_kind", "size_source"]), on=["family", "model_name"])
    scores = finish_scores(joined, extract="expemergence_groups", metric_facts=FACTS)
    check_scores(scores, extract="expemergence_groups", metric_facts=FACTS)
    assert len(scores) == 3 * (5 * 65 + 68)  # 3 groups x (5 tasks x 65 models + arithmetic's 68)
    assert set(scores["se_source"]) == {"binomial"} and len(ENTRIES["expemergence_groups"].files) == 18


# --- curves, verdict table, comparison ------------------------------------------------------------------


def test_curve_points_orient_brier_and_keep_large_families(tmp_path):
    tidy = read_group_files([write_file(tmp_path)])
    points = curve_points(tidy, min_family_sizes=1)
    # Only pythia-70m is in the paper's figures with FLOPs: one pooled and one Pythia curve per tested metric.
    assert set(points["scope"]) == {POOLED, "Pythia"} and set(points["model"]) == {"EleutherAI/pythia-70m"}
    brier = points[points["metric"].eq("brier_score") & points["group"].eq(3) & points["scope"].eq(POOLED)].iloc[0]
    assert (brier["y"], brier["y_low"], brier["y_high"]) == (-0.9, -1.0, 0.0)
    assert brier["curve_id"] == "hindu_knowledge|G03|g03|brier_score|all models"
    assert set(curve_points(tidy, min_family_sizes=2)["scope"]) == {POOLED}


def test_difficulty_classes_are_thirds_of_the_questions():
    groups = pd.Series(range(11))
    assert list(difficulty_class(groups[:4], pd.Series([3] * 4))) == ["all", "easy", "middle", "hard"]
    tens = difficulty_class(groups, pd.Series([10] * 11))
    assert list(tens) == ["all", *["easy"] * 3, *["middle"] * 4, *["hard"] * 3]


def test_verdict_table_on_a_tiny_frame():
    ids = ["t|G03|g01|brier_score|all models", "t|G03|g02|brier_score|all models", "t|G03|g03|brier_score|all models"]
    points = pd.DataFrame(
        {
            "curve_id": np.repeat(ids, 2),
            "scope": POOLED,
            "task": "t",
            "groups": 3,
            "group": np.repeat([1, 2, 3], 2),
            "metric": "brier_score",
            "cut_flops": 1e22,
        }
    )
    tests = pd.DataFrame(
        {
            "p_nonmonotone": [0.01, 0.5, 0.02],
            "nonmonotone": pd.array([True, False, True], dtype="boolean"),
            "nonmonotone_kind": ["U", None, "U"],
            "turn_x": [1e21, np.nan, 1e23],
            "dip_depth": [0.1, np.nan, 0.2],
            "nonmonotone_dispersion": [1.0, 2.0, 3.0],
        },
        index=pd.Index(ids, name="curve_id"),
    )
    table = verdict_table(points, tests)
    assert list(table["verdict"]) == ["U", "monotone", "U"]
    assert list(table["wu_lo_reading"]) == ["inverted U", "", "U"]
    assert table["agrees"].tolist() == [False, pd.NA, True]  # easy U is not the paper's inverted U
    assert list(table["n_models"]) == [2, 2, 2]
    # BH over 3 p-values: sorted 0.01, 0.02, 0.5 -> 0.01*3/1 = 0.03, 0.02*3/2 = 0.03, 0.5 -> q = 0.03, 0.5, 0.03
    assert table["q_nonmonotone"].tolist() == pytest.approx([0.03, 0.5, 0.03])
    assert table["turn_vs_cut_decades"].tolist()[0] == pytest.approx(-1.0)  # 1e21 vs the cut 1e22
    assert supported(1, 0, 1, 1) == "partly" and supported(1, 1, 1, 1) == "yes" and supported(1, 0, 1, 0) == "no"
    assert easiest_recovery(table.iloc[0], pd.DataFrame()) == 1e21  # an easy U: its bottom is the recovery


def test_convex_knee_finds_a_planted_knee():
    t = np.arange(9.0)
    # flat at 0 up to t = 4, then slope 1: the knee is t = 4 (candidates 3..6 with 3 distinct t per side)
    assert convex_knee(t, np.maximum(t - 4, 0)) == 4.0
    assert math.isnan(convex_knee(t, -np.maximum(t - 4, 0)))  # slope falls: no rise onset
    assert math.isnan(convex_knee(t[:5], t[:5]))  # too few distinct t for 3 on each side


def test_run_end_to_end_finds_a_planted_u_and_writes_the_tables(tmp_path):
    # One pooled 3-group file of 8 models: the hardest group falls then rises (a U of depth 0.3, SE ~0.01),
    # the easiest rises steadily; sizes 1..8 x 1e21 FLOPs, all models of the paper's figures.
    groups_brier = {
        1: np.linspace(0.3, 0.1, 8),
        2: np.full(8, 0.5),
        3: [0.65, 0.75, 0.85, 0.95, 0.85, 0.75, 0.65, 0.55],
    }
    lines = []
    for i in range(8):
        b = [groups_brier[g][i] for g in (1, 2, 3)]
        cells = ",".join(f"{v},0.9" for v in b)
        lines.append(f"m{i},F{i},{i + 1},{i + 1},{cells},0.5,{np.mean(b)},0.9")
    header = HEADER.replace("0_2", "0_500").replace("2_4", "500_1000").replace("4_6", "1000_1500")
    path = write_file(tmp_path / "data", header, lines)
    out = tmp_path / "out"
    run_curves(
        files=[str(path)],
        groups_table=str(out / "g.parquet"),
        points=str(out / "p.parquet"),
        min_family_sizes=5,
        label="x",
    )
    names = ["table_csv", "table_tex", "family_csv", "comparison_csv", "comparison_tex"]
    paths = {n: str(out / f"{n}.{n.split('_')[1]}") for n in names}
    run_verdicts(
        points=str(out / "p.parquet"),
        **paths,
        nonmonotone={"alpha": 0.05, "draws": 200, "seed": 1, "min_points": 5},
        difficulty={"match_decades": 0.5},
        label="x",
    )
    table = read_csv(paths["table_csv"]).set_index(["group", "metric"])
    assert table.loc[(3, "brier_score"), "verdict"] == "U" and table.loc[(1, "brier_score"), "verdict"] == "monotone"
    assert table.loc[(3, "brier_score"), "turn_flops"] == pytest.approx(4e21)  # the bottom: Brier 0.95 at model 4
    compared = read_csv(paths["comparison_csv"]).iloc[0]
    assert (compared["hard_u"], compared["easy_inverted_u"], compared["reading_supported"]) == (1, 0, "partly")
    assert "tab:difficulty_verdicts" in Path(paths["table_tex"]).read_text()
    figures = [str(out / f"g{g}.png") for g in (3, 10)]
    drawn = []
    for _ in range(2):
        run_figure(
            groups_table=str(out / "g.parquet"),
            verdicts=paths["table_csv"],
            figure_g3=[figures[0]],
            figure_g10=[figures[1]],
            label="x",
        )
        drawn.append(Path(figures[0]).read_bytes())
    assert drawn[0] == drawn[1]  # byte-identical rerun


def test_figure_helpers():
    assert running_median(np.array([1.0, 5.0, 2.0, 8.0, 3.0]), 3).tolist() == [3.0, 2.0, 5.0, 3.0, 5.5]
    verdicts = pd.DataFrame({"group": [0, 1, 3, 2], "verdict": ["inverted U", "inverted U", "U", "monotone"]})
    assert verdict_note(verdicts) == "∩ all 1, U 3"
    assert verdict_note(verdicts.iloc[3:]) == "all monotone"
