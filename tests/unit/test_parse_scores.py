"""parse_scores: the upstream format, its quirks, and precise errors for malformed files."""

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from scripts.parse.parse_scores import BadScoresFile, parse_file, parse_files, split_subtask

GOOD = {
    "canary": "unknown top-level key",
    "model": {
        "model_family": "BIG-G T=0",
        "model_name": "125m",
        "non_embedding_params": 134228992,
        "flop_matched_non_embedding_params": None,
        "total_params": 166686720,
        "extra": {"a": 1},
    },
    "scores": [
        {
            "preferred_score": "multiple_choice_grade",
            "number_of_shots": 0,
            "low_score": 0.25,
            "high_score": 1.0,
            "subtask_description": "t",
            "score_dict": {"multiple_choice_grade": 0.31, "macro_f1": None},
        },
        {
            "preferred_score": "multiple_choice_grade",
            "number_of_shots": 1,
            "low_score": 0.25,
            "high_score": 1.0,
            "subtask_description": "t:sub a",
            "score_dict": {"multiple_choice_grade": 0.5},
        },
    ],
    "task": {"task_name": "t"},
}
REL = "bigbench/benchmark_tasks/t/results/scores_BIG-G_125m_T=0.json"


def write(root: Path, text: str | bytes, rel: str = REL) -> str:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return rel


def test_good_file_flattens_to_one_row_per_metric(tmp_path):
    rel = write(tmp_path, json.dumps(GOOD))
    frame, mismatches = parse_file(str(tmp_path), rel)
    assert mismatches == 0
    assert len(frame) == 3
    assert set(frame["family"]) == {"BIG-G T=0"} and set(frame["task"]) == {"t"}
    assert frame["subtask"].tolist() == [None, None, "sub a"]
    assert frame["shots"].tolist() == [0, 0, 1]
    assert frame["is_preferred"].tolist() == [True, False, True]
    assert math.isnan(frame["value"].iloc[1])  # null kept as NaN
    assert math.isnan(frame["flop_matched_non_embedding_params"].iloc[0])


def test_nan_literal_is_read_as_nan(tmp_path):
    text = json.dumps(GOOD).replace('"macro_f1": null', '"macro_f1": NaN')
    frame, _ = parse_file(str(tmp_path), write(tmp_path, text))
    assert math.isnan(frame["value"].iloc[1])


@pytest.mark.parametrize(
    ("mutate", "json_path", "reason"),
    [
        (lambda d: "", "$", "empty file"),
        (lambda d: b"\xff\xfe{}", "$", "not UTF-8"),
        (lambda d: json.dumps(d)[:40], "$", "invalid JSON"),
        (lambda d: {**d, "scores": {"a": 1}}, "$.scores", "expected a list"),
        (lambda d: {k: v for k, v in d.items() if k != "scores"}, "$.scores", "expected a list"),
        (
            lambda d: json.loads(json.dumps(d).replace("0.31", '"0.31"')),
            "$.scores[0].score_dict.multiple_choice_grade",
            "expected a number",
        ),
        (
            lambda d: json.dumps(d).replace("0.31", "Infinity"),
            "$.scores[0].score_dict.multiple_choice_grade",
            "non-finite",
        ),
        (
            lambda d: json.loads(json.dumps(d).replace("134228992", "-5")),
            "$.model.non_embedding_params",
            "positive number",
        ),
        (
            lambda d: json.loads(json.dumps(d).replace("134228992", "0")),
            "$.model.non_embedding_params",
            "positive number",
        ),
        (
            lambda d: {**d, "model": {k: v for k, v in d["model"].items() if k != "model_family"}},
            "$.model.model_family",
            "non-empty string",
        ),
        (lambda d: [d], "$", "expected an object"),
        (
            lambda d: json.loads(json.dumps(d).replace('"number_of_shots": 1', '"number_of_shots": -1')),
            "$.scores[1].number_of_shots",
            "non-negative integer",
        ),
    ],
)
def test_malformed_file_names_file_and_json_path(tmp_path, mutate, json_path, reason):
    doc = mutate(json.loads(json.dumps(GOOD)))
    text = doc if isinstance(doc, str | bytes) else json.dumps(doc)
    rel = write(tmp_path, text)
    with pytest.raises(BadScoresFile) as info:
        parse_file(str(tmp_path), rel)
    assert info.value.path == rel
    assert info.value.json_path == json_path
    assert reason in info.value.reason
    assert str(info.value).startswith(f"{rel}: {json_path}: ")


def test_directory_named_like_scores_file_is_bad(tmp_path):
    (tmp_path / REL).mkdir(parents=True)
    with pytest.raises(BadScoresFile, match="not a regular file"):
        parse_file(str(tmp_path), REL)


def test_parse_files_lists_bad_files_and_keeps_good_ones(tmp_path):
    good = write(tmp_path, json.dumps(GOOD))
    bad = write(tmp_path, "{", "bigbench/benchmark_tasks/u/results/scores_x.json")
    scores, bad_files, _ = parse_files(str(tmp_path), [good, bad], threads=1)
    assert bad_files["path"].tolist() == [bad]
    assert set(scores["source_file"]) == {good}
    assert scores["shots"].dtype == "Int64"


def test_parallel_parse_equals_serial(tmp_path):
    rels = []
    for i in range(12):
        doc = json.loads(json.dumps(GOOD))
        doc["model"]["model_name"] = f"m{i}"
        rels.append(write(tmp_path, json.dumps(doc), f"bigbench/benchmark_tasks/t/results/scores_{i:02d}.json"))
    serial, _, _ = parse_files(str(tmp_path), rels, threads=1)
    parallel, _, _ = parse_files(str(tmp_path), rels, threads=2)
    pd.testing.assert_frame_equal(serial, parallel)


@pytest.mark.parametrize(
    ("description", "expected"),
    [("t", (None, False)), ("t:a:b", ("a:b", False)), ("other:a", ("other:a", True)), ("a", ("a", True))],
)
def test_split_subtask_matches_exactly_and_flags_mismatches(description, expected):
    assert split_subtask(description, "t") == expected
