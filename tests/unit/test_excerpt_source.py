"""source=excerpt: two public extracts of real BIG-bench scores -> the tidy scores table (issue 11).

Unit tests use tiny hand-made inputs (hand calculations in comments); the tests marked
`integration` run the snakemake CLI on the real extracts in ../shared/data/real_excerpts (skipped,
with the reason, when that folder is absent) and check emergence scores against a per-curve
computation written here from the raw files, independent of the pipeline's code.
"""

import csv
import json
import math
import shutil
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from scripts.excerpt_source import (
    BIG_G_LADDER,
    MAYBE_SUBTASK_LABEL,
    MAYBE_SUBTASK_TASKS,
    OUTPUT_COLUMNS,
    ExcerptError,
    build_excerpt_scores,
    check_model_sizes,
    load_audit,
    load_bigbench_csv,
    read_bytes,
    reconcile,
    resolve_sizes,
    run,
    size_from_name,
    split_model_label,
)
from scripts.lib.io import parquet_label, read_csv
from scripts.lib.score_table import add_value_se, binomial_se, preferred_metric_from_metadata
from scripts.lib.workflow_config import ConfigError, check_config, data_label, run_name
from scripts.parse_scores import COLUMNS
from tests.helpers.snakemake_cli import make_workdir, run_snakemake

ROOT = Path(__file__).resolve().parents[2]
EXCERPTS = ROOT.parent / "shared" / "data" / "real_excerpts"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
METADATA = ROOT / "config" / "bigbench_task_metadata.csv"
SIZES = ROOT / "config" / "model_sizes.csv"
METRICS = ROOT / "config" / "metrics.yaml"
FACTS = yaml.safe_load(METRICS.read_text())

needs_excerpts = pytest.mark.skipif(
    not (EXCERPTS / "audit_table.json").is_file() or not (EXCERPTS / "bigbench.csv").is_file(),
    reason=f"the real BIG-bench extracts are not at {EXCERPTS} (see /work/shared/data/real_excerpts/README.md)",
)

# BIGBENCH_FORMAT.md: real non_embedding_params of the BIG-G dense ladder, 2m -> 128b.
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
    with pytest.raises(ExcerptError, match="size_kind 'guess' is not one of"):
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
    with pytest.raises(ExcerptError) as err:
        load_audit(data, "a.json")
    assert str(err.value).startswith(message)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ExcerptError, match=r"nope\.csv: \$: file not found \(check config key excerpt\.path\)"):
        read_bytes(tmp_path / "nope.csv")


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
    with pytest.raises(ExcerptError) as err:
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


def tiny_inputs(bench_t1_2m="0.25"):
    audit = load_audit(json.dumps(audit_doc()).encode(), "audit_table.json")
    lines = ["model,t1,t2,logical_deduction"]
    for name in ["2m", "16m", "53m", "125m"]:
        t1 = bench_t1_2m if name == "2m" else {"16m": "0.26", "53m": "0.25", "125m": "0.6"}[name]
        lines.append(f"BIG-G T=0 {name},{t1},0.0,0.3")
    lines.append("GPT GPT-3 Small,0.3,0.1,0.2")
    bench = load_bigbench_csv(("\n".join(lines) + "\n").encode(), "bigbench.csv")
    sizes = check_model_sizes(pd.read_csv(SIZES, dtype={"model_name": str}), str(SIZES))
    return audit, bench, sizes


def test_build_excerpt_scores_on_a_tiny_pair():
    audit, bench, sizes = tiny_inputs()
    scores, models, overlap = build_excerpt_scores(
        audit, bench, metadata=METADATA_TINY, sizes=sizes, metric_facts=FACTS
    )
    assert list(scores.columns) == OUTPUT_COLUMNS == [*COLUMNS, "n_examples", "value_se"]
    # 4 audit rows (t1, BIG-G T=0, 3-shot) + bigbench.csv: 5 models x 3 tasks = 15, minus the 4 t1 values
    # of BIG-G T=0 that the audit also holds -> 4 + 11 = 15 rows.
    assert len(scores) == 15
    assert len(overlap) == 4 and overlap["agree"].all()
    t1 = scores[(scores.task == "t1") & (scores.family == "BIG-G T=0")]
    assert (t1.source_file == "audit_table.json").all() and (t1.shots == 3).all()
    assert (t1.low_score == 0.25).all() and (t1.high_score == 1).all() and (t1.n_examples == 100).all()
    assert t1.value_se.iloc[0] == pytest.approx(math.sqrt(0.25 * 0.75 / 100))  # 0.0433
    gpt_t1 = scores[(scores.family == "GPT") & (scores.task == "t1")].iloc[0]
    assert pd.isna(gpt_t1.shots) and gpt_t1.metric == "multiple_choice_grade" and gpt_t1.low_score == 0.25
    assert gpt_t1.non_embedding_params == 125e6 and gpt_t1.total_params == 125e6
    t2 = scores[scores.task == "t2"]
    assert (t2.metric == "exact_str_match").all() and t2.low_score.isna().all() and (t2.n_examples == 50).all()
    # logical_deduction has subtasks: a value may be a subtask's -> its own label, n unknown, metric from subtasks
    ld = scores[scores.task == "logical_deduction"]
    assert (ld.subtask == MAYBE_SUBTASK_LABEL).all() and ld.n_examples.isna().all() and ld.value_se.isna().all()
    assert (ld.metric == "multiple_choice_grade").all()
    assert "logical_deduction" in MAYBE_SUBTASK_TASKS
    assert scores.subtask.isna().sum() == 15 - len(ld)
    assert scores.is_preferred.all()
    assert models.set_index("model_name").loc["125m", "non_embedding_params"] == 134228992


def test_a_disagreement_between_the_files_names_both_the_task_and_the_size():
    audit, bench, sizes = tiny_inputs(bench_t1_2m="0.2512")  # audit says 0.25: 1.2e-3 apart
    with pytest.raises(ExcerptError) as err:
        build_excerpt_scores(audit, bench, metadata=METADATA_TINY, sizes=sizes, metric_facts=FACTS)
    text = str(err.value)
    assert "audit_table.json and bigbench.csv" in text and "task t1, BIG-G T=0 2m" in text


def test_reconcile_tolerates_the_audit_rounding():
    # 0.12345 rounds to 0.1235 (or 0.1234): 5e-5 apart is "the same to 4 decimals"; 0.1236 vs 0.1234 is not
    key = {"family": ["BIG-G T=0"], "model_name": ["2m"], "task": ["t"]}
    audit = pd.DataFrame({**key, "value": [0.1235]})
    kept, overlap = reconcile(audit, pd.DataFrame({**key, "value": [0.12345]}), audit_file="a", bench_file="b")
    assert kept.empty and overlap["agree"].all()
    with pytest.raises(ExcerptError, match="a and b: task t, BIG-G T=0 2m: the files disagree"):
        reconcile(audit, pd.DataFrame({**key, "value": [0.1237]}), audit_file="a", bench_file="b")


def test_a_value_outside_its_metric_range_is_an_error():
    audit, _, sizes = tiny_inputs()
    bench = load_bigbench_csv(b"model,t2\nGPT GPT-3 Small,7.5\n", "bigbench.csv")
    with pytest.raises(ExcerptError, match=r"outside the range \[0, 1\] of its metric exact_str_match"):
        build_excerpt_scores(audit, bench, metadata=METADATA_TINY, sizes=sizes, metric_facts=FACTS)


# --- config ----------------------------------------------------------------------------------------


def base_config(**overrides):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg.update(overrides)
    return cfg


def test_excerpt_run_name_and_label():
    cfg = base_config(source="excerpt")
    assert run_name(cfg) == "excerpt"
    label = data_label(cfg)
    assert label.startswith("real BIG-bench scores, third-party extract")
    assert "PeterPonyu/calibration-traps" in label and "smolix/benchmark-selection" in label


def test_excerpt_path_absent_is_one_line_naming_the_key(tmp_path):
    with pytest.raises(ConfigError) as err:
        check_config(base_config(source="excerpt", excerpt={"path": str(tmp_path / "nowhere")}), SCHEMA)
    assert str(err.value).startswith("config key 'excerpt.path':") and "\n" not in str(err.value)


def test_excerpt_missing_file_is_named(tmp_path):
    (tmp_path / "audit_table.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"config key 'excerpt.path': .* lacks bigbench.csv"):
        check_config(base_config(source="excerpt", excerpt={"path": str(tmp_path)}), SCHEMA)


# --- the real files --------------------------------------------------------------------------------


def run_on(directory: Path, out: Path) -> dict[str, Path]:
    paths = {k: out / f"{k}.csv" for k in ("bad_files", "manifest", "models", "overlap")}
    paths["scores"] = out / "scores.parquet"
    run(
        audit=str(directory / "audit_table.json"),
        bigbench=str(directory / "bigbench.csv"),
        task_metadata=str(METADATA),
        model_sizes=str(SIZES),
        metrics=str(METRICS),
        **{k: str(v) for k, v in paths.items()},
        label="test label",
    )
    return paths


@needs_excerpts
def test_run_on_the_real_extracts(tmp_path):
    paths = run_on(EXCERPTS, tmp_path)
    scores = pd.read_parquet(paths["scores"])
    assert parquet_label(paths["scores"]) == "test label"
    audit = scores[scores.source_file == "audit_table.json"]
    assert len(audit) == 89 * 12 and (audit.family == "BIG-G T=0").all() and (audit.shots == 3).all()
    # audit params_by_scale == the BIG-G ladder used for every BIG-G T=0 name in bigbench.csv
    doc = json.loads((EXCERPTS / "audit_table.json").read_text())
    assert {tuple(t["params_by_scale"]) for t in doc["mc_tasks"]} == {tuple(float(p) for p in LADDER_DOC)}
    t0 = scores[scores.family == "BIG-G T=0"]
    assert set(t0.non_embedding_params) == set(map(float, LADDER_DOC))
    overlap = read_csv(paths["overlap"])
    assert len(overlap) == 13 * 12 and overlap["agree"].all()  # README: all 156 shared values agree
    assert read_csv(paths["bad_files"]).empty
    manifest = read_csv(paths["manifest"])
    assert manifest["sha256"].tolist() == [
        "89cbd8bb8c891515060f0e3818cb262b3983e8e807f16c96bc7705d670366492",
        "714c6a1ab443f327566f67bec2c5a213deac687a32c3efb2177cfd37ee0d6a89",
    ]
    models = read_csv(paths["models"])
    assert len(models) == 55 and (models.size_kind != "name").all()  # every size is cited, none guessed
    bench = scores[scores.source_file == "bigbench.csv"]
    assert len(bench) == 55 * 24 - 150 - 156 and bench.shots.isna().all()
    assert set(bench.loc[bench.subtask.notna(), "task"]) == set(MAYBE_SUBTASK_TASKS)


@needs_excerpts
def test_a_malformed_real_file_is_named(tmp_path):
    broken = tmp_path / "excerpt"
    broken.mkdir()
    shutil.copy(EXCERPTS / "bigbench.csv", broken)
    text = (EXCERPTS / "audit_table.json").read_text()
    (broken / "audit_table.json").write_text(text[: len(text) // 2])
    with pytest.raises(ExcerptError, match=r"audit_table\.json: \$: invalid JSON"):
        run_on(broken, tmp_path / "out")


# --- integration: the snakemake CLI on the real extracts -----------------------------------------

SIZE_ORDER = {
    # the model names of bigbench.csv in increasing size, written out here (not from the pipeline's tables)
    "BIG-G T=0": ["2m", "16m", "53m", "125m", "244m", "422m", "1b", "2b", "4b", "8b", "27b", "128b"],
    "BIG-G T=1": ["2m", "16m", "53m", "125m", "244m", "422m", "1b", "2b", "4b", "8b", "27b", "128b"],
    "BIG-G sparse": ["2m", "16m", "53m", "125m", "244m", "422m", "1b", "2b", "4b", "8b"],
    "GPT": [
        "GPT-3 Small",
        "GPT-3 Medium",
        "GPT-3 Large",
        "GPT-3 XL",
        "GPT-3 3B",
        "GPT-3 6B",
        "GPT-3 13B",
        "GPT-3 200B",
    ],
    "Gopher": ["44M", "117M", "417M", "1.4B", "7.1B", "280B"],
}


def raw_curve(family: str, task: str) -> tuple[list[float], float]:
    """(values in increasing model size, chance level or 0) straight from the raw files."""
    audit = {t["task"]: t for t in json.loads((EXCERPTS / "audit_table.json").read_text())["mc_tasks"]}
    if family == "BIG-G T=0" and task in audit:
        entry = audit[task]
        pairs = sorted(zip(entry["params_by_scale"], entry["acc_by_scale"], strict=True))
        return [v for _, v in pairs if v is not None], entry["chance_p"]
    with open(EXCERPTS / "bigbench.csv", newline="") as fh:
        rows = {r["model"]: r for r in csv.DictReader(fh)}
    values = [rows[f"{family} {name}"][task] for name in SIZE_ORDER[family]]
    chance = audit[task]["chance_p"] if task in audit else 0.0
    return [float(v) for v in values if v != ""], chance


def reference_es(values: list[float]) -> float:
    """Mirage Sec. 4: sign(argmax - argmin) * (max - min) / sqrt(median of squared successive differences)."""
    top, bottom = max(values), min(values)
    if top == bottom:
        return 0.0
    sign = 1.0 if values.index(top) > values.index(bottom) else -1.0
    median = statistics.median([(b - a) ** 2 for a, b in zip(values, values[1:], strict=False)])
    return sign * math.inf if median == 0 else sign * (top - bottom) / math.sqrt(median)


# (family, task, expected emergent under the default rule: ES > n - 1 and range >= 0.05 x (high - low))
REAL_CURVES = [
    ("BIG-G T=0", "figure_of_speech_detection", True),  # audit, 3-shot
    ("BIG-G T=0", "vitaminc_fact_verification", False),  # audit: rises then falls back below chance
    ("BIG-G T=0", "hindu_knowledge", True),  # in both files: the audit's values
    ("GPT", "strategyqa", True),
    ("BIG-G T=1", "repeat_copy_logic", True),  # flat at 0, then one jump: ES = inf
    ("BIG-G sparse", "winowhy", False),
    ("Gopher", "hindu_knowledge", True),
    ("BIG-G T=1", "auto_debugging", False),
]


@pytest.fixture(scope="module")
def excerpt_run(tmp_path_factory):
    if not (EXCERPTS / "audit_table.json").is_file() or not (EXCERPTS / "bigbench.csv").is_file():
        pytest.skip(f"the real BIG-bench extracts are not at {EXCERPTS}")
    workdir = make_workdir(tmp_path_factory.mktemp("excerpt_run"))
    run_snakemake(
        workdir,
        "-c2",
        "--config",
        "source=excerpt",
        f"excerpt={{path: {EXCERPTS}}}",
        "--",
        "results/excerpt/emergence.csv",
        "results/excerpt/tables/excerpt_models.csv",
        "results/excerpt/tables/excerpt_overlap.csv",
    )
    return workdir / "results" / "excerpt"


@pytest.mark.integration
def test_excerpt_run_outputs_are_labelled(excerpt_run):
    for name in [
        "scores.parquet",
        "curves.parquet",
        "emergence.parquet",
        "manifest.csv",
        "logs/bad_files.csv",
        "logs/excerpt_source.log",
        "tables/excluded_curves.csv",
    ]:
        assert (excerpt_run / name).is_file(), name
    assert parquet_label(excerpt_run / "scores.parquet").startswith("real BIG-bench scores, third-party extract")
    for name in ["emergence.csv", "tables/excerpt_models.csv", "tables/excerpt_overlap.csv", "manifest.csv"]:
        assert (excerpt_run / name).read_text().startswith("# real BIG-bench scores, third-party extract"), name
    assert len(read_csv(excerpt_run / "manifest.csv")) == 2


@pytest.mark.integration
def test_real_emergence_scores_match_an_independent_computation(excerpt_run):
    table = pd.read_parquet(excerpt_run / "emergence.parquet")
    preferred = table[table.subtask.isna()].set_index(["family", "task"])
    for family, task, emergent in REAL_CURVES:
        values, chance = raw_curve(family, task)
        expected = reference_es(values)
        row = preferred.loc[(family, task)]
        assert row.n_points == len(values), (family, task)
        if math.isinf(expected):
            assert row.es == expected and row.es_infinite, (family, task)
        else:
            assert row.es == pytest.approx(expected, rel=1e-9), (family, task)
        rule = expected > len(values) - 1 and (max(values) - min(values)) >= 0.05 * (1 - chance)
        assert rule == emergent, (family, task, expected)
        assert bool(row.emergent) == emergent, (family, task, row.es)


@pytest.mark.integration
def test_missing_excerpt_folder_stops_naming_the_key(tmp_path):
    workdir = make_workdir(tmp_path)  # the default ../shared/data/real_excerpts does not exist from here
    proc = run_snakemake(workdir, "-n", "--config", "source=excerpt", check=False)
    assert proc.returncode != 0
    assert "config key 'excerpt.path'" in proc.stdout + proc.stderr


@needs_excerpts
@pytest.mark.integration
def test_missing_excerpt_file_stops_naming_it(tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(EXCERPTS / "audit_table.json", partial)
    proc = run_snakemake(
        make_workdir(tmp_path / "wd"), "-n", "--config", "source=excerpt", f"excerpt={{path: {partial}}}", check=False
    )
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "config key 'excerpt.path'" in output and "bigbench.csv" in output


@needs_excerpts
@pytest.mark.integration
def test_malformed_excerpt_file_stops_the_run_naming_it(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(EXCERPTS / "audit_table.json", broken)
    (broken / "bigbench.csv").write_text("model,winowhy\nGPT GPT-3 XL,lots\n")
    workdir = make_workdir(tmp_path / "wd")
    proc = run_snakemake(
        workdir,
        "-c1",
        "--config",
        "source=excerpt",
        f"excerpt={{path: {broken}}}",
        "--",
        "results/excerpt/scores.parquet",
        check=False,
    )
    assert proc.returncode != 0
    log = (workdir / "results" / "excerpt" / "logs" / "excerpt_source.log").read_text()
    assert "bigbench.csv: line 2 (GPT GPT-3 XL), column winowhy: not a number: 'lots'" in log
    assert not (workdir / "results" / "excerpt" / "scores.parquet").exists()
