"""Adapter on_emergence (UKPLab/on-emergence, Lu et al. 2024, CC BY-SA 4.0): seeds averaged into one point.

Rows of the real file /work/shared/data/real_multimetric/on_emergence/evaluation_scores.csv (lines
cited; skipped when absent) and hand-made runs for the seed average (hand arithmetic in comments).
"""

import math

import numpy as np
import pandas as pd
import pytest

from scripts.lib.sources.extracts import on_emergence
from scripts.lib.sources.extracts.on_emergence import MODELS, POOLED_GPT, average_seeds
from tests.helpers.extracts_testing import context, needs, real_files


def test_average_seeds_hand_values():
    # Three seeds 0.2, 0.3, 0.4: mean 0.3, sample sd 0.1, se = 0.1 / sqrt(3) = 0.057735.
    # One run (temperature 0): its value, no seed spread. -100 (missing) is left out of the mean.
    runs = pd.DataFrame(
        {
            "task": ["t"] * 6,
            "model_name": ["a", "a", "a", "b", "c", "c"],
            "shots": pd.array([0] * 6, dtype="Int64"),
            "n_examples": pd.array([50] * 6, dtype="Int64"),
            "metric": ["m"] * 6,
            "value": [0.2, 0.3, 0.4, 0.7, 0.5, np.nan],
        }
    )
    out = average_seeds(runs).set_index("model_name")
    assert out.loc["a", "value"] == pytest.approx(0.3) and out.loc["a", "value_se"] == pytest.approx(0.1 / math.sqrt(3))
    assert out.loc["a", "se_source"] == "seeds" and out.loc["a", "n_runs"] == 3
    assert out.loc["b", "value"] == 0.7 and np.isnan(out.loc["b", "value_se"]) and out.loc["b", "se_source"] is None
    assert out.loc["c", "value"] == 0.5 and out.loc["c", "n_runs"] == 1


@pytest.fixture(scope="module")
def adapted():
    return on_emergence.adapt(real_files("on_emergence"), context())


@needs("on_emergence")
def test_three_real_seeds_become_one_point(adapted):
    # evaluation_scores.csv lines 2-4: gpt2, tracking_shuffled_objects/task.json, closed, 0 shots, 745 examples,
    # seeds 2266, 105, 86379: exact_match_accuracy 0.1651006711, 0.1691275168, 0.1731543624 (mean 0.1691275168,
    # steps of 0.0040268456, so sd 0.0040268456 and se 0.0040268456 / sqrt(3) = 0.0023249); edit_distance
    # 36.10469799, 36.0442953, 36.27919463 (mean 36.14272931).
    rows = adapted.rows.set_index(["model_name", "task", "shots", "metric"])
    em = rows.loc[("gpt2", "tracking_shuffled_objects", 0, "exact_match_accuracy")]
    assert em["value"] == pytest.approx(0.1691275168, abs=1e-10)
    assert em["value_se"] == pytest.approx(0.0040268456 / math.sqrt(3), rel=1e-6) and em["se_source"] == "seeds"
    assert em["n_examples"] == 745 and em["family"] == POOLED_GPT
    ed = rows.loc[("gpt2", "tracking_shuffled_objects", 0, "edit_distance")]
    assert ed["value"] == pytest.approx((36.10469799 + 36.0442953 + 36.27919463) / 3)


@needs("on_emergence")
def test_a_single_run_keeps_its_value_and_no_seed_spread(adapted):
    # evaluation_scores.csv line 4948: davinci, tracking_shuffled_objects, closed, 5 shots, seed empty
    # (temperature 0): exact_match_accuracy 0.331544..., single_bert_score 0.872081...
    rows = adapted.rows.set_index(["model_name", "task", "shots", "metric"])
    em = rows.loc[("davinci", "tracking_shuffled_objects", 5, "exact_match_accuracy")]
    assert em["value"] == pytest.approx(0.331544, abs=1e-6)
    assert em["se_source"] is None or em["se_source"] == "binomial"  # no seeds; binomial is added later
    assert rows.loc[("davinci", "tracking_shuffled_objects", 5, "bertscore"), "value"] == pytest.approx(
        0.872081, abs=1e-6
    )


@needs("on_emergence")
def test_only_closed_prompts_bigbench_tasks_and_sized_models(adapted):
    assert set(adapted.rows.model_name) <= set(MODELS)
    assert {"gsm8k", "commonsense_qa"}.isdisjoint(adapted.rows.task)  # not BIG-bench tasks
    assert "text-davinci-003" not in set(adapted.rows.model_name)  # no published size
    pooled = adapted.models[adapted.models.family == POOLED_GPT].sort_values("non_embedding_params")
    assert pooled.model_name.tolist() == ["gpt2", "gpt2-xl", "EleutherAI/gpt-j-6b", "davinci"]
    assert adapted.rows.value.dropna().ge(0).all()
