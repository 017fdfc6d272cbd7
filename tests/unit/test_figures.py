"""Tests of the figure scripts and scripts/lib/present/plot_style.py: task choice, partners, byte-identical files."""

import math
from pathlib import Path

import pandas as pd
import pytest

from scripts.beyond.figure_trend import plot_trend
from scripts.figures import figure_fig5a, figure_fig5b, figure_fig5c, figure_fig6, figure_gallery
from scripts.lib.io import load_metric_facts, read_csv, write_csv
from scripts.lib.present.plot_style import METRIC_PALETTE, SYNTHETIC_BANNER, figure_style, format_params, metric_color
from scripts.lib.present.text import metric_name, threshold_text

ROOT = Path(__file__).resolve().parents[2]
FACTS = load_metric_facts(ROOT / "config" / "metrics.yaml")
MCG = "multiple_choice_grade"
ESM = "exact_str_match"
BRIER = "calibration_multiple_choice_brier_score"
LL = "log_likelihood"
T0 = "BIG-G T=0"
X = [1e6, 1e7, 1e8, 1e9, 1e10]
LABEL = "SYNTHETIC DATA (test)"

# (family, task, subtask, shots, metric, is_preferred, es, emergent)
CURVES = [
    (T0, "A", None, 0, MCG, True, 20.0, True),  # 0  emergent MCG with a Brier curve
    (T0, "A", None, 0, BRIER, False, 4.0, False),  # 1
    (T0, "B", None, 0, MCG, True, 30.0, True),  # 2  emergent MCG, no Brier curve
    (T0, "C", None, 3, MCG, True, 10.0, True),  # 3  emergent MCG with a Brier curve
    (T0, "C", None, 3, BRIER, False, 2.0, False),  # 4
    (T0, "D", None, 0, MCG, True, 2.0, False),  # 5  MCG not emergent
    (T0, "D", None, 0, BRIER, False, 1.0, False),  # 6
    ("GPT", "A", None, 0, MCG, True, 50.0, True),  # 7  other family
    ("GPT", "A", None, 0, BRIER, False, 3.0, False),  # 8
    (T0, "E", "sub", 0, MCG, True, 40.0, True),  # 9  subtask curve: not a Fig. 6 candidate
    (T0, "E", "sub", 0, BRIER, False, 3.0, False),  # 10
    (T0, "F", None, None, ESM, True, math.inf, True),  # 11 infinite ES (floored 100), unknown shots
    (T0, "F", None, None, LL, False, 3.0, False),  # 12
    (T0, "A", None, 0, LL, False, 3.5, False),  # 13 a second continuous metric for A: Brier is preferred
    (T0, "G", None, 0, BRIER, True, 60.0, True),  # 14 an emergent continuous curve...
    (T0, "G", None, 0, LL, False, 1.0, False),  # 15 ...whose partner must be another metric
]


@pytest.fixture
def emergence() -> pd.DataFrame:
    df = pd.DataFrame(
        CURVES, columns=["family", "task", "subtask", "shots", "metric", "is_preferred", "es", "emergent"]
    )
    df.insert(0, "curve_id", range(len(df)))
    df["shots"] = df["shots"].astype("Int64")
    df["es_infinite"] = ~df["es"].map(math.isfinite)
    df["es_floored"] = df["es"].where(~df["es_infinite"], 100.0)
    df["n_points"] = 5
    df["threshold"] = 4.0  # auto: n_points - 1
    df["threshold_rule"] = "auto"
    df["min_effect"] = 0.05
    df["oriented"] = df["metric"] == BRIER
    return df


@pytest.fixture
def curves(emergence: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for cid, metric in zip(emergence["curve_id"], emergence["metric"], strict=True):
        values = [0.5, 0.45, 0.3, 0.2, 0.1] if metric == BRIER else [0.25, 0.25, 0.27, 0.8, 1.0]
        rows += [{"curve_id": cid, "x": x, "value": v} for x, v in zip(X, values, strict=True)]
    return pd.DataFrame(rows)


@pytest.fixture
def inputs(tmp_path: Path, emergence: pd.DataFrame, curves: pd.DataFrame) -> dict[str, str]:
    paths = {"emergence": tmp_path / "emergence.parquet", "curves": tmp_path / "curves.parquet"}
    emergence.to_parquet(paths["emergence"])
    curves.to_parquet(paths["curves"])
    annotated = pd.DataFrame(
        {"metric": [MCG, ESM], "annotated_cases": [3, 1], "annotated_tasks": [3, 1], "share": [0.75, 0.25]}
    )
    share = pd.DataFrame(
        {
            "metric": [MCG, ESM, "rouge1"],
            "name": ["Multiple choice grade", "Exact string match", "ROUGE-1"],
            "annotated_cases": [3, 1, 0],
            "annotated_share": [0.75, 0.25, 0.0],
            "detected_emergent_triplets": [4, 0, 1],
            "detected_share": [0.8, 0.0, 0.2],
        }
    )
    missing = pd.DataFrame(
        {"task": ["zz"], "model_family": ["PaLM"], "reason": ["not in data"], "counted_by_metadata": [False]}
    )
    for name, df in (("annotated", annotated), ("share", share), ("missing", missing)):
        paths[name] = tmp_path / f"{name}.csv"
        write_csv(df, paths[name], label=LABEL)
    return {k: str(v) for k, v in paths.items()}


# --- plot_style ------------------------------------------------------------------------------------


def test_metric_colors_are_fixed() -> None:
    assert metric_color(MCG, FACTS) == METRIC_PALETTE[list(FACTS).index(MCG)]
    assert metric_color("my_custom_metric", FACTS) == metric_color("my_custom_metric", {})  # hashed, stable
    assert metric_color("my_custom_metric") != metric_color("other_metric")
    assert metric_name(BRIER, FACTS) == "Brier score" and metric_name("custom", FACTS) == "custom"


@pytest.mark.parametrize(("value", "text"), [(1e6, "1M"), (1e7, "10M"), (1e9, "1B"), (1e11, "100B"), (2.5e9, "2.5B")])
def test_format_params(value, text) -> None:
    assert format_params(value) == text


def test_threshold_text() -> None:
    assert threshold_text("auto").startswith("ES > n_points − 1")
    assert threshold_text(5, 0.05) == "ES > 5, range ≥ 5% of the metric's range"


# --- Fig. 6 task choice ------------------------------------------------------------------------------


def test_fig6_paper_procedure(emergence: pd.DataFrame) -> None:
    # Candidates for BIG-G T=0: emergent task-level MCG curves with a Brier curve at the same shots:
    # A (ES 20) and C (ES 10). B has no Brier curve, D is not emergent, E is a subtask, GPT is another family.
    sel = figure_fig6.select_fig6_tasks(emergence, family=T0, n_tasks=4)
    assert list(sel["task"]) == ["A", "C"]
    assert list(sel["mcg_curve_id"]) == [0, 3] and list(sel["brier_curve_id"]) == [1, 4]
    assert list(figure_fig6.select_fig6_tasks(emergence, family=T0, n_tasks=1)["task"]) == ["A"]


def test_fig6_config_tasks(emergence: pd.DataFrame) -> None:
    # Listed tasks keep their order; emergence is not required (D), a task without Brier is left out (B).
    sel = figure_fig6.select_fig6_tasks(emergence, family=T0, n_tasks=4, tasks=["D", "B", "A"])
    assert list(sel["task"]) == ["D", "A"]


def test_fig6_no_task_qualifies(inputs: dict[str, str], tmp_path: Path) -> None:
    out = [tmp_path / "fig6.png"]
    figure_fig6.run(
        emergence=inputs["emergence"],
        curves=inputs["curves"],
        metrics=str(ROOT / "config" / "metrics.yaml"),
        figure=[str(p) for p in out],
        data=str(tmp_path / "fig6.csv"),
        family="nobody",
        tasks=[],
        n_tasks=4,
        scale="non_embedding_params",
        data_label=LABEL,
        synthetic=True,
    )
    assert out[0].stat().st_size > 0
    assert read_csv(tmp_path / "fig6.csv").empty


# --- gallery partners ----------------------------------------------------------------------------------


def test_gallery_partners(emergence: pd.DataFrame) -> None:
    panels = figure_gallery.gallery_panels(emergence, FACTS, n_curves=6).set_index("curve_id")
    # Top 6 by es_floored: F (inf -> 100), G (60), GPT A (50), E:sub (40), B (30), A (20).
    assert list(panels.index) == [11, 14, 7, 9, 2, 0]
    assert panels.loc[11, "partner_metric"] == LL  # the only continuous metric of F
    assert panels.loc[14, "partner_metric"] == LL  # G's emergent Brier curve is not its own partner
    assert panels.loc[0, "partner_metric"] == BRIER  # Brier preferred over log-likelihood
    assert pd.isna(panels.loc[2, "partner_metric"])  # B has no continuous metric


# --- every figure: runs on a tiny frame, writes the same bytes twice ---------------------------------------


def _figure_calls(inputs: dict[str, str]) -> dict[str, tuple]:
    """Each figure's run() and its inputs/params (outputs are added by the test)."""
    metrics = str(ROOT / "config" / "metrics.yaml")
    return {
        "fig5a": (figure_fig5a.run, {"emergence": inputs["emergence"], "metrics": metrics}),
        "fig5b": (
            figure_fig5b.run,
            {
                "annotated": inputs["annotated"],
                "missing": inputs["missing"],
                "metrics": metrics,
                "annotations": "config/annotations/x.csv",
            },
        ),
        "fig5c": (
            figure_fig5c.run,
            {"share": inputs["share"], "emergence": inputs["emergence"], "metrics": metrics, "triplet_rule": 3},
        ),
        "fig6": (
            figure_fig6.run,
            {
                "emergence": inputs["emergence"],
                "curves": inputs["curves"],
                "metrics": metrics,
                "family": T0,
                "tasks": [],
                "n_tasks": 4,
                "scale": "non_embedding_params",
            },
        ),
        "gallery": (
            figure_gallery.run,
            {
                "emergence": inputs["emergence"],
                "curves": inputs["curves"],
                "metrics": metrics,
                "n_curves": 2,
                "scale": "total_params",
            },
        ),
    }


@pytest.mark.parametrize("name", ["fig5a", "fig5b", "fig5c", "fig6", "gallery"])
def test_figure_is_byte_identical_on_rerun(name: str, inputs: dict[str, str], tmp_path: Path) -> None:
    func, kwargs = _figure_calls(inputs)[name]
    common = {"data_label": LABEL, "synthetic": True}
    figs = [tmp_path / "out" / f"{name}.{fmt}" for fmt in ("pdf", "png")]
    data = tmp_path / "out" / f"{name}.csv"
    func(figure=[str(p) for p in figs], data=str(data), **kwargs, **common)
    first = [p.read_bytes() for p in [*figs, data]]
    func(figure=[str(p) for p in figs], data=str(data), **kwargs, **common)
    assert first == [p.read_bytes() for p in [*figs, data]]
    assert first[0].startswith(b"%PDF") and first[1].startswith(b"\x89PNG")
    assert b"CreationDate" not in first[0] and b"matplotlib" not in first[1].lower()
    assert first[2].startswith(b"# SYNTHETIC DATA (test)\n")
    assert not read_csv(data).empty
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave no temporaries


def test_fig5b_without_scored_annotations_says_so_in_one_line(tmp_path: Path) -> None:
    # An lm-eval run: 3 annotated cases, all placed under MCG by BIG-bench task metadata, none scored in the data.
    annotated = pd.DataFrame({"metric": [MCG], "annotated_cases": [3], "annotated_tasks": [3], "share": [1.0]})
    missing = pd.DataFrame(
        {"task": ["x", "y", "z"], "model_family": ["PaLM"] * 3, "reason": ["not in data"] * 3},
    ).assign(counted_by_metadata=True)
    paths = {"annotated": tmp_path / "annotated.csv", "missing": tmp_path / "missing.csv"}
    write_csv(annotated, paths["annotated"], label="real")
    write_csv(missing, paths["missing"], label="real")
    data = tmp_path / "fig5b.csv"
    figure_fig5b.run(
        annotated=str(paths["annotated"]),
        missing=str(paths["missing"]),
        metrics=str(ROOT / "config" / "metrics.yaml"),
        figure=[str(tmp_path / "fig5b.png")],
        data=str(data),
        annotations="config/annotations/wei.csv",
        data_label="real",
        synthetic=False,
    )
    assert read_csv(data).empty  # nothing plotted, nothing in the CSV
    bars = figure_fig5b.fig5b_data(annotated, FACTS)
    with figure_style():
        fig = figure_fig5b.plot_fig5b(
            bars, FACTS, n_missing=3, n_from_metadata=3, source="wei.csv", data_label="real", synthetic=False
        )
    (ax,) = fig.axes
    assert not ax.patches  # no bars
    assert [t.get_text() for t in ax.texts] == ["None of the 3 annotated cases has scores in this data."]


def test_trend_legend_hides_no_point() -> None:
    # The excerpt's counts: MCG screened 18 at the right edge, where a legend inside the panel used to sit.
    rows = [
        ("multiple_choice_grade", 18, 3.0, 0, 6, 9),
        ("exact_str_match", 6, 2.8, 1, 4, 1),
        ("(total)", 24, 5.8, 3, 9, 10),
    ]
    data = pd.DataFrame(
        [(scope, *row) for scope in ("preferred", "all") for row in rows],
        columns=[
            "scope",
            "metric",
            "observed_emergent",
            "expected_emergent",
            "null_ci_low",
            "null_ci_high",
            "emergent_surviving_fdr",
        ],
    ).assign(
        name=lambda d: d["metric"], permutations=1000, level=0.95, fdr=0.05, emergence_threshold="auto", min_effect=0.05
    )
    with figure_style():
        fig = plot_trend(data, FACTS, label="real", synthetic=False)
        fig.canvas.draw()
    (legend,) = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    box = legend.get_window_extent()
    assert not any(box.overlaps(ax.get_window_extent()) for ax in fig.axes)  # outside every panel


def test_fig5a_data_orders_metrics_and_keeps_preferred(emergence: pd.DataFrame) -> None:
    points = figure_fig5a.fig5a_data(emergence, FACTS)
    # Preferred curves: MCG 6 (0, 2, 3, 5, 7, 9; all but 5 emergent), ESM 1 (11), Brier 1 (14); all three
    # metrics have >= 1 emergent curve, so the order is by emergent count (5, 1, 1), then curves, then name.
    assert len(points) == 8
    assert list(dict.fromkeys(points["metric"])) == [MCG, BRIER, ESM]  # by emergent count, then curves, name
    assert points.loc[points["metric"] == MCG, "emergent"].sum() == 5


def test_synthetic_banner_and_plain_names(emergence: pd.DataFrame) -> None:
    points = figure_fig5a.fig5a_data(emergence, FACTS)
    with figure_style():
        fig = figure_fig5a.plot_fig5a(
            points, FACTS, emergence_threshold="auto", min_effect=0.05, data_label=LABEL, synthetic=True
        )
        real = figure_fig5a.plot_fig5a(
            points, FACTS, emergence_threshold="auto", min_effect=0.05, data_label="real", synthetic=False
        )
    assert SYNTHETIC_BANNER in [t.get_text() for t in fig.texts]
    assert SYNTHETIC_BANNER not in [t.get_text() for t in real.texts]
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["Multiple choice grade", "Brier score", "Exact string match"]
