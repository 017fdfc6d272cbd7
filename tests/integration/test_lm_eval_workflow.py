"""source=lm_eval end to end through the snakemake CLI on a small copy of the real harness results (docs/lm-eval.md).

The copy (made in tmp_path from ../shared/data/lm_eval/pythia; skipped when that is absent) holds
four Pythia sizes (final checkpoint and three earlier steps, zero-shot) and four OPT sizes, enough
for curves of min_points = 4. Checks the scores contract, that the downstream rules run on it, the
metric-pair figure and its ES table, and the training-step mode. One more run needs no shared
files: a researcher's own folder of harness files (written here) with the minimal three-column
model table (model, family, params).
"""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from scripts.lib.io import parquet_label, read_csv
from tests.helpers.snakemake_cli import ROOT, make_workdir, run_snakemake

pytestmark = pytest.mark.integration

EVALS = ROOT.parent / "shared" / "data" / "lm_eval" / "pythia" / "evals"
PYTHIA_SIZES = ("70m", "160m", "410m", "1.4b")
STEPS = ("step1000", "step13000", "step73000", "step143000")
OPT_SIZES = ("125m", "350m", "1.3b", "2.7b")

needs_shared = pytest.mark.skipif(not EVALS.is_dir(), reason=f"the real harness results are not at {EVALS}")


def small_copy(folder: Path) -> Path:
    """Copy 16 Pythia and 4 OPT results files, keeping the upstream paths."""
    for size in PYTHIA_SIZES:
        for step in STEPS:
            rel = Path("pythia-v1") / f"pythia-{size}" / "zero-shot" / f"{size}_{step}.json"
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(EVALS / rel, folder / rel)
    for size in OPT_SIZES:
        rel = Path("opt") / f"opt-{size}.json"
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EVALS / rel, folder / rel)
    return folder


@needs_shared
def test_lm_eval_source_runs_downstream_unchanged(tmp_path):
    work = make_workdir(tmp_path / "work")
    small_copy(work / "small")
    run = "results/lm-eval-small"
    targets = [f"{run}/emergence.csv", f"{run}/tables/tally_all_metrics.csv", f"{run}/figures/lm_eval_pairs.png"]
    run_snakemake(work, *targets, "--cores", "2", "--config", "source=lm_eval", "lm_eval={path: small}")
    scores = pd.read_parquet(work / run / "scores.parquet")
    assert parquet_label(work / run / "scores.parquet").startswith("real scores, lm-evaluation-harness results")
    assert sorted(scores["family"].unique()) == ["OPT", "Pythia"]
    # Final checkpoints only: the four Pythia models at step143000 and the OPT models without a revision.
    assert set(scores.loc[scores["family"] == "Pythia", "revision"]) == {"step143000"}
    assert scores.groupby("family")["model_name"].nunique().to_dict() == {"OPT": 4, "Pythia": 4}
    assert set(scores["se_source"].dropna()) == {"reported"}
    emergence = read_csv(work / run / "emergence.csv")
    lam = emergence[(emergence["task"] == "lambada_openai")].set_index(["family", "metric"])
    assert set(lam.index) == {("OPT", "acc"), ("OPT", "ppl"), ("Pythia", "acc"), ("Pythia", "ppl")}
    assert (lam["n_points"] == 4).all()
    assert len(read_csv(work / run / "manifest.csv")) == 20
    es = read_csv(work / run / "tables" / "lm_eval_pairs_es.csv")
    training = es[(es["view"] == "training") & (es["quantity"] == "lambada_acc")]
    assert sorted(training["curve"]) == ["Pythia 1.4B", "Pythia 160M", "Pythia 410M", "Pythia 70M"]
    assert (work / run / "figures" / "lm_eval_pairs.pdf").stat().st_size > 0


@needs_shared
def test_training_step_scale_makes_one_curve_per_size(tmp_path):
    work = make_workdir(tmp_path / "work")
    small_copy(work / "small")
    run = "results/steps"
    run_snakemake(
        work,
        f"{run}/emergence.csv",
        "--cores",
        "2",
        "--config",
        "source=lm_eval",
        "lm_eval={path: small}",
        "scale=training_step",
        "run_name=steps",
    )
    curves = pd.read_parquet(work / run / "curves.parquet")
    assert sorted(curves["family"].unique()) == ["Pythia 1.4B", "Pythia 160M", "Pythia 410M", "Pythia 70M"]
    lam = curves[
        (curves["task"] == "lambada_openai") & (curves["metric"] == "acc") & (curves["family"] == "Pythia 70M")
    ]
    assert lam["x"].tolist() == [1000.0, 13000.0, 73000.0, 143000.0]  # the copied steps, in order


def test_own_results_with_a_three_column_model_table(tmp_path):
    work = make_workdir(tmp_path / "work")
    (work / "models.csv").write_text(
        "model,family,params\n" + "".join(f"me/m{i},Mine,{10 ** (i + 6)}\n" for i in range(4))
    )
    for i, (acc, ppl) in enumerate([(0.10, 90.0), (0.12, 60.0), (0.15, 30.0), (0.60, 9.0)]):
        doc = {
            "results": {"lambada_openai": {"acc": acc, "acc_stderr": 0.01, "ppl": ppl, "ppl_stderr": 0.5}},
            "config": {"model_args": f"pretrained=me/m{i}", "num_fewshot": 0},
        }
        (work / "harness" / f"m{i}").mkdir(parents=True)
        (work / "harness" / f"m{i}" / "results.json").write_text(json.dumps(doc))
    run = "results/lm-eval-harness"
    config = ("--config", "source=lm_eval", "lm_eval={path: harness, models: models.csv}")
    run_snakemake(work, f"{run}/emergence.csv", "-c1", *config)
    models = read_csv(work / run / "tables" / "lm_eval_models.csv")
    assert models["size"].tolist() == ["1M", "10M", "100M", "1B"]  # derived from params
    emergence = read_csv(work / run / "emergence.csv").set_index("metric")
    assert emergence.loc["acc", "n_points"] == 4 and emergence.loc["ppl", "n_points"] == 4
    # acc 0.10, 0.12, 0.15, 0.60: range 0.5 over the median squared step of (0.02, 0.03, 0.45) -> 0.03: ES 16.7.
    assert emergence.loc["acc", "es"] == pytest.approx(0.5 / 0.03, abs=1e-4)  # the CSV keeps 4 decimals
