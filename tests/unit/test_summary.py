"""Tests of scripts/report/summary.py: summary.json agrees with the tally tables it is read from."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scripts.lib.io import read_csv, write_csv
from scripts.report import summary
from scripts.tally import tally_metrics

ROOT = Path(__file__).resolve().parents[2]
MCG = "multiple_choice_grade"
ESM = "exact_str_match"
BLEU = "bleu"
LABEL = "SYNTHETIC DATA (test)"

# (family, task, subtask, shots, metric, is_preferred, emergent)
EMERGENCE = [
    ("F", "a", None, 0, MCG, True, True),
    ("F", "a", None, 0, "calibration_multiple_choice_brier_score", False, False),
    ("F", "b", None, 0, ESM, True, False),
    ("G", "b", None, 0, ESM, True, True),
    ("F", "c", None, 0, BLEU, True, False),
    ("F", "d", None, 0, "custom", True, False),
]
# (task, subtask, metric, is_preferred) behind the annotated join; family/task columns give n_families/n_tasks.
SCORES = [
    ("F", "a", None, MCG, True),
    ("F", "b", None, ESM, True),
    ("G", "b", None, ESM, True),
    ("F", "c", None, BLEU, True),
    ("F", "d", None, "custom", True),
]


@pytest.fixture
def tables(tmp_path: Path) -> dict[str, str]:
    emergence = pd.DataFrame(
        EMERGENCE, columns=["family", "task", "subtask", "shots", "metric", "is_preferred", "emergent"]
    )
    emergence["shots"] = emergence["shots"].astype("Int64")
    emergence["threshold"], emergence["threshold_rule"], emergence["min_effect"] = 4.0, "auto", 0.05
    emergence.to_parquet(tmp_path / "emergence.parquet")
    pd.DataFrame(SCORES, columns=["family", "task", "subtask", "metric", "is_preferred"]).to_parquet(
        tmp_path / "scores.parquet"
    )
    # Annotated: a (MCG), b twice (ESM, two families), c (BLEU); zz is not in the data.
    pd.DataFrame(
        {"task": ["a", "b", "b", "c", "zz"], "model_family": ["LaMDA", "GPT-3", "PaLM", "PaLM", "PaLM"]}
    ).to_csv(tmp_path / "ann.csv", index=False)
    write_csv(
        pd.DataFrame({"path": ["x", "y", "z"], "size": [1, 2, 3], "sha256": ["0", "1", "2"]}), tmp_path / "manifest.csv"
    )
    out = {
        "preferred_csv": "preferred.csv",
        "preferred_tex": "preferred.tex",
        "all_csv": "all.csv",
        "all_tex": "all.tex",
        "annotated_csv": "annotated.csv",
        "annotated_tex": "annotated.tex",
        "share_csv": "share.csv",
        "share_tex": "share.tex",
        "annotated_missing": "missing.csv",
        "annotated_tasks": "tasks.csv",
    }
    out = {k: str(tmp_path / "tables" / v) for k, v in out.items()}
    tally_metrics.run(
        emergence=str(tmp_path / "emergence.parquet"),
        scores=str(tmp_path / "scores.parquet"),
        annotations=str(tmp_path / "ann.csv"),
        metrics=str(ROOT / "config" / "metrics.yaml"),
        triplet_rule="any",
        data_label=LABEL,
        **out,
    )
    return out | {
        "manifest": str(tmp_path / "manifest.csv"),
        "scores": str(tmp_path / "scores.parquet"),
        "emergence": str(tmp_path / "emergence.parquet"),
    }


def test_summary_agrees_with_tables(tables: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    beyond, vision = tmp_path / "beyond.json", tmp_path / "vision.json"
    beyond.write_text(json.dumps({"data_label": LABEL, "n_screened_with_trend": 1}))
    vision.write_text(json.dumps({"vision": {"classifier": {"es": 3.0}}}))
    verdicts, pairs = tmp_path / "verdicts.json", tmp_path / "pairs.json"
    # curve_verdicts' headline file carries a record per emergent curve and a row per metric: tables, not summary.
    curve = {"family": "F", "task": "a", "metric": MCG, "emergence_verdict": "emergent under the continuous metric too"}
    verdicts.write_text(
        json.dumps(
            {
                "data_label": LABEL,
                "headline_sharp": "1 of 2 screened curves are sharp",
                "screened": 2,
                "emergent_curves": [curve, curve],
                "by_metric": {MCG: {"curves": 2, "screen": 2}},
            }
        )
    )
    pairs.write_text(json.dumps({"level": 0.95, "sources": {}, "headlines": ["no pair"]}))
    summary.run(
        beyond=str(beyond),
        vision=str(vision),
        verdicts=str(verdicts),
        metric_pairs=str(pairs),
        preferred=tables["preferred_csv"],
        every=tables["all_csv"],
        annotated=tables["annotated_csv"],
        share=tables["share_csv"],
        missing=tables["annotated_missing"],
        manifest=tables["manifest"],
        scores=tables["scores"],
        emergence=tables["emergence"],
        summary=str(path),
        synthetic=True,
        source="sample",
        commit=None,
        run_name="sample",
        data_label=LABEL,
        triplet_rule="any",
    )
    data = json.loads(path.read_text())
    for key in (
        "synthetic",
        "source",
        "commit",
        "n_files",
        "n_families",
        "n_tasks",
        "n_curves",
        "n_emergent_curves",
        "preferred_metrics_total",
        "preferred_metrics_with_emergence",
        "annotated_metrics",
        "share_emergent_mcg_or_exact_str_match",
    ):
        assert key in data, key
    pref, every = read_csv(tables["preferred_csv"]), read_csv(tables["all_csv"])
    annotated, missing = read_csv(tables["annotated_csv"]), read_csv(tables["annotated_missing"])
    # Against the tables:
    assert data["n_curves"] == every["curves"].sum() == 6
    assert data["n_emergent_curves"] == every["emergent_curves"].sum() == 2
    assert data["preferred_metrics_total"] == len(pref) == 4  # MCG, ESM, BLEU, custom
    assert data["preferred_metrics_with_emergence"] == (pref["emergent_triplets"] > 0).sum() == 2  # MCG, ESM
    assert data["annotated_metrics"] == len(annotated) == 3  # MCG, ESM, BLEU
    assert data["annotated_cases_missing"] == len(missing) == 1
    # By hand: annotated cases found a/MCG, b/ESM x2, c/BLEU -> (1 + 2) / 4 under MCG or ESM.
    assert data["share_emergent_mcg_or_exact_str_match"] == pytest.approx(0.75)
    # Detected: emergent preferred triplets (F,a,MCG) and (G,b,ESM) -> 2 / 2.
    assert data["share_detected_emergent_mcg_or_exact_str_match"] == pytest.approx(1.0)
    assert data["headline_preferred_metrics"] == "2 of 4 preferred metrics show possible emergence (Mirage screen)"
    assert data["headline_annotated_share"].startswith("75.0% of annotated emergent tasks are scored by ")
    assert (data["n_files"], data["n_families"], data["n_tasks"]) == (3, 2, 4)
    assert data["synthetic"] is True and data["commit"] is None
    # The docs/design.md §9 and vision headline files are merged whole (the beyond label is not repeated).
    assert data["beyond"] == {"n_screened_with_trend": 1}
    assert data["vision"] == {"classifier": {"es": 3.0}}
    assert data["verdicts"] == {"headline_sharp": "1 of 2 screened curves are sharp", "screened": 2}
    assert data["metric_pairs"] == {"level": 0.95, "sources": {}, "headlines": ["no pair"]}
    assert data["annotated_cases_total"] == data["annotated_cases_found"] + data["annotated_cases_missing"] == 5
    assert not list(_records(data)), "summary.json keeps counts and sentences; rows belong in the tables"


def _records(value: Any, path: str = "") -> Iterator[str]:
    """The dotted path of every list in `value` that holds mappings (a table's rows)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _records(item, f"{path}.{key}")
    elif isinstance(value, list) and any(isinstance(item, dict) for item in value):
        yield path


def test_records_finds_a_list_of_rows() -> None:
    # The guard above can fail: a row list two levels down is found, lists of names are not.
    assert list(_records({"a": {"rows": [{"x": 1}]}, "names": ["mcg", "esm"]})) == [".a.rows"]
