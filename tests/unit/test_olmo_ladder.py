"""Adapter olmo_ladder (allenai/OLMo-ladder, Bhagia et al. 2024): ladder runs and the OLMo 2 targets.

Hand-written files in tmp_path for the rules (values in the test), rows of the real files under
/work/shared/data/olmo_ladder/ checked against values read by hand (file, line, column cited;
skipped when absent), and bad input named.
"""

import json
from pathlib import Path

import pandas as pd
import pytest

from scripts.lib.sources.extracts import olmo_ladder
from scripts.lib.sources.extracts.olmo_ladder import CONFIG_FILE, RUNS_DIR, ladder_frame, score_columns
from scripts.lib.sources.extracts.registry import ExtractError
from scripts.lib.sources.extracts.schema_check import check_scores, finish_scores
from tests.helpers.extracts_testing import DATA, FACTS, context, needs, real_files

HELLASWAG_ACC = "eval/downstream/hellaswag_val_rc_5shot_len_norm"
BOOLQ_ACC = "eval/downstream/boolq_val_rc_5shot_acc"
MMLU_ACC = [
    f"eval/downstream/mmlu_{c}_test_rc_5shot_len_norm" for c in ("stem", "humanities", "social_sciences", "other")
]
CONFIG = {
    key: {"paths": [], "mode": "train", "n": n, "flops": 10 * n, "label": key, "color": "k"}
    for key, n in {"190M": 1000, "370M": 2000, "760M": 3000, "1.3B": 4000, "7B-4T": 70000, "13B-5T": 130000}.items()
}
"""A final.json with round parameter counts (the 1B runs are '1.3B' there, the targets '7B-4T', '13B-5T')."""


def write_run(folder: Path, name: str, rows: list[dict[str, float]], *, drop: tuple[str, ...] = ()) -> tuple[str, Path]:
    """(upstream path, local file) of a run CSV: every score column 0.5 unless a row says otherwise."""
    columns = [
        c for c in ["_step", "throughput/total_tokens", "batch_size_in_tokens", *score_columns()] if c not in drop
    ]
    frame = pd.DataFrame([{**dict.fromkeys(columns, 0.5), **row} for row in rows], columns=columns)
    path = folder / name
    frame.to_csv(path, index=False)
    return RUNS_DIR + name, path


def hand_files(tmp_path: Path, *extra: tuple[str, Path]) -> dict[str, Path]:
    """final.json, a 190M-1xC run of two checkpoints and the 7B target (no _step), plus `extra`."""
    config = tmp_path / "final.json"
    config.write_text(json.dumps(CONFIG))
    ladder = write_run(
        tmp_path,
        "190M-1xC.csv",
        [
            {"_step": 100, "throughput/total_tokens": 10000, "batch_size_in_tokens": 100, HELLASWAG_ACC: 0.26},
            {"_step": 200, "throughput/total_tokens": 20000, "batch_size_in_tokens": 100, HELLASWAG_ACC: 0.30},
        ],
    )
    mmlu = dict(zip(MMLU_ACC, (0.2, 0.4, 0.3, 0.5), strict=True))
    target = write_run(
        tmp_path,
        "peteish7_eval_anneal.csv",
        [{"throughput/total_tokens": 4000, "batch_size_in_tokens": 100, BOOLQ_ACC: 0.8, **mmlu}],
        drop=("_step",),
    )
    return dict([(CONFIG_FILE, config), ladder, target, *extra])


def value(frame: pd.DataFrame, run: str, task: str, metric: str, step: int | None = None) -> float:
    sel = frame[(frame.run == run) & (frame.task == task) & (frame.metric == metric)]
    if step is not None:
        sel = sel[sel.step == step]
    assert len(sel) == 1
    return float(sel["value"].iat[0])


def test_final_checkpoint_rows_with_n_d_and_6nd(tmp_path):
    frame = ladder_frame(hand_files(tmp_path))
    assert list(frame.columns) == [  # the contract the prediction code reads
        *("run", "size_label", "params", "multiple", "tokens", "flops", "step"),
        *("is_final", "is_target", "seed_rerun", "task", "metric", "value"),
    ]
    assert len(frame) == 2 * 10 * 4  # 2 runs x 10 tasks x 4 metrics, final checkpoints only
    ladder = frame[frame.run == "190M-1xC"].iloc[0]
    assert ladder["size_label"] == "190M" and ladder["params"] == 1000.0 and ladder["multiple"] == 1.0
    assert ladder["step"] == 200 and ladder["tokens"] == 20000.0 and ladder["is_final"]
    assert ladder["flops"] == 6 * 1000 * 20000  # 6 N D = 1.2e8
    assert not ladder["is_target"] and not ladder["seed_rerun"]
    assert value(frame, "190M-1xC", "hellaswag", "accuracy") == 0.30
    target = frame[frame.run == "peteish7"].iloc[0]
    assert target["size_label"] == "7B" and target["params"] == 70000.0 and pd.isna(target["multiple"])
    assert target["step"] == 40 and target["tokens"] == 4000.0  # no _step: 4000 tokens / 100 per batch
    assert target["is_target"]
    assert value(frame, "peteish7", "boolq", "accuracy") == 0.8  # BoolQ's accuracy is its `_acc` column


def test_mmlu_is_the_question_weighted_mean_of_its_four_categories(tmp_path):
    frame = ladder_frame(hand_files(tmp_path))
    # by hand: 0.215 x 0.2 + 0.335 x 0.4 + 0.219 x 0.3 + 0.231 x 0.5 = 0.043 + 0.134 + 0.0657 + 0.1155 = 0.3582
    assert value(frame, "peteish7", "mmlu", "accuracy") == pytest.approx(0.3582)
    assert value(frame, "190M-1xC", "mmlu", "bpb") == pytest.approx(0.5)  # all four 0.5
    assert set(frame.task) == set(olmo_ladder.TASK_SPLITS) and "mmlu_stem" not in set(frame.task)


def test_checkpoints_option_keeps_every_row_and_marks_the_last(tmp_path):
    frame = ladder_frame(hand_files(tmp_path), checkpoints=True)
    ladder = frame[frame.run == "190M-1xC"]
    assert sorted(ladder.step.unique()) == [100, 200]
    assert set(ladder.loc[ladder.step == 200, "is_final"]) == {True}
    assert set(ladder.loc[ladder.step == 100, "is_final"]) == {False}
    assert value(frame, "190M-1xC", "hellaswag", "accuracy", step=100) == 0.26
    assert ladder.loc[ladder.step == 100, "flops"].iat[0] == 6 * 1000 * 10000  # D of that checkpoint


def test_rerun_half_chinchilla_and_3b_names(tmp_path):
    one = {"_step": 5, "throughput/total_tokens": 80, "batch_size_in_tokens": 16}
    extra = [write_run(tmp_path, name, [one]) for name in ("1B-1xC-rerun.csv", "760M-0.5xC.csv", "3B-2xC.csv")]
    frame = ladder_frame(hand_files(tmp_path, *extra)).drop_duplicates("run").set_index("run")
    assert frame.loc["1B-1xC-rerun", "seed_rerun"] and frame.loc["1B-1xC-rerun", "params"] == 4000.0  # "1.3B" key
    assert frame.loc["760M-0.5xC", "multiple"] == 0.5 and not frame.loc["760M-0.5xC", "seed_rerun"]
    assert frame.loc["3B-2xC", "params"] == 3169537280.0  # not in final.json: OLMo-ladder ladder.py MODEL_PARAMS


def test_adapt_families_metrics_and_model_table(tmp_path):
    result = olmo_ladder.adapt(hand_files(tmp_path), context())
    rows = result.rows.set_index(["family", "model_name", "task", "metric"])
    acc = rows.loc[("OLMo ladder 1xC", "190M", "hellaswag", "acc_norm")]
    assert acc["value"] == 0.30 and acc["is_preferred"] and acc["shots"] == 5
    assert acc["low_score"] == 0.25 and acc["high_score"] == 1.0 and acc["n_examples"] == 10042
    boolq = rows.loc[("OLMo 2", "7B", "boolq", "acc")]
    assert (
        boolq["low_score"] == 0.5 and boolq["n_examples"] == 3270 and boolq["source_file"] == "peteish7_eval_anneal.csv"
    )
    assert set(result.rows.metric) == {"bits_per_byte", "acc_norm", "acc", "correct_prob", "correct_logprob"}
    assert not rows.loc[("OLMo 2", "7B", "mmlu", "bits_per_byte"), "is_preferred"]
    models = result.models.set_index(["family", "model_name"])
    assert models.loc[("OLMo ladder 1xC", "190M"), "non_embedding_params"] == 1000.0
    assert models.loc[("OLMo 2", "7B"), "flops"] == 6 * 70000 * 4000
    assert models.loc[("OLMo 2", "7B"), "tokens"] == 4000.0


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("190M-3xD.csv", "file name"),
        ("2B-1xC.csv", "file name"),
        ("7B-1xC.csv", "file name"),  # 7B is a target, not a ladder size
        ("peteish7_eval_full.csv", "file name"),  # not the 7B file final.json names
    ],
)
def test_an_unknown_run_name_is_named(tmp_path, name, where):
    bad = write_run(tmp_path, name, [{"_step": 1, "throughput/total_tokens": 1, "batch_size_in_tokens": 1}])
    with pytest.raises(ExtractError, match=f"{name}: {where}: unknown run"):
        ladder_frame(hand_files(tmp_path, bad))


def test_a_missing_column_is_named(tmp_path):
    bad = write_run(tmp_path, "370M-2xC.csv", [{"_step": 1, "batch_size_in_tokens": 1}], drop=(HELLASWAG_ACC,))
    with pytest.raises(ExtractError, match=r"370M-2xC\.csv: header: missing column.*hellaswag_val_rc_5shot_len_norm"):
        ladder_frame(hand_files(tmp_path, bad))


def test_a_non_numeric_or_empty_value_is_named(tmp_path):
    bad = write_run(tmp_path, "370M-2xC.csv", [{"_step": 1, "throughput/total_tokens": 1, "batch_size_in_tokens": 1}])
    header, cells = (line.split(",") for line in bad[1].read_text().splitlines())
    cells[header.index(BOOLQ_ACC)] = "abc"
    bad[1].write_text(",".join(header) + "\n" + ",".join(cells) + "\n")
    with pytest.raises(ExtractError, match=r"370M-2xC\.csv: line 2, column '.*boolq_val_rc_5shot_acc': not a number"):
        ladder_frame(hand_files(tmp_path, bad))
    cells[header.index(BOOLQ_ACC)] = ""  # an empty cell (pandas also reads "n/a" as empty)
    bad[1].write_text(",".join(header) + "\n" + ",".join(cells) + "\n")
    with pytest.raises(ExtractError, match=r"370M-2xC\.csv: line 2, task boolq, metric accuracy: empty value"):
        ladder_frame(hand_files(tmp_path, bad))


def test_an_empty_file_and_a_header_only_file_are_named(tmp_path):
    empty = tmp_path / "370M-5xC.csv"
    empty.write_text("")
    with pytest.raises(ExtractError, match=r"370M-5xC\.csv: \$: not a readable CSV"):
        ladder_frame(hand_files(tmp_path, (RUNS_DIR + empty.name, empty)))
    header_only = write_run(tmp_path, "370M-10xC.csv", [])
    with pytest.raises(ExtractError, match=r"370M-10xC\.csv: rows: no checkpoint rows"):
        ladder_frame(hand_files(tmp_path, header_only))


def test_a_run_given_twice_is_named(tmp_path):
    files = hand_files(tmp_path)
    files["elsewhere/190M-1xC.csv"] = files[RUNS_DIR + "190M-1xC.csv"]
    with pytest.raises(ExtractError, match=r"190M-1xC\.csv: file name: run 190M-1xC given twice"):
        ladder_frame(files)


def test_a_missing_parameter_count_is_named(tmp_path):
    files = hand_files(tmp_path)
    files[CONFIG_FILE].write_text(json.dumps({k: v for k, v in CONFIG.items() if k != "1.3B"}))
    with pytest.raises(ExtractError, match=r"final\.json: 1\.3B\.n: missing"):
        ladder_frame(files)


# --- the real files (/work/shared/data/olmo_ladder, allenai/OLMo-ladder @ 67a3f44) -----------------


@pytest.fixture(scope="module")
def real():
    return ladder_frame(real_files("olmo_ladder"))


@needs("olmo_ladder")
def test_real_1b_5xc_final_row(real):
    # ladder-runs/1B-5xC.csv, line 164 (the last, _step 81352): throughput/total_tokens 127955632128.0,
    # hellaswag_val_rc_5shot_len_norm 0.613224446773529, _bpb 0.7695369720458984, _soft 0.276984840631485,
    # _soft_log -1.2893019914627075; final.json "1.3B" n 1279395840.
    row = real[(real.run == "1B-5xC") & (real.task == "hellaswag")].set_index("metric")
    assert row.loc["accuracy", "value"] == pytest.approx(0.613224446773529, abs=1e-15)
    assert row.loc["bpb", "value"] == pytest.approx(0.7695369720458984, abs=1e-15)
    assert row.loc["correct_prob", "value"] == pytest.approx(0.276984840631485, abs=1e-15)
    assert row.loc["correct_logprob", "value"] == pytest.approx(-1.2893019914627075, abs=1e-15)
    assert set(row.step) == {81352} and set(row.tokens) == {127955632128.0} and set(row.params) == {1279395840.0}
    assert row["multiple"].iat[0] == 5.0
    # 5xC = 5 x 20 tokens per parameter: 127955632128 / 1279395840 = 100.01
    assert row["tokens"].iat[0] / row["params"].iat[0] == pytest.approx(100.0, rel=1e-3)


@needs("olmo_ladder")
def test_real_targets(real):
    # peteish7_eval_anneal.csv, line 2 (no _step): throughput/total_tokens 3945065873408, batch_size_in_tokens
    # 4194304 (step 940577); mmlu_{stem,humanities,social_sciences,other}_test_rc_5shot_len_norm 0.4599072337150574,
    # 0.431030809879303, 0.5242118835449219, 0.5715607404708862. By hand: 0.215 x 0.45991 + 0.335 x 0.43103
    # + 0.219 x 0.52421 + 0.231 x 0.57156 = 0.098880 + 0.144395 + 0.114802 + 0.132031 = 0.490108.
    p7 = real[(real.run == "peteish7") & (real.task == "mmlu") & (real.metric == "accuracy")].iloc[0]
    assert p7["value"] == pytest.approx(0.490108, abs=1e-6)
    assert p7["step"] == 940577 and p7["tokens"] == 3945065873408.0 and p7["params"] == 6887575552.0
    # peteish13_eval_final.csv, line 13 (last): _step 596057, batch_size_in_tokens 8388608 -> D = 5000088518656
    # (the -d of the paper's predict command, src/scripts/paper/README.md); boolq_val_rc_5shot_acc 0.849235475063324.
    p13 = real[(real.run == "peteish13") & (real.task == "boolq") & (real.metric == "accuracy")].iloc[0]
    assert p13["value"] == pytest.approx(0.849235475063324, abs=1e-15)
    assert p13["tokens"] == 5000088518656.0 and p13["size_label"] == "13B" and p13["is_target"]


@needs("olmo_ladder")
def test_real_entry_covers_final_json(real):
    # final.json: 4 sizes x {1, 2, 5, 10}xC plus the 7B and 13B targets, and the four 1xC second seeds;
    # 10 tasks x 4 metrics each
    assert real.run.nunique() == 22 and len(real) == 22 * 10 * 4  # 16 runs, 4 reruns of 1xC, 2 targets
    assert set(real.loc[~real.is_target, "multiple"]) == {1.0, 2.0, 5.0, 10.0}
    assert real.is_final.all() and real.loc[real.seed_rerun, "run"].nunique() == 4


@needs("olmo_ladder")
def test_real_rerun_checkpoint():
    # ladder-runs/190M-1xC-rerun.csv, line 37: _step 3600, throughput/total_tokens 1887436800,
    # hellaswag_val_rc_5shot_len_norm 0.2855008840560913 (not in the registry entry: read by explicit path).
    ups = [CONFIG_FILE, RUNS_DIR + "190M-1xC-rerun.csv"]
    frame = ladder_frame({u: DATA / "olmo_ladder" / u for u in ups}, checkpoints=True)
    row = frame[(frame.step == 3600) & (frame.task == "hellaswag") & (frame.metric == "accuracy")].iloc[0]
    assert row["value"] == pytest.approx(0.2855008840560913, abs=1e-15) and row["tokens"] == 1887436800.0
    assert row["seed_rerun"] and not row["is_final"] and row["run"] == "190M-1xC-rerun"


@needs("olmo_ladder")
def test_real_adapt_passes_the_extracts_schema_check():
    # the two new metrics as config/metrics.yaml should list them (docs/ladder.md, "Tasks and metrics")
    facts = {
        **FACTS,
        "correct_prob": {"higher_is_better": True, "low": 0, "high": 1, "name": "Probability of the correct choice"},
        "correct_logprob": {
            "higher_is_better": True,
            "low": None,
            "high": 0,
            "name": "Log-probability of the correct choice",
        },
    }
    result = olmo_ladder.adapt(real_files("olmo_ladder"), context())
    models = result.models.drop(columns=["size_kind", "size_source", "tokens"])
    scores = finish_scores(
        result.rows.merge(models, on=["family", "model_name"]), extract="olmo_ladder", metric_facts=facts
    )
    check_scores(scores, extract="olmo_ladder", metric_facts=facts)
    assert len(scores) == 22 * 10 * 4 and scores.non_embedding_params.notna().all()
    # binomial value_se for the [0, 1] metrics: 1B-5xC HellaSwag, sqrt(0.613224 x 0.386776 / 10042) = 0.004860
    hs = scores[(scores.family == "OLMo ladder 5xC") & (scores.model_name == "1B") & (scores.task == "hellaswag")]
    assert hs.set_index("metric").loc["acc_norm", "value_se"] == pytest.approx(0.004860, abs=1e-6)
