"""A loopback GitHub for tests: the REST calls and raw files the downloader uses, with fault injection.

    with GitHubMirror(snapshot_dir) as mirror:      # serves on 127.0.0.1, a free port
        mirror.api_url, mirror.raw_url, mirror.commit, mirror.repo
        mirror.inject(mirror.raw_path("bigbench/.../scores_x.json"), Status(500), Status(500))
        ... run the code under test ...
        mirror.count(mirror.raw_path(...)), mirror.count_prefix("/raw/"), mirror.seen

Routes (GitHub's layout under two prefixes of one server):
    GET /api/repos/{owner}/{repo}/commits/{ref}            -> {"sha": commit}; unknown ref -> 422
    GET /api/repos/{owner}/{repo}/git/trees/{sha}[?recursive=1]
                                                           -> {"sha", "tree": [...], "truncated"}
    GET /raw/{owner}/{repo}/{commit}/{path}                -> the file's bytes

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
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

LOOPBACK = "127.0.0.1"


def git_blob_sha(data: bytes) -> str:
    """git hash-object: sha1 of 'blob <size>\\0' + data (an oracle independent of the code under test)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def git_object_sha(kind: str, body: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).hexdigest()


def write_fake_bigbench(root: Path, tasks: tuple[str, ...] = ("arithmetic", "emoji_movie", "navigate")) -> list[str]:
    """A tiny BIG-bench tree: scores files per task plus files that must be ignored; returns the scores paths."""
    models = [
        ("BIG-G T=0", "2m", "BIG-G_2m_T=0"),
        ("GPT", "GPT-3-200B", "GPT_GPT-3-200B"),
        ("PaLM", "535b", "PaLM_535b"),
    ]
    scores = []
    for t, task in enumerate(tasks):
        results = root / "bigbench" / "benchmark_tasks" / task / "results"
        results.mkdir(parents=True)
        for m, (family, name, stem) in enumerate(models):
            doc = {
                "model": {"model_family": family, "model_name": name, "non_embedding_params": 10 ** (6 + m)},
                "scores": [
                    {
                        "preferred_score": "multiple_choice_grade",
                        "number_of_shots": shots,
                        "subtask_description": task,
                        "score_dict": {"multiple_choice_grade": 0.25 + 0.01 * (t + m + shots)},
                    }
                    for shots in range(m + 1)
                ],
            }
            path = results / f"scores_{stem}.json"
            path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
            scores.append(path.relative_to(root).as_posix())
        (results / "README.md").write_text("not a scores file\n")
        (results / "sub").mkdir()
        (results / "sub" / "scores_too_deep.json").write_text("{}\n")
        (results.parent / "task.json").write_text(json.dumps({"name": task}) + "\n")
        (results.parent / "scores_not_in_results.json").write_text("{}\n")
    os.chmod(root / scores[0], 0o755)  # an executable scores file (mode 100755) is still a scores file
    (root / "bigbench" / "api").mkdir()
    (root / "bigbench" / "api" / "model.py").write_text("# not data\n")
    (root / "README.md").write_text("fake BIG-bench\n")
    return sorted(scores)


class _Fault:
    """One abnormal answer; `send` writes it instead of the normal `body`."""

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: GitHubMirror) -> None:
        raise NotImplementedError


@dataclass
class Status(_Fault):
    """Any status with headers and a body: 500, 429 + retry-after, 403 rate limit, 302 redirect."""

    code: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"message": "injected"}'

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: GitHubMirror) -> None:
        _respond(handler, self.code, self.body, self.headers)


def rate_limited(reset_in_s: float, code: int = 403) -> Status:
    """GitHub's answer when the API rate limit is used up."""
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time() + reset_in_s))}
    return Status(code, headers, b'{"message": "API rate limit exceeded"}')


@dataclass
class Body(_Fault):
    """A 200 with these bytes instead of the file: wrong content, or far more than the tree size."""

    data: bytes

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: GitHubMirror) -> None:
        _respond(handler, 200, self.data)


@dataclass
class Truncated(_Fault):
    """The full Content-Length is announced, `keep` bytes are sent, then the connection closes."""

    keep: int

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: GitHubMirror) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[: self.keep])
        handler.close_connection = True


class Drop(_Fault):
    """The connection closes with no answer at all."""

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: GitHubMirror) -> None:
        handler.close_connection = True


@dataclass
class SlowBody(_Fault):
    """A 200 whose body never ends: one byte every `interval_s` until the client leaves."""

    interval_s: float = 0.05
    max_s: float = 20.0

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: GitHubMirror) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        end = time.monotonic() + self.max_s
        try:
            while time.monotonic() < end and not mirror.stopped.is_set():
                handler.wfile.write(b" ")
                time.sleep(self.interval_s)
        except OSError:
            pass  # the client gave up: what a correct downloader does


def _respond(handler: BaseHTTPRequestHandler, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    handler.send_response(code)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


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


class GitHubMirror:
    """A snapshot folder served in GitHub's layout on 127.0.0.1, with per-path fault queues."""

    def __init__(
        self,
        root: Path,
        *,
        repo: str = "google/BIG-bench",
        refs: tuple[str, ...] = ("main",),
        truncate_recursive: bool = False,
        gzip_raw: bool = False,
        max_lifetime_s: float = 120.0,
    ) -> None:
        self.repo = repo
        self.files: dict[str, bytes] = {}
        self.trees: dict[str, list[dict[str, Any]]] = {}
        self.folders: dict[str, str] = {}  # folder path ("" = root) -> tree sha
        self.root_tree = self._add_tree(Path(root), "")
        author = "Mirror <mirror@example.invalid> 1700000000 +0000"
        self.commit = git_object_sha(
            "commit", f"tree {self.root_tree}\nauthor {author}\ncommitter {author}\n\nsnapshot\n".encode()
        )
        self.refs = dict.fromkeys(refs, self.commit)
        self.truncate_recursive = truncate_recursive
        self.gzip_raw = gzip_raw
        self._extra: dict[str, list[dict[str, Any]]] = defaultdict(list)  # folder -> entries git never makes
        self.seen: list[Seen] = []
        self.stopped = threading.Event()
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = _Server((LOOPBACK, 0), _Handler)
        self._server.mirror = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None
        self._stop_lock = threading.Lock()
        self._lifetime = threading.Timer(max_lifetime_s, self.stop)
        self._lifetime.daemon = True

    # -- snapshot -----------------------------------------------------------------------------
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

    def add_entry(self, path: str, data: bytes, mode: str = "100644") -> None:
        """List (and serve) an entry git would never make: '../x', '/abs', a backslash, a symlink.

        It goes into its folder's listing when that folder exists (so a subtree walk meets it too),
        else into the root's listing under its full path.
        """
        folder, _, name = path.rpartition("/")
        if folder not in self.folders:
            folder, name = "", path
        sha = git_blob_sha(data)
        self._extra[folder].append({"path": name, "mode": mode, "type": "blob", "sha": sha, "size": len(data)})
        self.files[path] = data

    def _listing(self, sha: str, folder: str) -> list[dict[str, Any]]:
        """A tree's own entries plus those added to its folder with add_entry."""
        return [dict(e) for e in self.trees[sha]] + [dict(e) for e in self._extra.get(folder, [])]

    def _flatten(self, sha: str, folder: str) -> list[dict[str, Any]]:
        items = []
        for entry in self._listing(sha, folder):
            path = f"{folder}/{entry['path']}" if folder else entry["path"]
            items.append({**entry, "path": path})
            if entry["type"] == "tree":
                items.extend(self._flatten(entry["sha"], path))
        return items

    # -- server -------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/api"

    @property
    def raw_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/raw"

    def api_path(self, rest: str) -> str:
        return f"/api/repos/{self.repo}/{rest}"

    def raw_path(self, relpath: str) -> str:
        return f"/raw/{self.repo}/{self.commit}/{relpath}"

    def raw_file_url(self, relpath: str) -> str:
        return f"http://{LOOPBACK}:{self.port}/raw/{self.repo}/{self.commit}/{quote(relpath)}"

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
    def inject(self, path: str, *faults: _Fault) -> None:
        """Queue abnormal answers for the next requests to `path` (a URL path, unquoted)."""
        with self._lock:
            self._faults[path].extend(faults)

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for s in self.seen if s.path == path)

    def count_prefix(self, prefix: str) -> int:
        with self._lock:
            return sum(1 for s in self.seen if s.path.startswith(prefix))

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
            _respond(handler, code, body, headers)

    def _route(self, path: str, query: dict[str, list[str]], accept_encoding: str) -> tuple[int, bytes, dict[str, str]]:
        """The normal answer: (status, body, headers)."""
        api_prefix, raw_prefix = f"/api/repos/{self.repo}/", f"/raw/{self.repo}/"
        if path.startswith(f"{api_prefix}commits/"):
            ref = path.removeprefix(f"{api_prefix}commits/")
            sha = self.commit if ref == self.commit else self.refs.get(ref)
            if sha is None:
                return _json(422, {"message": f"No commit found for SHA: {ref}"})
            return _json(200, {"sha": sha, "commit": {"tree": {"sha": self.root_tree}}})
        if path.startswith(f"{api_prefix}git/trees/"):
            return self._tree_answer(path.removeprefix(f"{api_prefix}git/trees/"), query.get("recursive") == ["1"])
        if path.startswith(f"{raw_prefix}{self.commit}/"):
            data = self.files.get(path.removeprefix(f"{raw_prefix}{self.commit}/"))
            if data is None:
                return 404, b"404: Not Found", {}
            if self.gzip_raw and "gzip" in accept_encoding:
                return 200, gzip.compress(data), {"Content-Encoding": "gzip"}
            return 200, data, {"Content-Type": "text/plain; charset=utf-8"}
        return _json(404, {"message": "Not Found"})

    def _tree_answer(self, sha: str, recursive: bool) -> tuple[int, bytes, dict[str, str]]:
        tree_sha = self.root_tree if sha == self.commit else sha
        if tree_sha not in self.trees:
            return _json(404, {"message": "Not Found"})
        folder = next((f for f, s in self.folders.items() if s == tree_sha), "")
        if recursive:  # paths relative to the tree asked for, as GitHub gives them
            prefix = f"{folder}/" if folder else ""
            items = [{**i, "path": i["path"].removeprefix(prefix)} for i in self._flatten(tree_sha, folder)]
        else:
            items = self._listing(tree_sha, folder)
        truncated = recursive and self.truncate_recursive
        if truncated:
            items = items[: len(items) // 3]
        return _json(200, {"sha": tree_sha, "tree": items, "truncated": truncated})


def _json(code: int, data: Any) -> tuple[int, bytes, dict[str, str]]:
    return code, json.dumps(data).encode(), {"Content-Type": "application/json; charset=utf-8"}
