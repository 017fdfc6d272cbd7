"""Rule lm_eval_source: a folder of harness results files -> scores.parquet, manifest, bad files (docs/lm-eval.md).

run() on tiny folders written into tmp_path (values in the test, hand arithmetic in comments), every
bad input of the issue (an error naming file and key, or a logs/bad_files.csv row with skip), the
training-step mode, and the real Pythia/OPT/BLOOM folder (skipped when ../shared is absent).
"""

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from scripts.figures.figure_lm_eval_pairs import pair_es, size_value
from scripts.lib.config import ConfigError
from scripts.lib.io import parquet_label, read_csv
from scripts.lib.scores_schema import BAD_FILE_COLUMNS, COLUMNS, NOISE_COLUMNS
from scripts.lib.sources.lm_eval_results import LmEvalFileError
from scripts.lib.sources.table import check_config, data_label, lm_eval_root, run_name
from scripts.parse.lm_eval_source import OUTPUT_COLUMNS, check_directions, load_models, mark_preferred, run

ROOT = Path(__file__).resolve().parents[2]
PYTHIA = ROOT.parent / "shared" / "data" / "lm_eval" / "pythia"
METRICS = ROOT / "config" / "metrics.yaml"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
needs_shared = pytest.mark.skipif(
    not (PYTHIA / "evals").is_dir(), reason=f"the real harness results are not at {PYTHIA} (see its README.md)"
)

MODELS_CSV = (
    "# test table\n"
    "model,family,size,params,non_embedding_params,tokens,steps\n"
    "org/tiny,Tiny,1M,2000000,1000000,1000,100\n"
    "org/small,Tiny,10M,20000000,10000000,1000,100\n"
    "org/other,Other,7B,7000000000,,5000,\n"
)


def results_03(model: str, revision: str | None, acc: float, ppl: float, shots: int = 0) -> dict:
    args = f"pretrained={model}" + (f",revision={revision}" if revision else "")
    return {
        "results": {"lambada_openai": {"acc": acc, "acc_stderr": 0.01, "ppl": ppl, "ppl_stderr": 0.5}},
        "config": {"model_args": args, "num_fewshot": shots},
    }


def results_04(model: str, acc: float) -> dict:
    return {
        "results": {"arc_easy": {"alias": "arc_easy", "acc,none": acc, "acc_stderr,none": "N/A", "acc_norm,none": 0.5}},
        "n-shot": {"arc_easy": 0},
        "n-samples": {"arc_easy": {"original": 2376, "effective": 100}},
        "higher_is_better": {"arc_easy": {"acc": True, "acc_norm": True}},
        "config": {"model_args": f"pretrained={model}"},
    }


def write(folder: Path, rel: str, doc) -> None:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))


def make_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "evals"
    write(folder, "tiny/a_step10.json", results_03("org/tiny", "step10", 0.1, 100.0))
    write(folder, "tiny/a_step100.json", results_03("org/tiny", "step100", 0.3, 20.0))
    write(folder, "small/b_step10.json", results_03("org/small", "step10", 0.2, 50.0))
    write(folder, "small/b_step100.json", results_03("org/small", "step100", 0.6, 8.0))
    write(folder, "other/c.json", results_04("org/other", 0.7))
    (tmp_path / "models.csv").write_text(MODELS_CSV)
    return folder


def outputs(tmp_path: Path) -> dict[str, str]:
    out = tmp_path / "out"
    return {
        "scores": str(out / "scores.parquet"),
        "checkpoints": str(out / "checkpoints.parquet"),
        "manifest": str(out / "manifest.csv"),
        "bad_files": str(out / "logs" / "bad_files.csv"),
        "models_table": str(out / "tables" / "lm_eval_models.csv"),
    }


def call(tmp_path: Path, folder: Path, *, scale: str = "non_embedding_params", on_bad_file: str = "error") -> dict:
    paths = outputs(tmp_path)
    run(
        models=str(tmp_path / "models.csv"),
        metrics=str(METRICS),
        root=str(folder),
        scale=scale,
        on_bad_file=on_bad_file,
        label="test label",
        **paths,
    )
    return paths


def test_final_checkpoints_by_size(tmp_path):
    paths = call(tmp_path, make_folder(tmp_path))
    scores = pd.read_parquet(paths["scores"])
    assert list(scores.columns) == OUTPUT_COLUMNS
    assert OUTPUT_COLUMNS[: len(COLUMNS) + len(NOISE_COLUMNS)] == [*COLUMNS, *NOISE_COLUMNS]
    assert str(scores["n_examples"].dtype) == "Int64" and scores["value_se"].dtype == float
    lam = scores[scores["task"] == "lambada_openai"].set_index(["model_name", "metric"])
    # Each Tiny model keeps only its step100 row (the largest step): acc 0.3 and 0.6.
    assert lam.loc[("org/tiny", "acc"), "value"] == 0.3
    assert lam.loc[("org/small", "acc"), "value"] == 0.6
    assert lam.loc[("org/small", "acc"), "non_embedding_params"] == 1e7
    assert lam.loc[("org/small", "acc"), "total_params"] == 2e7
    assert lam.loc[("org/small", "ppl"), "value_se"] == 0.5
    assert set(lam["se_source"]) == {"reported"}
    assert lam.loc[("org/small", "acc"), "is_preferred"] and not lam.loc[("org/small", "ppl"), "is_preferred"]
    arc = scores[scores["task"] == "arc_easy"].set_index("metric")
    # 0.4: stderr "N/A" and n-samples.effective = 100 -> binomial se sqrt(0.7 * 0.3 / 100) = 0.0458258.
    assert arc.loc["acc", "value_se"] == pytest.approx(math.sqrt(0.7 * 0.3 / 100))
    assert arc.loc["acc", "se_source"] == "binomial"
    assert arc.loc["acc", "n_examples"] == 100
    assert bool(arc.loc["acc", "file_higher_is_better"])
    assert parquet_label(paths["scores"]) == "test label"
    manifest = read_csv(paths["manifest"])
    assert manifest["path"].tolist() == sorted(manifest["path"]) and len(manifest) == 5
    assert read_csv(paths["bad_files"]).empty
    ckpt = pd.read_parquet(paths["checkpoints"])
    assert len(ckpt) == 4 * 2 + 2  # 4 checkpoint files x (acc, ppl) + arc_easy (acc, acc_norm)


def test_training_step_mode_one_family_per_size(tmp_path):
    paths = call(tmp_path, make_folder(tmp_path), scale="training_step")
    scores = pd.read_parquet(paths["scores"])
    assert sorted(scores["family"].unique()) == ["Tiny 10M", "Tiny 1M"]  # org/other has no step checkpoints
    tiny = scores[(scores["family"] == "Tiny 1M") & (scores["metric"] == "acc")].sort_values("training_step")
    assert tiny["training_step"].tolist() == [10.0, 100.0]
    # tokens at a checkpoint = 1000 tokens x step / 100 steps: 100 at step10, 1000 at step100.
    assert tiny["tokens"].tolist() == [100.0, 1000.0]


def test_mark_preferred_order_and_plain_filter():
    rows = pd.DataFrame(
        {
            "task": ["t", "t", "u", "u", "v"],
            "metric": ["ppl", "acc", "exact_match,strict-match", "exact_match", "likelihood_difference"],
        }
    )
    # t: acc before ppl; u: the plain exact_match over the filtered one; v: no metric of the list.
    assert mark_preferred(rows).tolist() == [False, True, False, True, False]


@pytest.mark.parametrize(
    ("rel", "content", "json_path", "reason"),
    [
        ("z/not_results.json", {"mc_tasks": []}, "$", "not an lm-evaluation-harness results file"),
        ("z/broken.json", "{not json", "$", "invalid JSON"),
        ("z/unknown_model.json", results_03("org/nobody", None, 0.5, 3.0), "$.config.model_args", "is not in"),
        (
            "z/string_value.json",
            {"results": {"piqa": {"acc": "0.6"}}, "config": {"model_args": "pretrained=org/other"}},
            "$.results.piqa.acc",
            "expected a number or null",
        ),
        ("z/dup.json", results_03("org/tiny", "step100", 0.9, 2.0), '$.results["lambada_openai"]', "second file"),
    ],
)
def test_bad_input_error_or_skip(tmp_path, rel, content, json_path, reason):
    folder = make_folder(tmp_path)
    write(folder, rel, content)
    with pytest.raises(LmEvalFileError) as info:
        call(tmp_path, folder)
    assert info.value.path.endswith(rel) and info.value.json_path == json_path and reason in info.value.reason
    assert not Path(outputs(tmp_path)["scores"]).exists()  # nothing half-written
    paths = call(tmp_path, folder, on_bad_file="skip")
    bad = read_csv(paths["bad_files"])
    assert list(bad.columns) == BAD_FILE_COLUMNS
    assert bad["path"].tolist() == [rel] and bad["json_path"].tolist() == [json_path]
    scores = pd.read_parquet(paths["scores"])
    assert rel not in set(scores["source_file"])
    assert len(read_csv(paths["manifest"])) == 6  # the bad file is still listed as an input


def test_duplicate_names_the_first_file(tmp_path):
    folder = make_folder(tmp_path)
    # "tiny/a_step100.json" sorts before "tiny/z_copy.json", so the copy is the second file.
    write(folder, "tiny/z_copy.json", results_03("org/tiny", "step100", 0.9, 2.0))
    paths = call(tmp_path, folder, on_bad_file="skip")
    reason = read_csv(paths["bad_files"])["reason"].iloc[0]
    assert "revision step100, task lambada_openai, shots 0" in reason and "first: tiny/a_step100.json" in reason
    # Another shot count of the same checkpoint is not a duplicate.
    write(folder, "tiny/z_copy.json", results_03("org/tiny", "step100", 0.9, 2.0, shots=5))
    assert read_csv(call(tmp_path, folder)["bad_files"]).empty


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("model,size,params\na,1M,1\n", "missing column(s) ['family']"),
        ("model,family,params\na,F,\n", "data row 1: model, family, params must not be empty"),
        ("model,family,size,params,tokens\na,F,1M,1,5\na,F,1M,1,5\n", "listed twice"),
        ("model,family,size,params,tokens\na,F,1M,-3,5\n", "column params: expected a positive number"),
        ("model,family,params,tokens\na,F,1,zero\n", "column tokens: expected a positive number, got 'zero'"),
        (
            "model,family,params,non_embedding_params\na,F,10,5\nb,F,20,\n",
            "model 'b': column non_embedding_params is empty while other models of family 'F' have it",
        ),
    ],
)
def test_model_table_errors(tmp_path, csv, message):
    path = tmp_path / "m.csv"
    path.write_text(csv)
    with pytest.raises(ValueError, match="m.csv") as info:
        load_models(str(path))
    assert message in str(info.value)


def test_three_column_table_derives_size_and_stands_in_params(tmp_path):
    path = tmp_path / "m.csv"
    # Hand-written rows: only model, family, params (the README's minimal table), then one with a size label.
    path.write_text("model,family,params\norg/a,A,405334016\norg/b,A,1011781632\norg/c,B,11846072320\norg/d,B,999\n")
    table = load_models(str(path)).set_index("model")
    # Two significant digits: 405,334,016 -> 410M; 1,011,781,632 -> 1.0e9 -> 1B; 11,846,072,320 -> 12B; 999 -> 1K.
    assert table["size"].tolist() == ["410M", "1B", "12B", "1K"]
    assert table.loc["org/a", "non_embedding_params"] == 405334016  # total params stand in, and say so
    assert table["non_embedding_source"].str.startswith("stand-in: total params").all()
    assert table[["tokens", "steps"]].isna().all().all()
    path.write_text("model,family,size,params,non_embedding_params,non_embedding_source\norg/a,A,,7,5,published\n")
    row = load_models(str(path)).iloc[0]
    assert (row["size"], row["non_embedding_params"], row["non_embedding_source"]) == ("7", 5.0, "published")


def test_three_column_table_runs_by_size_and_over_training_steps(tmp_path):
    folder = make_folder(tmp_path)
    (tmp_path / "models.csv").write_text("model,family,params\norg/tiny,Tiny,2000000\norg/small,Tiny,20000000\n")
    (folder / "other" / "c.json").unlink()  # org/other is not in this table
    scores = pd.read_parquet(call(tmp_path, folder)["scores"])
    acc = scores[scores["metric"] == "acc"].set_index("model_name")
    assert acc["non_embedding_params"].to_dict() == {"org/small": 2e7, "org/tiny": 2e6}
    assert acc["tokens"].isna().all()
    steps = pd.read_parquet(call(tmp_path, folder, scale="training_step")["scores"])
    assert sorted(steps["family"].unique()) == ["Tiny 20M", "Tiny 2M"]  # the derived size labels


def test_tokens_scale_names_the_missing_column_and_the_file(tmp_path):
    folder = make_folder(tmp_path)
    models = tmp_path / "models.csv"
    models.write_text(
        "model,family,params,tokens\norg/tiny,Tiny,2000000,1000\norg/small,Tiny,20000000,1000\norg/other,O,7\n"
    )
    with pytest.raises(ValueError) as info:
        call(tmp_path, folder, scale="tokens")
    # org/other has no step checkpoints, so only the two Tiny models need steps.
    assert str(info.value).startswith(f"{models}: scale=tokens needs column 'steps'")
    assert "2 model(s) with step checkpoints, e.g. 'org/tiny'" in str(info.value)
    models.write_text(
        "model,family,params,steps\norg/tiny,Tiny,2000000,100\norg/small,Tiny,20000000,100\norg/other,O,7,\n"
    )
    with pytest.raises(ValueError, match="scale=tokens needs column 'tokens'"):
        call(tmp_path, folder, scale="tokens")


def test_config_run_name_label_and_scale_checks(tmp_path, monkeypatch):
    config = {"source": "lm_eval", "lm_eval": {"path": "../shared/data/lm_eval/pythia"}}
    assert run_name(config) == "lm-eval-pythia"
    assert data_label(config).startswith("real scores, lm-evaluation-harness results")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="lm_eval.path"):
        check_config({"source": "lm_eval", "lm_eval": {"path": "nowhere"}}, SCHEMA)
    with pytest.raises(ConfigError, match="needs source=lm_eval"):
        check_config({"source": "sample", "scale": "training_step"}, SCHEMA)


def test_the_default_path_is_the_download_cache_of_the_pinned_folder():
    sha = "a19eecb807ec2c79a39ebf18108816e6ffffc1d5"
    config = {
        "source": "lm_eval",
        "lm_eval": {"path": "results/.cache/lm_eval", "github": {"repo": "EleutherAI/pythia", "commit": sha}},
    }
    assert lm_eval_root(config) == (f"results/.cache/lm_eval/EleutherAI__pythia/{sha}", True)
    assert run_name(config) == "lm-eval-pythia"
    assert data_label(config) == f"real scores, lm-evaluation-harness results: EleutherAI/pythia at commit {sha}"
    check_config(config, SCHEMA)  # no folder needed yet: rule fetch_lm_eval makes it


def test_built_in_model_table_is_consistent():
    table = load_models(str(ROOT / "config" / "lm_eval_models.csv"))
    pythia = table[table["family"].str.startswith("Pythia")]
    # Pythia README: non-embedding params = n_layers (12 d^2 + 13 d) + 2 d (blocks + final layer norm);
    # e.g. 70M: 6 (12 * 512^2 + 13 * 512) + 2 * 512 = 18,915,328.
    expected = pythia["n_layers"] * (12 * pythia["d_model"] ** 2 + 13 * pythia["d_model"]) + 2 * pythia["d_model"]
    assert (pythia["non_embedding_params"] == expected).all()
    assert table.loc[table["model"] == "EleutherAI/pythia-v1.1-70m", "non_embedding_params"].item() == 18915328
    assert (pythia["tokens"] == 143000 * 2097152).all()  # 143,000 steps x 1024 sequences x 2048 tokens
    assert table["source"].notna().all()


@needs_shared
def test_real_folder_final_checkpoints(tmp_path):
    paths = outputs(tmp_path)
    run(
        models=str(ROOT / "config" / "lm_eval_models.csv"),
        metrics=str(METRICS),
        root=str(PYTHIA),
        scale="non_embedding_params",
        on_bad_file="error",
        label="real",
        **paths,
    )
    scores = pd.read_parquet(paths["scores"])
    assert sorted(scores["family"].unique()) == ["BLOOM", "OPT", "Pythia", "Pythia (deduped)"]
    key = ["model_name", "task", "shots", "metric"]
    assert not scores.duplicated(key).any()  # one checkpoint per model
    row = scores.set_index(key).loc[("EleutherAI/pythia-v1.1-410m", "lambada_openai", 0, "acc")]
    # evals/pythia-v1/pythia-410m/zero-shot/410m_step143000.json: results.lambada_openai.acc = 0.5162041529206287,
    # acc_stderr = 0.006962318518940979 (step143000 is the final checkpoint).
    assert row["value"] == 0.5162041529206287 and row["value_se"] == 0.006962318518940979
    assert row["revision"] == "step143000" and row["non_embedding_params"] == 302311424
    opt = scores.set_index(key).loc[("facebook/opt-125m", "lambada_openai", 0, "ppl")]
    assert opt["value"] == 26.02103896885129  # evals/opt/opt-125m.json: results.lambada_openai.ppl
    assert len(read_csv(paths["manifest"])) == 643 and read_csv(paths["bad_files"]).empty
    ckpt = pd.read_parquet(paths["checkpoints"])
    steps = ckpt.loc[(ckpt["model_name"] == "EleutherAI/pythia-v1.1-410m") & (ckpt["shots"] == 0), "revision"]
    assert steps.nunique() == 27  # the 27 zero-shot files of pythia-410m


def test_pair_es_orients_perplexity_and_uses_the_auto_threshold():
    base = {
        "view": "size",
        "curve": "F",
        "family": "F",
        "size": "1M",
        "model_name": "m",
        "shots": 0,
        "n_subjects": None,
    }
    points = pd.DataFrame(
        [{**base, "quantity": "lambada_acc", "x": i + 1, "value": v} for i, v in enumerate([0.1, 0.2, 0.3, 0.4])]
        + [{**base, "quantity": "lambada_ppl", "x": i + 1, "value": v} for i, v in enumerate([100, 10, 9, 8])]
    )
    es = pair_es(points).set_index("quantity")
    # acc, a straight line: range 0.3 / step 0.1 = 3 = n_points - 1, not sharper than linear.
    assert es.loc["lambada_acc", "es"] == pytest.approx(3.0)
    assert not es.loc["lambada_acc", "sharper_than_linear"]
    # ppl negated: -100, -10, -9, -8; steps 90, 1, 1 -> median squared step 1; ES = (100 - 8) / 1 = 92.
    assert es.loc["lambada_ppl", "es"] == pytest.approx(92.0)
    assert es.loc["lambada_ppl", "sharper_than_linear"] and es.loc["lambada_ppl", "threshold"] == 3.0
    assert [size_value(s) for s in ("70M", "1.4B", "12B")] == [7e7, 1.4e9, 1.2e10]


def test_symlink_and_directory_named_json_are_bad_files(tmp_path):
    folder = make_folder(tmp_path)
    (folder / "z").mkdir()
    (folder / "z" / "link.json").symlink_to(folder / "tiny" / "a_step10.json")
    (folder / "z" / "dir.json").mkdir()
    paths = call(tmp_path, folder, on_bad_file="skip")
    bad = read_csv(paths["bad_files"])
    assert bad["path"].tolist() == ["z/dir.json", "z/link.json"]
    assert set(bad["reason"]) == {"not a regular file"}
    manifest = read_csv(paths["manifest"]).set_index("path")
    assert manifest.loc["z/link.json", "sha256"] == "-"  # listed, not hashed (manifest.NOT_REGULAR_SHA256)


def test_direction_given_by_a_file_is_checked_against_metrics_yaml(caplog):
    scores = pd.DataFrame(
        {
            "metric": ["acc", "acc", "brand_new", "ppl"],
            "file_higher_is_better": pd.array([True, True, False, True], dtype="boolean"),
        }
    )
    facts = {"acc": {"higher_is_better": True}, "ppl": {"higher_is_better": False}}
    # acc agrees; brand_new is unknown to metrics.yaml; ppl disagrees (the file says higher is better): 2 warnings.
    assert check_directions(scores, facts) == 2
    assert "metric brand_new" in caplog.text and "metric ppl" in caplog.text
