"""Rule fetch_extracts: download the registry's pinned extract files from GitHub into extracts.path.

Only when `extracts.path` is the download cache (results/.cache/extracts, the default). Each file
of each used entry (scripts/lib/sources/extracts/registry.py) is fetched from its repository at the
pinned commit by the pipeline's downloader (`scripts.lib.sources.github.download_pinned_file`: raw host,
no API call, verified against the pinned sha256; a different body is a one-line error naming the
file and both hashes), then placed at the registry's local path under the cache, atomically.
A file already there with the pinned sha256 is not fetched again. No connection to GitHub at all
(offline) stops at once with one line naming what to set instead (OFFLINE).

Inputs: none. Outputs: files (the pinned files under extracts.path).
Params: use (entry names), raw_url, timeout_s, retries (the folder is the one the outputs sit under).
"""

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from scripts.lib.io import atomic_path, run_rule
from scripts.lib.sources.extracts.registry import Entry, entries, root_of
from scripts.lib.sources.github.client import Unreachable
from scripts.lib.sources.github.download import download_pinned_file
from scripts.lib.sources.manifest import sha256_file

logger = logging.getLogger(__name__)

OFFLINE = (
    "cannot reach {host} to fetch the pinned extracts; set EXTRACTS=DIR (make) or extracts.path (config) "
    "to a folder holding them"
)
"""The one line an offline run with an empty cache ends with (docs/extracts.md)."""


def fetch_entry(entry: Entry, root: Path, *, raw_url: str, timeout_s: float, retries: int) -> list[Path]:
    """Every file of `entry` at root/<local path>, fetched into root/.github/<repo>/<commit>/ first."""
    out = []
    for f in entry.files:
        target = root / f.local
        if target.is_file() and sha256_file(target) == f.sha256:
            out.append(target)
            continue
        fetched = download_pinned_file(
            repo=entry.repository,
            commit=entry.commit,
            path=f.upstream,
            sha256=f.sha256,
            cache=root / ".github" / entry.repository.replace("/", "__") / entry.commit,
            raw_url=raw_url,
            timeout_s=timeout_s,
            retries=retries,
            retry_unreachable=False,
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            shutil.copyfile(fetched, tmp)
        logger.info("%s: %s@%s:%s -> %s", entry.name, entry.repository, entry.commit[:12], f.upstream, target)
        out.append(target)
    return out


def run(*, files: Sequence[str], use: Sequence[str], raw_url: str, timeout_s: float, retries: int) -> None:
    selected = entries(use)
    root = root_of(files, selected)
    try:
        fetched = [
            p for e in selected for p in fetch_entry(e, root, raw_url=raw_url, timeout_s=timeout_s, retries=retries)
        ]
    except Unreachable as exc:
        logger.error(OFFLINE.format(host=exc.host))
        raise SystemExit(1) from None
    logger.info("%d extract files in %s, each verified against its pinned sha256", len(fetched), root)


def main(snakemake) -> None:  # type: ignore[no-untyped-def]
    run_rule(run, snakemake)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 — injected by Snakemake
