"""The threshold / min_effect sweep and the 'few metrics' test (rule threshold_sensitivity), by hand."""

import math

import pandas as pd
import pytest

from scripts.beyond.figure_sensitivity import run as draw_sensitivity
from scripts.beyond.threshold_sensitivity import (
    emergent_grid,
    few_metrics_grid,
    figure_data,
    parse_min_effects,
    parse_thresholds,
    run,
    sensitivity_counts,
)
from scripts.lib.io import read_csv

MCG, EM, BLEU, BRIER = "multiple_choice_grade", "exact_str_match", "bleu", "calibration_multiple_choice_brier_score"


def table() -> pd.DataFrame:
    """Five curves (emergence.parquet columns the sweep reads), n_points 5 -> auto threshold 4."""
    return pd.DataFrame(
        {
            "metric": [MCG, MCG, EM, BLEU, BRIER],
            "is_preferred": [True, True, True, True, False],
            "n_points": [5, 5, 5, 5, 5],
            "es": [20.0, 3.0, 8.0, 5.0, math.inf],
            "effect": [0.5, 0.5, 0.04, 0.2, 0.01],
            "effect_checked": [True, True, True, True, True],
            "emergent": [True, False, False, True, False],  # at auto (4) and min_effect 0.05
            "threshold": [4.0] * 5,
            "threshold_rule": ["auto"] * 5,
            "min_effect": [0.05] * 5,
        }
    )


def test_parse_grid_adds_the_configured_values():
    assert [("auto" if math.isnan(t) else t) for t in parse_thresholds([10, "auto", 1], 5)] == ["auto", 1, 5, 10]
    assert len(parse_thresholds(["auto", 2], "auto")) == 2
    assert parse_min_effects([0.1, 0], 0.05) == [0, 0.05, 0.1]


def test_emergent_grid_by_hand():
    grid = emergent_grid(table(), [math.nan, 6.0], [0.0, 0.05])
    # auto (4), min_effect 0:    ES > 4 -> curves 0, 2, 3, 4 (inf)
    assert grid[0, 0].tolist() == [True, False, True, True, True]
    # auto, min_effect 0.05: curve 2 (effect 0.04) and 4 (0.01) drop out -> the emergence table's flags
    assert grid[0, 1].tolist() == table()["emergent"].tolist()
    # ES > 6, min_effect 0.05: only curve 0
    assert grid[1, 1].tolist() == [True, False, False, False, False]


def test_counts_and_few_metrics_by_hand():
    counts = sensitivity_counts(table(), [math.nan, 6.0], [0.0, 0.05], configured=(math.nan, 0.05))
    pref = counts[counts["scope"] == "preferred"]
    at = pref[pref["threshold"].isna() & (pref["min_effect"] == 0.05)].set_index("metric")
    assert at["emergent_curves"].to_dict() == {BLEU: 1, EM: 0, MCG: 1}
    assert at["is_configured"].all()
    assert counts.loc[counts["scope"] == "all", "metric"].nunique() == 4  # the Brier curve is not preferred

    grid = few_metrics_grid(counts, max_fraction=0.5, min_share=0.6).set_index(["threshold_rule", "min_effect"])
    # 3 preferred metrics; "few" allows floor(0.5 * 3) = 1 with emergence.
    # auto, 0:    MCG, EM, BLEU emergent (3 > 1: fails); headline share (1 + 1) / 3 = 0.67 >= 0.6 holds
    row = grid.loc[("auto", 0.0)]
    assert row["preferred_metrics_with_emergence"] == 3 and row["max_metrics_with_emergence"] == 1
    assert not row["few_metrics_holds"] and row["share_headline"] == pytest.approx(2 / 3)
    assert row["headline_share_holds"]
    # auto, 0.05: MCG and BLEU (2 > 1: fails); share 1/2 < 0.6 fails
    row = grid.loc[("auto", 0.05)]
    assert not row["few_metrics_holds"] and not row["headline_share_holds"]
    # ES > 6, both min_effects: MCG (curve 0) and, at min_effect 0, EM (ES 8)
    row = grid.loc[("fixed", 0.05)]
    assert row["preferred_metrics_with_emergence"] == 1 and row["few_metrics_holds"]
    assert row["share_headline"] == 1.0


def test_the_papers_bars_beside_the_lenient_ones_by_hand():
    counts = sensitivity_counts(table(), [math.nan, 6.0], [0.05], configured=(math.nan, 0.05))
    # 3 preferred metrics, lenient bar floor(0.5 x 3) = 1, paper's bar 12 of 39 scaled: floor(12/39 x 3) = 0.923 -> 0
    grid = few_metrics_grid(counts, max_fraction=0.5, min_share=0.5, paper_fraction=12 / 39, paper_share=0.92)
    grid = grid.set_index("threshold_rule")
    assert grid["paper_max_metrics_with_emergence"].tolist() == [0, 0]
    # auto: MCG, BLEU pass (2); share 1/2: holds at 0.5, fails at 0.92
    auto = grid.loc["auto"]
    assert not auto["few_metrics_holds"] and not auto["paper_few_metrics_holds"]
    assert auto["headline_share_holds"] and not auto["paper_headline_share_holds"]
    # ES > 6: only MCG (curve 0, ES 20): 1 <= 1 holds, 1 > 0 fails; share 1/1 >= 0.92 holds under both
    fixed = grid.loc["fixed"]
    assert fixed["few_metrics_holds"] and not fixed["paper_few_metrics_holds"]
    assert fixed["headline_share_holds"] and fixed["paper_headline_share_holds"]
    # 13 of 39 x 3 = 1 (the 1e-9 guard keeps the exact product from rounding down to 0)
    assert few_metrics_grid(counts, max_fraction=0.5, min_share=0.5, paper_fraction=13 / 39)[
        "paper_max_metrics_with_emergence"
    ].tolist() == [1, 1]


def test_a_grid_point_without_emergent_curves_is_vacuous():
    counts = sensitivity_counts(table(), [100.0], [0.05], configured=(100.0, 0.05))
    grid = few_metrics_grid(counts, max_fraction=0.5, min_share=0.5)
    assert grid["emergent_preferred_curves"].tolist() == [0]
    assert grid["few_metrics_holds"].tolist() == [True]
    assert pd.isna(grid["headline_share_holds"].iloc[0])


def test_figure_data_by_hand():
    # table() plus a preferred ROUGE curve that is never emergent (ES -2 < every threshold): no line for it
    five = pd.concat(
        [
            table(),
            pd.DataFrame(
                {
                    "metric": ["rouge"],
                    "is_preferred": [True],
                    "n_points": [5],
                    "es": [-2.0],
                    "effect": [0.5],
                    "effect_checked": [True],
                    "emergent": [False],
                }
            ),
        ],
        ignore_index=True,
    )
    counts = sensitivity_counts(five, [math.nan, -1.0, 6.0], [0.0, 0.05], configured=(math.nan, 0.05))
    grid = few_metrics_grid(counts, max_fraction=0.5, min_share=0.5)
    data = figure_data(counts, grid, configured=(math.nan, 0.05))
    a, b, c = (data[data["panel"] == p] for p in "ABC")
    # A: min_effect 0.05, thresholds auto and 6 (-1 is not on a log axis) x MCG, EM, BLEU
    assert len(a) == 2 * 3 and set(a["metric"]) == {MCG, EM, BLEU} and (a["min_effect"] == 0.05).all()
    assert a.set_index(["threshold_rule", "metric"])["emergent_curves"].to_dict() == {
        ("auto", BLEU): 1,
        ("auto", EM): 0,
        ("auto", MCG): 1,
        ("fixed", BLEU): 0,
        ("fixed", EM): 0,
        ("fixed", MCG): 1,
    }
    # B: auto, min_effects 0 and 0.05; at 0, EM's ES 8 > 4 counts (effect 0.04 >= 0)
    assert b["threshold"].isna().all() and len(b) == 2 * 3
    assert b.set_index(["min_effect", "metric"])["emergent_curves"].to_dict() == {
        (0.0, BLEU): 1,
        (0.0, EM): 1,
        (0.0, MCG): 1,
        (0.05, BLEU): 1,
        (0.05, EM): 0,
        (0.05, MCG): 1,
    }
    # C: the whole grid (3 thresholds x 2 min_effects; -1 and auto are distinct points) with the few-metrics
    # test, 4 preferred metrics.
    # (auto, 0): MCG, EM, BLEU; (auto, .05): MCG, BLEU; (-1, 0): MCG, EM, BLEU (ROUGE -2 < -1);
    # (-1, .05): MCG, BLEU; (6, 0): MCG (20), EM (8); (6, .05): MCG. "Few" allows floor(0.5 * 4) = 2.
    assert len(c) == 3 * 2 and (c["preferred_metrics"] == 4).all() and c["is_configured"].sum() == 1
    assert c["preferred_metrics_with_emergence"].tolist() == [3, 2, 3, 2, 2, 1]
    assert c["few_metrics_holds"].tolist() == [False, True, False, True, True, True]
    assert c["preferred_metrics_with_emergence"].tolist() == grid["preferred_metrics_with_emergence"].tolist()
    assert a["preferred_metrics"].isna().all() and c["metric"].isna().all()


def test_run_writes_tables_and_checks_the_configured_point(tmp_path):
    table().assign(subtask=None).to_parquet(tmp_path / "e.parquet")
    out = {"table": tmp_path / "s.csv", "grid_table": tmp_path / "g.csv", "figure_csv": tmp_path / "sf.csv"}
    run(
        emergence=tmp_path / "e.parquet",
        **out,
        thresholds=["auto", 1, 10],
        min_effects=[0, 0.1],
        few_metrics_max_fraction=0.5,
        headline_share_min=0.5,
        paper_metrics_with_emergence=5,
        paper_preferred_metrics=39,
        paper_headline_share_min=0.92,
        label="SYNTHETIC DATA test",
    )
    grid = read_csv(out["grid_table"])
    assert len(grid) == 3 * 3  # thresholds auto, 1, 10 x min_effects 0, 0.05 (configured), 0.1
    # the paper's bars at the configured point (auto, 0.05): 3 preferred metrics -> floor(5/39 x 3) = 0 allowed,
    # MCG and BLEU pass the screen (2 > 0: fails); headline share 1/2 < 0.92 fails
    here = grid[grid["is_configured"]].iloc[0]
    assert here["paper_max_metrics_with_emergence"] == 0 and not here["paper_few_metrics_holds"]
    assert here["paper_headline_share_min"] == 0.92 and not here["paper_headline_share_holds"]
    assert grid["is_configured"].sum() == 1
    counts = read_csv(out["table"])
    assert counts.loc[counts["is_configured"] & (counts["scope"] == "all"), "emergent_curves"].sum() == 2
    plotted = read_csv(out["figure_csv"])
    assert (plotted["panel"] == "C").sum() == 9 and plotted["panel"].tolist().count("A") == 3 * 3
    assert out["figure_csv"].read_text().startswith("# SYNTHETIC DATA test")
    # rule figure_sensitivity draws it, the same bytes every time
    (tmp_path / "metrics.yaml").write_text("{}\n")
    figures = [[tmp_path / f"s{i}.png", tmp_path / f"s{i}.pdf"] for i in range(2)]
    for figure in figures:
        draw_sensitivity(
            data=out["figure_csv"],
            metrics=tmp_path / "metrics.yaml",
            figure=figure,
            label="SYNTHETIC DATA test",
            synthetic=True,
        )
    assert figures[0][0].stat().st_size > 0
    assert [f.read_bytes() for f in figures[0]] == [f.read_bytes() for f in figures[1]]


def test_run_rejects_a_table_made_with_other_settings(tmp_path):
    table().assign(emergent=[True, True, True, True, True]).to_parquet(tmp_path / "e.parquet")
    with pytest.raises(ValueError, match="configured grid point"):
        run(
            emergence=tmp_path / "e.parquet",
            table=tmp_path / "s.csv",
            grid_table=tmp_path / "g.csv",
            figure_csv=tmp_path / "sf.csv",
            thresholds=["auto"],
            min_effects=[0],
            few_metrics_max_fraction=0.5,
            headline_share_min=0.5,
            paper_metrics_with_emergence=5,
            paper_preferred_metrics=39,
            paper_headline_share_min=0.92,
            label="x",
        )
