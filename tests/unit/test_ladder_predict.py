"""Ladder predictions (scripts/lib/stats/ladder_predict.py, scripts/beyond/ladder_predictions.py).

The synthetic ladder is the paper's: sizes 190M, 370M, 760M, 1.28B at 1, 2, 5, 10 x 20 tokens per
parameter, targets 6.9B at 4T and 13.2B at 5T tokens. Its bpb follows L(N, D) with the known
parameters P1 and its accuracy the sigmoid P2 of that bpb (both chosen here, not fitted).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scripts.beyond.figure_ladder import run as draw
from scripts.beyond.ladder_predictions import (
    OTHER_4,
    PAPER_ABS_ERROR,
    WITHIN_2,
    run,
    summarise,
    upstream_paths,
)
from scripts.lib.io import read_csv, read_json
from scripts.lib.stats.ladder_predict import (
    accuracy_sigma,
    fit_loss_nd,
    fit_sigmoid,
    loss_nd,
    loss_nd_draws,
    predict_direct,
    predict_two_step,
    predict_via_bpb,
    seed_sd,
    sigmoid,
)

P1 = np.array([3.5, 6.0, 0.2, 0.3, 0.6])
"""(log A, log B, alpha, beta, E) of the synthetic bpb."""
P2 = np.array([-0.75, 1.4, 4.0, 1.0])
"""(a, L0, k, b) of the synthetic accuracy: chance a + b = 0.25, 0.997 at bpb 0."""
N = np.repeat([1.9e8, 3.7e8, 7.6e8, 1.28e9], 4)
D = 20.0 * np.tile([1.0, 2.0, 5.0, 10.0], 4) * N
TARGET_N, TARGET_D = np.array([6.9e9, 1.32e10]), np.array([4e12, 5e12])
BPB = loss_nd(P1, N, D)
ACC = sigmoid(P2, BPB)
TARGET_BPB = loss_nd(P1, TARGET_N, TARGET_D)
TARGET_ACC = sigmoid(P2, TARGET_BPB)
QUESTIONS = 2000
BOUNDS = (0.25, 1.0)
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "olmo_ladder"
"""The real files, read in place (passed explicitly; no default points here)."""


def test_the_synthetic_ladder_is_what_the_comments_say():
    # By hand: 190M at 1xC: 33.1 / 190M^0.2 + 403.4 / 3.8e9^0.3 + 0.6 = 0.731 + 0.539 + 0.6 = 1.871;
    # accuracy -0.75 / (1 + exp(-4 (1.871 - 1.4))) + 1 = -0.75 / 1.152 + 1 = 0.349.
    assert BPB[0] == pytest.approx(1.871, abs=1e-3)
    assert ACC[0] == pytest.approx(0.349, abs=1e-3)
    assert TARGET_ACC == pytest.approx([0.864, 0.884], abs=1e-3)


def test_fit_loss_nd_recovers_the_known_parameters():
    assert fit_loss_nd(N, D, BPB) == pytest.approx(P1, abs=1e-3)


def test_fit_sigmoid_recovers_the_known_parameters():
    grid = np.linspace(BPB.min(), BPB.max(), 40)
    params, cov = fit_sigmoid(grid, sigmoid(P2, grid), chance=0.25)
    # The added point (bpb 0, accuracy 1) is 0.003 off the curve (0.997 there): a small pull only.
    assert params == pytest.approx(P2, abs=0.01)
    assert cov.shape == (4, 4)


def test_two_step_on_exact_data_predicts_the_targets():
    step1 = loss_nd_draws(N, D, BPB, TARGET_N, TARGET_D, task="toy", draws=10, seed=0)
    assert step1.point == pytest.approx(TARGET_BPB, rel=1e-3)
    grid = np.linspace(BPB.min(), BPB.max(), 40)
    sigma = accuracy_sigma(TARGET_ACC, QUESTIONS, 0.0)
    pred = predict_two_step(step1, grid, sigmoid(P2, grid), sigma, BOUNDS, level=0.95, seed=0)
    assert pred.pred == pytest.approx(TARGET_ACC, abs=0.005)
    assert np.all((pred.lower <= TARGET_ACC) & (TARGET_ACC <= pred.upper))


def test_via_bpb_and_direct_cover_the_targets_on_exact_data():
    sigma = accuracy_sigma(ACC, QUESTIONS, 0.0)
    target_sigma = accuracy_sigma(TARGET_ACC, QUESTIONS, 0.0)
    step1 = loss_nd_draws(N, D, BPB, TARGET_N, TARGET_D, task="toy", draws=10, seed=0)
    via = predict_via_bpb(step1, BPB, ACC, sigma, target_sigma, BOUNDS, level=0.95)
    direct = predict_direct(
        6 * N * D,
        ACC,
        sigma,
        6 * TARGET_N * TARGET_D,
        target_sigma,
        BOUNDS,
        task="toy",
        level=0.95,
        min_width_decades=1.0,
    )
    for pred in (via, direct):
        assert np.all((pred.lower <= TARGET_ACC) & (TARGET_ACC <= pred.upper))
        assert np.all(np.abs(pred.pred - TARGET_ACC) < 0.1)
        assert np.all((BOUNDS[0] <= pred.lower) & (pred.upper <= BOUNDS[1]))


def test_intervals_cover_at_roughly_the_nominal_rate():
    # 4 noisy ladders (binomial accuracy over 2000 questions, 0.5 % noise on bpb), 2 targets each:
    # 8 cells per method at 95 %; at least 6 covered (a binomial(8, 0.95) falls below 6 with
    # probability 0.006; the seeds are fixed, so the test is deterministic). Small: every
    # bootstrap draw is a fit.
    rng = np.random.default_rng(7)
    covered = {"direct": 0, "via_bpb": 0, "two_step": 0}
    for rep in range(4):
        bpb = BPB * np.exp(rng.normal(0.0, 0.005, BPB.size))
        acc = rng.binomial(QUESTIONS, ACC) / QUESTIONS
        observed = rng.binomial(QUESTIONS, TARGET_ACC) / QUESTIONS
        sigma, target_sigma = accuracy_sigma(acc, QUESTIONS, 0.0), accuracy_sigma(observed, QUESTIONS, 0.0)
        step1 = loss_nd_draws(N, D, bpb, TARGET_N, TARGET_D, task="toy", draws=40, seed=rep)
        preds = {
            "direct": predict_direct(
                6 * N * D, acc, sigma, 6 * TARGET_N * TARGET_D, target_sigma, BOUNDS, task="toy", level=0.95,
                min_width_decades=1.0,
            ),
            "via_bpb": predict_via_bpb(step1, bpb, acc, sigma, target_sigma, BOUNDS, level=0.95),
            "two_step": predict_two_step(step1, bpb, acc, target_sigma, BOUNDS, level=0.95, seed=rep),
        }  # fmt: skip
        for name, pred in preds.items():
            covered[name] += int(np.sum((pred.lower <= observed) & (observed <= pred.upper)))
    assert all(count >= 6 for count in covered.values()), covered


@pytest.mark.parametrize("points", [3, 5])
def test_a_task_with_too_few_ladder_points_is_named(points: int):
    sigma = accuracy_sigma(ACC[:points], QUESTIONS, 0.0)
    with pytest.raises(ValueError, match="task 'tiny_task': .* ladder points, need at least 6"):
        predict_direct(
            6 * N[:points] * D[:points], ACC[:points], sigma, 6 * TARGET_N * TARGET_D, sigma[:2], BOUNDS,
            task="tiny_task", level=0.95, min_width_decades=1.0,
        )  # fmt: skip
    with pytest.raises(ValueError, match="task 'tiny_task'"):
        loss_nd_draws(N[:points], D[:points], BPB[:points], TARGET_N, TARGET_D, task="tiny_task", draws=2, seed=0)


def test_noise_per_point_by_hand():
    # Agresti-Coull at 0.5 and 96 questions: p~ = (48 + 2) / 100 = 0.5, SE = sqrt(0.25 / 100) = 0.05;
    # with a seed SD of 0.12: sqrt(0.05^2 + 0.12^2) = 0.13.
    assert accuracy_sigma(np.array([0.5]), 96, 0.0) == pytest.approx([0.05])
    assert accuracy_sigma(np.array([0.5]), 96, 0.12) == pytest.approx([0.13])
    # Pairs differing by 0.01 and -0.03: s^2 = (0.0001 + 0.0009) / (2 x 2) = 0.00025, s = 0.0158.
    assert seed_sd(np.array([0.01, -0.03])) == pytest.approx(0.015811, abs=1e-6)
    assert seed_sd(np.array([])) == 0.0


def test_the_paper_errors_agree_with_its_abstract():
    # Abstract: four tasks within 2 points (Fig. 2 lists 2.1 for HellaSwag at 13B), the other four
    # average 6.9; section 3.3: 3.8 (7B) and 4.2 (13B) over the eight.
    within = [v for (task, _), v in PAPER_ABS_ERROR.items() if task in WITHIN_2]
    other = [v for (task, _), v in PAPER_ABS_ERROR.items() if task in OTHER_4]
    assert max(within) == pytest.approx(2.11)
    assert np.mean(other) == pytest.approx(6.9, abs=0.05)
    for target, mean in (("7B", 3.8), ("13B", 4.2)):
        assert np.mean([v for (_, t), v in PAPER_ABS_ERROR.items() if t == target]) == pytest.approx(mean, abs=0.05)


def test_summary_by_hand():
    table = pd.DataFrame(
        {
            "task": ["mmlu", "mmlu", "arc_easy", "boolq"],
            "task_group": ["paper_within_2", "paper_within_2", "paper_other_4", "not_in_paper"],
            "direct_abs_error": [0.01, 0.03, 0.10, 0.20],
            "direct_covers": [True, False, True, True],
            "paper_abs_error": [0.005, 0.015, 0.08, np.nan],
        }
    )
    out = summarise(table, ["direct"])
    # Points: within-2 mean (1 + 3) / 2 = 2, max 3; other 10; all (1 + 3 + 10 + 20) / 4 = 8.5; 3 of 4 covered.
    assert out["direct"]["paper_within_2_mean"] == pytest.approx(2.0)
    assert out["direct"]["paper_within_2_max"] == pytest.approx(3.0)
    assert out["direct"]["paper_other_4_mean"] == pytest.approx(10.0)
    assert out["direct"]["all_mean"] == pytest.approx(8.5)
    assert out["direct"]["coverage"] == pytest.approx(0.75)
    assert out["paper"]["paper_within_2_mean"] == pytest.approx(1.0)
    assert out["paper"]["not_in_paper_mean"] is None


def test_upstream_paths_keep_the_upstream_layout_and_name_a_stranger():
    local = "/data/olmo_ladder/src/scripts/paper/data/ladder-runs/1B-5xC.csv"
    assert upstream_paths([local]) == {"src/scripts/paper/data/ladder-runs/1B-5xC.csv": Path(local)}
    with pytest.raises(ValueError, match="elsewhere.csv"):
        upstream_paths(["/data/elsewhere.csv"])


@pytest.mark.skipif(not DATA.is_dir(), reason="the real ladder files are not beside the repository")
def test_run_on_the_real_ladder_direct_only(tmp_path: Path):
    runs = DATA / "src" / "scripts" / "paper" / "data" / "ladder-runs"
    files = [str(p) for p in sorted(runs.glob("*xC*.csv")) if not p.name.startswith("3B")]
    files += [str(runs / "peteish7_eval_anneal.csv"), str(runs / "peteish13_eval_final.csv")]
    files.append(str(DATA / "src" / "scripts" / "paper" / "configs" / "final.json"))
    out = {name: tmp_path / name for name in ("table.csv", "table.tex", "summary.json", "points.csv")}
    run(
        files=files, table=out["table.csv"], tex=out["table.tex"], summary=out["summary.json"],
        points=out["points.csv"], ladder={"level": 0.95, "methods": ["direct"], "draws": 2, "seed": 0},
        sharpness={"min_width_decades": 1.0}, label="test",
    )  # fmt: skip
    table = read_csv(out["table.csv"])
    assert len(table) == 20  # 10 tasks x 2 targets
    assert set(table["ladder_runs"]) == {16}
    row = table[(table["task"] == "arc_challenge") & (table["target"] == "7B")].iloc[0]
    # peteish7_eval_anneal.csv, its only row, eval/downstream/arc_challenge_test_rc_5shot_len_norm.
    assert row["observed"] == pytest.approx(0.6194539070129395)
    assert row["paper_abs_error"] == pytest.approx(0.1045)
    assert read_json(out["summary.json"])["cells"] == 20
    points = read_csv(out["points.csv"])
    assert len(points) == 10 * 18  # 16 ladder runs and 2 targets per task


def test_figure_ladder_draws_every_format_the_same_twice(tmp_path: Path):
    table = pd.DataFrame(
        {
            "task": ["mmlu", "mmlu"],
            "target": ["7B", "13B"],
            "flops": [1.6e23, 4.0e23],
            "observed": [0.49, 0.51],
            "level": 0.95,
            "direct_pred": [0.46, 0.48],
            "direct_lower": [0.31, 0.29],
            "direct_upper": [0.60, 0.66],
        }
    )
    points = pd.DataFrame(
        {
            "task": "mmlu",
            "size_label": ["190M", "1B", "7B"],
            "flops": [4.4e18, 2.0e21, 1.6e23],
            "is_target": [False, False, True],
            "accuracy": [0.27, 0.36, 0.49],
        }
    )
    table.to_csv(tmp_path / "table.csv", index=False)
    points.to_csv(tmp_path / "points.csv", index=False)
    digests = []
    for name in ("a", "b"):
        figure = [tmp_path / f"{name}.png", tmp_path / f"{name}.pdf"]
        draw(table=tmp_path / "table.csv", points=tmp_path / "points.csv", figure=figure, label="test")
        digests.append([p.read_bytes() for p in figure])
    assert digests[0] == digests[1]
    assert all(len(b) > 1000 for b in digests[0])
