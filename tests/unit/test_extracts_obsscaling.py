"""Adapter obsscaling (ryoungj/ObsScaling, Ruan et al. 2024): 2-shot BIG-bench scores of open base models.

Rows of the real files under /work/shared/data/real_multimetric/obsscaling/eval_results/ (file and
line cited; skipped when absent) and a tiny hand-made pair of tables for the join errors.
"""

import pandas as pd
import pytest

from scripts.lib.sources.extracts import obsscaling
from scripts.lib.sources.extracts.obsscaling import COLUMNS, IPA, MODELS_FILE, SCORES_FILE
from scripts.lib.sources.extracts.registry import ExtractError
from tests.helpers.extracts_testing import context, needs, real_files


@needs("obsscaling")
def test_a_real_row_under_a_sharp_and_a_smooth_metric():
    # base_llm_emergent_capability_eval.csv line 2: meta-llama/Llama-2-7b-hf, ipa_transliterate_2_exact_match
    # 0.0717846460618145, ipa_transliterate_2_bleu 27.23879164406593, arithmetic_2dm_2_acc 0.4155;
    # base_llm_benchmark_eval.csv line 2: Llama-2, Model Size (B) 7.0, FLOPs (1E21) 84.0.
    result = obsscaling.adapt(real_files("obsscaling"), context())
    rows = result.rows.set_index(["model_name", "task", "subtask", "metric"])
    llama = "meta-llama/Llama-2-7b-hf"
    assert rows.loc[(llama, IPA, None, "exact_str_match"), "value"] == 0.0717846460618145
    assert rows.loc[(llama, IPA, None, "bleu"), "value"] == 27.23879164406593
    assert rows.loc[(llama, "arithmetic", "2_digit_multiplication", "accuracy"), "value"] == 0.4155
    ipa = rows.loc[(llama, IPA, None, "bleu")]
    assert ipa["family"] == "Llama-2" and ipa["shots"] == 2 and ipa["n_examples"] == 1003  # task metadata
    assert bool(ipa["is_preferred"])  # BIG-bench's preferred metric of the task is BLEU
    model = result.models.set_index("model_name").loc[llama]
    assert model["total_params"] == 7e9 and model["flops"] == 84e21


@needs("obsscaling")
def test_empty_cells_are_not_scores():
    # 84 models x 8 columns = 672 cells; 8 + 12 + 19 + 10 + 10 = 59 are empty (parsinlu_qa, ipa exact match,
    # ipa BLEU, arithmetic_3da, arithmetic_2da), so 613 scores.
    result = obsscaling.adapt(real_files("obsscaling"), context())
    assert len(result.rows) == 84 * len(COLUMNS) - 59 == 613
    assert result.rows.value.notna().all()


def test_a_model_missing_from_the_model_table_is_an_error(tmp_path):
    scores = pd.DataFrame({"Model": ["a", "b"], **{c: [0.1, 0.2] for c in COLUMNS}})
    models = pd.DataFrame({"Model": ["a"], "Model Family": ["F"], "Model Size (B)": [1.0], "FLOPs (1E21)": [2.0]})
    files = {SCORES_FILE: tmp_path / "s.csv", MODELS_FILE: tmp_path / "m.csv"}
    scores.to_csv(files[SCORES_FILE], index=False)
    models.to_csv(files[MODELS_FILE], index=False)
    with pytest.raises(ExtractError, match=r"s\.csv: model b: not in m\.csv"):
        obsscaling.adapt(files, context())
