"""Annotated emergence scale against unpredictable_at (scripts/verdicts/verdicts_vs_annotations.py), by hand.

BIG-G T=0 ladder (12 models, 2m … 128b = 137.4e9 non-embedding parameters: LaMDA's 137B) and a
PaLM family with only its 8b and 64b models.
"""

import numpy as np
import pandas as pd

from scripts.lib.io import read_csv
from scripts.lib.ladders import BIG_G, PALM
from scripts.verdicts.verdicts_vs_annotations import compare, parse_sizes, run

BIGG_X = [p for _, p in BIG_G]
PALM_X = [p for _, p in PALM[:2]]

# (curve_id, family, task, shots, unpredictable_at) -- NaN: not unpredictable anywhere
CURVES = [
    (0, "BIG-G T=0", "hindu_knowledge", 3, BIGG_X[11]),  # annotated 137B = rung 11: same model
    (1, "BIG-G T=0", "t2", 3, BIGG_X[10]),  # 27b: one apart
    (2, "BIG-G T=0", "t3", 3, np.nan),  # not found
    (3, "BIG-G T=0", "t6", 0, BIGG_X[8]),  # two curves of t6: the 0-shot one 3 apart ...
    (4, "BIG-G T=0", "t6", 3, BIGG_X[11]),  # ... the 3-shot one on the annotated model: reported
    (5, "BIG-G T=0", "t7", 3, BIGG_X[5]),  # 6 rungs below: further apart
    (6, "PaLM", "t5", 3, PALM_X[1]),  # annotated 540B, data up to 64b: not on the ladder
    (7, "BIG-G T=1", "t3", 3, BIGG_X[11]),  # T=1 is not LaMDA's family here
]
ANNOTATIONS = pd.DataFrame(
    [
        ("hindu_knowledge", "LaMDA", "137B"),
        ("t2", "LaMDA", "137B"),
        ("t3", "LaMDA", "137B"),
        ("t6", "LaMDA", "137B"),
        ("t7", "LaMDA", "137B"),
        ("t4", "GPT-3", "13B"),  # the data has no GPT curve of t4: left out
        ("t5", "PaLM", "540B"),
    ],
    columns=["task", "model_family", "emergence_scale"],
)


def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    verdicts = pd.DataFrame(CURVES, columns=["curve_id", "family", "task", "shots", "unpredictable_at"])
    verdicts = verdicts.assign(
        subtask=None,
        metric="multiple_choice_grade",
        is_preferred=True,
        duplicate_of=pd.array([pd.NA] * len(verdicts), dtype="Int64"),
        unpredictable=verdicts["unpredictable_at"].notna(),
        backtest_z=3.0,
        sharp=pd.array([pd.NA] * len(verdicts), dtype="boolean"),
        emergent_tested=verdicts["unpredictable_at"].notna(),
        emergence_verdict="emergent, no continuous metric to tell",
    )
    points = pd.concat(
        [pd.DataFrame({"curve_id": cid, "x": PALM_X if fam == "PaLM" else BIGG_X}) for cid, fam, *_ in CURVES]
    )
    return verdicts, points


def test_parse_sizes():
    sizes = parse_sizes(pd.Series(["13B", " 540b", "422M", "1e9", "big"]))
    assert sizes.iloc[:4].tolist() == [13e9, 540e9, 422e6, 1e9] and np.isnan(sizes.iloc[4])


def test_same_model_one_apart_and_not_found():
    table = compare(*tables(), ANNOTATIONS).set_index("task")
    assert table["match"].to_dict() == {
        "hindu_knowledge": "same model",
        "t2": "one apart",
        "t3": "not found",
        "t5": "scale not on ladder",
        "t6": "same model",
        "t7": "further apart",
    }
    assert table.loc["t2", "steps_apart"] == -1 and table.loc["t7", "steps_apart"] == -6
    assert table.loc["hindu_knowledge", "annotated_model"] == BIGG_X[11]
    assert (table.loc["t6", "curves"], table.loc["t6", "shots"]) == (2, 3)
    assert table.loc["t3", "family"] == "BIG-G T=0"  # the T=1 copy of t3 is not LaMDA's


def test_run_writes_csv_and_tex(tmp_path):
    verdicts, points = tables()
    verdicts.to_parquet(tmp_path / "v.parquet")
    points.to_parquet(tmp_path / "c.parquet")
    ANNOTATIONS.to_csv(tmp_path / "a.csv", index=False)
    run(
        verdicts=str(tmp_path / "v.parquet"),
        curves=str(tmp_path / "c.parquet"),
        annotations=str(tmp_path / "a.csv"),
        csv=str(tmp_path / "t.csv"),
        tex=str(tmp_path / "t.tex"),
        label="hand-made",
    )
    assert len(read_csv(tmp_path / "t.csv")) == 6
    assert "2 same model, 1 one apart, 1 further apart, 1 not found" in (tmp_path / "t.tex").read_text()
