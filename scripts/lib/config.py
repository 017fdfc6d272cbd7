"""Config plumbing shared by every source: schema errors as one line naming the key, typed `--config` values,
the pipeline's version.

Why here and not in the .smk files: pure functions, unit-tested, and the error text a user sees
for a bad config is pinned by tests. What each source checks on top lives in sources/table.py.
"""

import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import yaml


class ConfigError(ValueError):
    """A config value that the pipeline cannot use; the message names the key."""


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    """One line for one schema error: the key, the bad value and what is allowed."""
    key = _key_path(error)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        where = "" if key == "(top level)" else f" under '{key}'"
        return f"unknown config key(s) {extra}{where}; allowed: {allowed}"
    if error.validator == "oneOf":
        options = []
        for sub in schema.get("oneOf", []):
            options.extend(sub.get("enum", []) or [f"a {sub.get('type')}"])
        return f"config key '{key}': {error.instance!r} is not allowed; use one of {options}"
    if error.validator == "enum":
        return f"config key '{key}': {error.instance!r} is not one of {schema['enum']}"
    return f"config key '{key}': {error.message}"


SCALAR_TYPES = {"boolean": bool, "integer": int, "number": (int, float)}


def _accepts(schema: dict[str, Any], value: Any) -> bool:
    """Whether a scalar schema (type, or oneOf of types) takes this already-typed value."""
    options = schema.get("oneOf", [schema])
    for option in options:
        kind = SCALAR_TYPES.get(option.get("type", ""))
        if kind and isinstance(value, kind) and not (kind is not bool and isinstance(value, bool)):
            return True
    return False


def coerce_cli_strings(config: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Turn strings that `--config` left untyped ('false', '1' inside `key={seed: 1}`) into the
    boolean or number the schema asks for; anything else is left for validation to report."""
    out = dict(config)
    for key, sub in schema.get("properties", {}).items():
        value = out.get(key)
        if isinstance(value, dict) and "properties" in sub:
            out[key] = coerce_cli_strings(value, sub)
        elif isinstance(value, list) and isinstance(sub.get("items"), dict):
            out[key] = [_coerce(v, sub["items"]) for v in value]
        elif isinstance(value, str):
            out[key] = _coerce(value, sub)
    return out


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    if not isinstance(value, str):
        return value
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    return parsed if _accepts(schema, parsed) else value


def load_schema(schema_path: str | Path) -> dict[str, Any]:
    """The schema, read with libyaml's loader where PyYAML has it (7x faster: every snakemake call reads it)."""
    with open(schema_path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def schema_errors(config: dict[str, Any], schema: dict[str, Any]) -> None:
    """Raise ConfigError with one line per schema problem, before any rule runs."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ConfigError("; ".join(_describe(e) for e in errors))


def pipeline_version(directory: str) -> str:
    """`git describe --always --dirty --tags` of the pipeline checkout, or "unknown" outside git."""
    try:
        out = subprocess.run(
            ["git", "-C", directory, "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return out.stdout.strip()
