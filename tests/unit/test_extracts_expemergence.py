"""Adapter expemergence (tony10101105/ExpEmergence, Wu & Lo 2025): accuracy and Brier score of open models.

Rows of the real files under /work/shared/data/real_multimetric/expemergence/data/ (file and line
cited per test; skipped when absent) and tiny hand-made tables for the edge rules.
"""

import pandas as pd
import pytest

from scripts.lib.sources.extracts import expemergence
from scripts.lib.sources.extracts.expemergence import drop_repeated_models, task_of
from scripts.lib.sources.extracts.registry import ExtractError
from tests.helpers.extracts_testing import context, needs, real_files


@pytest.fixture(scope="module")
def adapted():
    return expemergence.adapt(real_files("expemergence"), context())


@needs("expemergence")
def test_a_real_row_becomes_two_scores(adapted):
    # hindu_knowledge/hindu_knowledge_instance_brier_-1000_10_3_redist.csv, line 38:
    # EleutherAI/pythia-70m-deduped, Pythia, Model Size (B) 0.07, FLOPs (1E21) 0.126,
    # acc 0.3142857142857143, brier 0.6342959054153211.
    rows = adapted.rows.set_index(["model_name", "task", "metric"])
    mcg = rows.loc[("EleutherAI/pythia-70m-deduped", "hindu_knowledge", "multiple_choice_grade")]
    brier = rows.loc[("EleutherAI/pythia-70m-deduped", "hindu_knowledge", "brier_score")]
    assert mcg["value"] == 0.3142857142857143 and brier["value"] == 0.6342959054153211
    assert mcg["family"] == "Pythia" and mcg["shots"] == 2 and mcg["subtask"] is None
    assert mcg["n_examples"] == 175  # BIG-bench task metadata: hindu_knowledge has 175 examples
    assert bool(mcg["is_preferred"]) and not bool(brier["is_preferred"])
    model = adapted.models.set_index("model_name").loc["EleutherAI/pythia-70m-deduped"]
    assert model["total_params"] == pytest.approx(0.07e9) and model["flops"] == pytest.approx(0.126e21)
    assert model["size_kind"] == "total"


@needs("expemergence")
def test_parsinlu_qa_mc_is_bigbench_parsinlu_qa(adapted):
    # parsinlu_qa_mc/parsinlu_qa_mc_instance_brier_-1000_199.52623149688787_3_redist.csv, line 57:
    # facebook/opt-125m, acc 0.2428571428571428, brier 0.6139140846571985.
    rows = adapted.rows.set_index(["model_name", "task", "metric"])
    assert rows.loc[("facebook/opt-125m", "parsinlu_qa", "multiple_choice_grade"), "value"] == 0.2428571428571428
    assert rows.loc[("facebook/opt-125m", "parsinlu_qa", "brier_score"), "value"] == 0.6139140846571985
    assert set(adapted.rows.task) == {
        "abstract_narrative_understanding",
        "analogical_similarity",
        "arithmetic",
        "conceptual_combinations",
        "hindu_knowledge",
        "parsinlu_qa",
    }


@needs("expemergence")
def test_the_repeated_gpt2_rows_of_the_arithmetic_file_are_dropped(adapted):
    # arithmetic/arithmetic_instance_brier_-1000_63.09573444801933_3_redist.csv, lines 86-87 and 114-115:
    # openai-community/gpt2 (0.124 B, then 0.355 B) and gpt2-large (0.774 B, then 1.5 B), acc 0.325501 /
    # 0.330893 both times. The first rows (the published 124M and 774M) are kept.
    arith = adapted.rows[
        (adapted.rows.task == "arithmetic") & adapted.rows.model_name.str.startswith("openai-community")
    ]
    assert sorted(arith.model_name.unique()) == ["openai-community/gpt2", "openai-community/gpt2-large"]
    assert len(arith) == 4  # 2 models x 2 metrics
    sizes = adapted.models.set_index("model_name")["total_params"]
    assert sizes["openai-community/gpt2"] == pytest.approx(0.124e9)
    assert sizes["openai-community/gpt2-large"] == pytest.approx(0.774e9)


@needs("expemergence")
def test_every_evaluated_model_once_per_task(adapted):
    # Every file lists 114 rows, of which 65 have an acc (the models evaluated on the task); the arithmetic
    # file has 70: 68 models (the GPT-2 models too) and the two repeats.
    brier = adapted.rows[adapted.rows.metric == "brier_score"]
    per_task = brier.groupby("task").model_name.nunique()
    assert per_task.drop("arithmetic").eq(65).all() and per_task["arithmetic"] == 68
    assert not brier.duplicated(["model_name", "task"]).any()
    assert adapted.rows.value.between(0, 1).all()


def test_a_model_repeated_with_other_scores_is_an_error():
    frame = pd.DataFrame({"Model": ["m", "m"], "acc": [0.5, 0.6], "brier": [0.2, 0.2]})
    with pytest.raises(ExtractError, match=r"f\.csv: model m: listed twice with different scores"):
        drop_repeated_models(frame, "f.csv")
    same = pd.DataFrame({"Model": ["m", "m", "n"], "acc": [0.5, 0.5, None], "brier": [0.2, 0.2, None]})
    assert drop_repeated_models(same, "f.csv")["Model"].tolist() == ["m"]  # repeat and unevaluated row dropped


def test_an_unknown_task_folder_is_an_error():
    assert task_of("data/parsinlu_qa_mc/x.csv") == "parsinlu_qa"
    with pytest.raises(ExtractError, match="unknown ExpEmergence task folder 'mmlu'"):
        task_of("data/mmlu/mmlu_instance_brier.csv")
