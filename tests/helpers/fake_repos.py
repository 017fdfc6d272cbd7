"""Tiny repository folders for the loopback GitHub mirror: a BIG-bench layout and a Pythia-like one."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_fake_bigbench(root: Path, tasks: tuple[str, ...] = ("arithmetic", "emoji_movie", "navigate")) -> list[str]:
    """A tiny BIG-bench tree: scores files per task plus files that must be ignored; returns the scores paths."""
    models = [
        ("BIG-G T=0", "2m", "BIG-G_2m_T=0"),
        ("GPT", "GPT-3-200B", "GPT_GPT-3-200B"),
        ("PaLM", "535b", "PaLM_535b"),
    ]
    scores = []
    for t, task in enumerate(tasks):
        results = root / "bigbench" / "benchmark_tasks" / task / "results"
        results.mkdir(parents=True)
        for m, (family, name, stem) in enumerate(models):
            doc = {
                "model": {"model_family": family, "model_name": name, "non_embedding_params": 10 ** (6 + m)},
                "scores": [
                    {
                        "preferred_score": "multiple_choice_grade",
                        "number_of_shots": shots,
                        "subtask_description": task,
                        "score_dict": {"multiple_choice_grade": 0.25 + 0.01 * (t + m + shots)},
                    }
                    for shots in range(m + 1)
                ],
            }
            path = results / f"scores_{stem}.json"
            path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
            scores.append(path.relative_to(root).as_posix())
        (results / "README.md").write_text("not a scores file\n")
        (results / "sub").mkdir()
        (results / "sub" / "scores_too_deep.json").write_text("{}\n")
        (results.parent / "task.json").write_text(json.dumps({"name": task}) + "\n")
        (results.parent / "scores_not_in_results.json").write_text("{}\n")
    os.chmod(root / scores[0], 0o755)  # an executable scores file (mode 100755) is still a scores file
    (root / "bigbench" / "api").mkdir()
    (root / "bigbench" / "api" / "model.py").write_text("# not data\n")
    (root / "README.md").write_text("fake BIG-bench\n")
    return sorted(scores)


def write_fake_pythia(root: Path, sizes: tuple[str, ...] = ("70m", "160m", "410m")) -> list[str]:
    """An EleutherAI/pythia-like evals folder (zero- and five-shot results per size); returns the zero-shot files."""
    zero_shot = []
    for i, size in enumerate(sizes):
        for shots in ("zero-shot", "five-shot"):
            folder = root / "evals" / "pythia-v1" / f"pythia-{size}" / shots
            folder.mkdir(parents=True)
            for step in (0, 143000):
                doc = {"results": {"lambada_openai": {"acc": 0.1 * i + step / 1e6}}, "config": {"num_fewshot": 0}}
                path = folder / f"pythia-{size}_step{step}.json"
                path.write_text(json.dumps(doc) + "\n", encoding="utf-8")
                if shots == "zero-shot":
                    zero_shot.append(path.relative_to(root).as_posix())
            (folder / "notes.md").write_text("not a results file\n")
    (root / "evals" / "pythia-v1" / "README.md").write_text("evals\n")
    (root / "models" / "160M").mkdir(parents=True)
    (root / "models" / "160M" / "config.json").write_text("{}\n")
    return sorted(zero_shot)
