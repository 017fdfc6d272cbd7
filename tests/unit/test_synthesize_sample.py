"""The synthetic snapshot: deterministic, upstream layout, and every quirk of docs/bigbench-format.md §5."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from scripts.acquire.synthesize_sample import metric_values, plan_task, preferred_range, run
from scripts.lib.ladders import BIG_G
from scripts.lib.sources.manifest import build_manifest, find_results_files
from scripts.parse.parse_scores import parse_files

ROOT = Path(__file__).resolve().parents[2]
METADATA = str(ROOT / "config" / "bigbench_task_metadata.csv")
ANNOTATIONS = str(ROOT / "config" / "annotations" / "wei2022_emergent_bigbench_tasks.csv")


def make(path: Path, seed: int) -> Path:
    run(task_metadata=METADATA, snapshot=str(path), scale="small", seed=seed, annotations=ANNOTATIONS)
    return path


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    return make(tmp_path_factory.mktemp("sample") / "snapshot", seed=7)


def test_same_seed_same_bytes_other_seed_differs(snapshot, tmp_path):
    again = make(tmp_path / "again", seed=7)
    other = make(tmp_path / "other", seed=8)
    first = build_manifest(snapshot, find_results_files(snapshot))
    pd.testing.assert_frame_equal(first, build_manifest(again, find_results_files(again)))
    assert not first.equals(build_manifest(other, find_results_files(other)))


def test_layout_and_scale(snapshot):
    files = find_results_files(snapshot)
    tasks = {f.split("/")[2] for f in files}
    assert len(tasks) == 40
    assert {"list_functions", "mult_data_wrangling", "multiemo"} <= tasks
    assert (snapshot / "SYNTHETIC.txt").read_text().startswith("SYNTHETIC DATA")
    # Non-scores files beside the results, and a scores file nested too deep, are not selected.
    assert any((snapshot / "bigbench/benchmark_tasks").glob("*/results/README.md"))
    nested = list((snapshot / "bigbench/benchmark_tasks").glob("*/results/old/scores_stale.json"))
    assert nested and all(n.relative_to(snapshot).as_posix() not in files for n in nested)


def test_every_upstream_quirk_is_present(snapshot):
    files = find_results_files(snapshot)
    texts = {f: (snapshot / f).read_text() for f in files}
    docs = {f: json.loads(t) for f, t in texts.items()}
    assert any("NaN" in t for t in texts.values()), "NaN literals"
    assert any(": null" in t for t in texts.values()), "null values"
    assert any(f.endswith("scores_GPT_GPT-3-200B.json") for f in files), "the 200B/175B label"
    gpt200 = next(d for f, d in docs.items() if f.endswith("scores_GPT_GPT-3-200B.json"))
    assert gpt200["model"]["non_embedding_params"] < 180e9
    assert any(set(d) - {"model", "scores", "canary"} for d in docs.values()), "unknown top-level keys"
    palm = [d for d in docs.values() if d["model"]["model_family"] == "PaLM"]
    assert palm and all(e["number_of_shots"] == 0 for d in palm for e in d["scores"]), "a 0-shot-only family"
    assert all(d["model"]["flop_matched_non_embedding_params"] is None for d in palm), "null size fields"

    scores, bad, mismatches = parse_files(str(snapshot), files)
    assert bad.empty
    assert mismatches > 0, "subtask names without their task prefix (#726)"
    key = ["family", "model_name", "task", "subtask", "shots", "metric"]
    assert scores.duplicated(key).any(), "duplicate entries"
    sparse = scores.loc[scores["family"] == "BIG-G sparse"].drop_duplicates("model_name")
    assert sparse["non_embedding_params"].duplicated().any(), "a size that appears twice in a family"
    per_task = scores.groupby(["task", "family"])["model_name"].nunique()
    assert (per_task.xs("BIG-G T=1", level="family") <= 2).any(), "a task with only one or two sizes"
    assert {"custom_score", "solved_fraction"} <= set(scores["metric"]), "programmatic metric names"
    assert "normalized_aggregate_score" in set(scores.loc[scores["subtask"].isna() & scores["is_preferred"], "metric"])
    shots_per_task = scores.groupby("task")["shots"].nunique()
    assert (shots_per_task < 4).any(), "tasks with only some shot counts"
    per_family_metric = scores.groupby(["task", "metric"])["family"].nunique()
    assert (per_family_metric < scores["family"].nunique()).any(), "metrics missing for some models"


@pytest.mark.parametrize(
    "preferred",
    [
        "macro_f1",
        "bleurt",
        "exact_str_match",
        "rougeLsum",
        "numeric_match_with_0_1_relative_error",
        "multiple_choice_grade",
    ],
)
def test_every_value_lies_on_its_metric_range_as_metrics_yaml_states(preferred):
    # Real BIG-bench writes macro_f1 on [0, 1] (docs/bigbench-format.md §4, config/metrics.yaml); a generation
    # task preferring it (social_support, full scale only) was written on 0-100 with high_score 1.
    meta = pd.DataFrame({"task": ["t"], "subtask": [""], "preferred_score": [preferred], "n_examples": [200]})
    plan = plan_task("t", meta, scale="small", seed=7)
    facts = yaml.safe_load((ROOT / "config" / "metrics.yaml").read_text())
    rng = np.random.default_rng(0)
    losses = plan.loss_1b * (np.array([size for _, size in BIG_G]) / 1e9) ** plan.alpha
    values = pd.DataFrame([metric_values(plan, loss, plan.n_examples, rng) for loss in losses])
    for metric in values.columns.intersection(list(facts)):
        low, high = facts[metric]["low"], facts[metric]["high"]
        assert low is None or values[metric].min() >= low, metric
        assert high is None or values[metric].max() <= high, metric
    if facts[preferred]["high"] is not None:  # the entry's high_score is the metric's own top
        assert preferred_range(plan)[1] == facts[preferred]["high"]
