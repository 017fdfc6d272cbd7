"""Verdict classes (scripts/lib/stats/verdict_classes.py) on hand-made per-curve tables, values in the test."""

import pandas as pd

from scripts.lib.stats.verdict_classes import (
    CONTINUOUS_TOO,
    METRIC_INDUCED,
    NO_CONTINUOUS,
    NOT_EMERGENT,
    continuous_partners,
    duplicate_of,
    emergence_tested,
    emergence_verdict,
    is_continuous,
    partner_verdicts,
)
from tests.helpers.extracts_testing import FACTS


def test_emergent_tested_keeps_unresolved_jumps_and_drops_resolved_smooth_ones():
    screen = pd.Series([True, True, True, True, False])
    sharp = pd.Series([True, pd.NA, False, pd.NA, True], dtype="boolean")
    unpredictable = pd.Series([True, True, True, False, True])
    # sharp True -> yes; sharp NA (GPT-3's last gap) -> yes; resolved smooth -> no; predictable -> no; no screen -> no
    assert emergence_tested(screen, sharp, unpredictable).tolist() == [True, True, False, False, False]


def points(
    curve_id: int, family: str, task: str, ys: list[float], metric: str = "multiple_choice_grade"
) -> pd.DataFrame:
    xs = [1e7, 1e8, 1e9, 1e10]
    return pd.DataFrame(
        {"curve_id": curve_id, "family": family, "task": task, "subtask": None, "shots": 0, "metric": metric}
        | {"x": xs, "y": ys}
    )


def test_identical_curves_point_to_the_first_copy():
    pts = pd.concat(
        [
            points(0, "BIG-G T=0", "strange_stories", [0.2, 0.25, 0.3, 0.6]),
            points(1, "BIG-G T=1", "strange_stories", [0.2, 0.25, 0.3, 0.6]),  # copy of 0
            points(2, "BIG-G T=1", "strange_stories", [0.2, 0.25, 0.3, 0.61]),  # one point differs
            points(3, "BIG-G T=0", "other_task", [0.2, 0.25, 0.3, 0.6]),  # same values, other examples
            points(4, "GPT", "strange_stories", [0.2, 0.25, 0.3, 0.6]),  # a third copy of 0
        ]
    )
    dup = duplicate_of(pts.sample(frac=1.0, random_state=1))
    assert dup.index.tolist() == [0, 1, 2, 3, 4]
    assert dup.tolist() == [pd.NA, 0, pd.NA, pd.NA, 0]


def curves() -> pd.DataFrame:
    rows = [
        (0, "F", "t1", "multiple_choice_grade"),
        (1, "F", "t1", "calibration_multiple_choice_brier_score"),
        (2, "F", "t2", "multiple_choice_grade"),
        (3, "F", "t2", "calibration_multiple_choice_brier_score"),
        (4, "F", "t3", "exact_str_match"),  # no continuous partner
        (5, "G", "t1", "calibration_multiple_choice_brier_score"),  # other family: no partner of 0
    ]
    frame = pd.DataFrame(rows, columns=["curve_id", "family", "task", "metric"])
    return frame.assign(subtask=None, shots=pd.array([3] * len(frame), dtype="Int64"), ladder="1|10|100")


def verdict_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "curve_id": [0, 1, 2, 3, 4, 5],
            "sharp": pd.array([pd.NA, False, True, pd.NA, True, False], dtype="boolean"),
            "unpredictable": [True, False, True, True, True, False],
            "unpredictable_at": [1e9, float("nan"), 1e9, 1e8, 1e9, float("nan")],
            "backtest_z": [3.0, 0.2, 4.0, 3.5, 5.0, 0.1],
        }
    )


def test_each_class_of_emergence_verdict():
    pairs = continuous_partners(curves(), FACTS)
    assert sorted(map(tuple, pairs[["curve_id", "continuous_curve_id"]].to_numpy())) == [(0, 1), (2, 3)]
    partners = partner_verdicts(verdict_rows(), pairs).set_index("curve_id")
    # 0: its Brier curve is predictable (unpredictable False) -> metric-induced;
    # 2: its Brier curve is unpredictable at 1e8 <= 1e9 and unresolved (NA) -> emergent under the continuous too.
    assert partners.loc[0, "continuous_emergent_at"] == False  # noqa: E712 (numpy bool)
    assert partners.loc[2, "continuous_emergent_at"] == True  # noqa: E712
    table = verdict_rows().merge(partners.reset_index(), on="curve_id", how="left")
    emergent = pd.Series([True, False, True, True, True, False])
    continuous = is_continuous(curves()["metric"], FACTS)
    assert continuous.tolist() == [False, True, False, True, False, True]
    partner = table["continuous_curve_id"].notna()
    classes = emergence_verdict(emergent, continuous, partner, table["continuous_emergent_at"])
    assert classes.astype(str).tolist() == [
        METRIC_INDUCED,
        NOT_EMERGENT,
        CONTINUOUS_TOO,
        CONTINUOUS_TOO,  # 3 is itself a Brier curve: emergent under a continuous metric
        NO_CONTINUOUS,
        NOT_EMERGENT,
    ]


def test_a_continuous_jump_after_the_sharp_one_or_resolved_smooth_does_not_count():
    rows = verdict_rows()
    rows.loc[rows["curve_id"] == 3, "unpredictable_at"] = 1e10  # after the sharp curve's 1e9
    later = partner_verdicts(rows, continuous_partners(curves(), FACTS)).set_index("curve_id")
    assert not later.loc[2, "continuous_emergent_at"]
    rows = verdict_rows()
    rows.loc[rows["curve_id"] == 3, "sharp"] = False  # the ladder resolves the continuous rise: smooth
    smooth = partner_verdicts(rows, continuous_partners(curves(), FACTS)).set_index("curve_id")
    assert not smooth.loc[2, "continuous_emergent_at"]


def test_an_untested_partner_is_no_partner():
    rows = verdict_rows()
    rows.loc[rows["curve_id"] == 1, "backtest_z"] = float("nan")  # the Brier curve was not backtested
    partners = partner_verdicts(rows, continuous_partners(curves(), FACTS))
    assert 0 not in set(partners["curve_id"])
