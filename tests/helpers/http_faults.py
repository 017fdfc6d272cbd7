"""Abnormal HTTP answers for the loopback GitHub mirror (tests/helpers/github_mirror.py).

Each fault's `send` writes its answer instead of the normal `body`; `mirror.stopped` (an Event)
ends an endless body when the mirror stops.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any


class Fault:
    """One abnormal answer; `send` writes it instead of the normal `body`."""

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: Any) -> None:
        raise NotImplementedError


@dataclass
class Status(Fault):
    """Any status with headers and a body: 500, 429 + retry-after, 403 rate limit, 302 redirect."""

    code: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"message": "injected"}'

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: Any) -> None:
        respond(handler, self.code, self.body, self.headers)


def rate_limited(reset_in_s: float, code: int = 403) -> Status:
    """GitHub's answer when the API rate limit is used up."""
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time() + reset_in_s))}
    return Status(code, headers, b'{"message": "API rate limit exceeded"}')


@dataclass
class Body(Fault):
    """A 200 with these bytes instead of the file: wrong content, or far more than the tree size."""

    data: bytes

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: Any) -> None:
        respond(handler, 200, self.data)


@dataclass
class Truncated(Fault):
    """The full Content-Length is announced, `keep` bytes are sent, then the connection closes."""

    keep: int

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[: self.keep])
        handler.close_connection = True


class Drop(Fault):
    """The connection closes with no answer at all."""

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: Any) -> None:
        handler.close_connection = True


@dataclass
class SlowBody(Fault):
    """A 200 whose body never ends: one byte every `interval_s` until the client leaves."""

    interval_s: float = 0.05
    max_s: float = 20.0

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, mirror: Any) -> None:
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


def respond(handler: BaseHTTPRequestHandler, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    handler.send_response(code)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
