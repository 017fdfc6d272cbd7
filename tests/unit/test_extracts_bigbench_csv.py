"""Adapter bigbench_csv (smolix/benchmark-selection) and its reconciliation with audit_table (docs/extracts.md).

Unit tests on tiny hand-made inputs (hand calculations in comments) and on rows of the real file
(/work/shared/data/real_excerpts/bigbench.csv, cited per test; skipped when it is absent).
"""

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from scripts.lib.sources.extracts import bigbench_csv
from scripts.lib.sources.extracts.bigbench_csv import (
    MAYBE_SUBTASK_LABEL,
    MAYBE_SUBTASK_TASKS,
    load_bigbench_csv,
    reconcile,
)
from scripts.lib.sources.extracts.context import Context
from scripts.lib.sources.extracts.registry import ExtractError, entries
from scripts.lib.sources.extracts.schema_check import OUTPUT_COLUMNS
from scripts.parse.extracts_source import build_extract_scores
from tests.helpers.extracts_testing import context, needs, real_files

# docs/bigbench-format.md §3: real non_embedding_params of the BIG-G dense ladder, 2m -> 125m.
LADDER_DOC = [2098048, 16780288, 56629632, 134228992]


def test_load_bigbench_csv_long_form_drops_empty_cells():
    text = "model,t1,t2\nBIG-G T=0 2m,0.5,\nGPT GPT-3 Small,0.25,0.75\n"
    long = load_bigbench_csv(text.encode(), "b.csv")
    assert long.values.tolist() == [
        ["BIG-G T=0 2m", "t1", 0.5],
        ["GPT GPT-3 Small", "t1", 0.25],
        ["GPT GPT-3 Small", "t2", 0.75],
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "b.csv: line 1: empty file"),
        ("name,t1\nx,1\n", "b.csv: line 1: expected a header 'model,<task>,...'"),
        ("model,t1,t1\nx,1,2\n", "b.csv: line 1: task columns must be named and unique"),
        ("model,t1\nGPT GPT-3 XL,high\n", "b.csv: line 2 (GPT GPT-3 XL), column t1: not a number: 'high'"),
        ("model,t1\nGPT GPT-3 XL,0.1\nGPT GPT-3 XL,0.2\n", "b.csv: line 3: model 'GPT GPT-3 XL' appears twice"),
        ("model,t1\nGPT GPT-3 XL,0.1,0.2\n", "b.csv: line 2: 3 cells, header has 2"),
    ],
)
def test_load_bigbench_csv_errors_name_file_and_place(text, message):
    with pytest.raises(ExtractError) as err:
        load_bigbench_csv(text.encode(), "b.csv")
    assert str(err.value).startswith(message)


# --- combining the two tables --------------------------------------------------------------------

METADATA_TINY = pd.DataFrame(
    {
        "task": ["t1", "t2", "logical_deduction", "logical_deduction"],
        "subtask": [None, None, None, "three_objects"],
        "preferred_score": ["multiple_choice_grade", "exact_str_match", None, "multiple_choice_grade"],
        "metrics": [""] * 4,
        "n_examples": [100, 50, 0, 300],
    }
)


def write_tiny_pair(root: Path, bench_t1_2m: str = "0.25", extra_line: str = "") -> Path:
    """audit (t1: 0.25 0.26 0.25 0.60 on 2m..125m, N 100, chance 0.25) and a 5-model bigbench.csv under root."""
    doc = {
        "mc_tasks": [
            {
                "task": "t1",
                "N": 100,
                "chance_p": 0.25,
                "shots": 3,
                "acc_by_scale": [0.25, 0.26, 0.25, 0.60],
                "params_by_scale": [float(p) for p in LADDER_DOC],
            }
        ]
    }
    (root / "real_excerpts").mkdir(parents=True)
    (root / "real_excerpts" / "audit_table.json").write_text(json.dumps(doc))
    lines = ["model,t1,t2,logical_deduction"]
    for name, t1 in zip(["2m", "16m", "53m", "125m"], [bench_t1_2m, "0.26", "0.25", "0.6"], strict=True):
        lines.append(f"BIG-G T=0 {name},{t1},0.0,0.3")
    lines.append("GPT GPT-3 Small,0.3,0.1,0.2")
    if extra_line:
        lines.append(extra_line)
    (root / "real_excerpts" / "bigbench.csv").write_text("\n".join(lines) + "\n")
    return root


def tiny_context() -> Context:
    ctx = context()
    ctx.metadata = METADATA_TINY
    return ctx


def test_both_files_become_one_table(tmp_path):
    root = write_tiny_pair(tmp_path)
    scores, models, overlap = build_extract_scores(entries(["audit_table", "bigbench_csv"]), root, tiny_context())
    assert list(scores.columns) == OUTPUT_COLUMNS
    # 4 audit rows (t1, BIG-G T=0, 3-shot) + bigbench.csv: 5 models x 3 tasks = 15, minus the 4 t1 values
    # of BIG-G T=0 that the audit also holds -> 4 + 11 = 15 rows.
    assert len(scores) == 15
    assert len(overlap) == 4 and overlap["agree"].all()
    t1 = scores[(scores.task == "t1") & (scores.family == "BIG-G T=0")]
    assert (
        (t1.source_file == "audit_table.json").all() and (t1.shots == 3).all() and (t1.extract == "audit_table").all()
    )
    assert (t1.low_score == 0.25).all() and (t1.high_score == 1).all() and (t1.n_examples == 100).all()
    assert t1.value_se.iloc[0] == pytest.approx(math.sqrt(0.25 * 0.75 / 100))  # 0.0433
    gpt_t1 = scores[(scores.family == "GPT") & (scores.task == "t1")].iloc[0]
    assert pd.isna(gpt_t1.shots) and gpt_t1.metric == "multiple_choice_grade" and gpt_t1.low_score == 0.25
    assert gpt_t1.non_embedding_params == 125e6 and gpt_t1.total_params == 125e6 and gpt_t1.extract == "bigbench_csv"
    t2 = scores[scores.task == "t2"]
    assert (t2.metric == "exact_str_match").all() and t2.low_score.isna().all() and (t2.n_examples == 50).all()
    # logical_deduction has subtasks: a value may be a subtask's -> its own label, n unknown, metric from subtasks
    ld = scores[scores.task == "logical_deduction"]
    assert (ld.subtask == MAYBE_SUBTASK_LABEL).all() and ld.n_examples.isna().all() and ld.value_se.isna().all()
    assert (ld.metric == "multiple_choice_grade").all() and "logical_deduction" in MAYBE_SUBTASK_TASKS
    assert scores.is_preferred.all()
    assert models.set_index(["extract", "model_name"]).loc[("audit_table", "125m"), "non_embedding_params"] == 134228992


def test_without_the_audit_the_csv_keeps_every_value(tmp_path):
    root = write_tiny_pair(tmp_path)
    scores, _, overlap = build_extract_scores(entries(["bigbench_csv"]), root, tiny_context())
    assert len(scores) == 15 and overlap.empty  # 5 models x 3 tasks, nothing reconciled
    assert scores.loc[scores.task == "t1", "low_score"].isna().all()  # no chance level without the audit


def test_a_disagreement_between_the_files_names_both_the_task_and_the_size(tmp_path):
    root = write_tiny_pair(tmp_path, bench_t1_2m="0.2512")  # audit says 0.25: 1.2e-3 apart
    with pytest.raises(ExtractError) as err:
        build_extract_scores(entries(["audit_table", "bigbench_csv"]), root, tiny_context())
    text = str(err.value)
    assert "audit_table.json and bigbench.csv" in text and "task t1, BIG-G T=0 2m" in text


def test_reconcile_tolerates_the_audit_rounding():
    # 0.12345 rounds to 0.1235 (or 0.1234): 5e-5 apart is "the same to 4 decimals"; 0.1236 vs 0.1234 is not
    key = {"family": ["BIG-G T=0"], "model_name": ["2m"], "task": ["t"]}
    audit = pd.DataFrame({**key, "value": [0.1235]})
    kept, overlap = reconcile(audit, pd.DataFrame({**key, "value": [0.12345]}), audit_file="a", bench_file="b")
    assert kept.empty and overlap["agree"].all()
    with pytest.raises(ExtractError, match="a and b: task t, BIG-G T=0 2m: the files disagree"):
        reconcile(audit, pd.DataFrame({**key, "value": [0.1237]}), audit_file="a", bench_file="b")


def test_a_value_outside_its_metric_range_is_an_error(tmp_path):
    root = write_tiny_pair(tmp_path, extra_line="Gopher 44M,0.3,7.5,0.2")
    with pytest.raises(ExtractError, match=r"outside the range \[0, 1\] of its metric exact_str_match"):
        build_extract_scores(entries(["audit_table", "bigbench_csv"]), root, tiny_context())


@needs("bigbench_csv")
def test_adapter_on_rows_of_the_real_file():
    # bigbench.csv line "GPT GPT-3 200B", column strategyqa (22nd task): 0.571 (preferred metric multiple_choice_grade);
    # line "Gopher 280B" has no value for every task (150 empty cells in all).
    result = bigbench_csv.adapt(real_files("bigbench_csv"), context())
    rows = result.rows.set_index(["family", "model_name", "task"])
    assert rows.loc[("GPT", "GPT-3 200B", "strategyqa"), "value"] == 0.571
    assert rows.loc[("GPT", "GPT-3 200B", "strategyqa"), "metric"] == "multiple_choice_grade"
    assert len(result.rows) == 55 * 24 - 150  # without the audit nothing is reconciled away
    models = result.models.set_index(["family", "model_name"])
    assert models.loc[("GPT", "GPT-3 200B"), "non_embedding_params"] == 175e9  # config/model_sizes.csv
    assert set(result.rows.loc[result.rows.subtask.notna(), "task"]) == set(MAYBE_SUBTASK_TASKS)
