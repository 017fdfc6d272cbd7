"""scripts/lib/sources/lm_eval_results.py: a harness results file (0.3, 0.4 layouts) -> tidy rows (docs/lm-eval.md).

Hand-written documents with the values in the test; rows of the real Pythia/OPT files in
../shared/data/lm_eval/pythia checked against numbers read by hand from the file (file and key cited).
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scripts.lib.sources.lm_eval_results import (
    ROW_FIELDS,
    LmEvalFileError,
    detect_layout,
    final_checkpoints,
    metric_label,
    parse_model_args,
    parse_results,
    split_metric_key,
    training_step,
)

ROOT = Path(__file__).resolve().parents[2]
PYTHIA = ROOT.parent / "shared" / "data" / "lm_eval" / "pythia"
needs_shared = pytest.mark.skipif(
    not (PYTHIA / "evals").is_dir(), reason=f"the real harness results are not at {PYTHIA} (see its README.md)"
)

DOC_03 = {
    "results": {
        "lambada_openai": {"ppl": 26.0, "ppl_stderr": 0.9, "acc": 0.379, "acc_stderr": 0.0068},
        "hendrycksTest-virology": {"acc": 0.32, "acc_stderr": 0.036, "acc_norm": 0.28, "acc_norm_stderr": 0.035},
    },
    "versions": {"lambada_openai": 0, "hendrycksTest-virology": 0},
    "config": {
        "model": "hf-causal",
        "model_args": "use_accelerate=True,pretrained=org/m-1b,revision=step3000",
        "num_fewshot": 5,
    },
}

DOC_04 = {
    "results": {
        "gsm8k": {
            "alias": "gsm8k",
            "exact_match,strict-match": 0.25,
            "exact_match_stderr,strict-match": 0.012,
            "exact_match,flexible-extract": 0.30,
            "exact_match_stderr,flexible-extract": "N/A",
        },
        "lambada_openai": {
            "alias": "lambada_openai",
            "perplexity,none": 4.0,
            "perplexity_stderr,none": 0.09,
            "acc,none": 0.70,
            "acc_stderr,none": 0.0064,
        },
    },
    "groups": {"lambada_openai": {"acc,none": 0.99}},
    "n-shot": {"gsm8k": 5, "lambada_openai": 0},
    "n-samples": {
        "gsm8k": {"original": 1319, "effective": 100},
        "lambada_openai": {"original": 5153, "effective": 5153},
    },
    "higher_is_better": {"gsm8k": {"exact_match": True}, "lambada_openai": {"perplexity": False, "acc": True}},
    "config": {"model": "hf", "model_args": {"pretrained": "org/m-7b", "dtype": "bfloat16"}, "num_fewshot": None},
}


def frame(parsed) -> pd.DataFrame:
    return pd.DataFrame(parsed.rows, columns=list(ROW_FIELDS))


def test_layout_03_rows_values_and_stderr():
    parsed = parse_results(DOC_03, "a.json")
    assert (parsed.model, parsed.revision, parsed.layout) == ("org/m-1b", "step3000", "0.3")
    rows = frame(parsed).set_index(["task", "metric"])
    # Two metrics of lambada (acc, ppl) + two of virology (acc, acc_norm) = 4 rows; stderr keys are not rows.
    assert len(rows) == 4
    assert rows.loc[("lambada_openai", "ppl"), "value"] == 26.0
    assert rows.loc[("lambada_openai", "ppl"), "value_se"] == 0.9
    assert rows.loc[("hendrycksTest-virology", "acc_norm"), "value_se"] == 0.035
    assert set(rows["shots"]) == {5}  # config.num_fewshot
    assert rows["n_examples"].isna().all() and rows["file_higher_is_better"].isna().all()


def test_layout_04_filters_n_samples_directions_and_na_stderr():
    parsed = parse_results(DOC_04, "b.json")
    assert (parsed.model, parsed.revision, parsed.layout) == ("org/m-7b", None, "0.4")
    rows = frame(parsed).set_index(["task", "metric"])
    assert sorted(rows.index) == [
        ("gsm8k", "exact_match,flexible-extract"),
        ("gsm8k", "exact_match,strict-match"),
        ("lambada_openai", "acc"),  # filter "none" is dropped from the name
        ("lambada_openai", "perplexity"),
    ]
    assert rows.loc[("gsm8k", "exact_match,strict-match"), "value_se"] == 0.012
    assert math.isnan(rows.loc[("gsm8k", "exact_match,flexible-extract"), "value_se"])  # "N/A"
    assert rows.loc[("gsm8k", "exact_match,strict-match"), "shots"] == 5  # n-shot, not config.num_fewshot (null)
    assert rows.loc[("gsm8k", "exact_match,strict-match"), "n_examples"] == 100  # effective, not original
    assert not rows.loc[("lambada_openai", "perplexity"), "file_higher_is_better"]
    assert rows.loc[("lambada_openai", "acc"), "file_higher_is_better"]
    assert rows.loc[("lambada_openai", "acc"), "value"] == 0.70  # results, not the groups section (0.99)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("acc", ("acc", None, False)),
        ("acc_stderr", ("acc", None, True)),
        ("acc,none", ("acc", "none", False)),
        ("exact_match_stderr,strict-match", ("exact_match", "strict-match", True)),
    ],
)
def test_split_metric_key(key, expected):
    assert split_metric_key(key) == expected


def test_metric_label_keeps_only_real_filters():
    assert metric_label("acc", "none") == "acc"
    assert metric_label("acc", None) == "acc"
    assert metric_label("exact_match", "strict-match") == "exact_match,strict-match"


def test_detect_layout():
    assert detect_layout(DOC_03) == "0.3"
    assert detect_layout(DOC_04) == "0.4"
    # A 0.4 file without any 0.4-only top-level key is still told apart by its "<metric>,<filter>" keys.
    assert detect_layout({"results": {"t": {"acc,none": 0.5}}, "config": {}}) == "0.4"


@pytest.mark.parametrize(
    ("revision", "step"), [("step143000", 143000.0), ("step0", 0.0), (None, math.nan), ("main", math.nan)]
)
def test_training_step(revision, step):
    assert training_step(revision) == pytest.approx(step, nan_ok=True)


def test_model_args_string_and_object():
    assert parse_model_args("pretrained=a/b,revision=step1", "x.json") == {"pretrained": "a/b", "revision": "step1"}
    assert parse_model_args({"pretrained": "a/b", "trust_remote_code": True}, "x.json")["trust_remote_code"] == "True"


@pytest.mark.parametrize(
    ("doc", "json_path", "reason"),
    [
        ({"mc_tasks": []}, "$", "not an lm-evaluation-harness results file"),
        ({"results": [], "config": {}}, "$.results", "expected an object"),
        ({"results": {}, "config": {"model_args": "dtype=float"}}, "$.config.model_args", "no pretrained=<model>"),
        ({"results": {}, "config": {}}, "$.config.model_args", "missing"),
        (
            {"results": {"arc_easy": {"acc": "0.5"}}, "config": {"model_args": "pretrained=m"}},
            "$.results.arc_easy.acc",
            "expected a number or null, got str",
        ),
        (
            {"results": {"arc_easy": {"acc": True}}, "config": {"model_args": "pretrained=m"}},
            "$.results.arc_easy.acc",
            "got bool",
        ),
        (
            {"results": {"t": {"acc,none": 0.5, "acc_stderr,none": "n/a"}}, "config": {"model_args": "pretrained=m"}},
            '$.results.t["acc_stderr,none"]',
            "expected a number or null",
        ),
        (
            {"results": {"t": {"acc": 0.5}}, "config": {"model_args": "pretrained=m", "num_fewshot": -1}},
            "$.config.num_fewshot",
            "non-negative integer",
        ),
    ],
)
def test_bad_documents_name_the_file_and_key(doc, json_path, reason):
    with pytest.raises(LmEvalFileError) as info:
        parse_results(doc, "dir/bad.json")
    assert info.value.path == "dir/bad.json"
    assert info.value.json_path == json_path
    assert reason in info.value.reason


def test_null_value_is_kept_as_nan():
    parsed = parse_results({"results": {"t": {"acc": None}}, "config": {"model_args": "pretrained=m"}}, "n.json")
    assert math.isnan(parsed.rows[0][3])


def test_final_checkpoints_prefer_no_revision_then_largest_step():
    rows = pd.DataFrame(
        {
            "model_name": ["a", "a", "a", "b", "b"],
            "task": ["t"] * 5,
            "shots": pd.array([0, 0, 0, 0, 0], dtype="Int64"),
            "revision": ["step10", "step200", "step30", "step5", None],
            "training_step": [10.0, 200.0, 30.0, 5.0, np.nan],
            "value": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    # a: step200 is the largest step (value 2); b: the file without a revision is the final model (value 5).
    assert final_checkpoints(rows)["value"].tolist() == [2.0, 5.0]


@needs_shared
def test_real_opt_file_values_read_by_hand():
    path = PYTHIA / "evals" / "opt" / "opt-125m.json"
    parsed = parse_results(json.loads(path.read_text()), "evals/opt/opt-125m.json")
    rows = frame(parsed).set_index(["task", "metric"])
    assert (parsed.model, parsed.revision, parsed.layout) == ("facebook/opt-125m", None, "0.3")
    # evals/opt/opt-125m.json: results.lambada_openai.ppl = 26.02103896885129, .ppl_stderr = 0.9418773107503278,
    # .acc = 0.3790025228022511; results.winogrande.acc = 0.5027624309392266.
    assert rows.loc[("lambada_openai", "ppl"), "value"] == 26.02103896885129
    assert rows.loc[("lambada_openai", "ppl"), "value_se"] == 0.9418773107503278
    assert rows.loc[("lambada_openai", "acc"), "value"] == 0.3790025228022511
    assert rows.loc[("winogrande", "acc"), "value"] == 0.5027624309392266
    assert set(rows["shots"]) == {0}


@needs_shared
def test_real_pythia_checkpoint_values_read_by_hand():
    rel = "evals/pythia-v1/pythia-410m/zero-shot/410m_step13000.json"
    parsed = parse_results(json.loads((PYTHIA / rel).read_text()), rel)
    rows = frame(parsed).set_index(["task", "metric"])
    assert (parsed.model, parsed.revision) == ("EleutherAI/pythia-v1.1-410m", "step13000")
    # results.lambada_openai.ppl = 20.93994231228206; results["hendrycksTest-abstract_algebra"].acc_norm = 0.32;
    # results.crows_pairs_english.pct_stereotype = 0.5760286225402504 (its _stderr 0.012071279168361641).
    assert rows.loc[("lambada_openai", "ppl"), "value"] == 20.93994231228206
    assert rows.loc[("hendrycksTest-abstract_algebra", "acc_norm"), "value"] == 0.32
    assert rows.loc[("crows_pairs_english", "pct_stereotype"), "value_se"] == 0.012071279168361641
    five = "evals/pythia-v1/pythia-410m/five-shot/410m-5shot_step143000.json"
    parsed5 = parse_results(json.loads((PYTHIA / five).read_text()), five)
    rows5 = frame(parsed5).set_index(["task", "metric"])
    # config.num_fewshot = 5; results.arc_easy.acc = 0.5547138047138047.
    assert rows5.loc[("arc_easy", "acc"), "shots"] == 5
    assert rows5.loc[("arc_easy", "acc"), "value"] == 0.5547138047138047
