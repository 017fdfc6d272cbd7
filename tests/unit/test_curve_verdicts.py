"""Per-curve verdicts (scripts/verdicts/curve_verdicts.py) on hand-made tables, values in the test.

Five curves of family F on one 8-model ladder, 3-shot, binomial noise at n = 1000:
0 MCG t1, flat at 0.25 then 0.70 at the 7th model; 1 its Brier score (continuous, smooth);
2 MCG t2 (a copy of curve 0's points under another task: not a duplicate), 3 its Brier score;
4 exact_str_match t3 (no continuous partner); 5 family G, a point-for-point copy of curve 0.
"""

import numpy as np
import pandas as pd
import pytest

from scripts.lib.io import read_csv, read_json, write_parquet
from scripts.verdicts.curve_verdicts import by_metric, headline, run, verdicts, with_cause
from scripts.verdicts.figure_verdicts import plot_verdicts
from tests.helpers.extracts_testing import FACTS

XS = np.geomspace(1e7, 1e11, 8)
JUMP = [0.25] * 6 + [0.70, 0.72]
BRIER = list(np.linspace(0.30, 0.16, 8))
CURVES = [
    (0, "F", "t1", "multiple_choice_grade", JUMP),
    (1, "F", "t1", "calibration_multiple_choice_brier_score", BRIER),
    (2, "F", "t2", "multiple_choice_grade", JUMP),
    (3, "F", "t2", "calibration_multiple_choice_brier_score", BRIER),
    (4, "F", "t3", "exact_str_match", JUMP),
    (5, "G", "t1", "multiple_choice_grade", JUMP),
]


def curve_points() -> pd.DataFrame:
    frames = []
    for cid, family, task, metric, values in CURVES:
        brier = metric.startswith("calibration")
        frames.append(
            pd.DataFrame(
                {
                    "curve_id": cid,
                    "family": family,
                    "task": task,
                    "subtask": None,
                    "shots": 3,
                    "metric": metric,
                    "x": XS,
                    "value": values,
                    "y": -np.asarray(values) if brier else values,
                    "value_se": 0.01 if brier else np.nan,
                    "se_source": "reported" if brier else "binomial",
                    "n_examples": 1000,
                    "metric_low": 0.0,
                    "metric_high": 1.0,
                    "oriented": brier,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def frames():
    n = len(CURVES)
    emergence = pd.DataFrame(
        {
            "curve_id": range(n),
            "family": [c[1] for c in CURVES],
            "task": [c[2] for c in CURVES],
            "subtask": [None] * n,
            "shots": pd.array([3] * n, dtype="Int64"),
            "metric": [c[3] for c in CURVES],
            "is_preferred": [True, False, True, False, True, True],
            "emergent": [True, False, True, True, True, True],
        }
    )
    sharp = pd.DataFrame(
        {
            "curve_id": range(n),
            "noise_source": ["binomial", "reported"] * 3,
            "noise_dispersion": 1.0,
            "sharp_statistic": 0.0,
            "sharp_draws": 100,
            "p_sharp": [0.001, 1.0, np.nan, 0.5, 0.001, 0.001],
            "q_sharp": [0.003, 1.0, np.nan, 0.5, 0.003, 0.003],
            "sharp": pd.array([True, False, pd.NA, pd.NA, True, True], dtype="boolean"),
            "sharp_reason": ["jump", "smooth", "no test", "last gap", "jump", "jump"],
        }
    )
    backtest = pd.DataFrame(
        {
            "curve_id": range(n),
            "backtest_pred": 0.3,
            "backtest_upper": 0.35,
            "backtest_err": 0.4,
            "backtest_err_frac": 0.4,
            "backtest_z": [9.0, 0.5, 9.0, 4.0, 9.0, 9.0],
            "backtest_p": [0.001, 1.0, 0.001, 0.04, 0.001, 0.001],
            "unpredictable": [True, False, True, True, True, True],
            "unpredictable_at": [XS[6], np.nan, XS[6], XS[5], XS[6], XS[6]],
        }
    )
    nonmonotone = pd.DataFrame(
        {
            "curve_id": range(n),
            "p_nonmonotone": [0.5, 0.01, np.nan, 0.5, 0.5, 0.02],
            "nonmonotone": pd.array([False, True, pd.NA, False, False, True], dtype="boolean"),
            "nonmonotone_kind": [None, "U", None, None, None, "inverted_U"],
            "turn_x": [np.nan, XS[3], np.nan, np.nan, np.nan, XS[4]],
            "dip_depth": [np.nan, 0.05, np.nan, np.nan, np.nan, 0.04],
        }
    )
    return emergence, sharp, backtest, nonmonotone


def full_table() -> pd.DataFrame:
    return with_cause(verdicts(*frames()), curve_points(), FACTS, alpha=0.05, min_width_decades=1.0, residual_min_df=10)


def test_emergent_tested_with_sharp_na():
    table = verdicts(*frames())
    assert table["sharp"].dtype == "boolean" and pd.isna(table.loc[2, "sharp"])
    # 2: sharp NA, screen and unpredictable -> emergent; 1: screen fails; 3: Brier curve, screen True, sharp NA
    assert table["emergent_tested"].tolist() == [True, False, True, True, True, True]


def test_missing_contract_columns_read_as_na():
    emergence, sharp, backtest, nonmonotone = frames()
    table = verdicts(
        emergence, sharp.drop(columns="sharp_reason"), backtest.drop(columns="unpredictable_at"), nonmonotone
    )
    assert table["sharp_reason"].isna().all() and table["unpredictable_at"].isna().all()


def test_nonmonotone_columns_sit_beside_the_verdict():
    table = verdicts(*frames())
    assert table["nonmonotone"].dtype == "boolean" and pd.isna(table.loc[2, "nonmonotone"])
    assert table["nonmonotone_kind"].tolist()[:2] == [None, "U"] and table.loc[5, "nonmonotone_kind"] == "inverted_U"
    # a dip does not change the emergence verdict (same as test_emergent_tested_with_sharp_na)
    assert table["emergent_tested"].tolist() == [True, False, True, True, True, True]


def test_cause_classes_duplicates_and_the_map():
    table = full_table().set_index("curve_id")
    assert table.loc[5, "duplicate_of"] == 0 and table["duplicate_of"].isna().sum() == 5
    # 0: Brier predictable -> metric-induced; 2: Brier unpredictable at the 6th model (before the 7th) -> too;
    # 3: itself a Brier curve, emergent -> under the continuous metric; 4: exact_str_match alone.
    assert table["emergence_verdict"].astype(str).to_dict() == {
        0: "emergent, metric-induced",
        1: "not emergent",
        2: "emergent under the continuous metric too",
        3: "emergent under the continuous metric too",
        4: "emergent, no continuous metric to tell",
        5: "emergent, no continuous metric to tell",  # family G has no Brier curve
    }
    assert table.loc[0, "continuous_metric"] == "calibration_multiple_choice_brier_score"
    # The map, fitted on the six flat models, predicts the chance level 0.25, not the jump to 0.70.
    assert table.loc[0, "map_pred_at"] == pytest.approx(0.25, abs=0.02)
    assert table.loc[0, "map_predicts"] == False  # noqa: E712 (pandas boolean)
    assert pd.isna(table.loc[4, "map_pred_at"])


def test_counts_and_headline_count_first_copies_once():
    table = full_table()
    counts = by_metric(table)
    total = counts[(counts["scope"] == "all") & (counts["metric"] == "(total)")].iloc[0]
    # 6 curves, 1 copy -> 5; screen 4 (0, 2, 3, 4); sharp True 2 (0, 4), unresolved NA 1 (3; 2 has no p_sharp)
    assert (total["curves"], total["duplicates"], total["screen"], total["sharp"]) == (5, 1, 4, 2)
    assert (total["sharp_unresolved"], total["emergent_tested"]) == (1, 4)
    assert (total["metric_induced"], total["continuous_too"], total["no_continuous"]) == (1, 2, 1)
    head = headline(table, counts)
    assert head["classes"]["emergent, metric-induced"] == 1 and head["duplicates"] == 1
    assert head["sentences"][1].startswith("Of 5 distinct curves (1 identical copies counted once): 1 not emergent")
    assert len(head["emergent_curves"]) == 4


def test_run_writes_every_output(tmp_path):
    names = ("emergence", "sharpness_parquet", "backtest_parquet", "nonmonotone_parquet", "curves")
    paths = {name: tmp_path / f"{name}.parquet" for name in names}
    for frame, path in zip((*frames(), curve_points()), paths.values(), strict=True):
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
        metrics="config/metrics.yaml",
        sharpness={"fdr": 0.05, "fdr_scope": "testable", "min_width_decades": 1.0, "residual_min_df": 10},
        backtest={"alpha": 0.05, "holdout": 1},
        label="hand-made",
    )
    table = pd.read_parquet(out["table"])
    held_back = ["sharp", "unpredictable", "unpredictable_at", "emergent_tested", "p_sharp", "q_sharp", "backtest_z"]
    assert {*held_back, "noise_source", "duplicate_of", "emergence_verdict"} <= set(table.columns)
    assert {"nonmonotone", "nonmonotone_kind"} <= set(table.columns) and table["nonmonotone"].dtype == "boolean"
    assert table["sharp"].dtype == "boolean"
    assert read_csv(out["csv"])["emergent_tested"].tolist() == [True, False, True, True, True, True]
    assert read_json(out["summary"])["data_label"] == "hand-made"
    assert np.isfinite(read_csv(out["by_metric_csv"])["curves"]).all()
    assert "possible emergence (Mirage screen)" in out["by_metric_tex"].read_text()


def test_figure_shows_the_classes(tmp_path):
    data = pd.DataFrame(
        {
            "scope": ["all", "all"],
            "metric": ["multiple_choice_grade", "(total)"],
            "screen": [4, 4],
            "screen_unpredictable": [3, 3],
            "emergent_tested": [3, 3],
            "metric_induced": [1, 1],
            "continuous_too": [1, 1],
            "no_continuous": [1, 1],
        }
    )
    fig = plot_verdicts(data, FACTS, label="hand-made", synthetic=False)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "emergent, metric-induced" in labels and "emergent, no continuous metric to tell" in labels
    fig.savefig(tmp_path / "verdicts.png")
