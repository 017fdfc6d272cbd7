"""Mirage Sec. 5 on scikit-learn digits: the metrics, the curves format, scoring, and byte-identical reruns."""

import hashlib
import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

from scripts.lib.curve_schema import POINT_COLUMNS
from scripts.lib.io import read_csv
from scripts.lib.sources.vision_models import size_from_params
from scripts.lib.stats.emergence import score_curves
from scripts.lib.stats.noise import point_sigma
from scripts.vision import figure_vision, vision_scores, vision_train
from scripts.vision.vision_scores import (
    emergence_table,
    fraction_below,
    seed_metrics,
    subset_accuracy,
    vision_curves,
)
from scripts.vision.vision_train import autoencoder_params, classifier_params, per_image_mse
from tests.helpers.snakemake_cli import make_workdir, run_snakemake

LABEL = "test digits"


# --- metrics -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_correct", "n_total", "k", "expected"),
    [
        (4, 5, 2, 0.6),  # C(4,2)/C(5,2) = 6/10
        (7, 10, 1, 0.7),  # K = 1 is accuracy
        (2, 10, 3, 0.0),  # fewer correct images than K: no all-correct subset
        (10, 10, 5, 1.0),  # all correct
        (8, 10, 3, 56 / 120),  # C(8,3)/C(10,3) = 56/120
    ],
)
def test_subset_accuracy_hand_values(n_correct, n_total, k, expected):
    assert float(subset_accuracy(n_correct, n_total, k)) == pytest.approx(expected)


def test_subset_accuracy_is_the_fraction_of_all_k_subsets():
    # correct = [1,1,0,1,1,0,1]: c = 5 of n = 7; K = 3 -> C(5,3)/C(7,3) = 10/35 subsets all correct.
    correct = [1, 1, 0, 1, 1, 0, 1]
    subsets = list(itertools.combinations(correct, 3))
    share = sum(all(s) for s in subsets) / len(subsets)
    assert share == pytest.approx(10 / 35)
    assert float(subset_accuracy(sum(correct), len(correct), 3)) == pytest.approx(share)


@pytest.mark.parametrize(("n", "k", "p"), [(6, 3, 0.7), (5, 2, 0.35), (4, 4, 0.9)])
def test_subset_accuracy_equals_accuracy_power_k_in_expectation(n, k, p):
    # Each of n test images is correct independently with probability p. Enumerate all 2^n
    # outcomes: E[C(c,K)/C(n,K)] = p^K exactly (a fixed K-subset is all correct with probability
    # p^K; the subset accuracy averages that over subsets), e.g. 0.7^3 = 0.343. Expected accuracy is p.
    expected_subset = 0.0
    expected_accuracy = 0.0
    for outcome in itertools.product([0, 1], repeat=n):
        c = sum(outcome)
        weight = p**c * (1 - p) ** (n - c)
        expected_subset += weight * float(subset_accuracy(c, n, k))
        expected_accuracy += weight * c / n
    assert expected_accuracy == pytest.approx(p)
    assert expected_subset == pytest.approx(expected_accuracy**k)


def test_subset_accuracy_is_at_most_accuracy_power_k():
    c = np.arange(0, 101)
    assert np.all(subset_accuracy(c, 100, 5) <= (c / 100) ** 5 + 1e-15)


def test_subset_accuracy_rejects_bad_k():
    with pytest.raises(ValueError, match="K must be >= 1"):
        subset_accuracy(3, 10, 0)
    with pytest.raises(ValueError, match="larger than the number of test images"):
        subset_accuracy(3, 4, 5)


def test_fraction_below_threshold_matches_a_hand_count():
    # Below c = 0.02 (strictly): 0.01 and 0.019 -> 2 of 5 = 0.4; 0.02 itself is not below.
    assert fraction_below([0.01, 0.03, 0.019, 0.02, 0.5], 0.02) == pytest.approx(0.4)
    assert fraction_below([0.5, 0.6], 0.02) == 0.0


def test_per_image_mse():
    # Image 1: errors (0.5, 0, 0, 0) -> 0.25/4 = 0.0625; image 2: errors all 0.1 -> 0.01.
    images = np.array([[1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5]])
    recon = np.array([[0.5, 0.0, 0.0, 0.0], [0.6, 0.4, 0.6, 0.4]])
    assert per_image_mse(recon, images) == pytest.approx([0.0625, 0.01])


@pytest.mark.parametrize(("size", "clf", "ae"), [(1, 85, 193), (2, 160, 322), (32, 2410, 4192)])
def test_parameter_counts(size, clf, ae):
    # classifier 64*w + w + 10*w + 10 = 75w + 10; autoencoder 64k + k + 64k + 64 = 129k + 64
    assert classifier_params(size) == clf
    assert autoencoder_params(size) == ae
    assert size_from_params("classifier", clf) == size
    assert size_from_params("autoencoder", ae) == size


# --- curves and scores on hand-made outcomes ------------------------------------------------------------


def hand_outcomes() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One seed, 4 sizes. Classifier: 8 test images, 1/3/5/7 correct. Autoencoder: 4 images.

    Values are exact binary fractions, so the ES of a straight line is exactly n - 1 = 3."""
    clf_rows = []
    for size, n_correct in zip([1, 2, 3, 4], [1, 3, 5, 7], strict=True):
        for example in range(8):
            clf_rows.append(
                {
                    "size": size,
                    "n_params": classifier_params(size),
                    "seed": 0,
                    "example": example,
                    "label": example,
                    "predicted": example,
                    "correct": example < n_correct,
                }
            )
    mse = {1: [0.5] * 4, 2: [0.375] * 4, 3: [0.25] * 4, 4: [0.0625, 0.0625, 0.0625, 0.3125]}
    ae_rows = [
        {"size": size, "n_params": autoencoder_params(size), "seed": 0, "example": i, "label": i, "mse": value}
        for size, values in mse.items()
        for i, value in enumerate(values)
    ]
    return pd.DataFrame(clf_rows), pd.DataFrame(ae_rows)


def test_hand_ladder_metrics_curves_and_emergence():
    clf, ae = hand_outcomes()
    metrics = seed_metrics(clf, ae, subset_size=3, error_threshold=0.1)
    got = metrics.groupby("metric", sort=False)["value"].apply(list).to_dict()
    # accuracy 1/8, 3/8, 5/8, 7/8; subset (K=3) C(c,3)/C(8,3) = 0, 1, 10, 35 / 56;
    # mean MSE 0.5, 0.375, 0.25, (3 x 0.0625 + 0.3125)/4 = 0.125; below c = 0.1: 0, 0, 0, 3/4.
    assert got["accuracy"] == pytest.approx([0.125, 0.375, 0.625, 0.875])
    assert got["subset_accuracy"] == pytest.approx([0, 1 / 56, 10 / 56, 35 / 56])
    assert got["reconstruction_mse"] == pytest.approx([0.5, 0.375, 0.25, 0.125])
    assert got["reconstruction_below_c"] == pytest.approx([0, 0, 0, 0.75])

    curves = vision_curves(metrics)
    assert list(curves.columns) == POINT_COLUMNS  # the layout build_curves writes (test_emergence_scores)
    # 4 metrics x (mean + 1 seed) curves of 4 points
    assert curves["curve_id"].nunique() == 8 and len(curves) == 32
    mse = curves[curves.metric == "reconstruction_mse"]
    assert mse["oriented"].all() and not mse["higher_is_better"].any()
    assert (mse["y"] == -mse["value"]).all()
    assert (
        curves.loc[curves.metric != "reconstruction_mse", "y"]
        == curves.loc[curves.metric != "reconstruction_mse", "value"]
    ).all()
    assert curves.groupby("curve_id")["subtask"].first().isna().sum() == 4  # one mean curve per metric

    scored = score_curves(curves, zero_median_floor=0.01, emergence_threshold="auto", min_effect=0.05)
    mean = scored[scored.subtask.isna()].set_index("metric")
    # accuracy: range 0.75 / sqrt(median(0.25^2, 0.25^2, 0.25^2)) = 3 = n - 1 -> not emergent (ES > 3 needed)
    assert mean.loc["accuracy", "es"] == pytest.approx(3.0)
    assert not mean.loc["accuracy", "emergent"]
    # subset: steps 1, 9, 25 (/56): range 35/56 over median step 9/56 = 35/9 = 3.89 > 3 -> emergent
    assert mean.loc["subset_accuracy", "es"] == pytest.approx(35 / 9)
    assert mean.loc["subset_accuracy", "emergent"]
    # -MSE: -0.5 ... -0.125: 0.375 / 0.125 = 3 -> not emergent; effect not checked (MSE has no fixed range)
    assert mean.loc["reconstruction_mse", "es"] == pytest.approx(3.0)
    assert not mean.loc["reconstruction_mse", "effect_checked"]
    # below c: 0, 0, 0, 0.75 -> median squared step 0 -> +inf, floored 0.75 / (0.01 x 1) = 75
    assert math.isinf(mean.loc["reconstruction_below_c", "es"]) and mean.loc["reconstruction_below_c", "es_infinite"]
    assert mean.loc["reconstruction_below_c", "es_floored"] == pytest.approx(75.0)
    assert mean.loc["reconstruction_below_c", "emergent"]

    table = emergence_table(curves, scored, subset_size=3, error_threshold=0.1)
    assert list(table["metric"]) == list(vision_scores.METRICS)
    assert table.set_index("metric").loc["reconstruction_mse", "value_smallest"] == pytest.approx(0.5)
    assert table["n_seeds"].eq(1).all()
    # one seed: no spread over seeds, so the noise is unknown (the tests then pool residuals)
    assert curves["value_se"].isna().all() and curves["se_source"].isna().all()


def test_vision_noise_is_the_spread_over_seeds():
    # Two seeds at one size with accuracy 0.5 and 0.7 on 100 test images: SD = 0.1414; the mean
    # curve's value_se is the spread over seeds, SD / sqrt(2) = 0.1, and the verdicts' noise adds the
    # binomial SE of 0.6 on 100 images (Agresti-Coull: p~ = 62 / 104, sqrt(p~(1 - p~) / 104) = 0.0481).
    metrics = pd.DataFrame(
        {
            "model": "classifier",
            "size": [1, 1],
            "n_params": [85, 85],
            "seed": [0, 1],
            "metric": "accuracy",
            "value": [0.5, 0.7],
        }
    )
    curves = vision_curves(metrics, n_test=100)
    mean = curves[curves["subtask"].isna()].iloc[0]
    assert mean["value_se"] == pytest.approx(0.1, rel=1e-9)
    seed0 = curves[curves["subtask"] == "seed 0"].iloc[0]
    assert seed0["value_se"] == pytest.approx(math.sqrt(0.02), rel=1e-9)
    sigma = point_sigma(curves)["sigma"].to_numpy()
    pt, p0 = 62 / 104, 52 / 104
    assert sigma[curves["subtask"].isna().to_numpy()][0] == pytest.approx(math.sqrt(0.01 + pt * (1 - pt) / 104))
    assert sigma[(curves["subtask"] == "seed 0").to_numpy()][0] == pytest.approx(math.sqrt(0.02 + p0 * (1 - p0) / 104))
    assert set(curves["se_source"]) == {"seeds"} and curves["n_examples"].eq(100).all()


# --- rules' run() on a tiny ladder: outputs and byte-identical reruns ----------------------------------------


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


TINY = {
    "sizes": [1, 2, 4, 8],
    "seeds": [0, 1],
    "test_fraction": 0.5,
    "split_seed": 0,
    "max_iter": 5,
    "learning_rate": 0.01,
    "label": LABEL,
}


def run_tiny(out) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "classifier": out / "classifier.parquet",
        "autoencoder": out / "autoencoder.parquet",
        "curves": out / "curves.parquet",
        "emergence": out / "emergence.parquet",
        "table_csv": out / "vision_emergence.csv",
        "table_tex": out / "vision_emergence.tex",
        "summary": out / "vision_summary.json",
        "png": out / "vision_metric_choice.png",
        "pdf": out / "vision_metric_choice.pdf",
        "data": out / "vision_metric_choice.csv",
    }
    for model in vision_train.MODELS:
        vision_train.run(outcomes=str(paths[model]), model=model, **TINY)
    knobs = {"subset_size": 5, "error_threshold": 0.03, "label": LABEL}
    vision_scores.run(
        classifier=str(paths["classifier"]),
        autoencoder=str(paths["autoencoder"]),
        curves=str(paths["curves"]),
        emergence=str(paths["emergence"]),
        table_csv=str(paths["table_csv"]),
        table_tex=str(paths["table_tex"]),
        summary=str(paths["summary"]),
        zero_median_floor=0.01,
        emergence_threshold="auto",
        min_effect=0.05,
        **knobs,
    )
    figure_vision.run(
        curves=str(paths["curves"]),
        emergence=str(paths["emergence"]),
        figure=[str(paths["png"]), str(paths["pdf"])],
        data=str(paths["data"]),
        **knobs,
    )
    return paths


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("vision")
    return run_tiny(root / "first"), run_tiny(root / "second")


def test_tiny_run_outputs(tiny_runs):
    paths, _ = tiny_runs
    clf = pd.read_parquet(paths["classifier"])
    n_test = clf["example"].nunique()
    assert n_test == 899  # ceil(0.5 x 1,797)
    assert len(clf) == 4 * 2 * n_test and clf["correct"].dtype == bool
    assert sorted(clf["n_params"].unique()) == [85, 160, 310, 610]
    ae = pd.read_parquet(paths["autoencoder"])
    assert len(ae) == 4 * 2 * n_test and (ae["mse"] > 0).all()
    table = read_csv(paths["table_csv"])
    assert paths["table_csv"].read_text().startswith(f"# {LABEL}\n")
    assert list(table["metric"]) == list(vision_scores.METRICS)
    assert (table["n_seeds"] == 2).all() and (table["n_sizes"] == 4).all()
    assert "\\toprule" in paths["table_tex"].read_text()
    summary = json.loads(paths["summary"].read_text())["vision"]
    assert set(summary["curves"]) == {f"{f['model']}/{m}" for m, f in vision_scores.METRICS.items()}
    assert summary["n_test_images"] == n_test and summary["subset_size"] == 5
    plotted = read_csv(paths["data"])
    assert len(plotted) == 4 * 4 and (plotted["seed_min"] <= plotted["mean"] + 1e-12).all()
    assert paths["png"].stat().st_size > 0 and paths["pdf"].read_bytes().startswith(b"%PDF")


def test_rerun_gives_identical_bytes(tiny_runs):
    first, second = tiny_runs
    for key, path in first.items():
        assert digest(path) == digest(second[key]), f"{path.name} differs between two runs"


# --- the workflow -----------------------------------------------------------------------------------------


def test_schema_fills_vision_defaults_and_rejects_typos():
    import yaml
    from snakemake.utils import validate

    from tests.helpers.snakemake_cli import ROOT

    schema = str(ROOT / "workflow/schemas/config.schema.yaml")
    config = {"source": "sample", "vision": {"classifier": {"max_iter": 7}}}
    validate(config, schema, set_default=True)
    assert config["vision"]["classifier"] == {
        "max_iter": 7,
        "widths": [1, 2, 3, 4, 6, 8, 12, 16, 24, 32],
        "learning_rate": 0.001,
    }
    assert config["vision"]["subset_size"] == 5 and config["vision"]["autoencoder"]["max_iter"] == 500
    with open(ROOT / "config/config.yaml", encoding="utf-8") as fh:
        shipped = yaml.safe_load(fh)["vision"]
    defaults = {"source": "sample"}
    validate(defaults, schema, set_default=True)
    assert shipped == defaults["vision"]  # config.yaml and the schema agree
    with pytest.raises(Exception, match="seed"):
        validate({"source": "sample", "vision": {"seed": [1]}}, schema, set_default=True)


VISION_OUTPUTS = [
    "vision/classifier_outcomes.parquet",
    "vision/autoencoder_outcomes.parquet",
    "vision/curves.parquet",
    "vision/emergence.parquet",
    "tables/vision_emergence.csv",
    "tables/vision_emergence.tex",
    "vision_summary.json",
    "figures/vision_metric_choice.csv",
    "figures/vision_metric_choice.pdf",
    "figures/vision_metric_choice.png",
]


@pytest.mark.integration
def test_vision_rules_run_and_rerun_byte_identical(tmp_path):
    workdir = make_workdir(tmp_path)
    run = workdir / "results" / "sample"
    # The default ladders with 3 of the 10 default seeds, to keep the test fast (two full trainings).
    (workdir / "three_seeds.yaml").write_text("vision:\n  seeds: [0, 1, 2]\n")
    args = ["-c2", "--configfile", str(workdir / "three_seeds.yaml"), "--config", "source=sample"]
    targets = [f"results/sample/{name}" for name in VISION_OUTPUTS if not name.startswith("vision/")]
    run_snakemake(workdir, *args, "--", *targets)
    missing = [name for name in VISION_OUTPUTS if not (run / name).is_file()]
    assert not missing
    table = read_csv(run / "tables/vision_emergence.csv").set_index("metric")
    # The sharp metric of each model scores higher than its smooth metric (same models, same images).
    assert table.loc["subset_accuracy", "es"] > table.loc["accuracy", "es"]
    assert table.loc["reconstruction_below_c", "es"] > table.loc["reconstruction_mse", "es"]
    assert (table["n_sizes"] >= 8).all() and (table["n_seeds"] == 3).all()
    before = {name: digest(run / name) for name in VISION_OUTPUTS}
    run_snakemake(workdir, *args, "--forcerun", "vision_train_classifier", "vision_train_autoencoder", "--", *targets)
    after = {name: digest(run / name) for name in VISION_OUTPUTS}
    assert after == before
    dry = run_snakemake(workdir, "-n", *args, "--", *targets)
    assert "Nothing to be done" in dry.stdout + dry.stderr
