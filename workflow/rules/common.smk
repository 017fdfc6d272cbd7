# Config validation, the run name, target lists and input functions. No rules here.
from pathlib import Path

from snakemake.utils import validate

from scripts.lib.sources.extracts.registry import extract_files
from scripts.lib.imports import lib_files

from scripts.lib.workflow_config import (
    EXTRACT_SOURCES,
    check_config,
    coerce_cli_strings,
    data_label,
    extracts_use,
    is_commit_sha,
    lm_eval_root,
    load_schema,
    pipeline_version,
    repo_slug,
    run_name,
)

SCHEMA_FILE = workflow.source_path("../schemas/config.schema.yaml")
config.update(coerce_cli_strings(config, load_schema(SCHEMA_FILE)))
check_config(config, SCHEMA_FILE)
validate(config, schema="../schemas/config.schema.yaml", set_default=True)

METRICS_FILE = "config/metrics.yaml"


# Report categories in reading order: the report lists categories and subcategories alphabetically,
# so a number sets the order (docs/design.md §8.2).
REPORT = {
    "summary": "1. Summary",
    "figures": "2. Figures",
    "verdicts": "3. Verdicts",
    "tables": "4. Tables",
    "beyond": "5. Beyond the paper",
    "vision": "6. Vision (Mirage Sec. 5)",
    "provenance": "7. Provenance",
}


def figure_report(name: str, *, category: str, subcategory: str | None = None):
    """figures/<name>.<fmt> in every configured format, for the report, captioned by report/<name>.rst.

    Labelled by figure and format, so the report lists each figure once with a format toggle.
    """
    # In a Snakefile no line may start with `report` (a keyword there): hence the alias.
    report_file = report
    return [
        report_file(
            f"results/{RUN}/figures/{name}.{fmt}",
            caption=f"../report/{name}.rst",
            category=category,
            subcategory=subcategory,
            labels={"figure": name, "format": fmt},
        )
        for fmt in config["figures"]["formats"]
    ]


def lib_inputs(script: str) -> list[str]:
    """The scripts/lib modules scripts/<stage>/<name>.py imports (transitively): editing one reruns the rule."""
    root = Path(workflow.basedir)
    return list(lib_files(root / "scripts" / f"{script}.py", root))


def _resolve_commit() -> str | None:
    """The commit sha a github run reads (resolved at DAG-build time, then cached under results/.cache/github/)."""
    if config["source"] != "github":
        return None
    ref = config["github"]["ref"]
    if is_commit_sha(ref):
        return ref
    from snakemake.logging import logger as snakemake_logger

    from scripts.lib.sources.github.refs import resolve_ref

    return resolve_ref(
        api_url=config["github"]["api_url"],
        repo=config["github"]["repo"],
        ref=ref,
        timeout_s=config["github"]["timeout_s"],
        cache_dir="results/.cache/github",
        notify=snakemake_logger.info,
    )


COMMIT = _resolve_commit()
RUN = run_name(config, COMMIT)
DATA_LABEL = data_label(config, COMMIT)
SYNTHETIC = config["source"] == "sample"
# `git describe` of the pipeline, once per DAG build: provenance reruns when the code's version changes.
PIPELINE_VERSION = pipeline_version(workflow.basedir)

REPO_SLUG = repo_slug(config["github"]["repo"])

# Root folder of the scores files (it holds bigbench/benchmark_tasks/...).
if config["source"] == "sample":
    SNAPSHOT = f"results/{RUN}/snapshot"
elif config["source"] == "local":
    SNAPSHOT = config["local"]["path"]
elif config["source"] in EXTRACT_SOURCES:
    # Not a BIG-bench tree: the folder of the registry's extracts (rule extracts_source, docs/extracts.md).
    SNAPSHOT = config["extracts"]["path"]
elif config["source"] == "lm_eval":
    # Not a BIG-bench tree: a folder of harness results files (rule lm_eval_source, docs/lm-eval.md).
    SNAPSHOT, LM_EVAL_FETCH = lm_eval_root(config)
else:
    SNAPSHOT = f"results/.cache/github/{REPO_SLUG}/{COMMIT}"

# source=extracts/excerpt: the registry entries read, their pinned files under extracts.path, and
# whether that folder is the download cache (then rule fetch_extracts gets them from GitHub).
EXTRACTS_USE = extracts_use(config) if config["source"] in EXTRACT_SOURCES else []
EXTRACT_FILES = extract_files(EXTRACTS_USE, config["extracts"]["path"])
EXTRACTS_FETCH = Path(config["extracts"]["path"]) == Path("results/.cache/extracts")

ALL_TARGETS = [
    f"results/{RUN}/scores.parquet",
    f"results/{RUN}/emergence.parquet",
    f"results/{RUN}/emergence.csv",
    f"results/{RUN}/tables/excluded_curves.csv",
    f"results/{RUN}/tables/unknown_metrics.csv",
]
