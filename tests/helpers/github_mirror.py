"""A loopback GitHub for tests: the REST calls and raw files the downloader uses, with fault injection.

    with GitHubMirror(snapshot_dir) as mirror:      # serves on 127.0.0.1, a free port
        mirror.api_url, mirror.raw_url, mirror.commit, mirror.repo
        other = mirror.add_repo("EleutherAI/pythia", pythia_dir)   # any number of repositories
        mirror.inject(mirror.raw_path("bigbench/.../scores_x.json"), Status(500), Status(500))
        ... run the code under test ...
        mirror.count(mirror.raw_path(...)), mirror.count_prefix("/raw/"), mirror.api_calls, mirror.seen

Routes (GitHub's layout under two prefixes of one server), for every repository added:
    GET /api/repos/{owner}/{repo}/commits/{ref}            -> {"sha": commit}; unknown ref -> 422
    GET /api/repos/{owner}/{repo}/git/trees/{sha}[?recursive=1]
                                                           -> {"sha", "tree": [...], "truncated"}
    GET /raw/{owner}/{repo}/{commit}/{path}                -> the file's bytes
    an unknown repository                                  -> 404

Truncated listings: `truncate_recursive=True` truncates every recursive listing (to a third of
its entries); `max_recursive_entries=N` truncates only those with more than N entries, as GitHub
does past 100,000 entries, so a large root is cut and small subtrees are not.

Blob, tree and commit shas are computed as git computes them, so a tree entry's sha checks a file
exactly as it would against GitHub. Faults are queued per URL path (`inject`) and used up one per
request; when a queue is empty the mirror answers normally. Only loopback, and the server stops by
itself after `max_lifetime_s` even if a test forgets to stop it; an endless body ends when the
client goes away, when the mirror stops, or after its own time limit.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tests.helpers.http_faults import Fault, respond

LOOPBACK = "127.0.0.1"


def git_blob_sha(data: bytes) -> str:
    """git hash-object: sha1 of 'blob <size>\\0' + data (an oracle independent of the code under test)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def git_object_sha(kind: str, body: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).hexdigest()


@dataclass(frozen=True)
class Seen:
    """One request the mirror received (path unquoted, headers with lowercase names)."""

    path: str
    query: str
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is real
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    timeout = 10  # an idle kept-alive connection does not hold a thread for ever

    def do_GET(self) -> None:  # noqa: N802 — http.server's naming
        self.server.mirror.handle(self)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — http.server's signature
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-answer is what the fault tests provoke: not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Repo:
    """One repository's snapshot: files, git trees (by sha), folder -> tree sha, the commit and refs."""

    def __init__(self, root: Path, refs: tuple[str, ...]) -> None:
        self.files: dict[str, bytes] = {}
        self.trees: dict[str, list[dict[str, Any]]] = {}
        self.folders: dict[str, str] = {}  # folder path ("" = root) -> tree sha
        self.extra: dict[str, list[dict[str, Any]]] = defaultdict(list)  # folder -> entries git never makes
        self.root_tree = self._add_tree(Path(root), "")
        author = "Mirror <mirror@example.invalid> 1700000000 +0000"
        self.commit = git_object_sha(
            "commit", f"tree {self.root_tree}\nauthor {author}\ncommitter {author}\n\nsnapshot\n".encode()
        )
        self.refs = dict.fromkeys(refs, self.commit)

    def _add_tree(self, folder: Path, prefix: str) -> str:
        entries = []
        for child in folder.iterdir():
            if child.is_dir():
                sha = self._add_tree(child, f"{prefix}{child.name}/")
                entries.append({"path": child.name, "mode": "040000", "type": "tree", "sha": sha})
            else:
                data = child.read_bytes()
                self.files[f"{prefix}{child.name}"] = data
                mode = "100755" if os.access(child, os.X_OK) else "100644"
                entries.append(
                    {"path": child.name, "mode": mode, "type": "blob", "sha": git_blob_sha(data), "size": len(data)}
                )
        # git orders entries by name, a tree's name compared as if it ended in '/'
        entries.sort(key=lambda e: e["path"].encode() + (b"/" if e["type"] == "tree" else b""))
        body = b"".join(
            f"{e['mode'].lstrip('0')} {e['path']}".encode() + b"\0" + bytes.fromhex(e["sha"]) for e in entries
        )
        sha = git_object_sha("tree", body)
        self.trees[sha] = entries
        self.folders[prefix.rstrip("/")] = sha
        return sha

    def listing(self, sha: str, folder: str) -> list[dict[str, Any]]:
        """A tree's own entries plus those added to its folder with add_entry."""
        return [dict(e) for e in self.trees[sha]] + [dict(e) for e in self.extra.get(folder, [])]

    def flatten(self, sha: str, folder: str) -> list[dict[str, Any]]:
        items = []
        for entry in self.listing(sha, folder):
            path = f"{folder}/{entry['path']}" if folder else entry["path"]
            items.append({**entry, "path": path})
            if entry["type"] == "tree":
                items.extend(self.flatten(entry["sha"], path))
        return items


class GitHubMirror:
    """Snapshot folders served in GitHub's layout on 127.0.0.1, with per-path fault queues.

    The repository given to the constructor is the primary one: `repo`, `commit`, `files`,
    `root_tree` and the path helpers refer to it unless given `repo=`.
    """

    def __init__(
        self,
        root: Path,
        *,
        repo: str = "google/BIG-bench",
        refs: tuple[str, ...] = ("main",),
        truncate_recursive: bool = False,
        max_recursive_entries: int | None = None,
        gzip_raw: bool = False,
        max_lifetime_s: float = 120.0,
    ) -> None:
        self.repo = repo
        self.repos: dict[str, _Repo] = {}
        self.add_repo(repo, root, refs=refs)
        self.truncate_recursive = truncate_recursive
        self.max_recursive_entries = max_recursive_entries
        self.gzip_raw = gzip_raw
        self.seen: list[Seen] = []
        self.stopped = threading.Event()
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = _Server((LOOPBACK, 0), _Handler)
        self._server.mirror = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None
        self._stop_lock = threading.Lock()
        self._lifetime = threading.Timer(max_lifetime_s, self.stop)
        self._lifetime.daemon = True

    # -- snapshots ----------------------------------------------------------------------------
    def add_repo(self, repo: str, root: Path, *, refs: tuple[str, ...] = ("main",)) -> str:
        """Serve folder `root` as repository `repo` (owner/name) too; returns its commit sha."""
        self.repos[repo] = _Repo(root, refs)
        return self.repos[repo].commit

    @property
    def commit(self) -> str:
        return self.repos[self.repo].commit

    @property
    def files(self) -> dict[str, bytes]:
        return self.repos[self.repo].files

    @property
    def root_tree(self) -> str:
        return self.repos[self.repo].root_tree

    def add_entry(
        self, path: str, data: bytes, mode: str = "100644", *, repo: str | None = None, folder: str | None = None
    ) -> None:
        """List (and serve) an entry git would never make: '../x', '/abs', a backslash, a symlink.

        It goes into its folder's listing when that folder exists (so a subtree walk meets it too),
        else into the root's listing under its full path; `folder` puts it, named `path`, into that
        folder's listing. Its folder's tree sha stays git's, so it shows in listings, not in the hash.
        """
        snapshot = self.repos[repo or self.repo]
        if folder is not None:
            name = path
        else:
            folder, _, name = path.rpartition("/")
            if folder not in snapshot.folders:
                folder, name = "", path
        sha = git_blob_sha(data)
        snapshot.extra[folder].append({"path": name, "mode": mode, "type": "blob", "sha": sha, "size": len(data)})
        snapshot.files[path] = data

    # -- server -------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/api"

    @property
    def raw_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/raw"

    def api_path(self, rest: str, *, repo: str | None = None) -> str:
        return f"/api/repos/{repo or self.repo}/{rest}"

    def raw_path(self, relpath: str, *, repo: str | None = None) -> str:
        repo = repo or self.repo
        return f"/raw/{repo}/{self.repos[repo].commit}/{relpath}"

    def raw_file_url(self, relpath: str, *, repo: str | None = None) -> str:
        repo = repo or self.repo
        return f"http://{LOOPBACK}:{self.port}/raw/{repo}/{self.repos[repo].commit}/{quote(relpath)}"

    def start(self) -> GitHubMirror:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self._lifetime.start()
        return self

    def stop(self) -> None:
        """Stop serving (idempotent; also called by the lifetime timer); endless bodies end too."""
        with self._stop_lock:
            if self.stopped.is_set():
                return
            self.stopped.set()
        self._lifetime.cancel()
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> GitHubMirror:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- faults and counting ------------------------------------------------------------------
    def inject(self, path: str, *faults: Fault) -> None:
        """Queue abnormal answers for the next requests to `path` (a URL path, unquoted)."""
        with self._lock:
            self._faults[path].extend(faults)

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for s in self.seen if s.path == path)

    def count_prefix(self, prefix: str) -> int:
        with self._lock:
            return sum(1 for s in self.seen if s.path.startswith(prefix))

    @property
    def api_calls(self) -> int:
        """REST API requests received so far (what GitHub's hourly rate limit counts)."""
        return self.count_prefix("/api/")

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        path = unquote(url.path)
        with self._lock:
            self.seen.append(Seen(path, url.query, {k.lower(): v for k, v in handler.headers.items()}))
            queue = self._faults.get(path)
            fault = queue.popleft() if queue else None
        code, body, headers = self._route(path, parse_qs(url.query), handler.headers.get("accept-encoding", ""))
        if fault is not None:
            fault.send(handler, body, self)
        else:
            respond(handler, code, body, headers)

    def _route(self, path: str, query: dict[str, list[str]], accept_encoding: str) -> tuple[int, bytes, dict[str, str]]:
        """The normal answer: (status, body, headers)."""
        kind, _, rest = path.lstrip("/").partition("/")
        if kind == "api":
            rest = rest.removeprefix("repos/")
        owner, _, rest = rest.partition("/")
        name, _, rest = rest.partition("/")
        snapshot = self.repos.get(f"{owner}/{name}")
        if snapshot is None or kind not in ("api", "raw"):
            return _json(404, {"message": "Not Found"})
        if kind == "raw":
            commit, _, relpath = rest.partition("/")
            data = snapshot.files.get(relpath) if commit == snapshot.commit else None
            if data is None:
                return 404, b"404: Not Found", {}
            if self.gzip_raw and "gzip" in accept_encoding:
                return 200, gzip.compress(data), {"Content-Encoding": "gzip"}
            return 200, data, {"Content-Type": "text/plain; charset=utf-8"}
        if rest.startswith("commits/"):
            ref = rest.removeprefix("commits/")
            sha = snapshot.commit if ref == snapshot.commit else snapshot.refs.get(ref)
            if sha is None:
                return _json(422, {"message": f"No commit found for SHA: {ref}"})
            return _json(200, {"sha": sha, "commit": {"tree": {"sha": snapshot.root_tree}}})
        if rest.startswith("git/trees/"):
            return self._tree_answer(snapshot, rest.removeprefix("git/trees/"), query.get("recursive") == ["1"])
        return _json(404, {"message": "Not Found"})

    def _tree_answer(self, snapshot: _Repo, sha: str, recursive: bool) -> tuple[int, bytes, dict[str, str]]:
        tree_sha = snapshot.root_tree if sha == snapshot.commit else sha
        if tree_sha not in snapshot.trees:
            return _json(404, {"message": "Not Found"})
        folder = next((f for f, s in snapshot.folders.items() if s == tree_sha), "")
        if recursive:  # paths relative to the tree asked for, as GitHub gives them
            prefix = f"{folder}/" if folder else ""
            items = [{**i, "path": i["path"].removeprefix(prefix)} for i in snapshot.flatten(tree_sha, folder)]
        else:
            items = snapshot.listing(tree_sha, folder)
        limit = self.max_recursive_entries
        truncated = recursive and (self.truncate_recursive or (limit is not None and len(items) > limit))
        if truncated:
            items = items[: len(items) // 3] if self.truncate_recursive else items[:limit]
        return _json(200, {"sha": tree_sha, "tree": items, "truncated": truncated})


def _json(code: int, data: Any) -> tuple[int, bytes, dict[str, str]]:
    return code, json.dumps(data).encode(), {"Content-Type": "application/json; charset=utf-8"}
