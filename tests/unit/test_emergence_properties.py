"""Properties of the emergence score (docs/design.md §11.1), and the vectorised code against a plain reference.

Every property goes through the real path of the pipeline: tidy score rows -> `build_curves`
(drop NaN, average duplicate sizes, orient) -> `score_curves` (`curve_statistics` inside).

Floating point. The claims below are exact identities of the mathematics; in floating point they
hold exactly only where every operation is exact. So the hypothesis curves take their values on a
dyadic grid (multiples of 1/4, |y| <= 2) and put 1, 2 or 4 rows at one size: sums, means of the
duplicates, steps, their squares and the median of the squares are then all exact, whatever the
order of the rows, and a positive affine map a*y + b with a a power of two and b on the grid is
exact too, so "ES unchanged" can be checked with `==`, infinities included. With arbitrary floats
the mathematics genuinely differs at the last bit: the mean of duplicates depends on the order of
the summation, and mean(a*y1 + b, a*y2 + b) need not equal a*mean(y1, y2) + b, so a step that is
exactly 0 (median 0, ES = +-inf) can become 1e-17 (ES ~ 1e16). The one property also checked on
general floats (affine map with arbitrary a, b) therefore has no duplicate sizes (equal values
then map to equal values, so zero steps stay exactly zero) and compares finite scores with a
relative tolerance.

Hypothesis is derandomized (fixed examples, no example database), with bounded example counts;
every example scores the original and the transformed curve in one call.
"""

import math
import statistics
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from scripts.emergence.build_curves import build_curves
from scripts.lib.stats.emergence import score_curves

PROPERTY = settings(
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

METRICS = {
    "multiple_choice_grade": {"higher_is_better": True, "low": 0, "high": 1},
    "calibration_multiple_choice_brier_score": {"higher_is_better": False, "low": 0, "high": 1},
    "log_likelihood": {"higher_is_better": True, "low": None, "high": 0},  # unbounded below
}
UNKNOWN = "mystery_metric"  # not in METRICS: higher is better, unbounded
FLOOR = 0.01
MIN_EFFECT = 0.05

Rows = list[tuple[float, float]]  # (scale, value) rows of one curve, as the tidy table has them


def tidy(curves: list[Rows], *, metric: str = UNKNOWN, preferred: bool = False) -> pd.DataFrame:
    """Tidy score rows: curve i is task 't{i}' of family F, 0-shot, task level."""
    return tidy_mixed([(metric, preferred, rows) for rows in curves])


def tidy_mixed(curves: list[tuple[str, bool, Rows]]) -> pd.DataFrame:
    """As `tidy`, with each curve's own (metric, is_preferred)."""
    records = [
        {
            "family": "F",
            "model_name": f"m{x:g}",
            "non_embedding_params": x,
            "total_params": x,
            "flop_matched_non_embedding_params": x,
            "task": f"t{i:05d}",
            "subtask": None,
            "shots": 0,
            "metric": metric,
            "value": value,
            "is_preferred": preferred,
            "low_score": 0.25 if preferred else np.nan,
            "high_score": 1.0 if preferred else np.nan,
            "source_file": "f.json",
        }
        for i, (metric, preferred, rows) in enumerate(curves)
        for x, value in rows
    ]
    return pd.DataFrame(records).astype({"shots": "Int64", "subtask": object, "value": float})


def score(frame: pd.DataFrame, *, min_points: int = 3) -> pd.DataFrame:
    """build_curves + score_curves, one row per scored curve, indexed by task."""
    points, _ = build_curves(
        frame,
        METRICS,
        scale="non_embedding_params",
        families=[],
        shots=[],
        granularity="all",
        min_points=min_points,
        orient_metrics=True,
    )
    table = score_curves(points, zero_median_floor=FLOOR, emergence_threshold="auto", min_effect=MIN_EFFECT)
    return table.set_index("task")


def score_pair(a: Rows, b: Rows, **kwargs) -> tuple[pd.Series, pd.Series]:
    table = score(tidy([a, b], **kwargs))
    return table.loc["t00000"], table.loc["t00001"]


def aggregate(rows: Rows) -> tuple[list[float], list[float]]:
    """The curve a list of rows makes: finite rows, duplicates averaged, sorted by scale."""
    by_x: dict[float, list[float]] = {}
    for x, v in rows:
        if math.isfinite(v) and math.isfinite(x) and x > 0:
            by_x.setdefault(x, []).append(v)
    xs = sorted(by_x)
    return xs, [sum(by_x[x]) / len(by_x[x]) for x in xs]


# -- strategies ---------------------------------------------------------------------------------
@st.composite
def grid_curves(draw, *, min_points: int = 3, max_points: int = 10, dups: bool = True, spans=(0, 1, 2, 8)) -> Rows:
    """Rows of one curve: distinct integer sizes, values k/4 with |k| <= span, 1/2/4 rows per size.

    A span of 0 gives a flat curve and a span of 1 three levels, so ties in argmax/argmin and
    zero medians are common; a quarter of the curves are flat, then one jump (median 0, ES +-inf,
    or 0 when the jump is 0). The rows come in a random order.
    """
    n = draw(st.integers(min_points, max_points))
    span = draw(st.sampled_from(spans))
    sizes = sorted(draw(st.lists(st.integers(1, 10**12), min_size=n, max_size=n, unique=True)))
    flat_jump = draw(st.integers(0, 3)) == 0
    cut, jump = draw(st.integers(0, n - 1)), draw(st.integers(-8, 8))
    rows = []
    for i, x in enumerate(sizes):
        copies = draw(st.sampled_from([1, 1, 1, 2, 4])) if dups else 1
        for _ in range(copies):
            k = (jump if i >= cut else 0) if flat_jump else draw(st.integers(-span, span))
            rows.append((float(x), k / 4))
    return list(draw(st.permutations(rows)))


def same(a: float, b: float) -> bool:
    """Exact equality, infinities included (-0.0 == 0.0)."""
    return a == b or (math.isnan(a) and math.isnan(b))


# -- properties ---------------------------------------------------------------------------------
@PROPERTY
@given(rows=grid_curves(), k=st.integers(-3, 3), b=st.integers(-8, 8))
def test_es_unchanged_by_positive_affine_map_of_values(rows, k, b):
    # a = 2**k > 0 and b on the grid: every operation stays exact (module docstring), so == holds.
    a = 2.0**k
    mapped = [(x, a * v + b / 4) for x, v in rows]
    before, after = score_pair(rows, mapped)
    assert same(before["es"], after["es"]), (before["es"], after["es"])
    assert before["es_infinite"] == after["es_infinite"]
    # The metric is unbounded, so the floor is a fraction of the curve's own range: also invariant.
    assert same(before["es_floored"], after["es_floored"])


@PROPERTY
@given(
    rows=grid_curves(dups=False, spans=(1, 2, 8)),
    a=st.floats(0.01, 100, allow_nan=False, allow_infinity=False),
    b=st.floats(-10, 10, allow_nan=False, allow_infinity=False),
)
def test_es_unchanged_by_general_affine_map_up_to_rounding(rows, a, b):
    # Arbitrary a > 0 and b: a*y + b rounds, so finite scores agree to a relative tolerance. One
    # row per size (no averaging), so equal values map to equal values and a zero step stays
    # exactly zero: ES = +-inf is preserved exactly. Steps are >= 1/4 and |y| <= 2, so with
    # a >= 0.01 no nonzero step can round to zero.
    mapped = [(x, a * v + b) for x, v in rows]
    before, after = score_pair(rows, mapped)
    assert before["es_infinite"] == after["es_infinite"]
    if math.isfinite(before["es"]):
        assert after["es"] == pytest.approx(before["es"], rel=1e-9, abs=1e-12)
    else:
        assert before["es"] == after["es"]


@PROPERTY
@given(rows=grid_curves(), data=st.data())
def test_es_unchanged_by_strictly_increasing_map_of_scales(rows, data):
    # Any strictly increasing map of the distinct sizes = any other sorted set of distinct positive
    # sizes, assigned in rank order (duplicates at one size stay together).
    old = sorted({x for x, _ in rows})
    new = sorted(
        data.draw(
            st.lists(
                st.floats(1e-3, 1e15, allow_nan=False, allow_infinity=False),
                min_size=len(old),
                max_size=len(old),
                unique=True,
            )
        )
    )
    to_new = dict(zip(old, new, strict=True))
    mapped = [(to_new[x], v) for x, v in rows]
    before, after = score_pair(rows, mapped)
    for column in ("es", "es_floored", "es_rms", "n_points", "n_duplicates", "spearman_rho"):
        assert same(before[column], after[column]), column
    if not math.isnan(before["scale_of_max_jump"]):
        assert after["scale_of_max_jump"] == to_new[before["scale_of_max_jump"]]


@PROPERTY
@given(rows=grid_curves(), data=st.data())
def test_es_unchanged_by_order_of_input_rows(rows, data):
    shuffled = data.draw(st.permutations(rows))
    before, after = score_pair(rows, list(shuffled))
    for column in ("es", "es_floored", "es_rms", "es_infinite", "n_points", "n_duplicates", "scale_of_max_jump"):
        assert same(before[column], after[column]), column


@PROPERTY
@given(rows=grid_curves(spans=(1, 2, 8)))
def test_es_of_negated_values_is_negated_when_extremes_are_unique(rows):
    # Negation is exact in floating point. With ties the rule "first point wins" breaks the
    # symmetry (1 0 1 0 scores -1, its negation 0 1 0 1 scores -1 too), hence the condition.
    _, y = aggregate(rows)
    assume(y.count(max(y)) == 1 and y.count(min(y)) == 1)
    before, after = score_pair(rows, [(x, -v) for x, v in rows])
    assert after["es"] == -before["es"]
    assert after["es_floored"] == -before["es_floored"]


@PROPERTY
@given(rows=grid_curves(), metric=st.sampled_from([*METRICS, UNKNOWN]), preferred=st.booleans())
def test_floored_es_is_finite_with_the_sign_of_es(rows, metric, preferred):
    # Bounded metrics floor at FLOOR x their range, the preferred one at FLOOR x (high - low) of
    # its entry, unbounded ones at FLOOR x the curve's own range: a positive denominator whenever
    # the range is positive, so es_floored is finite; it never exceeds ES in size.
    row = score(tidy([rows], metric=metric, preferred=preferred)).iloc[0]
    assert math.isfinite(row["es_floored"])
    assert np.sign(row["es_floored"]) == np.sign(row["es"])
    assert abs(row["es_floored"]) <= abs(row["es"])
    assert row["es_infinite"] == math.isinf(row["es"])


@PROPERTY
@given(rows=grid_curves(), data=st.data())
def test_nan_values_are_dropped_not_propagated(rows, data):
    # NaN rows at sizes of the curve (next to real values) and at new sizes (NaN only) are dropped
    # and counted; the curve is scored as if they were never there.
    sizes = sorted({x for x, _ in rows})
    at = data.draw(st.lists(st.sampled_from(sizes) | st.integers(10**12 + 1, 10**13).map(float), min_size=1))
    noisy = data.draw(st.permutations(rows + [(x, math.nan) for x in at]))
    before, after = score_pair(rows, list(noisy))
    assert not math.isnan(after["es"]) and not math.isnan(after["es_floored"])
    assert after["n_nan_dropped"] == len(at)
    for column in ("es", "es_floored", "es_rms", "es_infinite", "n_points", "n_duplicates"):
        assert same(before[column], after[column]), column


def test_a_curve_of_only_nan_is_excluded_not_scored():
    frame = tidy([[(1.0, 0.0), (2.0, 0.25), (3.0, 1.0)], [(1.0, math.nan), (2.0, math.nan), (3.0, math.nan)]])
    table = score(frame)
    assert list(table.index) == ["t00000"]


# -- the vectorised code against a plain per-curve reference ------------------------------------
def reference_scores(
    rows: Rows, *, metric: str, preferred: bool, min_points: int, floor: float = FLOOR, min_effect: float = MIN_EFFECT
) -> dict | None:
    """Everything docs/design.md §3 says about one curve, one curve at a time, in plain Python.

    None when the curve has fewer than min_points finite points (excluded).
    """
    finite = [(x, v) for x, v in rows if math.isfinite(v)]
    xs, values = aggregate(finite)
    n = len(xs)
    if n < min_points:
        return None
    facts = METRICS.get(metric, {"higher_is_better": True, "low": None, "high": None})
    y = values if facts["higher_is_better"] else [-v for v in values]
    spread = max(y) - min(y)
    steps = [b - a for a, b in zip(y, y[1:], strict=False)]
    median = statistics.median([d * d for d in steps])
    mean = statistics.fmean([d * d for d in steps])
    sign = int(np.sign(y.index(max(y)) - y.index(min(y))))  # list.index: the first of tied extremes
    if spread == 0:
        es = es_rms = 0.0
    else:
        es = sign * math.inf if median == 0 else sign * spread / math.sqrt(median)
        es_rms = sign * spread / math.sqrt(mean)
    low, high = (0.25, 1.0) if preferred else (facts["low"], facts["high"])
    bounded = low is not None and high is not None and high != low
    width = abs(high - low) if bounded else math.nan
    denominator = max(math.sqrt(median), floor * (width if bounded else spread))
    es_floored = 0.0 if spread == 0 else sign * spread / denominator
    effect = spread / width if bounded else math.nan
    jump = max(range(len(steps)), key=lambda i: (steps[i], -i))  # largest step, first of ties
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on a constant input (rho undefined -> NaN)
        rho = float(scipy_stats.spearmanr(xs, y).statistic)
    return {
        "n_points": n,
        "n_nan_dropped": len(rows) - len(finite),
        "n_duplicates": len(finite) - n,
        "x_min": xs[0],
        "x_max": xs[-1],
        "y_min": min(y),
        "y_max": max(y),
        "y_first": y[0],
        "y_last": y[-1],
        "range": spread,
        "es": es,
        "es_infinite": math.isinf(es),
        "es_floored": es_floored,
        "es_rms": es_rms,
        "effect": effect,
        "effect_checked": bounded,
        "spearman_rho": rho,
        "scale_of_max_jump": xs[jump + 1] if steps[jump] > 0 else math.nan,
        "threshold": float(n - 1),
        "emergent": es > n - 1 and (not bounded or effect >= min_effect),
        "oriented": not facts["higher_is_better"],
    }


def random_curves(rng: np.random.Generator, n_curves: int) -> list[tuple[str, bool, Rows]]:
    """(metric, preferred, rows) of varied curves: grid values with ties, flat-then-jump (zero
    median), constant, smooth floats, NaN rows, duplicates, 1-12 sizes (some below min_points)."""
    metrics = [*METRICS, UNKNOWN]
    out = []
    for _ in range(n_curves):
        n = int(rng.integers(1, 13))
        sizes = rng.choice(np.arange(1, 10**6), size=n, replace=False).astype(float) * 1e3
        kind = rng.choice(["grid", "flat_jump", "constant", "smooth", "nan"], p=[0.4, 0.15, 0.05, 0.25, 0.15])
        if kind == "smooth":  # arbitrary floats, one row per size (see the module docstring)
            rows = [(x, float(v)) for x, v in zip(sizes, rng.normal(0, 1, n), strict=True)]
        else:
            if kind == "flat_jump":
                cut = int(rng.integers(0, n))
                levels = np.where(np.arange(n) >= cut, int(rng.integers(-4, 5)), 0)
            elif kind == "constant":
                levels = np.full(n, int(rng.integers(-4, 5)))
            else:
                levels = rng.integers(-2, 3, n) if rng.random() < 0.5 else rng.integers(-8, 9, n)
            rows = []
            for x, level in zip(sizes, levels, strict=True):
                copies = int(rng.choice([1, 1, 1, 2, 4]))
                # duplicates straddle the level by +-1/4 (pairs) so their mean is exact and differs
                # from each row; 4 copies are two such pairs
                offsets = [0.0] if copies == 1 else [0.25, -0.25] * (copies // 2)
                rows.extend((x, level / 4 + o) for o in offsets)
            if kind == "nan":
                rows.extend((float(x), math.nan) for x in rng.choice(sizes, size=int(rng.integers(1, 4))))
        order = rng.permutation(len(rows))
        metric = str(rng.choice(metrics))
        preferred = metric == "multiple_choice_grade" and bool(rng.random() < 0.5)
        out.append((metric, preferred, [rows[i] for i in order]))
    return out


def compare_with_reference(curves: list[tuple[str, bool, Rows]], *, min_points: int) -> int:
    """One vectorised call over every curve, then each curve against `reference_scores`."""
    frame = tidy_mixed(curves)
    table = score(frame, min_points=min_points)

    expected = {}
    for i, (metric, preferred, rows) in enumerate(curves):
        ref = reference_scores(rows, metric=metric, preferred=preferred, min_points=min_points)
        if ref is not None:
            expected[f"t{i:05d}"] = ref
    assert sorted(table.index) == sorted(expected), "scored curves differ from those with >= min_points points"
    if not expected:
        return 0
    ref = pd.DataFrame.from_dict(expected, orient="index").loc[table.index]

    exact = ["n_points", "n_nan_dropped", "n_duplicates", "es_infinite", "effect_checked", "oriented", "threshold"]
    for column in exact:
        assert (table[column].to_numpy() == ref[column].to_numpy()).all(), column
    for column in ["x_min", "x_max", "y_min", "y_max", "y_first", "y_last", "range", "scale_of_max_jump"]:
        np.testing.assert_array_equal(table[column].to_numpy(float), ref[column].to_numpy(float), err_msg=column)
    # Ratios: the same formula, but a median/mean of squares may be summed in another order.
    for column in ["es", "es_floored", "es_rms", "effect", "spearman_rho"]:
        np.testing.assert_allclose(
            table[column].to_numpy(float), ref[column].to_numpy(float), rtol=1e-9, atol=1e-12, err_msg=column
        )
    # The flag compares ES with n - 1; a curve within rounding of the threshold could flip.
    clear = ~np.isclose(ref["es"].to_numpy(float), ref["threshold"].to_numpy(float), rtol=1e-9)
    assert (table["emergent"].to_numpy()[clear] == ref["emergent"].to_numpy()[clear]).all()
    return len(table)


def test_vectorised_scores_equal_reference_on_thousands_of_curves():
    curves = random_curves(np.random.default_rng(20230428), 4000)
    n_scored = compare_with_reference(curves, min_points=4)
    # The mix really contains what it is meant to test.
    refs = [reference_scores(r, metric=m, preferred=p, min_points=4) for m, p, r in curves]
    refs = [r for r in refs if r is not None]
    assert n_scored == len(refs) > 2500
    assert sum(r["es_infinite"] for r in refs) > 100  # zero medians
    assert sum(r["es"] == 0 for r in refs) > 50  # flat curves
    assert sum(r["n_duplicates"] > 0 for r in refs) > 500
    assert sum(r["n_nan_dropped"] > 0 for r in refs) > 200
    assert sum(r["oriented"] for r in refs) > 500
    assert sum(r["emergent"] for r in refs) > 100


@settings(derandomize=True, database=None, max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    curves=st.lists(
        st.tuples(st.sampled_from([*METRICS, UNKNOWN]), st.booleans(), grid_curves(min_points=1, max_points=8)),
        min_size=1,
        max_size=40,
    )
)
def test_vectorised_scores_equal_reference_on_generated_batches(curves):
    curves = [(m, p and m == "multiple_choice_grade", rows) for m, p, rows in curves]
    compare_with_reference(curves, min_points=3)
