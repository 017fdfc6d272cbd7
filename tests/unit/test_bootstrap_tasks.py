"""The bootstrap over tasks (rule bootstrap_tasks), on hand-made tables."""

import numpy as np
import pandas as pd
import pytest

from scripts.beyond.bootstrap_tasks import (
    HEADLINE,
    TOTAL,
    bootstrap_by_metric,
    bootstrap_scope,
    bootstrap_weights,
    run,
    task_metric_counts,
)
from scripts.beyond.figure_bootstrap import run as draw_bootstrap
from scripts.lib.io import read_csv
from scripts.lib.stats.tally import preferred_curves
from scripts.tally.tally_metrics import tally

MCG, EM, BLEU = "multiple_choice_grade", "exact_str_match", "bleu"


def curves(rows: list[tuple[str, str, str, bool, bool]]) -> pd.DataFrame:
    """emergence.parquet-like rows: (family, task, metric, is_preferred, emergent), 0-shot, task level."""
    frame = pd.DataFrame(rows, columns=["family", "task", "metric", "is_preferred", "emergent"])
    frame["subtask"] = None
    frame["shots"] = pd.array([0] * len(frame), dtype="Int64")
    return frame


def test_weights_resample_every_task_count():
    w = bootstrap_weights(5, 100, np.random.default_rng(0))
    assert w.shape == (100, 5) and (w.sum(axis=1) == 5).all() and (w >= 0).all()


def test_scope_rows_by_hand():
    # task a: 1 emergent MCG case of 2; task b: 1 emergent BLEU case of 1.
    k = pd.DataFrame({BLEU: [0, 1], MCG: [1, 0]}, index=["a", "b"])
    e = pd.DataFrame({BLEU: [0, 1], MCG: [2, 0]}, index=["a", "b"])
    # resamples: (a, a), (a, b), (b, b)
    w = np.array([[2, 0], [1, 1], [0, 2]])
    rows = bootstrap_scope(k, e, w, level=0.5, with_rate=True).set_index("metric")
    # MCG counts 2, 1, 0; shares 1, 1/2, 0; rates 2/4, 1/2, NaN (no MCG case drawn)
    assert rows.loc[MCG, "emergent"] == 1 and rows.loc[MCG, "share"] == pytest.approx(0.5)
    assert rows.loc[MCG, "rate"] == pytest.approx(0.5)
    # level 0.5 -> the 25% and 75% quantiles (inverted CDF) of (0, 1, 2) and of (0, 0.5, 1)
    assert (rows.loc[MCG, "emergent_ci_low"], rows.loc[MCG, "emergent_ci_high"]) == (0, 2)
    assert (rows.loc[MCG, "share_ci_low"], rows.loc[MCG, "share_ci_high"]) == (0, 1)
    assert (rows.loc[MCG, "rate_ci_low"], rows.loc[MCG, "rate_ci_high"]) == (0.5, 0.5)
    # the headline row (MCG + exact match) equals MCG here; the total is 2 emergent of 3 cases
    assert rows.loc[HEADLINE, "emergent"] == 1 and rows.loc[TOTAL, "emergent"] == 2
    assert rows.loc[TOTAL, "cases"] == 3 and rows.loc[TOTAL, "share"] == 1.0


def test_constant_share_gives_a_point_interval():
    # Every task has one emergent MCG and one emergent BLEU triplet: any resample has MCG share 1/2.
    rows = []
    for task in "abcdef":
        rows += [("F", task, MCG, True, True), ("F", task, BLEU, False, True)]
    table = bootstrap_by_metric(
        curves(rows), pd.DataFrame(columns=["task", "metric"]), samples=500, seed=1, level=0.95, triplet_rule="any"
    )
    mcg = table[(table["scope"] == "all") & (table["metric"] == MCG)].iloc[0]
    assert mcg["share"] == mcg["share_ci_low"] == mcg["share_ci_high"] == 0.5
    assert mcg["emergent_ci_low"] == mcg["emergent_ci_high"] == 6  # 6 tasks drawn, each adds one
    assert "annotated" not in set(table["scope"])  # no annotated cases: scope left out


def test_observed_counts_match_the_tally_and_annotated_scope():
    rows = [
        ("F", "a", MCG, True, True),
        ("G", "a", MCG, True, False),
        ("F", "b", EM, True, True),
        ("F", "c", BLEU, True, True),
        ("F", "c", MCG, False, True),
        ("F", "d", MCG, True, False),
    ]
    emergence = curves(rows)
    annotated = pd.DataFrame({"task": ["a", "b", "x"], "metric": [MCG, EM, BLEU]})
    table = bootstrap_by_metric(emergence, annotated, samples=200, seed=2, level=0.95, triplet_rule="any")
    pref = table[table["scope"] == "preferred"].set_index("metric")
    reference = tally(preferred_curves(emergence), triplet_rule="any").set_index("metric")
    for metric in (MCG, EM, BLEU):
        assert pref.loc[metric, "emergent"] == reference.loc[metric, "emergent_triplets"]
    # detected: MCG 1 (a/F), EM 1, BLEU 1 -> headline share 2/3; MCG rate 1 of 3 triplets (a/F, a/G, d/F)
    assert pref.loc[HEADLINE, "share"] == pytest.approx(2 / 3)
    assert pref.loc[MCG, "rate"] == pytest.approx(1 / 3)
    ann = table[table["scope"] == "annotated"].set_index("metric")
    # annotated: MCG, EM, BLEU one case each -> headline share 2/3; no rates
    assert ann.loc[HEADLINE, "share"] == pytest.approx(2 / 3) and ann["rate"].isna().all()
    assert table.equals(bootstrap_by_metric(emergence, annotated, samples=200, seed=2, level=0.95, triplet_rule="any"))


def test_task_metric_counts_pivot():
    cases = pd.DataFrame({"task": ["a", "a", "b"], "metric": [MCG, MCG, EM], "e": [1, 0, 1], "v": [1, 1, 1]})
    k, e = task_metric_counts(cases, emergent="e", evaluated="v")
    assert k.loc["a", MCG] == 1 and e.loc["a", MCG] == 2 and k.loc["a", EM] == 0 and e.loc["b", EM] == 1


def test_run_writes_tables_and_figure(tmp_path):
    rows = [("F", t, MCG, True, t in "ab") for t in "abcd"] + [("F", "e", EM, True, True)]
    emergence = curves(rows)
    emergence.to_parquet(tmp_path / "emergence.parquet")
    scores = emergence[["task", "subtask", "metric", "is_preferred"]]
    scores.to_parquet(tmp_path / "scores.parquet")
    (tmp_path / "ann.csv").write_text("task,model_family\na,LaMDA\ne,PaLM\nzzz,PaLM\n")
    # zzz has no scores; BIG-bench's task metadata says its preferred metric is BLEU
    (tmp_path / "meta.csv").write_text("task,subtask,preferred_score,metrics,n_examples\nzzz,,bleu,bleu,10\n")
    (tmp_path / "metrics.yaml").write_text(f"{MCG}: {{higher_is_better: true, low: 0, high: 1, name: MCG}}\n")
    out = {"table_csv": tmp_path / "b.csv", "table_tex": tmp_path / "b.tex", "figure_csv": tmp_path / "bf.csv"}
    run(
        emergence=tmp_path / "emergence.parquet",
        scores=tmp_path / "scores.parquet",
        annotations=tmp_path / "ann.csv",
        task_metadata=tmp_path / "meta.csv",
        metrics=tmp_path / "metrics.yaml",
        **out,
        samples=300,
        seed=3,
        level=0.95,
        triplet_rule="any",
        label="SYNTHETIC DATA test",
    )
    table = read_csv(out["table_csv"])
    ann = table[table["scope"] == "annotated"].set_index("metric")
    # the annotated scope counts what the tally counts: a (MCG), e (EM) and zzz (BLEU, from the metadata),
    # so the headline share is 2 / 3 (it was 1.0 with a point interval when zzz was dropped)
    assert ann.loc[TOTAL, "emergent"] == 3 and ann.loc["bleu", "emergent"] == 1
    assert ann.loc[HEADLINE, "share"] == pytest.approx(2 / 3)
    assert ann.loc[HEADLINE, "share_ci_low"] < 2 / 3 < ann.loc[HEADLINE, "share_ci_high"]
    assert out["table_tex"].read_text().count("\\midrule") == 1
    # the figure's CSV: annotated and preferred rows with emergent cases (bars, headline bar, the totals
    # that title the panels), with the settings the subtitle states
    plotted = read_csv(out["figure_csv"])
    assert set(plotted["scope"]) == {"annotated", "preferred"} and (plotted["emergent"] > 0).all()
    # annotated: MCG (a), EM (e), BLEU (zzz), headline, total; preferred: MCG (a, b), EM (e), headline, total
    assert plotted.groupby("scope")["metric"].apply(set).to_dict() == {
        "annotated": {MCG, EM, "bleu", HEADLINE, TOTAL},
        "preferred": {MCG, EM, HEADLINE, TOTAL},
    }
    assert plotted[["samples", "level", "triplet_rule"]].drop_duplicates().values.tolist() == [[300, 0.95, "any"]]
    columns = [c for c in table.columns if c in plotted.columns]
    key = ["scope", "metric"]
    assert plotted[columns].set_index(key).equals(table[columns].set_index(key).loc[plotted.set_index(key).index])
    # rule figure_bootstrap draws it, the same bytes every time
    figures = [[tmp_path / f"b{i}.png", tmp_path / f"b{i}.pdf"] for i in range(2)]
    for figure in figures:
        draw_bootstrap(
            data=out["figure_csv"],
            metrics=tmp_path / "metrics.yaml",
            figure=figure,
            label="SYNTHETIC DATA test",
            synthetic=True,
        )
    assert figures[0][0].stat().st_size > 0
    assert [f.read_bytes() for f in figures[0]] == [f.read_bytes() for f in figures[1]]
