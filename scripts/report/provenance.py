"""Rule provenance: what a run read and with what, so a result can be traced and redone (docs/design.md §7).

provenance.json holds the source, repository and resolved commit, the number of input files and
the sha256 digest of their manifest, a digest of the whole config, the versions of Python and of
every package the pipeline uses, and the pipeline version (`git describe` in a git checkout).
Nothing time-dependent goes in, so the file is byte-identical across reruns of the same inputs.

Inputs: manifest.csv. Output: provenance.json. Params: source, synthetic, repo (None unless read from GitHub),
commit, config, label, pipeline_version.
"""

import hashlib
import json
import logging
import platform
from importlib import metadata
from typing import Any

from scripts.lib.io import read_csv, run_rule, write_json
from scripts.lib.sources.manifest import manifest_digest

logger = logging.getLogger(__name__)

PACKAGES = (
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "matplotlib",
    "seaborn",
    "requests",
    "PyYAML",
    "orjson",
    "scikit-learn",
)


def config_digest(config: dict[str, Any]) -> str:
    """sha256 of the config as canonical JSON (sorted keys), so equal configs give equal digests."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed version of each package ("not installed" when absent)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance(
    *,
    manifest,
    source: str,
    synthetic: bool,
    repo: str | None,
    commit: str | None,
    config: dict[str, Any],
    label: str,
    version: str,
) -> dict[str, Any]:
    """The provenance record (pure: every input is an argument; `repo` is None for a source not read from GitHub)."""
    return {
        "data_label": label,
        "synthetic": synthetic,
        "source": source,
        "repository": repo,
        "commit": commit,
        "n_files": int(len(manifest)),
        "input_bytes": int(manifest["size"].sum()) if len(manifest) else 0,
        "manifest_sha256": manifest_digest(manifest),
        "config_sha256": config_digest(config),
        "config": config,
        "python": platform.python_version(),
        "packages": package_versions(),
        "pipeline_version": version,
    }


def run(
    *,
    manifest: str,
    provenance_json: str,
    source: str,
    synthetic: bool,
    repo: str | None,
    commit: str | None,
    config: dict[str, Any],
    label: str,
    pipeline_version: str,
) -> None:
    record = provenance(
        manifest=read_csv(manifest),
        source=source,
        synthetic=synthetic,
        repo=repo,
        commit=commit,
        config=dict(config),
        label=label,
        version=pipeline_version,
    )
    write_json(provenance_json, record)
    logger.info(
        "provenance: %d files, manifest %s, config %s, pipeline %s",
        record["n_files"],
        record["manifest_sha256"][:12],
        record["config_sha256"][:12],
        record["pipeline_version"],
    )


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
