# Config validation, the run name, the source's entry in the table of sources, the final targets and
# input functions. No rules here.
from pathlib import Path

from snakemake.utils import validate

from scripts.lib.config import coerce_cli_strings, load_schema, pipeline_version
from scripts.lib.imports import lib_files
from scripts.lib.present.report_index import report_outputs
from scripts.lib.sources.extracts.registry import extract_files
from scripts.lib.sources.github.client import is_commit_sha
from scripts.lib.sources.table import (
    CALIBRATION_LABEL,
    TOY_LABEL,
    VISION_LABEL,
    check_config,
    data_label,
    extracts_use,
    run_name,
    source_of,
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


def settings(section: str, *keys: str) -> dict:
    """The config keys a rule uses from one section (all of them when none are named), under their
    config names: the one way test settings reach a rule, and a rule reruns only when one of its keys
    changes."""
    return {key: config[section][key] for key in (keys or config[section])}


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


SOURCE = source_of(config)
SOURCE_RULES = SOURCE.rules(config)


def uses(rule_name: str) -> bool:
    """Whether this run's source uses a source-specific rule (the table of sources decides)."""
    return rule_name in SOURCE_RULES


def _resolve_commit() -> str | None:
    """The commit sha a github run reads (resolved at DAG-build time, then cached under results/.cache/github/)."""
    if not SOURCE.needs_commit:
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
SYNTHETIC = SOURCE.synthetic
# `git describe` of the pipeline, once per DAG build: provenance reruns when the code's version changes.
PIPELINE_VERSION = pipeline_version(workflow.basedir)
# The folder the source's reader reads (a BIG-bench tree, the extracts folder, harness results).
SNAPSHOT = SOURCE.snapshot(config, RUN, COMMIT)
# The registry entries an extracts run reads and their pinned files under extracts.path.
EXTRACTS_USE = extracts_use(config) if uses("extracts_source") else []
EXTRACT_FILES = extract_files(EXTRACTS_USE, config["extracts"]["path"])


def final_targets(wildcards) -> list[str]:
    """The outputs of every rule defined (the source's own rules come from the table of sources, the
    rest from the rule files), so no list of targets is kept by hand and include order does not
    matter. An input function, so it is evaluated once the whole workflow is parsed."""
    return sorted({str(f) for r in workflow.rules if r.name != "all" for f in r.output})


def report_captions() -> list[str]:
    """The caption files of every report() output (for write_run_readme), once every rule is defined."""
    return sorted(
        {
            record["caption"]
            for record in report_outputs(workflow.rules)
            if record["caption"]
        }
    )
