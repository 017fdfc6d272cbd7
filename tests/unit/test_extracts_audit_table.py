"""Adapter audit_table (PeterPonyu/calibration-traps audit_table.json) and the shared model sizes (docs/extracts.md).

Unit tests on tiny hand-made inputs (hand calculations in comments) and on rows of the real file
(/work/shared/data/real_excerpts/audit_table.json, cited per test; skipped when it is absent).
"""

import json
import math

import numpy as np
import pandas as pd
import pytest

from scripts.lib.score_table import add_value_se, binomial_se, preferred_metric_from_metadata
from scripts.lib.sources.extracts import audit_table
from scripts.lib.sources.extracts.audit_table import load_audit
from scripts.lib.sources.extracts.registry import ExtractError
from scripts.lib.sources.extracts.sizes import (
    BIG_G_LADDER,
    check_model_sizes,
    resolve_sizes,
    size_from_name,
    split_model_label,
)
from tests.helpers.extracts_testing import FACTS, METADATA, SIZES, context, needs, real_files

# docs/bigbench-format.md §3: real non_embedding_params of the BIG-G dense ladder, 2m -> 128b.
LADDER_DOC = [
    2098048,
    16780288,
    56629632,
    134228992,
    262161280,
    453009408,
    1073784832,
    2097218560,
    3623973888,
    8590102528,
    28991404032,
    137440272384,
]


# --- families, names and sizes -----------------------------------------------------------------

FAMILIES = ["BIG-G T=0", "BIG-G T=1", "BIG-G sparse", "GPT", "Gopher", "PaLM", "T0", "T0+", "T0++", "T5-LM"]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("BIG-G T=0 125m", ("BIG-G T=0", "125m")),
        ("BIG-G sparse 2m", ("BIG-G sparse", "2m")),
        ("GPT GPT-3 Small", ("GPT", "GPT-3 Small")),
        ("Gopher 1.4B", ("Gopher", "1.4B")),
        ("T0 T0", ("T0", "T0")),
        ("T0+ T0+", ("T0+", "T0+")),  # 'T0+' is tried before 'T0' (longest first)
        ("T0++ T0++", ("T0++", "T0++")),
        ("T5-LM T5-LM", ("T5-LM", "T5-LM")),
    ],
)
def test_split_model_label_longest_family_first(label, expected):
    assert split_model_label(label, FAMILIES) == expected


def test_split_model_label_unknown_family():
    with pytest.raises(ValueError, match="does not start with a known family"):
        split_model_label("Chinchilla 70B", FAMILIES)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("125m", 125e6),
        ("128b", 128e9),
        ("2.7B", 2.7e9),
        ("GPT-3 13B", 13e9),  # the '3' of 'GPT-3' is not a size (no unit after it)
        ("44M", 44e6),
        ("GPT-3 Small", None),
        ("T0++", None),
        ("T5-LM", None),
    ],
)
def test_size_from_name(name, expected):
    assert size_from_name(name) == expected


def test_the_big_g_ladder_is_the_documented_one():
    assert list(BIG_G_LADDER.values()) == LADDER_DOC


def test_resolve_sizes_order_and_columns():
    sizes = pd.DataFrame(
        [["GPT", "GPT-3 200B", 175e9, "total", "GPT-3 paper Table 2.1; BIG-bench issue #874"]],
        columns=["family", "model_name", "params", "size_kind", "source"],
    )
    models = pd.DataFrame(
        {
            "family": ["BIG-G T=0", "BIG-G sparse", "GPT", "NewLM"],
            "model_name": ["125m", "125m", "GPT-3 200B", "7b"],
        }
    )
    out = resolve_sizes(models, sizes).set_index(["family", "model_name"])
    dense = out.loc[("BIG-G T=0", "125m")]
    assert dense["non_embedding_params"] == 134228992  # the ladder, not 125e6 from the name
    assert dense["flop_matched_non_embedding_params"] == 134228992 and math.isnan(dense["total_params"])
    sparse = out.loc[("BIG-G sparse", "125m")]
    assert sparse["size_kind"] == "flop_matched" and sparse["flop_matched_non_embedding_params"] == 134228992
    gpt = out.loc[("GPT", "GPT-3 200B")]
    assert gpt["non_embedding_params"] == 175e9 and gpt["total_params"] == 175e9  # table beats the name (200B)
    assert math.isnan(gpt["flop_matched_non_embedding_params"])
    new = out.loc[("NewLM", "7b")]
    assert new["size_kind"] == "name" and new["non_embedding_params"] == 7e9
    with pytest.raises(ValueError, match="no size for model 'NewLM' 'base'"):
        resolve_sizes(pd.DataFrame({"family": ["NewLM"], "model_name": ["base"]}), sizes)


def test_shipped_model_sizes_are_valid_and_cited():
    sizes = check_model_sizes(pd.read_csv(SIZES, dtype={"model_name": str}), str(SIZES))
    assert sizes["source"].str.len().min() > 10
    gpt = sizes[sizes.family == "GPT"].set_index("model_name")["params"]
    # GPT-3 paper Table 2.1: 125M ... 175B; the extract's '3B', '6B' and '200B' are 2.7B, 6.7B and 175B.
    assert gpt["GPT-3 Small"] == 125e6 and gpt["GPT-3 3B"] == 2.7e9 and gpt["GPT-3 200B"] == 175e9


def test_check_model_sizes_rejects_a_bad_kind(tmp_path):
    bad = pd.DataFrame(
        [["GPT", "x", 1e9, "guess", "me"]], columns=["family", "model_name", "params", "size_kind", "source"]
    )
    with pytest.raises(ExtractError, match="size_kind 'guess' is not one of"):
        check_model_sizes(bad, "model_sizes.csv")


# --- score_table ---------------------------------------------------------------------------------


def test_binomial_se_hand_values():
    # sqrt(0.25 * 0.75 / 300) = sqrt(0.000625) = 0.025; v = 0 -> 0; n unknown / v out of [0, 1] -> NaN
    se = binomial_se(pd.Series([0.25, 0.0, 0.5, 1.2]), pd.Series([300, 10, pd.NA, 10], dtype="Int64"))
    assert se[0] == pytest.approx(0.025)
    assert se[1] == 0.0
    assert np.isnan(se[2]) and np.isnan(se[3])


def test_add_value_se_only_for_proportion_metrics():
    scores = pd.DataFrame(
        {
            "metric": [
                "multiple_choice_grade",
                "bleu",
                "calibration_multiple_choice_brier_score",
                "mystery",
                "exact_str_match",
            ],
            "value": [0.5, 40.0, 0.1, 0.5, 0.9],
            "n_examples": pd.array([100, 100, 400, 100, pd.NA], dtype="Int64"),
        }
    )
    se = add_value_se(scores, FACTS)["value_se"]
    assert se[0] == pytest.approx(0.05)  # sqrt(0.5 * 0.5 / 100)
    assert np.isnan(se[1])  # BLEU is 0-100: not a proportion
    assert se[2] == pytest.approx(0.015)  # sqrt(0.1 * 0.9 / 400) = sqrt(0.000225); an upper bound for Brier
    assert np.isnan(se[3])  # unknown metric
    assert np.isnan(se[4])  # n unknown


def test_preferred_metric_from_metadata():
    metadata = pd.DataFrame(
        {
            "task": ["a", "b", "b", "b", "b", "c", "c", "d"],
            "subtask": [None, None, "x", "y", "z", "x", "y", None],
            "preferred_score": [
                "exact_str_match",
                None,
                "multiple_choice_grade",
                "multiple_choice_grade",
                "exact_str_match",
                "rougeLsum",
                "bleu",
                None,
            ],
            "metrics": [""] * 8,
            "n_examples": [1] * 8,
        }
    )
    out = preferred_metric_from_metadata(metadata).set_index("task")["preferred_metric"]
    assert list(out.index) == ["a", "b", "c", "d"]
    assert out["a"] == "exact_str_match"  # task level
    assert out["b"] == "multiple_choice_grade"  # 2 of 3 subtasks
    assert out["c"] == "bleu"  # 1-1 tie: alphabetical
    assert pd.isna(out["d"])  # programmatic task: unknown


def test_preferred_metric_of_the_real_metadata():
    out = preferred_metric_from_metadata(pd.read_csv(METADATA, dtype={"subtask": str})).set_index("task")
    assert out.loc["bbq_lite_json", "preferred_metric"] == "multiple_choice_grade"  # subtasks only
    assert out.loc["auto_debugging", "preferred_metric"] == "exact_str_match"


# --- reading the files ---------------------------------------------------------------------------


def audit_doc(**task_overrides):
    task = {
        "task": "t1",
        "N": 100,
        "chance_p": 0.25,
        "shots": 3,
        "acc_by_scale": [0.25, 0.26, 0.25, 0.60],
        "params_by_scale": [float(p) for p in LADDER_DOC[:4]],
        "verdict": "ignored",
    }
    task.update(task_overrides)
    return {"summary": {}, "mc_tasks": [task]}


def test_load_audit_reads_the_used_fields():
    table = load_audit(json.dumps(audit_doc()).encode(), "a.json")
    assert list(table.columns) == ["task", "n_examples", "chance_p", "shots", "non_embedding_params", "value"]
    assert table["value"].tolist() == [0.25, 0.26, 0.25, 0.60]
    assert table["non_embedding_params"].tolist() == LADDER_DOC[:4]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "a.json: $: empty file"),
        (b'{"mc_tasks": [', "a.json: $: invalid JSON"),
        (b'{"tasks": []}', "a.json: $.mc_tasks: expected a non-empty list"),
        (json.dumps(audit_doc(N="many")).encode(), "a.json: $.mc_tasks[0].N: expected a positive integer"),
        (
            json.dumps(audit_doc(acc_by_scale=[0.1, 0.2])).encode(),
            "a.json: $.mc_tasks[0].acc_by_scale: 2 values but params_by_scale has 4",
        ),
        (
            json.dumps(audit_doc(acc_by_scale=[0.1, 0.2, 1.5, 0.3])).encode(),
            "a.json: $.mc_tasks[0].acc_by_scale[2]: expected a multiple_choice_grade in [0, 1]",
        ),
        (json.dumps(audit_doc(chance_p=1)).encode(), "a.json: $.mc_tasks[0].chance_p: expected a number in [0, 1)"),
    ],
)
def test_load_audit_errors_name_file_and_path(data, message):
    with pytest.raises(ExtractError) as err:
        load_audit(data, "a.json")
    assert str(err.value).startswith(message)


@needs("audit_table")
def test_adapter_on_rows_of_the_real_file():
    # audit_table.json $.mc_tasks[9]: task hindu_knowledge, N 175, chance_p 0.2495, shots 3,
    # acc_by_scale[0] (2m) 0.2457, acc_by_scale[9] (8b) 0.3429, acc_by_scale[11] (128b) 0.6057.
    result = audit_table.adapt(real_files("audit_table"), context())
    rows = result.rows[result.rows.task == "hindu_knowledge"].set_index("model_name")
    assert len(result.rows) == 89 * 12 and len(rows) == 12
    assert rows.loc["2m", "value"] == 0.2457 and rows.loc["8b", "value"] == 0.3429
    assert rows.loc["128b", "value"] == 0.6057
    assert (rows.n_examples == 175).all() and (rows.low_score == 0.2495).all() and (rows.shots == 3).all()
    assert (rows.family == "BIG-G T=0").all() and (rows.metric == "multiple_choice_grade").all()
    assert result.models.set_index("model_name").loc["128b", "non_embedding_params"] == 137440272384
    assert result.extras["chance"]["hindu_knowledge"] == 0.2495
