"""Every emergence-score rule of docs/design.md §3, pinned by hand-calculated cases."""

import math

import numpy as np
import pandas as pd
import pytest

from scripts.emergence.build_curves import build_curves
from scripts.lib.curve_schema import POINT_COLUMNS
from scripts.lib.stats.emergence import curve_es_floor, curve_statistics, es_floor, score_curves

METRICS = {
    "multiple_choice_grade": {"higher_is_better": True, "low": 0, "high": 1, "name": "MCG"},
    "exact_str_match": {"higher_is_better": True, "low": 0, "high": 1, "name": "EM"},
    "calibration_multiple_choice_brier_score": {"higher_is_better": False, "low": 0, "high": 1, "name": "Brier"},
    "log_likelihood": {"higher_is_better": True, "low": None, "high": 0, "name": "LL"},
}


def curves_of(scores: pd.DataFrame, *, min_points: int = 4, orient_metrics: bool = True):
    """build_curves over every family, shot count and entry level, on the non-embedding scale."""
    return build_curves(
        scores,
        METRICS,
        scale="non_embedding_params",
        families=[],
        shots=[],
        granularity="all",
        min_points=min_points,
        orient_metrics=orient_metrics,
    )


def scores_frame(curves: dict[str, list[float]], *, xs=(1e6, 1e7, 1e8, 1e9, 1e10), preferred=None) -> pd.DataFrame:
    """Tidy scores for one family/task/shots: one curve per metric, values at xs."""
    rows = []
    for metric, values in curves.items():
        for x, v in zip(xs, values, strict=True):
            rows.append(
                {
                    "family": "F",
                    "model_name": f"m{x:g}",
                    "non_embedding_params": x,
                    "total_params": x,
                    "flop_matched_non_embedding_params": x,
                    "task": "t",
                    "subtask": None,
                    "shots": 0,
                    "metric": metric,
                    "value": v,
                    "is_preferred": metric == preferred,
                    "low_score": 0.25 if metric == preferred else np.nan,
                    "high_score": 1.0 if metric == preferred else np.nan,
                    "source_file": "f.json",
                }
            )
    frame = pd.DataFrame(rows)
    return frame.astype({"shots": "Int64", "subtask": object})


def score(
    curves: dict[str, list[float]],
    *,
    orient: bool = True,
    threshold="auto",
    min_effect=0.05,
    min_points=4,
    floor=0.01,
    preferred=None,
    xs=(1e6, 1e7, 1e8, 1e9, 1e10),
) -> pd.DataFrame:
    points, excluded = curves_of(
        scores_frame(curves, xs=xs, preferred=preferred), min_points=min_points, orient_metrics=orient
    )
    table = score_curves(points, zero_median_floor=floor, emergence_threshold=threshold, min_effect=min_effect)
    table.attrs["excluded"] = excluded
    return table.set_index("metric")


def test_linear_curve_scores_n_minus_one():
    # y = 0, .1, .2, .3, .4: range .4, every step .1, median of squared steps .01 -> .4 / .1 = 4 = n - 1.
    row = score({"exact_str_match": [0, 0.1, 0.2, 0.3, 0.4]}).loc["exact_str_match"]
    assert row["es"] == pytest.approx(4.0)
    assert row["es_rms"] == pytest.approx(4.0)
    assert row["threshold"] == 4.0  # auto = n_points - 1
    assert not row["emergent"]  # not sharper than a straight line
    assert row["spearman_rho"] == pytest.approx(1.0)


def test_flat_curve_scores_zero():
    row = score({"exact_str_match": [0.3] * 5}).loc["exact_str_match"]
    assert row["es"] == 0 and row["es_floored"] == 0 and not row["es_infinite"] and not row["emergent"]


def test_flat_then_jump_is_infinite_with_floored_companion():
    # Steps 0, 0, 0, .5: median of squared steps is 0 -> ES = +inf, flagged.
    # Floored: denominator max(0, 0.01 * |1 - 0|) = 0.01 -> .5 / .01 = 50.
    row = score({"exact_str_match": [0, 0, 0, 0, 0.5]}).loc["exact_str_match"]
    assert math.isinf(row["es"]) and row["es"] > 0 and row["es_infinite"]
    assert row["es_floored"] == pytest.approx(50.0)
    assert row["emergent"]
    assert row["scale_of_max_jump"] == 1e10


def test_blip_on_zero_curve_is_not_emergent_by_min_effect():
    # 0 -> 0.01 at the end: ES = inf, but the range .01 is 1% of the metric range < min_effect 5%.
    row = score({"exact_str_match": [0, 0, 0, 0, 0.01]}).loc["exact_str_match"]
    assert math.isinf(row["es"]) and row["effect"] == pytest.approx(0.01) and not row["emergent"]


def test_decreasing_curve_is_negative():
    # y = .4 .3 .2 .1 0 (higher is better): argmax before argmin -> sign -1; ES = -.4/.1 = -4.
    row = score({"exact_str_match": [0.4, 0.3, 0.2, 0.1, 0.0]}).loc["exact_str_match"]
    assert row["es"] == pytest.approx(-4.0)


def test_brier_is_oriented_before_scoring():
    # Brier falls .8 .6 .4 .2 0 (improves). Negated: -.8 ... 0, rising -> ES = +.8/.2 = +4.
    # Without orientation the same curve scores -4 (the raw-value convention).
    values = {"calibration_multiple_choice_brier_score": [0.8, 0.6, 0.4, 0.2, 0.0]}
    assert score(values).loc["calibration_multiple_choice_brier_score", "es"] == pytest.approx(4.0)
    assert score(values, orient=False).loc["calibration_multiple_choice_brier_score", "es"] == pytest.approx(-4.0)


def test_nan_point_is_dropped_and_counted():
    # The NaN at 1e8 is dropped: points 0, .1, .3, .4 -> steps .1 .2 .1, squared median .01 -> ES .4/.1 = 4.
    row = score({"exact_str_match": [0, 0.1, np.nan, 0.3, 0.4]}).loc["exact_str_match"]
    assert row["n_points"] == 4 and row["n_nan_dropped"] == 1
    assert row["es"] == pytest.approx(4.0)


def test_too_few_points_are_excluded_with_reason():
    table = score({"exact_str_match": [0, np.nan, np.nan, 0.3, 0.4]})
    assert "exact_str_match" not in table.index
    excluded = table.attrs["excluded"]
    assert list(excluded["metric"]) == ["exact_str_match"]
    assert excluded["reason"].iloc[0] == (
        "3 finite point(s) < min_points=4 (2 row(s) dropped: value NaN/null or no positive non_embedding_params)"
    )


def test_duplicate_points_are_averaged_and_counted():
    # Two rows at 1e7 (0.1 and 0.3) average to 0.2: curve 0 .2 .2 .3 .4 -> steps .2 0 .1 .1,
    # squared .04 0 .01 .01, median .01 -> ES = .4 / .1 = 4.
    frame = scores_frame({"exact_str_match": [0, 0.1, 0.2, 0.3, 0.4]})
    extra = frame.iloc[[1]].assign(value=0.3)
    points, _ = curves_of(pd.concat([frame, extra]))
    table = score_curves(points, zero_median_floor=0.01, emergence_threshold="auto", min_effect=0.05)
    assert table["n_duplicates"].iloc[0] == 1
    assert points.loc[points["x"] == 1e7, "value"].iloc[0] == pytest.approx(0.2)
    assert table["es"].iloc[0] == pytest.approx(4.0)


def test_numeric_threshold_and_preferred_range():
    # Preferred MCG with low .25 (chance) high 1: values .25 .25 .25 .3 .9 -> range .65, effect .65/.75.
    # Steps 0 0 .05 .6, squared 0 0 .0025 .36 -> median .00125 -> ES = .65 / sqrt(.00125) = 18.38.
    row = score(
        {"multiple_choice_grade": [0.25, 0.25, 0.25, 0.3, 0.9]}, preferred="multiple_choice_grade", threshold=20
    ).loc["multiple_choice_grade"]
    assert row["es"] == pytest.approx(0.65 / math.sqrt(0.00125))
    assert row["effect"] == pytest.approx(0.65 / 0.75)
    assert row["threshold"] == 20 and not row["emergent"]


def test_unbounded_metric_skips_effect_check_and_floors_on_own_range():
    # log_likelihood has no lower bound: effect not checked; flat-then-jump floored by the curve's
    # own range: .5 / (0.01 * .5) = 100.
    row = score({"log_likelihood": [-3, -3, -3, -3, -2.5]}).loc["log_likelihood"]
    assert not row["effect_checked"] and math.isnan(row["effect"])
    assert row["es_floored"] == pytest.approx(100.0) and row["emergent"]


def test_curve_statistics_ties_take_first_point():
    # y = 1 0 1 0: argmax 0 (first of the ties), argmin 1 (first) -> sign(0 - 1) = -1;
    # steps -1 1 -1, squared median 1 -> ES = -1 * 1 / 1 = -1.
    pts = pd.DataFrame({"curve_id": [0] * 4, "x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 0.0, 1.0, 0.0]})
    assert curve_statistics(pts)["es"].iloc[0] == pytest.approx(-1.0)


def test_threshold_tie_in_floating_point_is_not_emergent():
    # 12 points 0, .1, ..., 1.1 are a straight line: ES = 1.1 / .1 = 11 = n - 1 exactly in real
    # arithmetic; in floating point the steps differ in the last bit. Not sharper than linear.
    xs = tuple(10.0 ** (6 + i / 2) for i in range(12))
    row = score({"exact_str_match": [i / 10 for i in range(12)]}, xs=xs).loc["exact_str_match"]
    assert row["es"] == pytest.approx(11.0) and row["threshold"] == 11.0
    assert not row["emergent"]


def test_build_curves_run_with_nothing_excluded(tmp_path) -> None:
    """A corpus where every curve is complete writes an empty exclusion table (it once crashed)."""
    import yaml

    from scripts.emergence.build_curves import run as build_curves_run
    from scripts.lib.io import read_csv

    scores = scores_frame({"multiple_choice_grade": [0.25, 0.3, 0.4, 0.6, 0.9]}, preferred="multiple_choice_grade")
    scores.to_parquet(tmp_path / "scores.parquet")
    (tmp_path / "metrics.yaml").write_text(yaml.safe_dump(METRICS))
    out = {name: str(tmp_path / f"{name}.{ext}") for name, ext in (("curves", "parquet"), ("excluded", "csv"))}
    build_curves_run(
        scores=str(tmp_path / "scores.parquet"),
        metrics=str(tmp_path / "metrics.yaml"),
        unknown=str(tmp_path / "unknown.csv"),
        scale="non_embedding_params",
        families=[],
        shots=[],
        granularity="all",
        min_points=4,
        orient_metrics=True,
        label="test",
        **out,
    )
    assert read_csv(out["excluded"]).empty
    curves = pd.read_parquet(out["curves"])
    assert len(curves) == 5 and curves["value_se"].isna().all()  # no n_examples: noise unknown
    assert list(curves.columns) == POINT_COLUMNS


def test_a_direction_stated_by_the_file_orients_an_unknown_metric() -> None:
    """lm-eval 0.4 files say higher_is_better; for a metric metrics.yaml lacks, that decides the sign."""
    scores = scores_frame({"my_loss": [4.0, 3.0, 2.0, 1.5, 1.0], "multiple_choice_grade": [0.2, 0.3, 0.4, 0.5, 0.6]})
    scores["file_higher_is_better"] = False  # the file says lower is better for both metrics
    curves, _ = curves_of(scores)
    loss = curves[curves["metric"] == "my_loss"]
    assert loss["oriented"].all() and list(loss["y"]) == [-4.0, -3.0, -2.0, -1.5, -1.0]
    mcg = curves[curves["metric"] == "multiple_choice_grade"]  # metrics.yaml wins over the file
    assert not mcg["oriented"].any()


def test_es_floor_from_the_points_equals_the_scored_tables() -> None:
    """sharpness_curves takes the floor from curves.parquet alone; it must be the scored table's floor.

    By hand: the preferred MCG curve has the entry's range [0.25, 1], floor 0.01 x 0.75 = 0.0075;
    bleu is not in this module's METRICS (unknown: unbounded), so its floor is 0.01 x its own range 40 - 2 = 0.38.
    """
    points, _ = curves_of(
        scores_frame(
            {"multiple_choice_grade": [0.25, 0.25, 0.26, 0.25, 0.9], "bleu": [2.0, 3.0, 2.5, 10.0, 40.0]},
            preferred="multiple_choice_grade",
        )
    )
    scored = score_curves(points, zero_median_floor=0.01, emergence_threshold=5, min_effect=0.05)
    floor = curve_es_floor(points, 0.01)
    expected = es_floor(scored["low"], scored["high"], scored["range"], 0.01)
    assert floor.reindex(scored["curve_id"]).to_numpy() == pytest.approx(expected)
    assert sorted(floor.to_numpy()) == pytest.approx([0.0075, 0.38])
