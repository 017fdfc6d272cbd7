"""figure_fig6_real: which curves each row of the real Fig. 6 draws (hand-made emergence tables), and a drawn run."""

import pandas as pd

from scripts.figures.figure_fig6_real import ROWS, choose_lines, complete_lines, fig6_real_points, run


def emergence_table():
    """ExpEmergence-like rows: families P (5 sizes) and Q (5 sizes) on tasks a and b, R with 3 sizes only."""
    rows, cid = [], 0
    for family, n_points in (("P", 5), ("Q", 5), ("R", 3)):
        for task in ("a", "b"):
            for metric in ("multiple_choice_grade", "brier_score"):
                # task b: P's and Q's accuracy curves are emergent, task a: only P's -> the row draws task b.
                emergent = metric == "multiple_choice_grade" and (task == "b" or family == "P")
                rows.append((cid, family, task, None, 2, metric, n_points, 3.0 + cid, 3.0 + cid, emergent))
                cid += 1
    columns = ["curve_id", "family", "task", "subtask", "shots", "metric", "n_points", "es", "es_floored", "emergent"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.assign(shots=frame["shots"].astype("Int64"), source="expemergence")


def test_families_with_fewer_than_four_sizes_are_left_out_and_the_most_emergent_task_is_drawn():
    lines = complete_lines(emergence_table(), ROWS[0])
    assert sorted(set(lines.family)) == ["P", "Q"]  # R has 3 sizes
    chosen = choose_lines(lines, ROWS[0])
    assert chosen.task.tolist() == ["b", "b"] and chosen.family.tolist() == ["P", "Q"]


def test_rows_without_data_say_so():
    em = emergence_table()
    curves = pd.DataFrame([(cid, 1e9, 0.5) for cid in em.curve_id], columns=["curve_id", "x", "value"])
    points, notes = fig6_real_points(em, curves)
    assert notes[0] == "task b (2-shot)"
    assert notes[1].startswith("not in these data") and notes[3].startswith("not in these data")
    assert set(points.row) == {0}


def test_run_draws_the_figure_and_its_csv(tmp_path):
    em = emergence_table()
    curves = pd.DataFrame(
        [(cid, 10.0 ** (8 + k), 0.1 * k) for cid in em.curve_id for k in range(5)], columns=["curve_id", "x", "value"]
    )
    em.drop(columns="source").to_parquet(tmp_path / "e.parquet")
    curves.to_parquet(tmp_path / "c.parquet")
    em.assign(extract="expemergence", model_name="m", value=0.5).to_parquet(tmp_path / "s.parquet")
    run(
        emergence=str(tmp_path / "e.parquet"),
        curves=str(tmp_path / "c.parquet"),
        scores=str(tmp_path / "s.parquet"),
        metrics="config/metrics.yaml",
        figure=[str(tmp_path / "f.png")],
        data=str(tmp_path / "f.csv"),
        scale="non_embedding_params",
        data_label="real scores, test",
    )
    assert (tmp_path / "f.png").stat().st_size > 10_000
    table = pd.read_csv(tmp_path / "f.csv", comment="#")
    assert len(table) == 2 * 2 * 5  # 2 families x 2 metrics x 5 points
