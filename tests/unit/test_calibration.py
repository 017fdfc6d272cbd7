"""The calibration (scripts/lib/stats/calibration_verdicts.py, scripts/verdicts/calibration_study.py) and its
curves with known truth. SYNTHETIC.

The generator's shapes are checked against values worked out by hand; the study is run with a
few curves per cell only to check the table's cells and columns; the pass/fail rule is checked
on hand-made verdicts.
"""

import numpy as np
import pandas as pd
import pytest

from scripts.lib.stats.calibration_curves import (
    LADDERS,
    LOW,
    jump_shapes,
    onset_hidden,
    rise_visible,
    sigmoid,
    simulate,
    smooth_shapes,
)
from scripts.lib.stats.calibration_verdicts import CELL, screen_flags, screen_inputs, verdict_table
from scripts.verdicts.calibration_study import REASONS, rate_table, shape_table, summary_rows, with_screen

BIG_G = LADDERS["BIG-G"]
SWEEP = {"widths": [1.0, 2.0], "centres": [0.0, 1.0]}


def by_name(shapes):
    return {s.name: s for s in shapes}


def test_ladders_are_the_real_ones():
    assert len(BIG_G) == 12 and BIG_G[-1] == pytest.approx(137440272384)
    assert len(LADDERS["GPT-3"]) == 8 and LADDERS["GPT-3"][-1] == pytest.approx(174.6e9)
    assert LADDERS["PaLM"].tolist() == pytest.approx([8.6e9, 62.5e9, 540e9])


@pytest.mark.parametrize(("kind", "lo", "mid"), [("logistic", -0.5, 0.0), ("gumbel", -0.3473557, 0.1526443)])
def test_sigmoids_are_one_width_wide_by_the_smooth_nulls_measure(kind, lo, mid):
    # Width = twice the steeper half-rise (10 -> 50 %): half a decade for a 1-decade curve.
    # Logistic: 10 % half a decade below the centre, 50 % at it. Gumbel exp(-exp(-s)): 0.1 at
    # s = -ln(ln 10) = -0.8340, 0.5 at s = -ln(ln 2) = 0.3665, 1.2005 apart (its steeper half), so
    # s = 2.4011 per decade: 0.1 at -0.3474 and 0.5 at +0.1526 decades from the centre.
    assert sigmoid(kind, np.array([3.0 + lo, 3.0 + mid]), 3.0, 1.0) == pytest.approx([0.1, 0.5], abs=1e-6)
    assert sigmoid(kind, np.array([3.0 + 2 * lo, 3.0 + 2 * mid]), 3.0, 2.0) == pytest.approx([0.1, 0.5], abs=1e-6)


def test_boundary_shapes_are_one_resolution_wide_in_the_last_gap():
    shapes = by_name(smooth_shapes(BIG_G, min_width=1.0, **SWEEP))
    t = np.log10(BIG_G)
    mid = 0.5 * (t[-2] + t[-1])  # 27B -> 128B: 10.80
    assert mid == pytest.approx(10.8002, abs=1e-4)
    # Logistic 1 decade wide (w = 1 / 4.394) centred there: the top model, 0.338 decades above the
    # centre, reads 0.25 + 0.5 / (1 + exp(-0.338 * 4.394)) = 0.6577; 27B the mirror image 0.3423.
    p = shapes["boundary_logistic"].p
    assert p[-1] == pytest.approx(0.65766, abs=1e-5) and p[-2] == pytest.approx(1.0 - 0.65766, abs=1e-5)
    assert LOW + 0.5 * sigmoid("logistic", np.array([mid - 0.5]), mid, 1.0)[0] == pytest.approx(0.30)
    assert shapes["boundary_gumbel"].smooth and shapes["boundary_gumbel"].family == "boundary"


def test_mirage_shapes_use_the_published_exponents():
    shapes = by_name(smooth_shapes(BIG_G, min_width=1.0, **SWEEP))
    # p = exp(-(c / N)^alpha) with c the top model: 1/e there; at 2M parameters, 4.82 decades below,
    # exp(-65510^0.076) = 0.0980 (Kaplan) and exp(-65510^0.34) = 1.4e-19 (Hoffmann).
    kaplan, hoffmann = shapes["mirage_a0.076_c1.00"].p, shapes["mirage_a0.34_c1.00"].p
    assert kaplan[-1] == pytest.approx(np.exp(-1.0)) and hoffmann[-1] == pytest.approx(np.exp(-1.0))
    assert kaplan[0] == pytest.approx(0.09798, abs=1e-5)
    assert hoffmann[0] == pytest.approx(1.41e-19, rel=1e-2)


def test_lines_and_power_laws_span_the_ladder():
    shapes = by_name(smooth_shapes(LADDERS["GPT-3"], min_width=1.0, **SWEEP))
    for name in ("line", "power_u0.5", "power_u2", "power_u3", "power_N0.2"):
        assert shapes[name].p[[0, -1]] == pytest.approx([0.25, 0.75])
    u = np.log10(LADDERS["GPT-3"] / LADDERS["GPT-3"][0]) / np.log10(LADDERS["GPT-3"][-1] / LADDERS["GPT-3"][0])
    assert shapes["power_u2"].p == pytest.approx(0.25 + 0.5 * u**2)


def test_every_smooth_shape_is_a_non_decreasing_score():
    for x in LADDERS.values():
        shapes = smooth_shapes(x, min_width=1.0, **SWEEP)
        assert len({s.name for s in shapes}) == len(shapes) == 2 + 2 * 2 * 2 + 2 * 2 + 1 + 3 + 1
        for s in shapes:
            assert s.smooth and np.all(np.diff(s.p) >= 0) and np.all((s.p >= 0) & (s.p <= 1)), s.name


def test_jumps_at_every_gap_the_last_included():
    # n = 100, phi = 1: SE = sqrt(0.25 * 0.75 / 100) = 0.0433, so 4 SE lifts 0.25 to 0.4232.
    shapes = jump_shapes(BIG_G, n=100, phi=1.0, jumps_se=[2.0, 4.0])
    assert len(shapes) == 11 * 2 and {s.gap for s in shapes} == set(range(11))
    last = by_name(shapes)["jump_4se_gap10"]
    assert not last.smooth and last.jump_se == 4.0
    assert last.p[:11] == pytest.approx([0.25] * 11) and last.p[11] == pytest.approx(0.423205, abs=1e-6)
    first = by_name(shapes)["jump_2se_gap0"]
    assert first.p[0] == pytest.approx(0.25) and first.p[1:] == pytest.approx([0.25 + 2 * 0.0433013] * 11)
    # n = 32, phi = 5: 8 SE = 8 sqrt(5 * 0.1875 / 32) = 1.37 above chance, clipped at 1.
    assert jump_shapes(LADDERS["PaLM"], n=32, phi=5.0, jumps_se=[8.0])[1].p.tolist() == [0.25, 0.25, 1.0]


@pytest.mark.parametrize("phi", [1.0, 5.0])
def test_simulated_readings_have_phi_times_the_binomial_variance(phi):
    p = np.array([0.25, 0.5, 0.9])
    y = simulate(p, n=1000, phi=phi, reps=20000, rng=np.random.default_rng(1))
    assert y.mean(axis=0) == pytest.approx(p, abs=0.002)
    assert y.var(axis=0) == pytest.approx(phi * p * (1 - p) / 1000, rel=0.05)


CAL = {
    "reps": 2,
    "draws": 200,
    "seed": 1,
    "n_examples": [100],
    "phi": [1.0, 2.0],
    "widths": [1.0],
    "centres": [1.0],
    "jumps_se": [8.0],
    "coverage_floor": 0.9,
}
SHARPNESS = {"min_width_decades": 1.0, "stop_after": 10, "seed": 2, "statistic": "lr", "fdr": 0.05}
BACKTEST = {"holdout": 1, "alpha": 0.05, "min_train": 4, "extrapolation": 0.5}
SCREEN = {"min_effect": 0.05, "emergence_threshold": "auto"}
LEVELS = {"sharp": 0.05, "unpredictable": 0.05, "emergent_tested": 0.05}


@pytest.fixture(scope="module")
def table():
    curves = with_screen(verdict_table(CAL, SHARPNESS, BACKTEST), SCREEN)
    return rate_table(curves, levels=LEVELS, coverage_floor=0.9)


def test_rate_table_has_every_cell_and_column(table):
    assert list(table.columns) == [
        *CELL,
        "family",
        "smooth",
        "gap",
        "gap_log10_x",
        "jump_se",
        "rise_visible",
        "rate",
        "value",
        "curves",
        "mc_se",
        "level",
        "bound",
        "ok",
        "reason",
    ]
    n_smooth, gaps = 2 + 2 + 2 + 1 + 3 + 1, {"BIG-G": 11, "GPT-3": 7, "PaLM": 2}
    cells = table.drop_duplicates(CELL)
    for ladder, part in cells.groupby("ladder"):
        assert len(part) == 2 * (n_smooth + gaps[ladder]), ladder  # 2 phi x (smooth + one jump per gap)
    rates = table.groupby("rate").size()
    assert rates["sharp"] == rates["unpredictable"] == rates["emergent_tested"] == len(cells)
    assert rates["coverage"] == int(cells["smooth"].sum())
    assert table.loc[~table["smooth"], "ok"].isna().all() and table.loc[~table["smooth"], "rise_visible"].isna().all()
    # Only unpredictable and coverage go unjudged, and only where the onset is hidden.
    unjudged = table[table["smooth"] & table["ok"].isna() & table["value"].notna()]
    assert set(unjudged["rate"]) <= {"unpredictable", "coverage"}
    assert (~unjudged["rise_visible"].astype(bool)).all() and (unjudged["reason"] == REASONS["hidden"]).all()
    assert ((table["value"].dropna() >= 0) & (table["value"].dropna() <= 1)).all()


def hand_curves(flags: list[bool], covered: list[bool] | None = None, visible: bool = True) -> pd.DataFrame:
    """One smooth cell of hand-made verdicts (`visible`: the truth's rise is visible to the smaller models)."""
    return pd.DataFrame(
        {
            "ladder": "BIG-G",
            "n_examples": 100,
            "phi": 1.0,
            "shape": "line",
            "family": "line",
            "smooth": True,
            "gap": -1,
            "gap_log10_x": np.nan,
            "jump_se": np.nan,
            "rise_visible": visible,
            "rise_visible_top": visible,
            "sharp": pd.array(flags, dtype="boolean"),
            "unpredictable": flags,
            "emergent_tested": [False] * len(flags),
            "covered": pd.array(covered if covered is not None else [True] * len(flags), dtype="boolean"),
        }
    )


@pytest.mark.parametrize(("hits", "ok"), [(9, True), (10, True), (12, False)])
def test_ok_follows_level_plus_two_monte_carlo_se(hits, ok):
    # 100 curves: 9 -> SE sqrt(0.09 * 0.91 / 100) = 0.0286, bound 0.05 + 0.0572 = 0.107 >= 0.09;
    # 12 -> SE 0.0325, bound 0.115 < 0.12. 0 hits: SE at the level, sqrt(0.05 * 0.95 / 100) = 0.0218.
    rows = rate_table(hand_curves([True] * hits + [False] * (100 - hits)), levels=LEVELS, coverage_floor=0.9)
    row = rows.set_index("rate").loc["sharp"]
    assert row["value"] == pytest.approx(hits / 100)
    assert row["mc_se"] == pytest.approx(np.sqrt(max(hits / 100 * (1 - hits / 100), 0.0475) / 100))
    assert row["bound"] == pytest.approx(0.05 + 2 * row["mc_se"])
    assert bool(row["ok"]) is ok
    zero = rows.set_index("rate").loc["emergent_tested"]
    assert zero["mc_se"] == pytest.approx(0.021794, abs=1e-6) and bool(zero["ok"])


def test_coverage_ok_against_its_floor():
    # 80 of 100 covered: misses 0.20, SE sqrt(0.2 * 0.8 / 100) = 0.04, 0.20 > 0.10 + 0.08: fails;
    # 85: misses 0.15, SE 0.0357, 0.15 <= 0.10 + 0.0714: passes.
    rows = rate_table(hand_curves([False] * 100, [True] * 80 + [False] * 20), levels=LEVELS, coverage_floor=0.9)
    cov = rows.set_index("rate").loc["coverage"]
    assert cov["value"] == pytest.approx(0.80) and cov["bound"] == pytest.approx(0.82)
    assert not bool(cov["ok"])
    rows = rate_table(hand_curves([False] * 100, [True] * 85 + [False] * 15), levels=LEVELS, coverage_floor=0.9)
    assert bool(rows.set_index("rate").loc["coverage", "ok"])


def test_summary_names_the_worst_cell_per_rate():
    a = hand_curves([True] * 3 + [False] * 97)
    b = hand_curves([True] * 20 + [False] * 80).assign(shape="power_u2", family="power")
    summary = summary_rows(rate_table(pd.concat([a, b]), levels=LEVELS, coverage_floor=0.9)).set_index("rate")
    assert summary.loc["sharp", "shape"] == "power_u2" and summary.loc["sharp", "worst"] == pytest.approx(0.2)
    assert summary.loc["sharp", "cells"] == 2 and summary.loc["sharp", "cells_ok"] == 1
    assert not summary.loc["sharp", "all_ok"] and summary.loc["emergent_tested", "all_ok"]


# Six models; n = 100, phi = 1. Reading SEs: at 0.25 sqrt(0.25 * 0.75 / 100) = 0.0433, at 0.26
# sqrt(0.26 * 0.74 / 100) = 0.0439, at 0.45 sqrt(0.45 * 0.55 / 100) = 0.0497 (2 SE: 0.0866, 0.0877, 0.0995).
LATE = np.array([0.25, 0.25, 0.25, 0.25, 0.26, 0.45])
EARLY = np.array([0.25, 0.25, 0.25, 0.25, 0.45, 0.50])


def test_a_late_onset_is_hidden_from_the_smaller_models():
    # LATE, model 5 from models 0-4: 0.26 - 0.25 = 0.01 < 0.0877 (flat below) and 0.45 - 0.26 = 0.19
    # >= 0.0995: hidden. Model 4 from 0-3: flat below, but 0.26 - 0.25 = 0.01 < 0.0877: nothing to foresee.
    assert onset_hidden(LATE, np.array([3, 4]), np.array([4, 5]), n=100, phi=1.0).tolist() == [False, True]
    assert rise_visible(LATE, n=100, phi=1.0, min_train=4, holdout=1) == (False, False)
    # n = 10: 2 SE at 0.45 is 2 sqrt(0.2475 / 10) = 0.315 > 0.19, a step the noise hides: visible.
    assert rise_visible(LATE, n=10, phi=1.0, min_train=4, holdout=1) == (True, True)
    # phi = 5 widens the 2 SE at 0.45 to 0.0995 sqrt(5) = 0.222 > 0.19: visible too.
    assert rise_visible(LATE, n=100, phi=5.0, min_train=4, holdout=1) == (True, True)


def test_a_rise_that_shows_below_the_model_is_visible():
    # EARLY: model 4 (0.45, 0.20 above flat models 0-3, >= 0.0995) is a hidden onset, but model 5 is
    # predicted from models 0-4, whose last stands 0.20 >= 2 SE (0.0995) above the first: visible.
    assert rise_visible(EARLY, n=100, phi=1.0, min_train=4, holdout=1) == (False, True)
    # With min_train = 5 only model 5 is predicted: nothing hidden.
    assert rise_visible(EARLY, n=100, phi=1.0, min_train=5, holdout=1) == (True, True)
    # holdout = 2: the largest model from models 0-3, flat, and 0.50 - 0.25 = 0.25 >= 2 sqrt(0.25 / 100) = 0.10.
    assert rise_visible(EARLY, n=100, phi=1.0, min_train=5, holdout=2) == (True, False)


def test_hidden_onsets_are_reported_not_judged():
    # 30 of 100 called unpredictable and 60 covered: a failure where the rise is visible, the right
    # answer (not judged, `ok` NA, with its reason) where it is hidden; sharp is judged in both.
    flags = [True] * 30 + [False] * 70
    covered = [True] * 60 + [False] * 40
    visible = rate_table(hand_curves(flags, covered), levels=LEVELS, coverage_floor=0.9).set_index("rate")
    hidden = rate_table(hand_curves(flags, covered, visible=False), levels=LEVELS, coverage_floor=0.9)
    hidden = hidden.set_index("rate")
    for rate in ("unpredictable", "coverage"):
        assert not bool(visible.loc[rate, "ok"]) and pd.isna(visible.loc[rate, "reason"])
        assert pd.isna(hidden.loc[rate, "ok"]) and hidden.loc[rate, "reason"] == REASONS["hidden"]
        assert hidden.loc[rate, "value"] == visible.loc[rate, "value"]
    assert not bool(hidden.loc["sharp", "ok"])
    summary = summary_rows(pd.concat([visible.reset_index(), hidden.reset_index()])).set_index(["rate", "rise_visible"])
    assert summary.loc[("unpredictable", False), "cells_judged"] == 0
    assert pd.isna(summary.loc[("unpredictable", False), "all_ok"])
    assert summary.loc[("unpredictable", False), "worst"] == pytest.approx(0.3)
    assert summary.loc[("unpredictable", True), "cells_ok"] == 0 and summary.loc[("sharp", False), "cells_judged"] == 1
    assert shape_table(hidden.reset_index()).set_index("shape").loc["line", "hidden"] == 1


def test_emergent_tested_where_sharp_is_na_names_its_limit():
    # 20 of 100 emergent_tested, 16 of them with sharp NA (more than half): 0.20 > 0.05 + 2 sqrt(0.2 * 0.8
    # / 100) = 0.13, the cell fails and keeps it, with its reason; it counts as a limit. 8 of 20: no reason.
    curves = hand_curves([False] * 100)
    curves["sharp"] = pd.array([pd.NA] * 16 + [True] * 4 + [False] * 80, dtype="boolean")
    curves["emergent_tested"] = [True] * 20 + [False] * 80
    table = rate_table(curves, levels=LEVELS, coverage_floor=0.9)
    row = table.set_index("rate").loc["emergent_tested"]
    assert not bool(row["ok"]) and row["reason"] == REASONS["sharp_na"]
    assert summary_rows(table).set_index("rate").loc["emergent_tested", "cells_limit"] == 1
    curves["sharp"] = pd.array([pd.NA] * 8 + [True] * 12 + [False] * 80, dtype="boolean")
    assert pd.isna(
        rate_table(curves, levels=LEVELS, coverage_floor=0.9).set_index("rate").loc["emergent_tested", "reason"]
    )


def test_screen_is_the_pipelines_mirage_screen():
    # A straight line of 12 points has ES = 11 = n - 1 (not above); flat then +0.45 has a zero median
    # step, ES = inf, and range 0.45 >= 0.05; the same jump of 0.04 is under min_effect.
    line = np.linspace(0.25, 0.75, 12)
    jump = np.r_[np.full(11, 0.25), 0.70]
    small = np.r_[np.full(11, 0.25), 0.29]
    assert screen_flags(screen_inputs(np.stack([line, jump, small])), SCREEN).tolist() == [False, True, False]
