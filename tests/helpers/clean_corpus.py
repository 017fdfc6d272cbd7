"""A BIG-bench-layout corpus with no quirk at all, built from real scores.

The synthetic sample plants every upstream quirk, so a run on it never exercises the plain case:
every curve complete, no excluded curve, no unknown metric, no bad file, one family, one metric,
one shot count. This corpus is that case, with real numbers: the task-level 3-shot
multiple_choice_grade of the 12 BIG-G T=0 models from the real extract
`../shared/data/real_excerpts/audit_table.json` (key `mc_tasks[i].acc_by_scale`, sizes from
`params_by_scale`), written as upstream `scores_BIG-G_<size>_T=0.json` files.
"""

import json
from pathlib import Path

from scripts.lib.ladders import BIG_G
from scripts.lib.sources.bigbench_layout import entry
from tests.helpers.snakemake_cli import ROOT

AUDIT_TABLE = ROOT.parent / "shared" / "data" / "real_excerpts" / "audit_table.json"
FAMILY = "BIG-G T=0"


def real_mc_tasks(n_tasks: int) -> list[dict]:
    """The first `n_tasks` multiple-choice tasks of the real audit table (file order)."""
    tasks = json.loads(AUDIT_TABLE.read_text(encoding="utf-8"))["mc_tasks"]
    return tasks[:n_tasks]


def write_clean_corpus(root: Path, n_tasks: int = 6) -> list[str]:
    """Write root/bigbench/benchmark_tasks/<task>/results/scores_BIG-G_<size>_T=0.json; return the tasks."""
    names = [name for name, _ in BIG_G]
    written = []
    for task in real_mc_tasks(n_tasks):
        results = root / "bigbench" / "benchmark_tasks" / task["task"] / "results"
        results.mkdir(parents=True)
        for name, value, params in zip(names, task["acc_by_scale"], task["params_by_scale"], strict=True):
            doc = {
                "model": {
                    "model_family": FAMILY,
                    "model_name": name,
                    "non_embedding_params": int(params),
                    "flop_matched_non_embedding_params": int(params),
                    "total_params": int(params),
                },
                "scores": [
                    entry(
                        task["task"],
                        task["shots"],
                        "multiple_choice_grade",
                        task["chance_p"],
                        1.0,
                        {"multiple_choice_grade": value},
                    )
                ],
            }
            (results / f"scores_BIG-G_{name}_T=0.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        written.append(task["task"])
    return written
