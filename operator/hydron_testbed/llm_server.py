"""A local stand-in for the Anthropic Messages API, for the real SDK to talk to.

It listens on loopback, records every request (headers and JSON body) and answers
POST /v1/messages with replies queued by the test, usually recorded responses from
tests/fixtures/llm/. A reply can also hang until the server closes, so a client
timeout fires for real.

    server = LlmServer.start()
    server.queue(recorded("fill_start_command"))
    client = anthropic.AsyncAnthropic(api_key="test", base_url=server.url, timeout=2, max_retries=0)
    ...
    server.requests[0].body["messages"]
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hydron_testbed import REPO

RECORDINGS = REPO / "tests" / "fixtures" / "llm"
"""Recorded Messages API responses (data the tests keep; no code is imported from tests/)."""
HANG_LIMIT_S = 30.0  # a hanging reply gives up on its own after this, should close() never come


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # a JSON value, or bytes sent as they are (malformed answers)
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the server closes)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


def recorded(name: str, directory: Path = RECORDINGS) -> Reply:
    """A reply from tests/fixtures/llm/<name>.json: {"status", "headers", "body" | "rawBody"}."""
    data = json.loads((directory / f"{name}.json").read_text())
    body = data["rawBody"].encode() if "rawBody" in data else data["body"]
    return Reply(status=data.get("status", 200), body=body, headers=data.get("headers", {}))


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw)

    @property
    def text(self) -> str:
        return self.raw.decode(errors="replace")


class LlmServer:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="llm-server", daemon=True)

    @classmethod
    def start(cls) -> LlmServer:
        server = cls()
        server._thread.start()
        return server

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def _next(self) -> Reply:
        with self._lock:
            if self._replies:
                return self._replies.pop(0)
        return Reply(status=500, body={"type": "error", "error": {"type": "api_error",
                                                                  "message": "no reply queued by the test"}},
                     headers={"x-should-retry": "false"})

    def close(self) -> None:
        self._released.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                with server._lock:
                    server.requests.append(RecordedRequest(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                           raw))
                if self.path.split("?")[0] != "/v1/messages":
                    self._send(Reply(status=404, body={"type": "error", "error": {"type": "not_found_error",
                                                                                   "message": self.path}}))
                    return
                reply = server._next()
                if reply.hang:
                    server._released.wait(HANG_LIMIT_S)
                    return
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                payload = reply.payload()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.send_header("request-id", f"req_test_{len(server.requests)}")
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
