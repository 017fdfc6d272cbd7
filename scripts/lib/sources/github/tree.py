"""Listing a repository's tree at a commit and choosing entries by path patterns.

Patterns are fnmatch-style globs matched one path segment at a time (as in `glob`, not as in
`fnmatch.fnmatch` on the whole path): `*`, `?` and `[...]` never cross a `/`, and a segment `**`
matches zero or more folders. Matching is case-sensitive, as git paths are.
    bigbench/benchmark_tasks/*/results/scores_*.json     evals/pythia-v1/*/zero-shot/*.json

The listing is one recursive trees call. GitHub truncates a recursive listing past 100,000
entries or 7 MB (google/BIG-bench may be past it); then `list_tree` walks only the folders the
patterns can reach: a folder named literally by a pattern is listed on its own (non-recursive,
a constant number of calls), and each folder a wildcard segment fans out to gets one recursive
listing of its own (one call per task folder for BIG-bench), split further only if that listing
is truncated too. A folder that the cut listing already holds in full costs no call at all: the
git tree sha recomputed from its entries equals its own sha, a proof that does not depend on the
order the server lists entries in. So the walk costs at most one API call per fanned-out folder
plus a constant, and less the more of the tree the cut listing covers.

DESIGN: the server is not trusted. Paths git never makes (absolute, `..`, `.`, empty parts,
backslash, NUL) stop the listing; a symlink where a selected file belongs is refused; a walk
deeper than MAX_DEPTH folders (a cyclic tree from a hostile server) stops with an error.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from scripts.lib.sources.github.client import SHA_RE, DownloadError, GitHubClient

logger = logging.getLogger(__name__)

FILE_MODES = frozenset({"100644", "100755"})
SYMLINK_MODE = "120000"
MAX_DEPTH = 64
"""Deepest folder a walk descends to (git allows more; no repository we read comes close)."""
GLOB_CHARS = re.compile(r"[*?\[]")

Pattern = tuple[str, ...]
"""A pattern split into its path segments."""


@dataclass(frozen=True)
class TreeEntry:
    """One selected file of a listing: its path in the repository and what its bytes must hash to."""

    path: str
    sha: str
    size: int


def check_tree_path(path: str) -> None:
    """Refuse a listed path that could land outside the cache; git never makes one, so the server is bad."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or "\0" in path or any(p in ("", ".", "..") for p in parts):
        raise DownloadError(
            f"tree entry {path!r}: not a safe relative path (absolute, '..', '.', empty part or backslash); "
            "refusing this listing; check github.api_url points at GitHub or a faithful mirror"
        )


def split_patterns(patterns: Iterable[str]) -> list[Pattern]:
    """Each pattern as its segments; an empty, absolute or '..' pattern is refused naming it."""
    split = []
    for pattern in patterns:
        parts = tuple(pattern.split("/"))
        if not pattern or pattern.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise DownloadError(f"path pattern {pattern!r}: not a relative path like 'evals/*/zero-shot/*.json'")
        split.append(parts)
    if not split:
        raise DownloadError("no path patterns given: nothing would be selected")
    return split


def _matches(parts: Sequence[str], pattern: Sequence[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_matches(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], pattern[0]) and _matches(parts[1:], pattern[1:])


def path_matches(path: str, patterns: Sequence[Pattern]) -> bool:
    """Whether a '/'-separated path matches any of the split patterns, segment by segment."""
    parts = path.split("/")
    return any(_matches(parts, pattern) for pattern in patterns)


def select_entries(
    items: Iterable[dict[str, Any]],
    patterns: Sequence[Pattern],
    keep: Callable[[str], bool] | None = None,
) -> list[TreeEntry]:
    """The regular files of a listing that match a pattern (and `keep`), sorted; hostile entries stop it."""
    chosen, not_files = [], 0
    for item in items:
        path = str(item.get("path", ""))
        check_tree_path(path)
        if not path_matches(path, patterns) or (keep is not None and not keep(path)):
            continue
        if item.get("mode") == SYMLINK_MODE:
            raise DownloadError(f"{path}: listed as a symlink (mode 120000) where a selected file belongs; refusing it")
        if item.get("type") != "blob" or item.get("mode") not in FILE_MODES:
            not_files += 1
            logger.warning(
                "%s: skipped, type %s mode %s is not a regular file", path, item.get("type"), item.get("mode")
            )
            continue
        sha, size = str(item.get("sha", "")), item.get("size")
        if not SHA_RE.match(sha) or not isinstance(size, int) or size < 0:
            raise DownloadError(f"{path}: tree entry has no valid sha/size ({sha!r}, {size!r})")
        chosen.append(TreeEntry(path=path, sha=sha, size=size))
    if not_files:
        logger.warning("%d matching entries skipped: not regular files", not_files)
    return sorted(chosen, key=lambda e: e.path)


def _tree(client: GitHubClient, sha: str, *, recursive: bool) -> dict[str, Any]:
    """One trees call: {"tree": [...], "truncated": bool}."""
    url = client.api(f"git/trees/{sha}{'?recursive=1' if recursive else ''}")
    data = client.get_json(url, missing=f"{client.repo}: no commit or tree {sha} at {client.api_url}")
    if not isinstance(data, dict) or not isinstance(data.get("tree"), list):
        raise DownloadError(f"{url}: the answer is not a git tree listing")
    return data


def _step(rest: Pattern, name: str, is_tree: bool) -> tuple[bool, list[tuple[Pattern, bool]]]:
    """Match one child against a pattern's remaining segments.

    Returns whether the child itself is selected, and the remaining patterns for its contents,
    each with whether the child was reached through a wildcard (then it is listed recursively).
    """
    if rest[0] == "**":
        selected, below = len(rest) == 1, [(rest, True)] if is_tree else []
        if len(rest) > 1:  # '**' standing for no folder at all
            tail_selected, tail_below = _step(rest[1:], name, is_tree)
            selected, below = selected or tail_selected, below + tail_below
        return selected, below
    if not fnmatchcase(name, rest[0]):
        return False, []
    if len(rest) == 1:
        return True, []
    return False, [(rest[1:], bool(GLOB_CHARS.search(rest[0])))] if is_tree else []


def git_tree_sha(entries: Iterable[dict[str, Any]]) -> str | None:
    """The git tree sha of a folder from its direct entries (mode, name, sha) as git computes it; None if malformed."""
    tree_last = [(str(e.get("path", "")).encode() + (b"/" if e.get("type") == "tree" else b""), e) for e in entries]
    try:
        body = b"".join(
            f"{str(e['mode']).lstrip('0')} {e['path']}".encode() + b"\0" + bytes.fromhex(str(e["sha"]))
            for _, e in sorted(tree_last, key=lambda pair: pair[0])
        )
    except (KeyError, ValueError):
        return None
    return hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()


class _Known:
    """What truncated recursive listings told us, folder by folder, and which folders it covers in full.

    A folder counts as fully listed only when the git tree sha recomputed from the entries we got
    equals the folder's own sha: proof by hash, whatever order the server listed entries in.
    """

    def __init__(self) -> None:
        self.children: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # folder -> name -> entry
        self.sha: dict[str, str] = {}
        self._full: dict[str, list[dict[str, Any]] | None] = {}

    def add(self, prefix: str, tree_sha: Any, items: Iterable[dict[str, Any]]) -> None:
        """Record a truncated listing of the folder at `prefix` ('' or 'a/b/') with paths relative to it."""
        if isinstance(tree_sha, str):
            self.sha.setdefault(prefix.rstrip("/"), tree_sha)
        for item in items:
            path = f"{prefix}{item.get('path', '')}"
            check_tree_path(path)
            parent, _, name = path.rpartition("/")
            self.children[parent][name] = {**item, "path": name}
            if item.get("type") == "tree":
                self.sha[path] = str(item.get("sha", ""))
        self._full.clear()

    def direct(self, folder: str) -> list[dict[str, Any]] | None:
        """The folder's own entries (names relative to it) if all of them are known, else None."""
        entries = self.children.get(folder)
        if not entries or self.sha.get(folder) != git_tree_sha(entries.values()):
            return None
        return list(entries.values())

    def subtree(self, folder: str) -> list[dict[str, Any]] | None:
        """Every entry below the folder (full paths) if the whole subtree is known, else None."""
        if folder not in self._full:
            own = self.direct(folder)
            found: list[dict[str, Any]] | None = [] if own is not None else None
            for entry in own or []:
                path = f"{folder}/{entry['path']}" if folder else entry["path"]
                below = self.subtree(path) if entry.get("type") == "tree" else []
                if below is None:
                    found = None
                    break
                found.extend([{**entry, "path": path}, *below])  # type: ignore[union-attr]
            self._full[folder] = found
        return self._full[folder]


class _Walker:
    """Lists the folders that the patterns can reach, reusing whatever truncated listings already gave."""

    def __init__(self, client: GitHubClient) -> None:
        self.client = client
        self.known = _Known()

    def walk(self, sha: str, prefix: str, rests: set[Pattern], depth: int) -> list[dict[str, Any]]:
        """Entries below one folder that `rests` can select: its own listing, then each child as needed."""
        if depth > MAX_DEPTH:
            raise DownloadError(
                f"{self.client.repo}: tree deeper than {MAX_DEPTH} folders at {prefix!r}; refusing the walk"
            )
        listing = self.known.direct(prefix.rstrip("/"))
        if listing is None:
            data = _tree(self.client, sha, recursive=False)
            if data.get("truncated"):
                raise DownloadError(
                    f"{self.client.api(f'git/trees/{sha}')}: even the non-recursive listing of {prefix!r} is truncated"
                )
            listing = data["tree"]
        found: list[dict[str, Any]] = []
        for item in listing:
            path = f"{prefix}{item.get('path', '')}"
            check_tree_path(path)
            is_tree = item.get("type") == "tree"
            selected, below, fanned = False, set(), False
            for rest in rests:
                hit, more = _step(rest, str(item.get("path", "")), is_tree)
                selected |= hit
                for pattern, wild in more:
                    below.add(pattern)
                    fanned |= wild
            if selected:
                found.append({**item, "path": path})
            if below:
                child = str(item.get("sha", ""))
                descend = self.recursive if fanned else self.walk
                found.extend(descend(child, f"{path}/", below, depth + 1))
        return found

    def recursive(self, sha: str, prefix: str, rests: set[Pattern], depth: int) -> list[dict[str, Any]]:
        """Every entry below one folder from one recursive call (none if already known); walked if truncated."""
        known = self.known.subtree(prefix.rstrip("/"))
        if known is not None:
            return known
        data = _tree(self.client, sha, recursive=True)
        if data.get("truncated"):
            level = logging.WARNING if not prefix else logging.INFO
            logger.log(
                level, "recursive listing of %s truncated; listing the folders the patterns reach", prefix or "/"
            )
            self.known.add(prefix, data.get("sha"), data["tree"])
            return self.walk(sha, prefix, rests, depth)
        items = []
        for item in data["tree"]:
            path = f"{prefix}{item.get('path', '')}"
            check_tree_path(path)
            items.append({**item, "path": path})
        return items


def list_tree(
    client: GitHubClient,
    commit: str,
    patterns: Iterable[str],
    *,
    keep: Callable[[str], bool] | None = None,
) -> list[TreeEntry]:
    """The files of `client.repo` at `commit` that match `patterns` (and `keep`), sorted by path."""
    patterns = list(patterns)
    split = split_patterns(patterns)
    before = client.api_calls
    items = _Walker(client).recursive(commit, "", set(split), 0)
    entries = select_entries(items, split, keep)
    logger.info(
        "%d files (%.1f MB) match %s at %s@%s (%d API calls)",
        len(entries),
        sum(e.size for e in entries) / 1e6,
        ", ".join(patterns),
        client.repo,
        commit,
        client.api_calls - before,
    )
    return entries
