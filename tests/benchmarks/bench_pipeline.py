"""Benchmark of the pipeline at full BIG-bench scale (docs/performance.md): `make bench`.

Not a test (pytest does not collect this file: its name does not start with `test_`, and the
folder has no __init__.py or conftest.py that would import it). It writes only under
results/bench/ (git-ignored) and needs no network. Steps:

1. Generate the synthetic `sample.scale=full` snapshot once (scripts.acquire.synthesize_sample.run, ~200
   tasks x 46 models, the real corpus size) into results/bench/snapshot.
2. Parse: scripts.parse.parse_scores.parse_files over every scores file with 2 worker processes.
3. Naive baseline: a row-by-row pandas loader (json.load per file, one `df.loc[len(df)] = ...` per
   score) on a sample of files spread over the tasks, extrapolated linearly to the full set.
4. Emergence scoring: build_curves + score_curves on the parsed table.
5. Scaling: steps 2 and 4 on 1/4, 1/2 and all of the tasks (every 4th / 2nd task).
6. The whole DAG, snapshot -> summary, with snakemake (source=local on the snapshot, -c2,
   --forceall), a no-op rerun (`snakemake -n`), threshold-edit reruns (`--config
   emergence_threshold=...`), and peak memory (max_rss) of every rule from its `benchmark:` file;
   the verdict rules (sharpness_curves + backtest_curves + curve_verdicts < 2 min together,
   calibration_study < 1 min) are checked from the same files.

Every timing is min / median over --repeats runs (default 3): the machine is shared, so prefer min.
The printed report is also written to results/bench/report.txt (and the numbers to results.json).
7. The everyday case: a finished `source=excerpt` run (real scores; `--extracts DIR` names a folder of
   the pinned files, else the download cache is used), its no-op rerun and threshold-edit reruns.

Usage: .venv/bin/python tests/benchmarks/bench_pipeline.py [--repeats N] [--skip-dag] [--target PATH]
       [--extracts DIR] [--only-excerpt]
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from scripts.acquire.synthesize_sample import run as synthesize_sample  # noqa: E402
from scripts.emergence.build_curves import build_curves  # noqa: E402
from scripts.lib.io import load_metric_facts  # noqa: E402
from scripts.lib.sources.manifest import find_results_files, task_of  # noqa: E402
from scripts.lib.stats.emergence import score_curves  # noqa: E402
from scripts.parse.parse_scores import COLUMNS as PARSED_COLUMNS  # noqa: E402
from scripts.parse.parse_scores import parse_files  # noqa: E402

WORKERS = 2
RUN = "full"
"""run_name of the DAG runs: outputs in results/bench/dag/results/full/."""

TARGETS = {
    "parse_s": 30.0,
    "parse_speedup": 100.0,
    "scoring_s": 10.0,
    "trend_test_s": 180.0,
    "verdict_rules_s": 120.0,
    "calibration_s": 60.0,
    "noop_s": 3.0,
    "threshold_edit_s": 30.0,
    "excerpt_noop_s": 2.0,
    "excerpt_threshold_edit_s": 10.0,
    "max_rss_mb": 2048.0,
}

VERDICT_RULES = ("sharpness_curves", "backtest_curves", "curve_verdicts")
"""The rules that scale with the number of curves (target: < 2 min together at full scale)."""

NAIVE_COLUMNS = PARSED_COLUMNS
"""The naive loader builds the same columns as parse_files (before the n_examples join)."""


# --- measuring -------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    """Wall times (s) of `repeats` calls of fn, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def min_med(times: Sequence[float]) -> str:
    return f"{min(times):7.2f} / {statistics.median(times):7.2f}"


class Report:
    """Print lines and keep them for results/bench/report.txt."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def save(self, path: Path) -> None:
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


# --- the naive baseline ----------------------------------------------------------------------


def naive_load(root: str | Path, relpaths: Sequence[str]) -> pd.DataFrame:
    """The slow way: json.load per file and one `df.loc[len(df)] = row` per score.

    Each enlargement through .loc copies the frame, so the cost per row grows with the table:
    timing a sample and scaling linearly *under*states what this loader costs on the full set.
    """
    df = pd.DataFrame(columns=NAIVE_COLUMNS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' FutureWarning on concatenating all-NA entries
        for rel in relpaths:
            with open(os.path.join(root, rel), encoding="utf-8") as fh:
                doc = json.load(fh)
            model = doc["model"]
            task = task_of(rel)
            for entry in doc["scores"]:
                description = entry.get("subtask_description", task)
                subtask = None if description == task else description.removeprefix(f"{task}:")
                for metric, value in entry["score_dict"].items():
                    df.loc[len(df)] = [
                        model["model_family"],
                        model["model_name"],
                        model.get("non_embedding_params"),
                        model.get("total_params"),
                        model.get("flop_matched_non_embedding_params"),
                        task,
                        subtask,
                        entry.get("number_of_shots"),
                        metric,
                        value,
                        metric == entry["preferred_score"],
                        entry.get("low_score"),
                        entry.get("high_score"),
                        rel,
                    ]
    return df


def spread_sample(files: Sequence[str], n: int) -> list[str]:
    """n files evenly spaced over the (task-sorted) list, so every part of the corpus is in it."""
    if len(files) <= n:
        return list(files)
    step = len(files) / n
    return [files[int(i * step)] for i in range(n)]


# --- pieces of the benchmark -----------------------------------------------------------------


def load_config() -> dict[str, Any]:
    with open(ROOT / "config" / "config.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def make_snapshot(work: Path, config: dict[str, Any]) -> Path:
    snapshot = work / "snapshot"
    synthesize_sample(
        task_metadata=str(ROOT / config["task_metadata"]),
        snapshot=str(snapshot),
        scale="full",
        seed=int(config["sample"]["seed"]),
        annotations=str(ROOT / config["annotations"]),
    )
    return snapshot


def mb_of(root: Path, files: Sequence[str]) -> float:
    return sum(os.path.getsize(root / f) for f in files) / 1e6


def score_all(scores: pd.DataFrame, facts: dict[str, Any], config: dict[str, Any]) -> tuple[float, float, int]:
    """(build_curves s, score_curves s, curves) with the config's defaults."""
    start = time.perf_counter()
    curves, _ = build_curves(
        scores,
        facts,
        scale=config["scale"],
        families=list(config["families"]),
        shots=list(config["shots"]),
        granularity=config["granularity"],
        min_points=int(config["min_points"]),
        orient_metrics=bool(config["orient_metrics"]),
    )
    built = time.perf_counter()
    scored = score_curves(
        curves,
        zero_median_floor=float(config["zero_median_floor"]),
        emergence_threshold=config["emergence_threshold"],
        min_effect=float(config["min_effect"]),
    )
    done = time.perf_counter()
    return built - start, done - built, len(scored)


def linear_fit(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, float]:
    """(intercept, slope, R^2) of the least-squares line y = a + b x."""
    slope, intercept = np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)
    fitted = intercept + slope * np.asarray(x, float)
    total = float(np.sum((np.asarray(y) - np.mean(y)) ** 2))
    r2 = 1.0 - float(np.sum((np.asarray(y) - fitted) ** 2)) / total if total > 0 else 1.0
    return float(intercept), float(slope), r2


def subset_by_tasks(files: Sequence[str], every: int) -> list[str]:
    """The files of every `every`-th task (sorted task names): nested subsets spread over the corpus."""
    tasks = sorted({task_of(f) for f in files})
    keep = set(tasks[::every])
    return [f for f in files if task_of(f) in keep]


def snakemake_cmd(workdir: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "-d",
        str(workdir),
        "-c2",
        "--configfile",
        str(workdir / "bench.yaml"),
        *args,
    ]


def run_snakemake(workdir: Path, *args: str, log_name: str) -> tuple[float, subprocess.CompletedProcess]:
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(workdir / ".cache")
    env["MPLCONFIGDIR"] = str(workdir / ".mpl")
    env.pop("GITHUB_TOKEN", None)
    start = time.perf_counter()
    proc = subprocess.run(snakemake_cmd(workdir, *args), capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    logs = workdir / "bench_logs"
    logs.mkdir(exist_ok=True)
    (logs / f"{log_name}.stdout").write_text(proc.stdout, encoding="utf-8")
    (logs / f"{log_name}.stderr").write_text(proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        raise RuntimeError(
            f"snakemake {' '.join(args)} exited {proc.returncode} (logs in {logs}):\n{proc.stderr[-3000:]}"
        )
    return elapsed, proc


def job_stats(text: str) -> dict[str, int]:
    """rule -> count from the `Job stats:` table snakemake prints (empty when nothing ran)."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Job stats:")
    except StopIteration:
        return {}
    stats = {}
    for line in lines[start + 3 :]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        stats[parts[0]] = int(parts[1])
    stats.pop("total", None)
    return stats


def read_benchmarks(folder: Path) -> pd.DataFrame:
    """One row per rule: s and max_rss (MB) from results/<run>/benchmarks/*.tsv."""
    rows = []
    for tsv in sorted(folder.glob("*.tsv")):
        table = pd.read_csv(tsv, sep="\t")
        rss = pd.to_numeric(table["max_rss"], errors="coerce")
        rows.append(
            {
                "rule": tsv.stem,
                "s": float(table["s"].iloc[-1]),
                "max_rss": float(rss.max()),
                "mtime": tsv.stat().st_mtime_ns,
            }
        )
    return pd.DataFrame(rows, columns=["rule", "s", "max_rss", "mtime"])


# --- main ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing (min / median reported; >= 3)")
    parser.add_argument("--work", type=Path, default=ROOT / "results" / "bench", help="working folder")
    parser.add_argument("--baseline-files", type=int, default=100, help="files timed with the naive loader")
    parser.add_argument("--skip-dag", action="store_true", help="skip the snakemake runs (step 6)")
    parser.add_argument("--target", default="", help="DAG target (default: rule all; e.g. results/full/summary.json)")
    parser.add_argument("--extracts", default=None, help="folder of the pinned extracts (default: download cache)")
    parser.add_argument("--only-excerpt", action="store_true", help="time only the excerpt reruns")
    args = parser.parse_args(argv)
    repeats = max(1, args.repeats)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    out = Report()
    config = load_config()
    facts = load_metric_facts(ROOT / "config" / "metrics.yaml")
    numbers: dict[str, Any] = {}

    out(f"# bigbench-emergence benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
    out(
        f"machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"pandas {pd.__version__}, numpy {np.__version__}; load average at start "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    out(f"every time is min / median over {repeats} runs, in seconds (shared machine: timings are noisy)")
    out()

    if args.only_excerpt:
        excerpt = bench_excerpt(work, args.extracts, repeats, out)
        out.save(work / "report_excerpt.txt")
        (work / "results_excerpt.json").write_text(json.dumps(excerpt, indent=2) + "\n", encoding="utf-8")
        return 0

    start = time.perf_counter()
    snapshot = make_snapshot(work, config)
    files = find_results_files(snapshot)
    total_mb = mb_of(snapshot, files)
    n_tasks = len({task_of(f) for f in files})
    out(
        f"snapshot: SYNTHETIC sample.scale=full, {len(files)} scores files, {total_mb:.1f} MB, {n_tasks} tasks "
        f"(generated in {time.perf_counter() - start:.1f} s into {snapshot.relative_to(ROOT)})"
    )
    out()

    # Parse, scoring, scaling --------------------------------------------------------------
    out("## Parse (parse_files, 2 workers) and emergence scoring (build_curves + score_curves)")
    out(
        "| fraction | tasks | files | MB | parse s (min/med) | files/s | MB/s | scores | "
        "curves | build s (min) | score s (min) | curves/s | size x | parse time x | scoring time x |"
    )
    out("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    scaling = []
    for every, name in ((4, "1/4"), (2, "1/2"), (1, "full")):
        subset = subset_by_tasks(files, every)
        mb = mb_of(snapshot, subset)
        parse_times, (scores, bad, _) = timed(
            lambda subset=subset: parse_files(str(snapshot), subset, threads=WORKERS, max_file_mb=25), repeats
        )
        if len(bad):
            raise RuntimeError(f"{len(bad)} bad files in the synthetic snapshot: {bad.head()}")
        build_times, score_times, n_curves = [], [], 0
        for _ in range(repeats):
            t_build, t_score, n_curves = score_all(scores, facts, config)
            build_times.append(t_build)
            score_times.append(t_score)
        scoring = [b + s for b, s in zip(build_times, score_times, strict=True)]
        scaling.append(
            {
                "fraction": name,
                "tasks": len({task_of(f) for f in subset}),
                "files": len(subset),
                "mb": mb,
                "scores": len(scores),
                "curves": n_curves,
                "parse": parse_times,
                "build": build_times,
                "score": score_times,
                "scoring": scoring,
            }
        )
    full = scaling[-1]
    for row in scaling:
        t_parse, t_scoring = min(row["parse"]), min(row["scoring"])
        out(
            f"| {row['fraction']} | {row['tasks']} | {row['files']} | {row['mb']:.1f} | {min_med(row['parse'])} | "
            f"{row['files'] / t_parse:,.0f} | {row['mb'] / t_parse:.1f} | {row['scores']:,} | {row['curves']:,} | "
            f"{min(row['build']):.2f} | {min(row['score']):.2f} | {row['curves'] / t_scoring:,.0f} | "
            f"{row['files'] / full['files']:.2f} | {t_parse / min(full['parse']):.2f} | "
            f"{t_scoring / min(full['scoring']):.2f} |"
        )
    out("size x / time x: relative to the full set (linear growth: time x ~ size x; fixed costs push small sizes up)")
    for key, what in (("parse", "parse"), ("scoring", "scoring")):
        fixed, per_file, r2 = linear_fit([r["files"] for r in scaling], [min(r[key]) for r in scaling])
        out(
            f"least-squares line through the minima, {what}: {fixed:.3f} s + {per_file * 1e6:.1f} us per file "
            f"(R^2 {r2:.3f})"
        )
    out(f"scoring at full size, min / median: {min_med(full['scoring'])} s for {full['curves']:,} curves")
    numbers["scaling"] = scaling
    out()

    # Naive baseline -----------------------------------------------------------------------
    sample = spread_sample(files, args.baseline_files)
    naive_times, naive_table = timed(lambda: naive_load(snapshot, sample), repeats)
    ours_sample_times, (ours_sample, _, _) = timed(
        lambda: parse_files(str(snapshot), sample, threads=WORKERS, max_file_mb=25), repeats
    )
    if len(naive_table) != len(ours_sample):
        raise RuntimeError(f"naive loader read {len(naive_table)} rows, parse_files {len(ours_sample)}")
    naive_full = min(naive_times) * len(files) / len(sample)
    speedup = naive_full / min(full["parse"])
    out(f"## Naive baseline (json.load + one df.loc[len(df)] = row per score), {len(sample)} files")
    out(
        f"naive loader on {len(sample)} files spread over {len({task_of(f) for f in sample})} tasks "
        f"({len(naive_table):,} rows): {min_med(naive_times)} s"
    )
    out(f"parse_files on the same {len(sample)} files: {min_med(ours_sample_times)} s")
    out(
        f"measured ratio on these {len(sample)} files: {min(naive_times) / min(ours_sample_times):.0f}x "
        "(includes the process pool start-up of parse_files)"
    )
    out(
        f"naive loader EXTRAPOLATED linearly to all {len(files)} files: {naive_full:,.0f} s "
        f"(a lower bound: each .loc enlargement copies the growing table)"
    )
    out(
        f"speed-up of parse_files over the naive loader, full set: {speedup:.0f}x ({naive_full:,.0f} s / "
        f"{min(full['parse']):.2f} s)"
    )
    numbers["naive"] = {
        "files": len(sample),
        "times": naive_times,
        "ours": ours_sample_times,
        "extrapolated_s": naive_full,
        "speedup": speedup,
    }
    out()

    # The DAG -------------------------------------------------------------------------------
    dag: dict[str, Any] = {}
    excerpt = bench_excerpt(work, args.extracts, repeats, out)
    numbers["excerpt"] = excerpt
    if not args.skip_dag:
        dag = bench_dag(work, snapshot, repeats, args.target, out)
        numbers["dag"] = dag

    # Targets -------------------------------------------------------------------------------
    out("## Targets (2-core machine)")
    out("| target | goal | measured (min) | met |")
    out("|---|---|---|---|")

    def check(name: str, goal: str, value: float | None, ok: bool | None) -> None:
        shown = "not run" if value is None else f"{value:,.2f}"
        out(f"| {name} | {goal} | {shown} | {'-' if ok is None else ('yes' if ok else 'NO')} |")

    check(
        "parse, full snapshot (s)",
        f"< {TARGETS['parse_s']:.0f} s",
        min(full["parse"]),
        min(full["parse"]) < TARGETS["parse_s"],
    )
    check(
        "parse speed-up vs naive (x)",
        f">= {TARGETS['parse_speedup']:.0f}x",
        speedup,
        speedup >= TARGETS["parse_speedup"],
    )
    check(
        "emergence scores, every curve (s)",
        f"< {TARGETS['scoring_s']:.0f} s",
        min(full["scoring"]),
        min(full["scoring"]) < TARGETS["scoring_s"],
    )
    null_s = min(dag["trend_test_s"]) if dag.get("trend_test_s") else None
    check("trend_pvalues, 1000 permutations (s)", "< 180 s", null_s, None if null_s is None else null_s < 180)
    noop = min(dag["noop"]) if dag else None
    check(
        "no-op rerun, snakemake -n (s)",
        f"< {TARGETS['noop_s']:.0f} s",
        noop,
        None if noop is None else noop < TARGETS["noop_s"],
    )
    edit = min(dag["threshold_edit"]) if dag else None
    check(
        "threshold edit rerun (s)",
        f"< {TARGETS['threshold_edit_s']:.0f} s",
        edit,
        None if edit is None else edit < TARGETS["threshold_edit_s"],
    )
    for key, name in (("noop", "excerpt: no-op rerun (s)"), ("threshold_edit", "excerpt: threshold edit rerun (s)")):
        value = min(excerpt[key])
        check(name, f"<= {TARGETS['excerpt_' + key + '_s']:.0f} s", value, value <= TARGETS["excerpt_" + key + "_s"])
    # docs/statistics.md: the verdict rules together (sum of their fastest runs, an upper bound of their wall time).
    verdict_runs = [dag.get("rules", {}).get(rule) for rule in VERDICT_RULES]
    verdict_s = sum(min(s for s, _ in runs) for runs in verdict_runs) if all(verdict_runs) else None
    check(
        f"{' + '.join(VERDICT_RULES)} (s)",
        f"< {TARGETS['verdict_rules_s']:.0f} s",
        verdict_s,
        None if verdict_s is None else verdict_s < TARGETS["verdict_rules_s"],
    )
    calibration_runs = dag.get("rules", {}).get("calibration_study")
    calibration_s = min(s for s, _ in calibration_runs) if calibration_runs else None
    check(
        "calibration_study (s)",
        f"< {TARGETS['calibration_s']:.0f} s",
        calibration_s,
        None if calibration_s is None else calibration_s < TARGETS["calibration_s"],
    )
    rss = dag.get("max_rss_mb")
    check("peak RSS of any rule (MB)", "< 2048 MB", rss, None if rss is None else rss < TARGETS["max_rss_mb"])
    out()
    out(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out.save(work / "report.txt")
    (work / "results.json").write_text(json.dumps(numbers, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"(report in {(work / 'report.txt').relative_to(ROOT)})")
    return 0


def rerun_timings(
    workdir: Path, targets: Sequence[str], repeats: int, out: Report, *, collect: Callable[[], None] = lambda: None
) -> tuple[list[float], list[float], dict[str, int]]:
    """No-op reruns (plain `snakemake`, as a user reruns it; nothing may run) and threshold-edit reruns
    (`--config emergence_threshold=5`, then auto, 5, ...: every run is an edit) of a finished run."""
    noop_times = []
    for i in range(repeats):
        elapsed, proc = run_snakemake(workdir, *targets, log_name=f"noop_{i}")
        if job_stats(proc.stderr):
            raise RuntimeError(f"the no-op rerun ran jobs: {job_stats(proc.stderr)}")
        noop_times.append(elapsed)
    out(f"no-op rerun (snakemake, nothing to do): {min_med(noop_times)} s")
    edit_times, edit_rules = [], {}
    for i in range(repeats):
        value = "5" if i % 2 == 0 else "auto"
        elapsed, proc = run_snakemake(
            workdir, *targets, "--config", f"emergence_threshold={value}", log_name=f"threshold_{i}"
        )
        edit_times.append(elapsed)
        edit_rules = job_stats(proc.stderr)
        collect()
    out(
        f"threshold edit rerun (--config emergence_threshold=5, then auto, 5, ...): {min_med(edit_times)} s; "
        f"{sum(edit_rules.values())} jobs rerun: {', '.join(sorted(edit_rules))}"
    )
    return noop_times, edit_times, edit_rules


def bench_excerpt(work: Path, extracts: str | None, repeats: int, out: Report) -> dict[str, Any]:
    """The everyday case of docs/performance.md: reruns of a finished excerpt run (real BIG-bench scores).

    `extracts`: a folder holding the pinned files (make bench EXTRACTS=DIR), else the download cache.
    """
    workdir = work / "excerpt"
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(workdir / "config", ignore_errors=True)
    shutil.copytree(ROOT / "config", workdir / "config")
    bench_config: dict[str, Any] = {"source": "excerpt"}
    if extracts:
        bench_config["extracts"] = {"path": str(Path(extracts).resolve())}
    (workdir / "bench.yaml").write_text(yaml.safe_dump(bench_config), encoding="utf-8")
    out("## Reruns of a finished excerpt run (source=excerpt, -c2)")
    elapsed, _ = run_snakemake(workdir, log_name="excerpt_run")
    out(f"the run itself (whatever was missing): {elapsed:.1f} s")
    noop_times, edit_times, edit_rules = rerun_timings(workdir, [], repeats, out)
    out()
    return {"noop": noop_times, "threshold_edit": edit_times, "threshold_edit_jobs": edit_rules}


def bench_dag(work: Path, snapshot: Path, repeats: int, target: str, out: Report) -> dict[str, Any]:
    """Full DAG runs (--forceall), no-op dry runs, threshold-edit reruns; rule memory and times."""
    workdir = work / "dag"
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(workdir / "config", ignore_errors=True)
    shutil.copytree(ROOT / "config", workdir / "config")
    bench_config = {"source": "local", "run_name": RUN, "local": {"path": str(snapshot)}}
    (workdir / "bench.yaml").write_text(yaml.safe_dump(bench_config), encoding="utf-8")
    targets = [target] if target else []
    bench_dir = workdir / "results" / RUN / "benchmarks"
    rule_runs: dict[str, list[tuple[float, float]]] = {}
    seen: dict[str, int] = {}

    def collect() -> None:
        """Add the benchmark files written since the last call (a rule that did not rerun is skipped)."""
        for row in read_benchmarks(bench_dir).itertuples(index=False):
            if seen.get(row.rule) != row.mtime:
                seen[row.rule] = row.mtime
                rule_runs.setdefault(row.rule, []).append((row.s, row.max_rss))

    out("## Whole DAG, snapshot -> summary (snakemake source=local, -c2)")
    full_times, null_times = [], []
    for i in range(repeats):
        shutil.rmtree(bench_dir, ignore_errors=True)
        elapsed, proc = run_snakemake(workdir, "--forceall", *targets, log_name=f"forceall_{i}")
        full_times.append(elapsed)
        collect()
        null_times.extend(s for s, _ in rule_runs.get("trend_pvalues", [])[i:])
        n_jobs = sum(job_stats(proc.stderr).values())
    out(f"full run (--forceall, {n_jobs} jobs): {min_med(full_times)} s")

    noop_times, edit_times, edit_rules = rerun_timings(workdir, targets, repeats, out, collect=collect)
    out()
    out("Rules: wall s (min / median over the runs above, from the `benchmark:` files) and peak RSS (max over runs)")
    out("| rule | runs | s (min / med) | max_rss MB |")
    out("|---|---|---|---|")
    for rule in sorted(rule_runs, key=lambda r: (-statistics.median(s for s, _ in rule_runs[r]), r)):
        runs = rule_runs[rule]
        out(f"| {rule} | {len(runs)} | {min_med([s for s, _ in runs])} | {max(m for _, m in runs):,.0f} |")
    max_rss = max((m for runs in rule_runs.values() for _, m in runs), default=float("nan"))
    top = max(rule_runs, key=lambda r: max(m for _, m in rule_runs[r])) if rule_runs else "-"
    out(f"peak RSS of any rule: {max_rss:,.0f} MB ({top}); trend_pvalues: {min_med(null_times)} s")
    out()
    return {
        "forceall": full_times,
        "noop": noop_times,
        "threshold_edit": edit_times,
        "threshold_edit_jobs": edit_rules,
        "trend_test_s": null_times,
        "rules": {rule: runs for rule, runs in rule_runs.items()},
        "max_rss_mb": max_rss,
    }


if __name__ == "__main__":
    sys.exit(main())
