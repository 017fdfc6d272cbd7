"""Rule write_run_readme: results/<run>/README.md, the page a person reads first (docs/design.md §8.2).

It says where the numbers came from (source, its label SYNTHETIC / real extract / full download,
commit), prints every headline sentence of summary.json and every number that has an interval,
lists every figure and table of the run with one line on what it shows, and gives the command
that reproduces the run.

Inputs: summary.json, provenance.json, the default config/config.yaml (to print only the settings
that differ), the report captions (workflow/report/*.rst) and the listed files themselves (so the
README is written last). Output: README.md. Params: outputs, one record per report() output of the
workflow (path, caption, category, subcategory; scripts/lib/present/report_index.py), and run_name.

One source of truth: each file's line is the first sentence of its report caption, rendered with
the run's config as the report renders it. summary.json is read generically: any string (or list
of strings) under a key that starts with "headline" or contains "sentence" is a headline
sentence, at any depth, so sections that other rules add (e.g. "verdicts") appear without an edit
here; any key with "ci_low" beside its "ci_high" twin is an interval.
"""

import logging
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import Any

import jinja2
import yaml

from scripts.lib.io import read_json, run_rule, write_text

logger = logging.getLogger(__name__)

SOURCE_KINDS = {
    "sample": "SYNTHETIC",
    "excerpt": "real extract",
    "extracts": "real extract",
    "lm_eval": "real lm-evaluation-harness results",
    "github": "full download",
    "local": "local clone",
}
"""What kind of data each source is (the label a reader needs before any number)."""

ABBREVIATIONS = {"al", "Fig", "Figs", "Sec", "e.g", "i.e", "vs", "cf", "Eq", "approx"}
"""Words after which a full stop does not end a sentence."""


def first_sentence(text: str) -> str:
    """The first sentence of a caption, on one line, with rst ``literals`` as markdown `literals`."""
    flat = " ".join(text.split()).replace("``", "`")
    for match in re.finditer(r"\.\s+(?=[A-Z`])", flat):
        words = flat[: match.start()].split()
        if words and words[-1].lstrip("(") not in ABBREVIATIONS:
            return flat[: match.start() + 1]
    return flat


def render_caption(text: str, config: dict[str, Any], *, name: str) -> str:
    """A caption with its `{{ snakemake.config[...] }}` fields filled in, as the report fills them."""
    try:
        return jinja2.Template(text, undefined=jinja2.StrictUndefined).render(snakemake=SimpleNamespace(config=config))
    except jinja2.TemplateError as exc:
        raise ValueError(f"{name}: caption does not render with this run's config: {exc}") from exc


def _walk(node: Any, prefix: str = "") -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
    """(dotted key, key, value, parent dict) for every entry of nested dicts, depth first, keys sorted."""
    if isinstance(node, dict):
        for key in sorted(node):
            dotted = f"{prefix}{key}"
            yield dotted, key, node[key], node
            yield from _walk(node[key], f"{dotted}.")


def _is_sentence_key(key: str) -> bool:
    return key.startswith("headline") or "sentence" in key


def headline_sentences(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(dotted key, sentence) for every headline sentence anywhere in summary.json.

    Strings without a space (lists of metric names under "headline_metrics") are not sentences.
    """
    found = []
    for dotted, key, value, _ in _walk(summary):
        if not _is_sentence_key(key):
            continue
        values = value if isinstance(value, list) else [value]
        found += [(dotted, item) for item in values if isinstance(item, str) and " " in item.strip()]
    return found


def intervals(summary: dict[str, Any]) -> list[tuple[str, Any, Any, Any]]:
    """(dotted name, value or None, low, high) for every `<name>_ci_low` that has its `_ci_high` twin."""
    rows = []
    for dotted, key, low, parent in _walk(summary):
        if "ci_low" not in key:
            continue
        high_key = key.replace("ci_low", "ci_high")
        if high_key not in parent:
            continue
        prefix = dotted[: len(dotted) - len(key)]
        if key == "ci_low":  # {"value": v, "ci_low": l, "ci_high": h}: the interval of the dict's value
            rows.append((prefix.rstrip("."), parent.get("value"), low, parent[high_key]))
        else:
            name = key.replace("_ci_low", "")
            rows.append((prefix + name, parent.get(name), low, parent[high_key]))
    return rows


def _number(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, float):
        return str(value)
    return f"{value:.4g}"


def config_overrides(run_config: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The settings of the run that differ from config/config.yaml (nested dicts: only changed keys)."""
    changed: dict[str, Any] = {}
    for key in sorted(run_config):
        value, default = run_config[key], defaults.get(key)
        if key not in defaults or value == default:
            continue
        if isinstance(value, dict) and isinstance(default, dict):
            if nested := config_overrides(value, default):  # empty: only schema defaults were added
                changed[key] = nested
        else:
            changed[key] = value
    return changed


def _cli_value(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "'" + yaml.safe_dump(value, default_flow_style=True, width=10**6).strip() + "'"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f"'{text}'" if not text or re.search(r"[\s'\"{}\[\],*?$]", text) else text


def reproduce_command(provenance: dict[str, Any], defaults: dict[str, Any]) -> list[str]:
    """Shell lines that rerun this run: the pipeline checkout, then snakemake with the changed settings."""
    overrides = config_overrides(provenance["config"], defaults)
    overrides["source"] = provenance["source"]
    commit = provenance.get("commit")
    if provenance["source"] == "github" and commit and provenance["config"]["github"]["ref"] != commit:
        overrides.setdefault("github", {})["ref"] = commit  # pin the resolved commit, not a moving branch
    settings = " ".join(
        f"{key}={_cli_value(overrides[key])}" for key in ["source", *sorted(set(overrides) - {"source"})]
    )
    lines = []
    version = str(provenance.get("pipeline_version", ""))
    if version and not version.startswith("unknown"):
        if version.endswith("-dirty"):
            lines.append("# the run's checkout had uncommitted changes: this is the nearest commit")
        lines.append(f"git checkout {version.removesuffix('-dirty')}")
    lines.append(f"snakemake --cores 8 --config {settings}")
    return lines


def output_rows(outputs: list[dict[str, str]], run_dir: str, one_liners: dict[str, str]) -> list[tuple[str, str, str]]:
    """(files, what it shows, report section) per output; formats of one figure share a row."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for record in outputs:
        relative = PurePosixPath(record["path"]).relative_to(run_dir)
        section = record["category"] + ("" if record["subcategory"] == "Other" else f" / {record['subcategory']}")
        stem = str(relative.with_suffix(""))
        groups.setdefault((section, stem, record["caption"]), []).append(relative.suffix.lstrip("."))
    rows = []
    for (section, stem, caption), suffixes in groups.items():
        files = f"{stem}.{suffixes[0]}" if len(suffixes) == 1 else f"{stem}.{{{','.join(sorted(suffixes))}}}"
        rows.append((files, one_liners.get(caption, ""), section))
    return rows


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def readme_text(
    *,
    summary: dict[str, Any],
    provenance: dict[str, Any],
    defaults: dict[str, Any],
    outputs: list[dict[str, str]],
    one_liners: dict[str, str],
    run_name: str,
) -> str:
    """The whole README.md of one run (pure: every input is an argument)."""
    source = provenance["source"]
    kind = SOURCE_KINDS.get(source, source)
    lines = [f"# Run `{run_name}`: {kind}", ""]
    if provenance.get("synthetic"):
        lines += [
            "> **SYNTHETIC DATA.** Generated by this pipeline's own sample generator, not BIG-bench results:",
            "> every number below is a property of the generator, not a finding about BIG-bench.",
            "",
        ]
    commit = provenance.get("commit")
    repo = provenance.get("repository")
    no_commit = "none (this source has no upstream commit)"
    manifest = provenance.get("manifest_sha256", "")
    lines += [
        f"- Source: `{source}` ({kind}): {provenance.get('data_label', '')}",
        f"- Commit of the data: {f'`{commit}` of {repo}' if commit else no_commit}",
        f"- Pipeline version (`git describe`): `{provenance.get('pipeline_version', 'unknown')}`",
        f"- Input files: {provenance.get('n_files', 'n/a')} (manifest sha256 `{manifest}`)",
        "",
        "## Headline sentences",
        "",
    ]
    sentences = headline_sentences(summary)
    lines += [f"- {_md(sentence)} (`{key}`)" for key, sentence in sentences] or ["(summary.json has none)"]
    rows = intervals(summary)
    if rows:
        lines += [
            "",
            "## Numbers with intervals",
            "",
            "| quantity (summary.json) | value | interval |",
            "|---|---|---|",
        ]
        lines += [
            f"| `{name}` | {_number(value)} | {_number(low)} to {_number(high)} |" for name, value, low, high in rows
        ]
    run_dir = f"results/{run_name}"
    lines += [
        "",
        "## Figures and tables",
        "",
        f"Paths are relative to `{run_dir}/`. The report (`make report`) shows each with its full caption.",
        "",
        "| file | what it shows | report section |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{files}` | {_md(what)} | {_md(section)} |"
        for files, what, section in output_rows(outputs, run_dir, one_liners)
    ]
    lines += ["", "## Reproduce", "", "From the pipeline's root folder:", "", "```bash"]
    lines += reproduce_command(provenance, defaults)
    lines += ["```", ""]
    return "\n".join(lines)


def run(
    *,
    summary: str,
    provenance: str,
    defaults: str,
    captions: list[str],
    files: list[str],
    readme: str,
    outputs: list[dict[str, str]],
    run_name: str,
) -> None:
    record = read_json(provenance)
    one_liners = {
        path: first_sentence(render_caption(Path(path).read_text(encoding="utf-8"), record["config"], name=path))
        for path in captions
    }
    text = readme_text(
        summary=read_json(summary),
        provenance=record,
        defaults=yaml.safe_load(Path(defaults).read_text(encoding="utf-8")),
        outputs=list(outputs),
        one_liners=one_liners,
        run_name=run_name,
    )
    write_text(readme, text)
    logger.info("wrote %s: %d files listed, from %d captions", readme, len(files), len(captions))


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
