"""ClickHouse's HTTP interface, as far as the gallery's Plausible stand-in uses it: /ping
answers "Ok.", and a query with CLICKHOUSE_USER / CLICKHOUSE_PASSWORD (basic auth or
X-ClickHouse-User/-Key headers) answers `SELECT 1` with 1; wrong credentials get 516,
as ClickHouse answers. No storage: there is no ClickHouse package in any registry here."""

import base64
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USER, PASSWORD = os.environ.get("CLICKHOUSE_USER", "default"), os.environ.get("CLICKHOUSE_PASSWORD", "")


class Handler(BaseHTTPRequestHandler):
    def reply(self, code: int, text: str) -> None:
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.startswith("/ping"):
            return self.reply(200, "Ok.\n")
        user, key = self.headers.get("X-ClickHouse-User"), self.headers.get("X-ClickHouse-Key")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, key = base64.b64decode(auth[6:]).decode().partition(":")
        if (user or "default", key or "") != (USER, PASSWORD):
            return self.reply(516, "Code: 516. DB::Exception: Authentication failed\n")
        return self.reply(200, "1\n")

    do_POST = do_GET


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8123), Handler).serve_forever()
