"""Per-curve verdicts (scripts/verdicts/curve_verdicts.py) on a hand-made 3-curve table."""

import numpy as np
import pandas as pd

from scripts.lib.io import read_csv, read_json, write_parquet
from scripts.verdicts.curve_verdicts import by_metric, headline, run, verdicts


def frames():
    emergence = pd.DataFrame(
        {
            "curve_id": [0, 1, 2],
            "family": ["F"] * 3,
            "task": ["a", "b", "c"],
            "subtask": [None] * 3,
            "shots": pd.array([0, 0, 0], dtype="Int64"),
            "metric": ["m", "m", "n"],
            "is_preferred": [True, True, False],
            "es": [20.0, 15.0, 3.0],
            "emergent": [True, True, False],
        }
    )
    sharp = pd.DataFrame(
        {
            "curve_id": [0, 1, 2],
            "noise_source": ["binomial", "binomial", "residual"],
            "noise_dispersion": [1.0, 1.0, 1.0],
            "sharp_statistic": [30.0, 0.0, 0.0],
            "sharp_draws": [1000, 20, 20],
            "p_sharp": [0.001, 1.0, 1.0],
            "q_sharp": [0.003, 1.0, 1.0],
            "sharp": [True, False, False],
        }
    )
    backtest = pd.DataFrame(
        {
            "curve_id": [0, 1, 2],
            "backtest_pred": [0.3, 0.4, 0.5],
            "backtest_upper": [0.4, 0.5, 0.6],
            "backtest_err": [0.3, 0.2, 0.0],
            "backtest_err_frac": [0.3, 0.2, 0.0],
            "backtest_z": [4.0, 3.0, 0.0],
            "unpredictable": [True, True, False],
        }
    )
    return emergence, sharp, backtest


def test_emergent_tested_needs_all_three():
    table = verdicts(*frames())
    # curve 0: screen, sharp, unpredictable; curve 1: screen and unpredictable, not sharp.
    assert list(table["emergent_tested"]) == [True, False, False]


def test_counts_and_headline_by_hand():
    table = verdicts(*frames())
    counts = by_metric(table)
    total = counts[(counts["scope"] == "all") & (counts["metric"] == "(total)")].iloc[0]
    assert (total["curves"], total["screen"], total["sharp"], total["unpredictable"]) == (3, 2, 1, 2)
    # by hand: curve 0 screen+sharp+unpredictable, curve 1 screen+unpredictable -> 1 sharp, 2 unpredictable, 1 both
    assert (total["screen_sharp"], total["screen_unpredictable"], total["emergent_tested"]) == (1, 2, 1)
    pref = counts[counts["scope"] == "preferred"]
    assert set(pref["metric"]) == {"m", "(total)"}
    head = headline(table, counts)
    assert head["sentences"][0].startswith("1 of 2 curves that pass the Mirage screen")
    assert head["screened_sharp_unpredictable"] == 1


def test_run_writes_every_output(tmp_path):
    emergence, sharp, backtest = frames()
    paths = {name: tmp_path / f"{name}.parquet" for name in ("emergence", "sharpness", "backtest")}
    for frame, path in zip((emergence, sharp, backtest), paths.values(), strict=True):
        write_parquet(frame, path)
    out = {
        "table": tmp_path / "verdicts.parquet",
        "csv": tmp_path / "verdicts.csv",
        "by_metric_csv": tmp_path / "by_metric.csv",
        "by_metric_tex": tmp_path / "by_metric.tex",
        "figure_csv": tmp_path / "figure.csv",
        "summary": tmp_path / "summary.json",
    }
    run(
        **{k: str(v) for k, v in paths.items()},
        **{k: str(v) for k, v in out.items()},
        fdr=0.05,
        fdr_scope="screened",
        alpha=0.05,
        holdout=1,
        min_width_decades=1.0,
        label="hand-made",
    )
    table = pd.read_parquet(out["table"])
    assert {
        "noise_source",
        "p_sharp",
        "q_sharp",
        "sharp",
        "backtest_pred",
        "backtest_err",
        "backtest_err_frac",
        "backtest_z",
        "unpredictable",
        "emergent_tested",
    } <= set(table.columns)
    assert read_csv(out["csv"])["emergent_tested"].tolist() == [True, False, False]
    assert read_json(out["summary"])["data_label"] == "hand-made"
    assert np.isfinite(read_csv(out["by_metric_csv"])["curves"]).all()
    assert "possible emergence (Mirage screen)" in out["by_metric_tex"].read_text()
