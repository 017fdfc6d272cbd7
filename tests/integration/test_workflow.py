"""The real snakemake CLI on the synthetic sample, in a temporary working directory."""

import math

import numpy as np
import pandas as pd
import pytest

from scripts.lib.io import parquet_label, read_csv
from tests.helpers.snakemake_cli import make_workdir, run_snakemake

pytestmark = pytest.mark.integration

CONTRACT = [
    "scores.parquet",
    "curves.parquet",
    "emergence.parquet",
    "emergence.csv",
    "manifest.csv",
    "tables/excluded_curves.csv",
    "tables/unknown_metrics.csv",
    "logs/bad_files.csv",
    "logs/parse_scores.log",
    "benchmarks/parse_scores.tsv",
]


def reference_es(scores: pd.DataFrame, *, family, task, subtask, shots, metric, negate=False) -> tuple[float, int]:
    """ES of one curve straight from the tidy scores, one curve at a time (independent of the
    vectorised code): drop NaN, average duplicate sizes, sort by size, optionally negate."""
    rows = scores[
        (scores.family == family) & (scores.task == task) & (scores.shots == shots) & (scores.metric == metric)
    ]
    rows = rows[rows.subtask.isna()] if subtask is None else rows[rows.subtask == subtask]
    rows = rows[np.isfinite(rows.value)]
    curve = rows.groupby("non_embedding_params")["value"].mean().sort_index()
    y = -curve.to_numpy() if negate else curve.to_numpy()
    spread = y.max() - y.min()
    if spread == 0:
        return 0.0, len(y)
    median = float(np.median(np.diff(y) ** 2))
    sign = np.sign(int(np.argmax(y)) - int(np.argmin(y)))
    return (sign * math.inf if median == 0 else sign * spread / math.sqrt(median)), len(y)


def test_sample_run_writes_the_contract_outputs(sample_run):
    run = sample_run / "results" / "sample"
    missing = [name for name in CONTRACT if not (run / name).is_file()]
    assert not missing
    assert read_csv(run / "logs/bad_files.csv").empty
    assert parquet_label(run / "scores.parquet").startswith("SYNTHETIC DATA")
    assert (run / "emergence.csv").read_text().startswith("# SYNTHETIC DATA")


def test_emergence_csv_matches_an_independent_computation(sample_run):
    run = sample_run / "results" / "sample"
    scores = pd.read_parquet(run / "scores.parquet")
    table = read_csv(run / "emergence.csv")
    mcg = table[(table.metric == "multiple_choice_grade") & table.subtask.isna() & (table.family == "BIG-G T=0")]
    brier = table[table.metric == "calibration_multiple_choice_brier_score"]
    dup = table[table.n_duplicates > 0]
    nan = table[table.n_nan_dropped > 0]
    picks = [
        mcg.iloc[0],
        mcg.iloc[-1],
        brier.iloc[0],
        dup.iloc[0],
        nan.iloc[0],
        table[table.emergent].iloc[0],
        table[~table.emergent].iloc[0],
    ]
    for row in picks:
        subtask = None if pd.isna(row.subtask) else row.subtask
        expected, n = reference_es(
            scores,
            family=row.family,
            task=row.task,
            subtask=subtask,
            shots=row.shots,
            metric=row.metric,
            negate=row.oriented,
        )
        assert n == row.n_points
        assert row.es == pytest.approx(expected, rel=1e-5), (row.family, row.task, row.metric)


def test_sharp_metrics_show_more_emergence_than_smooth_ones(sample_run):
    table = read_csv(sample_run / "results" / "sample" / "emergence.csv")
    share = table.groupby("metric")["emergent"].mean()
    print("emergent share per metric on the sample:\n", share.round(3).to_string())
    sharp = table[table.metric.isin(["multiple_choice_grade", "exact_str_match"])]["emergent"].mean()
    smooth = table[table.metric.isin(["calibration_multiple_choice_brier_score", "log_likelihood"])]["emergent"].mean()
    assert sharp > 2 * smooth


def test_second_run_has_nothing_to_do(sample_run):
    proc = run_snakemake(sample_run, "-n", "-c2", "--config", "source=sample")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_lint_is_clean(tmp_path):
    proc = run_snakemake(make_workdir(tmp_path), "--lint", "--config", "source=sample", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["source=nowhere"], "config key 'source': 'nowhere' is not one of"),
        (["source=sample", "min_points=-2"], "config key 'min_points': -2 is less than the minimum of 3"),
        (["source=sample", "emergence_threshhold=2"], "unknown config key(s) ['emergence_threshhold']"),
    ],
)
def test_bad_config_fails_before_any_rule_runs(tmp_path, args, message):
    workdir = make_workdir(tmp_path)
    proc = run_snakemake(workdir, "-c1", "--config", *args, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert not (workdir / "results").exists()


def test_malformed_file_stops_the_run_naming_it(tmp_path):
    workdir = make_workdir(tmp_path)
    clone = tmp_path / "clone"
    target = clone / "bigbench/benchmark_tasks/t/results/scores_x.json"
    target.parent.mkdir(parents=True)
    target.write_text('{"model": {"model_family": "F", "model_name": "m"}, "scores": "oops"}')
    # Only the parse and what it needs: in a whole run the simulations that need no data would run first.
    target = "results/local-clone/scores.parquet"
    proc = run_snakemake(workdir, "-c1", target, "--config", "source=local", f"local={{path: {clone}}}", check=False)
    assert proc.returncode != 0
    log = (workdir / "results" / "local-clone" / "logs" / "parse_scores.log").read_text()
    assert "bigbench/benchmark_tasks/t/results/scores_x.json: $.scores: expected a list, got str" in log
    assert not (workdir / "results" / "local-clone" / "scores.parquet").exists()
