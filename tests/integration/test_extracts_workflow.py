"""source=extracts / excerpt through the snakemake CLI on the real extracts in ../shared/data (docs/extracts.md).

Each run is in a temporary working directory with a copy of config/; the real files are read in
place (extracts.path). Skipped, with the reason, where the files are absent. Emergence scores of
the excerpt are checked against a per-curve computation written here from the raw files,
independent of the pipeline's code.
"""

import csv
import json
import math
import shutil
import statistics

import pandas as pd
import pytest

from scripts.lib.io import parquet_label, read_csv
from scripts.lib.sources.extracts.registry import ENTRIES
from tests.helpers.extracts_testing import DATA, needs
from tests.helpers.snakemake_cli import make_workdir, run_snakemake

pytestmark = pytest.mark.integration

EXCERPTS = DATA / "real_excerpts"
PATH = f"extracts={{path: {DATA}}}"


def run_source(tmp_path_factory, name: str, *config: str, targets: list[str]):
    workdir = make_workdir(tmp_path_factory.mktemp(name))
    run_snakemake(workdir, "-c2", "--config", *config, "--", *targets)
    return workdir


# --- source=excerpt: the two BIG-bench extracts ----------------------------------------------------

SIZE_ORDER = {
    # the model names of bigbench.csv in increasing size, written out here (not from the pipeline's tables)
    "BIG-G T=0": ["2m", "16m", "53m", "125m", "244m", "422m", "1b", "2b", "4b", "8b", "27b", "128b"],
    "BIG-G T=1": ["2m", "16m", "53m", "125m", "244m", "422m", "1b", "2b", "4b", "8b", "27b", "128b"],
    "BIG-G sparse": ["2m", "16m", "53m", "125m", "244m", "422m", "1b", "2b", "4b", "8b"],
    "GPT": [
        "GPT-3 Small",
        "GPT-3 Medium",
        "GPT-3 Large",
        "GPT-3 XL",
        "GPT-3 3B",
        "GPT-3 6B",
        "GPT-3 13B",
        "GPT-3 200B",
    ],
    "Gopher": ["44M", "117M", "417M", "1.4B", "7.1B", "280B"],
}


def raw_curve(family: str, task: str) -> tuple[list[float], float]:
    """(values in increasing model size, chance level or 0) straight from the raw files."""
    audit = {t["task"]: t for t in json.loads((EXCERPTS / "audit_table.json").read_text())["mc_tasks"]}
    if family == "BIG-G T=0" and task in audit:
        entry = audit[task]
        pairs = sorted(zip(entry["params_by_scale"], entry["acc_by_scale"], strict=True))
        return [v for _, v in pairs if v is not None], entry["chance_p"]
    with open(EXCERPTS / "bigbench.csv", newline="") as fh:
        rows = {r["model"]: r for r in csv.DictReader(fh)}
    values = [rows[f"{family} {name}"][task] for name in SIZE_ORDER[family]]
    chance = audit[task]["chance_p"] if task in audit else 0.0
    return [float(v) for v in values if v != ""], chance


def reference_es(values: list[float]) -> float:
    """Mirage Sec. 4: sign(argmax - argmin) * (max - min) / sqrt(median of squared successive differences)."""
    top, bottom = max(values), min(values)
    if top == bottom:
        return 0.0
    sign = 1.0 if values.index(top) > values.index(bottom) else -1.0
    median = statistics.median([(b - a) ** 2 for a, b in zip(values, values[1:], strict=False)])
    return sign * math.inf if median == 0 else sign * (top - bottom) / math.sqrt(median)


# (family, task, expected emergent under the default rule: ES > n - 1 and range >= 0.05 x (high - low))
REAL_CURVES = [
    ("BIG-G T=0", "figure_of_speech_detection", True),  # audit, 3-shot
    ("BIG-G T=0", "vitaminc_fact_verification", False),  # audit: rises then falls back below chance
    ("BIG-G T=0", "hindu_knowledge", True),  # in both files: the audit's values
    ("GPT", "strategyqa", True),
    ("BIG-G T=1", "repeat_copy_logic", True),  # flat at 0, then one jump: ES = inf
    ("BIG-G sparse", "winowhy", False),
    ("Gopher", "hindu_knowledge", True),
    ("BIG-G T=1", "auto_debugging", False),
]


@pytest.fixture(scope="module")
def excerpt_run(tmp_path_factory):
    if (DATA / "real_excerpts" / "bigbench.csv").is_file() is False:
        pytest.skip(f"the real BIG-bench extracts are not at {EXCERPTS}")
    targets = ["emergence.csv", "tables/extracts_models.csv", "tables/extracts_overlap.csv"]
    workdir = run_source(
        tmp_path_factory, "excerpt", "source=excerpt", PATH, targets=[f"results/excerpt/{t}" for t in targets]
    )
    return workdir / "results" / "excerpt"


def test_excerpt_run_outputs_are_labelled(excerpt_run):
    for name in ["scores.parquet", "curves.parquet", "emergence.parquet", "manifest.csv", "logs/extracts_source.log"]:
        assert (excerpt_run / name).is_file(), name
    label = "real scores, third-party extract: audit_table (PeterPonyu/calibration-traps@f055de2"
    assert parquet_label(excerpt_run / "scores.parquet").startswith(label)
    for name in ["emergence.csv", "tables/extracts_models.csv", "tables/extracts_overlap.csv", "manifest.csv"]:
        assert (excerpt_run / name).read_text().startswith(f"# {label}"), name
    manifest = read_csv(excerpt_run / "manifest.csv")
    assert manifest["path"].tolist() == ["real_excerpts/audit_table.json", "real_excerpts/bigbench.csv"]
    assert len(read_csv(excerpt_run / "tables/extracts_overlap.csv")) == 156  # 13 tasks x 12 BIG-G T=0 sizes


def test_excerpt_gives_179_curves_and_25_emergent(excerpt_run):
    table = pd.read_parquet(excerpt_run / "emergence.parquet")
    assert len(table) == 179 and int(table.emergent.sum()) == 25  # docs/extracts.md


def test_real_emergence_scores_match_an_independent_computation(excerpt_run):
    table = pd.read_parquet(excerpt_run / "emergence.parquet")
    preferred = table[table.subtask.isna()].set_index(["family", "task"])
    for family, task, emergent in REAL_CURVES:
        values, chance = raw_curve(family, task)
        expected = reference_es(values)
        row = preferred.loc[(family, task)]
        assert row.n_points == len(values), (family, task)
        if math.isinf(expected):
            assert row.es == expected and row.es_infinite, (family, task)
        else:
            assert row.es == pytest.approx(expected, rel=1e-9), (family, task)
        rule = expected > len(values) - 1 and (max(values) - min(values)) >= 0.05 * (1 - chance)
        assert rule == emergent, (family, task, expected)
        assert bool(row.emergent) == emergent, (family, task, row.es)


# --- source=extracts: each multi-metric extract alone, then all seven -------------------------------


@pytest.mark.parametrize("name", ["expemergence", "obsscaling", "on_emergence"])
def test_one_extract_alone(tmp_path_factory, name):
    if not all((DATA / f.local).is_file() for f in ENTRIES[name].files):
        pytest.skip(f"real extract {name} not under {DATA}")
    run_dir = f"results/extracts-{name}"
    workdir = run_source(
        tmp_path_factory,
        name,
        "source=extracts",
        f"extracts={{path: {DATA}, use: [{name}]}}",
        targets=[f"{run_dir}/emergence.parquet", f"{run_dir}/tables/metric_pairs.csv"],
    )
    out = workdir / run_dir
    scores = pd.read_parquet(out / "scores.parquet")
    assert set(scores.extract) == {name}
    assert parquet_label(out / "scores.parquet").startswith(f"real scores, third-party extract: {name} (")
    pairs = read_csv(out / "tables/metric_pairs.csv")
    assert set(pairs.source) == {name} and (pairs.sharp_metric == "any").sum() == 1
    if name == "on_emergence":
        assert "CC BY-SA 4.0" in (out / "tables/metric_pairs.csv").read_text().splitlines()[0]
        assert (scores.se_source == "seeds").any()


@pytest.fixture(scope="module")
def all_run(tmp_path_factory):
    if any(not (DATA / f.local).is_file() for e in ENTRIES.values() for f in e.files):
        pytest.skip(f"the seven real extracts are not all under {DATA}")
    targets = [
        "tables/metric_pairs.csv",
        "metric_pairs_summary.json",
        "figures/fig6_real_models.png",
        "tables/difficulty_comparison.csv",
        "figures/difficulty_groups_3.png",
        "tables/ladder_predictions.csv",
        "figures/ladder_predictions.png",
    ]
    workdir = run_source(
        tmp_path_factory, "all", "source=extracts", PATH, targets=[f"results/extracts/{t}" for t in targets]
    )
    return workdir / "results" / "extracts"


def test_all_seven_extracts_pairs_and_real_fig6(all_run):
    pairs = read_csv(all_run / "tables/metric_pairs.csv")
    pooled = pairs[pairs.sharp_metric == "any"].set_index("source")
    # the BIG-bench extracts have one metric per case; expemergence_groups only the Brier score
    assert sorted(pooled.index) == ["expemergence", "obsscaling", "olmo_ladder", "on_emergence"]
    cells = pooled[["sharp_only", "continuous_only", "both", "neither"]].sum(axis=1)
    assert (cells == pooled.n_cases).all()
    summary = json.loads((all_run / "metric_pairs_summary.json").read_text())
    assert len(summary["headlines"]) == 4 and summary["headlines"][0].startswith("expemergence: of ")
    points = read_csv(all_run / "figures/fig6_real_models.csv")
    assert set(points.metric) >= {"multiple_choice_grade", "brier_score", "exact_str_match", "bleu", "bertscore"}
    assert (all_run / "figures/fig6_real_models.pdf").is_file()


# --- errors ---------------------------------------------------------------------------------------


@needs("on_emergence")
def test_a_changed_file_stops_the_run_with_one_line_naming_it_and_both_hashes(tmp_path):
    entry = ENTRIES["on_emergence"]
    copy = tmp_path / "data" / entry.files[0].local
    copy.parent.mkdir(parents=True)
    shutil.copy(DATA / entry.files[0].local, copy)
    with open(copy, "a") as fh:
        fh.write("\n")
    workdir = make_workdir(tmp_path / "wd")
    run_dir = "results/extracts-on_emergence"
    proc = run_snakemake(
        workdir,
        "-c1",
        "--config",
        "source=extracts",
        f"extracts={{path: {tmp_path / 'data'}, use: [on_emergence]}}",
        "--",
        f"{run_dir}/scores.parquet",
        check=False,
    )
    assert proc.returncode != 0
    log = (workdir / run_dir / "logs" / "extracts_source.log").read_text()
    line = next(x for x in log.splitlines() if "differs from the pinned" in x)
    assert str(copy) in line and entry.files[0].sha256 in line
    assert not (workdir / run_dir / "scores.parquet").exists()


def test_a_missing_file_stops_before_any_rule_naming_it(tmp_path):
    proc = run_snakemake(
        make_workdir(tmp_path), "-n", "--config", "source=excerpt", f"extracts={{path: {tmp_path}}}", check=False
    )
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "config key 'extracts.path'" in out and str(tmp_path / "real_excerpts" / "audit_table.json") in out


def test_the_default_path_is_the_download_cache(tmp_path):
    proc = run_snakemake(make_workdir(tmp_path), "-n", "--config", "source=extracts")
    assert "fetch_extracts" in proc.stdout and "extracts_source" in proc.stdout


def test_the_extracts_own_analyses_run_on_the_real_files(all_run):
    """Wu & Lo's difficulty groups and the OLMo ladder predictions (docs/difficulty.md, docs/ladder.md)."""
    compared = read_csv(all_run / "tables/difficulty_comparison.csv")
    assert set(compared["task"]) >= {"parsinlu_qa", "mmlu", "arc", "hellaswag"}
    ladder = read_csv(all_run / "tables/ladder_predictions.csv")
    assert len(ladder) == 20 and set(ladder["target"]) == {"7B", "13B"}  # 10 tasks x 2 targets
    assert ladder["paper_abs_error"].notna().sum() == 16  # the paper's 8 tasks x 2 targets
    verdicts = pd.read_parquet(all_run / "verdicts.parquet")
    assert {"nonmonotone", "nonmonotone_kind"} <= set(verdicts.columns)
    assert verdicts["nonmonotone"].dtype == "boolean" and verdicts["p_nonmonotone"].notna().any()
    for figure in ("difficulty_groups_3", "ladder_predictions"):
        assert (all_run / "figures" / f"{figure}.pdf").is_file()
