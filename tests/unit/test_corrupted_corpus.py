"""A corrupted corpus (docs/design.md §11.2): a copy of the synthetic snapshot broken in many ways.

Bad files: with `on_bad_file: error` the run stops naming the first bad file and what is wrong;
with `skip` it completes, logs/bad_files.csv lists exactly the broken files with their reasons,
and every result equals a clean run on a copy without them. Unusual but valid files (an unknown
top-level key, two files for one model, a UTF-8 byte-order mark, an empty `scores` list) are
parsed, not rejected. A file above `max_file_mb` (default 25) is bad, judged by its size before
it is read; an entry named like a scores file that is not a regular file (a directory, a
symlink) is bad as "not a regular file".
"""

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scripts.acquire.synthesize_sample import run as synthesize_sample
from scripts.lib.io import read_csv
from scripts.lib.sources.manifest import NOT_REGULAR_SHA256, build_manifest, find_results_files
from scripts.parse.parse_scores import BadScoresFile, parse_file, parse_files
from tests.helpers.snakemake_cli import ROOT, make_workdir, run_snakemake

N_TASKS = 6  # tasks of the sample copied into the corpus (~270 files): enough variety, fast runs
MB = 1_000_000


# -- the faults -----------------------------------------------------------------------------------
def _doc(data: bytes) -> Any:
    return json.loads(data)  # the stdlib reads the NaN literals of the sample


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, indent=2).encode()


def _first_metric(doc: dict) -> str:
    return next(iter(doc["scores"][0]["score_dict"]))


def _set_score(value: Any) -> Callable[[bytes], bytes]:
    def mutate(data: bytes) -> bytes:
        doc = _doc(data)
        doc["scores"][0]["score_dict"][_first_metric(doc)] = value
        return _dump(doc)

    return mutate


def _set_model(key: str, value: Any) -> Callable[[bytes], bytes]:
    def mutate(data: bytes) -> bytes:
        doc = _doc(data)
        doc["model"][key] = value
        return _dump(doc)

    return mutate


def _edit(fn: Callable[[dict], Any]) -> Callable[[bytes], bytes]:
    """Change the decoded document in place (fn's return value is ignored)."""

    def mutate(data: bytes) -> bytes:
        doc = _doc(data)
        fn(doc)
        return _dump(doc)

    return mutate


def _latin1(data: bytes) -> bytes:
    doc = _doc(data)
    doc["model"]["model_name"] = "café"
    return json.dumps(doc, ensure_ascii=False).encode("latin-1")  # é as the single byte 0xE9


def _fifty_mb(data: bytes) -> bytes:
    return data + b" " * (50 * MB - len(data))  # valid JSON: only its size is wrong


# name -> (mutation of a good file's bytes, expected JSON path, expected reason). The metric name
# in score paths is filled in from the file.
BROKEN: dict[str, tuple[Callable[[bytes], bytes], str, str]] = {
    "truncated_json": (lambda d: d[: len(d) // 2], "$", "invalid JSON: "),
    "empty_file": (lambda d: b"", "$", "empty file"),
    "not_utf8": (_latin1, "$", "not UTF-8 text (byte "),
    "scores_missing": (_edit(lambda d: d.pop("scores")), "$.scores", "expected a list, got NoneType"),
    "scores_not_a_list": (_edit(lambda d: d.update(scores={"0": d["scores"]})), "$.scores", "a list, got dict"),
    "score_as_string": (_set_score("0.5"), "$.scores[0].score_dict.{metric}", "a number or null, got str '0.5'"),
    "infinity": (_set_score(math.inf), "$.scores[0].score_dict.{metric}", "non-finite value inf"),
    "negative_params": (_set_model("non_embedding_params", -5), "$.model.non_embedding_params", "got -5"),
    "zero_params": (_set_model("non_embedding_params", 0), "$.model.non_embedding_params", "got 0"),
    "no_model_family": (_edit(lambda d: d["model"].pop("model_family")), "$.model.model_family", "got None"),
    "top_level_list": (lambda d: b"[" + d + b"]", "$", "expected an object, got list"),
    "json_null": (lambda d: b"null", "$", "expected an object, got NoneType"),
    "fifty_mb": (_fifty_mb, "$", "file is 50.0 MB, above max_file_mb=25"),
}
# Unusual but valid: parsed like any other file.
UNUSUAL: dict[str, Callable[[bytes], bytes]] = {
    "unknown_top_level_key": _edit(lambda d: d.update(surprise={"nested": [1, None, "x"]})),
    "byte_order_mark": lambda d: b"\xef\xbb\xbf" + d,
    "empty_scores_list": _edit(lambda d: d.update(scores=[])),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first N_TASKS tasks of the default synthetic sample, as a BIG-bench tree."""
    base = tmp_path_factory.mktemp("pristine")
    synthesize_sample(
        task_metadata=str(ROOT / "config" / "bigbench_task_metadata.csv"),
        annotations=str(ROOT / "config" / "annotations" / "wei2022_emergent_bigbench_tasks.csv"),
        snapshot=str(base / "sample"),
        scale="small",
        seed=20230428,
    )
    tasks = sorted((base / "sample" / "bigbench" / "benchmark_tasks").iterdir())[:N_TASKS]
    for task in tasks:
        shutil.copytree(task, base / "tree" / "bigbench" / "benchmark_tasks" / task.name)
    return base / "tree"


def break_corpus(root: Path) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Break files of the tree at root in place.

    Returns (bad, unusual): bad maps each broken path to its (JSON path, reason), unusual maps
    each unusual-but-valid path to what is unusual about it.
    """
    files = find_results_files(root)
    step = len(files) // (len(BROKEN) + len(UNUSUAL) + 2)
    victims = iter(files[step // 2 :: step])  # spread over the tasks, none touched twice
    bad: dict[str, tuple[str, str]] = {}
    for mutate, json_path, reason in BROKEN.values():
        rel = next(victims)
        data = (root / rel).read_bytes()
        metric = _first_metric(_doc(data))
        (root / rel).write_bytes(mutate(data))
        bad[rel] = (json_path.format(metric=metric), reason)
    unusual: dict[str, str] = {}
    for name, mutate in UNUSUAL.items():
        rel = next(victims)
        (root / rel).write_bytes(mutate((root / rel).read_bytes()))
        unusual[rel] = name

    # Two files for the same model: a byte copy under another name, in the same results folder.
    original = next(victims)
    copy = original.replace(".json", "_copy.json")
    shutil.copyfile(root / original, root / copy)
    unusual[copy] = f"duplicate_model_of:{original}"

    # Not regular files, named like scores files: a directory (with a file in it) and a symlink.
    results = (root / original).parent
    (results / "scores_directory.json").mkdir()
    (results / "scores_directory.json" / "inside.json").write_text("{}\n")
    (results / "scores_symlink.json").symlink_to(Path(original).name)
    for name in ("scores_directory.json", "scores_symlink.json"):
        bad[(results / name).relative_to(root).as_posix()] = ("$", "not a regular file")
    return bad, unusual


@pytest.fixture(scope="module")
def corpora(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A broken copy of the pristine tree, and a clean copy: the broken one minus its bad files."""
    base = tmp_path_factory.mktemp("corpora")
    broken = base / "broken"
    shutil.copytree(pristine, broken)
    bad, unusual = break_corpus(broken)
    clean = base / "clean"
    shutil.copytree(broken, clean, symlinks=True)
    for rel in bad:
        path = clean / rel
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    return {"broken": broken, "clean": clean, "bad": bad, "unusual": unusual}


# -- unit level: the two new checks --------------------------------------------------------------
def test_entries_that_are_not_regular_files_are_listed_with_a_placeholder_digest(tmp_path):
    results = tmp_path / "bigbench" / "benchmark_tasks" / "t" / "results"
    results.mkdir(parents=True)
    (results / "scores_a.json").write_text("{}")
    (results / "scores_dir.json").mkdir()
    (results / "scores_link.json").symlink_to("scores_a.json")
    (results / "scores_dangling.json").symlink_to("nowhere.json")
    prefix = "bigbench/benchmark_tasks/t/results/"
    names = ["scores_a.json", "scores_dangling.json", "scores_dir.json", "scores_link.json"]
    assert find_results_files(tmp_path) == [prefix + n for n in names]
    manifest = build_manifest(tmp_path, find_results_files(tmp_path)).set_index("path")
    assert manifest.loc[prefix + "scores_a.json", "size"] == 2
    for name in names[1:]:
        assert tuple(manifest.loc[prefix + name]) == (0, NOT_REGULAR_SHA256)
    scores, bad, _ = parse_files(str(tmp_path), find_results_files(tmp_path))
    assert bad.set_index("path")["reason"].to_dict() == {
        prefix + "scores_a.json": "expected an object, got NoneType",
    } | {prefix + n: "not a regular file" for n in names[1:]}


def test_size_limit_is_checked_before_the_file_is_read(tmp_path):
    # A sparse 50 MB file of NUL bytes: read, it would be "invalid JSON"; the size check comes first.
    rel = "bigbench/benchmark_tasks/t/results/scores_big.json"
    (tmp_path / rel).parent.mkdir(parents=True)
    with open(tmp_path / rel, "wb") as fh:
        fh.truncate(50 * MB)
    with pytest.raises(BadScoresFile) as info:
        parse_file(str(tmp_path), rel, max_file_mb=25)
    assert str(info.value) == f"{rel}: $: file is 50.0 MB, above max_file_mb=25"
    with pytest.raises(BadScoresFile, match="invalid JSON"):
        parse_file(str(tmp_path), rel, max_file_mb=60)  # under the limit: read, and rejected as JSON


def test_the_corpus_breaks_what_it_says(corpora):
    # Every expected reason is what parse_file says of the file (no snakemake here), and the
    # unusual files parse.
    root = str(corpora["broken"])
    for rel, (json_path, reason) in corpora["bad"].items():
        with pytest.raises(BadScoresFile) as info:
            parse_file(root, rel, max_file_mb=25)
        assert (info.value.path, info.value.json_path) == (rel, json_path)
        assert reason in info.value.reason, (rel, info.value.reason)
    for rel in corpora["unusual"]:
        parse_file(root, rel, max_file_mb=25)
    assert len(corpora["bad"]) >= 12


# -- the pipeline on the corpus ------------------------------------------------------------------
def local_run(workdir: Path, tree: Path, run_name: str, *extra: str, targets=(), check: bool = True):
    return run_snakemake(
        workdir,
        "-c2",
        *targets,
        "--config",
        "source=local",
        f"local={{path: {tree}}}",
        f"run_name={run_name}",
        *extra,
        check=check,
    )


TARGETS = ("scores.parquet", "logs/bad_files.csv", "curves.parquet", "emergence.parquet", "emergence.csv")


@pytest.mark.integration
def test_error_mode_stops_naming_the_first_bad_file(corpora, tmp_path):
    workdir = make_workdir(tmp_path)
    targets = [f"results/strict/{t}" for t in TARGETS]
    proc = local_run(workdir, corpora["broken"], "strict", targets=targets, check=False)
    assert proc.returncode != 0
    first = min(corpora["bad"])
    json_path, reason = corpora["bad"][first]
    expected = f"{first}: {json_path}: "
    n_bad = len(corpora["bad"])
    log = (workdir / "results" / "strict" / "logs" / "parse_scores.log").read_text()
    for text in (log, proc.stderr):
        line = next((ln for ln in text.splitlines() if expected in ln), None)
        assert line is not None, text[-3000:]
        assert reason in line and f"({n_bad} bad file(s) in all; set on_bad_file: skip" in line
    assert not (workdir / "results" / "strict" / "scores.parquet").exists()


@pytest.mark.integration
def test_skip_mode_lists_exactly_the_bad_files_and_matches_a_clean_run(corpora, tmp_path):
    workdir = make_workdir(tmp_path)
    local_run(workdir, corpora["broken"], "skip", "on_bad_file=skip", targets=[f"results/skip/{t}" for t in TARGETS])
    local_run(workdir, corpora["clean"], "clean", targets=[f"results/clean/{t}" for t in TARGETS])
    skip, clean = workdir / "results" / "skip", workdir / "results" / "clean"

    listed = read_csv(skip / "logs" / "bad_files.csv")
    assert sorted(listed["path"]) == sorted(corpora["bad"])
    for row in listed.itertuples(index=False):
        json_path, reason = corpora["bad"][row.path]
        assert row.json_path == json_path and reason in row.reason, row
    assert read_csv(clean / "logs" / "bad_files.csv").empty
    log = (skip / "logs" / "parse_scores.log").read_text()
    assert all(f"skipped {rel}: " in log for rel in corpora["bad"])

    # Results on the untouched files equal a clean run on only those files.
    for name in ("scores.parquet", "curves.parquet", "emergence.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(skip / name), pd.read_parquet(clean / name), obj=name)
    # emergence.csv too, but for its first line: the data label names the corpus folder
    csv_lines = [(run / "emergence.csv").read_text().splitlines() for run in (skip, clean)]
    assert csv_lines[0][1:] == csv_lines[1][1:]

    # Unusual but valid files are in the scores; the duplicate model is averaged and counted.
    scores = pd.read_parquet(skip / "scores.parquet")
    sources = set(scores["source_file"])
    for rel, what in corpora["unusual"].items():
        assert (rel in sources) == (what != "empty_scores_list"), rel  # an empty list contributes no row
    copy, original = next((rel, what.split(":")[1]) for rel, what in corpora["unusual"].items() if ":" in what)
    columns = ["family", "model_name", "non_embedding_params", "subtask", "shots", "metric", "value"]
    a = scores.loc[scores["source_file"] == original, columns].reset_index(drop=True)
    b = scores.loc[scores["source_file"] == copy, columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    emergence = pd.read_parquet(skip / "emergence.parquet")
    keys = ["family", "task", "shots", "metric"]
    copied = scores.loc[(scores["source_file"] == copy) & scores["value"].notna(), keys + ["subtask"]]
    merged = copied.merge(emergence, on=keys + ["subtask"], how="inner")
    assert len(merged) > 0 and (merged["n_duplicates"] >= 1).all()
