"""One small stand-in for the gallery's official app images (Ghost, WordPress, Umami,
Plausible), which cannot be pulled here. It keeps the contract Hydron relies on for
each: the port, the health path, the env names the official image reads (failing to
start without the required ones, as the real image does), and a real connection to
the database the template wires. GET / counts a visit in that database and shows it,
so a test sees the whole chain work. STANDIN_APP picks the app."""

import base64
import json
import os
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APPS = {
    "ghost": {"title": "Ghost", "port": 2368, "health": "/ghost/api/admin/site/",
              "required": ["url", "database__connection__host", "database__connection__user",
                           "database__connection__password", "database__connection__database"]},
    "wordpress": {"title": "WordPress", "port": 80, "health": "/wp-login.php",
                  "required": ["WORDPRESS_DB_HOST", "WORDPRESS_DB_USER", "WORDPRESS_DB_PASSWORD", "WORDPRESS_DB_NAME"]},
    "umami": {"title": "Umami", "port": 3000, "health": "/api/heartbeat", "required": ["DATABASE_URL", "APP_SECRET"]},
    "plausible": {"title": "Plausible", "port": 8000, "health": "/api/health",
                  "required": ["BASE_URL", "SECRET_KEY_BASE", "DATABASE_URL", "CLICKHOUSE_DATABASE_URL"]},
}
APP = os.environ.get("STANDIN_APP", "")
CONFIG = APPS.get(APP)
env = os.environ.get


def mysql(host, port, user, password, database):
    import pymysql
    return pymysql.connect(host=host, port=int(port), user=user, password=password, database=database,
                           connect_timeout=5, autocommit=True)


def connect():
    """(a DB-API connection, what it is) for the app's own database."""
    if APP == "ghost":
        return mysql(env("database__connection__host"), env("database__connection__port", "3306"),
                     env("database__connection__user"), env("database__connection__password"),
                     env("database__connection__database")), "mysql"
    if APP == "wordpress":
        host, _, port = env("WORDPRESS_DB_HOST").partition(":")
        return mysql(host, port or "3306", env("WORDPRESS_DB_USER"), env("WORDPRESS_DB_PASSWORD"),
                     env("WORDPRESS_DB_NAME")), "mysql"
    import psycopg2
    return psycopg2.connect(env("DATABASE_URL"), connect_timeout=5), "postgres"


def count_visit() -> tuple[int, str]:
    db, kind = connect()
    try:
        cur = db.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS standin_visits (id INTEGER)")
        cur.execute("INSERT INTO standin_visits VALUES (1)")
        cur.execute("SELECT count(*) FROM standin_visits")
        n = cur.fetchone()[0]
        db.commit()
        return n, kind
    finally:
        db.close()


def clickhouse(query: str) -> str:
    """Plausible's events store, over ClickHouse's HTTP interface with the URL's credentials."""
    url = urllib.parse.urlsplit(env("CLICKHOUSE_DATABASE_URL"))
    request = urllib.request.Request(f"http://{url.hostname}:{url.port or 8123}/?query={urllib.parse.quote(query)}")
    auth = base64.b64encode(f"{urllib.parse.unquote(url.username or '')}:{urllib.parse.unquote(url.password or '')}".encode())
    request.add_header("Authorization", "Basic " + auth.decode())
    with urllib.request.urlopen(request, timeout=5) as answer:
        return answer.read().decode().strip()


class Handler(BaseHTTPRequestHandler):
    def answer(self, code: int, body: str, kind: str = "text/html") -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        try:
            if path == CONFIG["health"]:
                connect()[0].close()
                return self.answer(200, json.dumps({"ok": True}), "application/json")
            if path == "/":
                visits, kind = count_visit()
                extra = f"<p>events store: {clickhouse('SELECT 1')}</p>" if APP == "plausible" else ""
                site = env("url") or env("BASE_URL") or ""
                return self.answer(200, f"<!DOCTYPE html><title>{CONFIG['title']}</title><h1>{CONFIG['title']} "
                                        f"(test-bed stand-in)</h1><p>Visit {visits} stored in {kind}</p>"
                                        f"<p>Site URL: {site}</p>{extra}")
            return self.answer(404, "not found")
        except Exception as error:  # the database is not there (yet): say so, as a 503
            return self.answer(503, f"{type(error).__name__}: {error}", "text/plain")


def main(argv: list[str]) -> int:
    if CONFIG is None:
        print(f"standin: STANDIN_APP must be one of {', '.join(APPS)}", file=sys.stderr)
        return 2
    missing = [name for name in CONFIG["required"] if not env(name)]
    if missing:
        print(f"{CONFIG['title']}: missing configuration {', '.join(missing)}", file=sys.stderr)
        return 1
    if argv[:2] == ["db", "createdb"] or argv[:2] == ["db", "migrate"]:  # Plausible's release steps
        connect()[0].close()
        print(f"{CONFIG['title']}: {' '.join(argv)} done")
        return 0
    print(f"{CONFIG['title']} stand-in listening on {CONFIG['port']}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", CONFIG["port"]), Handler).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main([a for a in sys.argv[1:] if a != "run"]))
