"""Helpers shared by the rule scripts: logging, atomic table writers, fixed float formats.

Every writer goes through a temporary file in the target folder and `os.replace`, so a killed
run never leaves a half-written table that a rerun would trust (docs/design.md §7). CSV outputs start with
one `# ` line naming where the data came from (SYNTHETIC for the sample source); read them back
with `read_csv`, which skips it.
"""

import json
import logging
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

FLOAT_FORMAT = "%.6g"
"""One float format for every CSV, so reruns write the same bytes."""


def setup_logging(path: str | os.PathLike[str] | None) -> None:
    """Send log records to the rule log (overwritten) and stderr; log uncaught errors too."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logging.captureWarnings(True)

    def log_uncaught(exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        logging.getLogger("uncaught").error("%s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))

    sys.excepthook = log_uncaught


def _umask() -> int:
    """The process umask (mkstemp creates files 0600; outputs should get the usual mode)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it onto `path` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write text atomically (UTF-8, '\\n' line ends)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def json_safe(value: Any) -> Any:
    """A JSON-safe scalar: numpy scalars become Python ones, NaN and infinities become None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write JSON atomically with sorted keys and a trailing newline (stable bytes)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file written by `write_json` (or any UTF-8 JSON file)."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def write_csv(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    label: str | None = None,
    float_format: str = FLOAT_FORMAT,
) -> None:
    """Write a CSV atomically, with an optional first `# label` line naming the data source."""
    body = df.to_csv(index=False, float_format=float_format, lineterminator="\n")
    header = f"# {label}\n" if label else ""
    write_text(path, header + body)


def read_csv(path: str | os.PathLike[str], **kwargs: Any) -> pd.DataFrame:
    """Read a CSV written by `write_csv` (skips its `# label` line)."""
    with open(path, encoding="utf-8") as fh:
        first = fh.readline()
    skip = 1 if first.startswith("# ") else 0
    return pd.read_csv(path, skiprows=skip, **kwargs)


def write_parquet(df: pd.DataFrame, path: str | os.PathLike[str], *, label: str | None = None) -> None:
    """Write a Parquet file atomically; `label` goes into the schema metadata."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    if label:
        meta = dict(table.schema.metadata or {})
        meta[b"bigbench_emergence.data_label"] = label.encode()
        table = table.replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def parquet_label(path: str | os.PathLike[str]) -> str | None:
    """The data label stored by `write_parquet`, if any."""
    meta = pq.read_schema(path).metadata or {}
    value = meta.get(b"bigbench_emergence.data_label")
    return value.decode() if value else None


def load_metric_facts(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Read config/metrics.yaml (already schema-checked by the workflow)."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def run_rule(run: Callable[..., None], snakemake: Any) -> None:
    """The adapter every rule script ends with: log to the rule log, call `run` by name."""
    setup_logging(snakemake.log[0] if snakemake.log else None)
    inputs = {name: value for name, value in snakemake.input.items() if name != "lib"}  # lib: tracked code only
    kwargs = {**inputs, **dict(snakemake.output.items()), **dict(snakemake.params.items())}
    if "threads" in run.__code__.co_varnames[: run.__code__.co_argcount + run.__code__.co_kwonlyargcount]:
        kwargs["threads"] = snakemake.threads
    run(**kwargs)
