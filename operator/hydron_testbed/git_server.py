"""Real Git servers on loopback for the source tests, standing in for GitHub and GitLab.

* :class:`GitDaemon` — ``git daemon`` (git://) on a free port;
* :class:`GitHTTPServer` — ``git http-backend`` behind a small threaded ``http.server``,
  with HTTP Basic auth on ``/private/...`` and three awkward behaviours real hosts show:
  ``/v0/...`` drops the ``Git-Protocol`` header (an old server that refuses
  unadvertised commits), ``/echo/...`` echoes the password it was sent back in an error
  (a server that leaks what it received), ``/redirect/...`` redirects to the same server
  as ``localhost`` (another host, for credential scoping). While a client talks to it,
  it looks at every process's argv, to catch a token visible to ``ps``;
* :class:`SilentServer` — accepts TCP connections and never answers (for timeouts);
* :class:`SSHServer` — OpenSSH's ``sshd`` on a free port with its own host key and one
  authorised client key (:class:`~hydron_testbed.TestBedUnavailable` where sshd is missing);
* :func:`served_app` — the files of an example app committed and served by ``git daemon``.

Repositories are built with real git (through GitPython) by :class:`WorkRepo` and
published as bare repositories under one served root (:func:`build_served` makes the
source tests' set). Readiness is a poll of the port with a deadline; whoever starts a
server stops it.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

from git.cmd import Git

from hydron_testbed import TestBedUnavailable
from hydron_testbed.ports import LOOPBACK, free_port, wait_for_port

READY_TIMEOUT = 15.0

# Deterministic, isolated git for building fixtures: no user config, fixed identity.
TEST_GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Hydron Test",
    "GIT_AUTHOR_EMAIL": "test@hydron.invalid",
    "GIT_COMMITTER_NAME": "Hydron Test",
    "GIT_COMMITTER_EMAIL": "test@hydron.invalid",
    "GIT_TEMPLATE_DIR": "",
}

PRIVATE_USER = "alice"
PRIVATE_TOKEN = "hyd-tok-7f3a9c1e5b2d8046a1f9e3c7"


def run_git(cwd: Path, *args: str, env: Optional[dict[str, str]] = None) -> str:
    """git through GitPython with the fixture environment; raises on failure."""
    return Git(str(cwd)).execute(["git", *args], env={**TEST_GIT_ENV, **(env or {})})


# -- building repositories ------------------------------------------------------------


class WorkRepo:
    """A non-bare repository to write commits in, then publish as a bare one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        run_git(path, "init", "-q", "--initial-branch=main")

    def write(self, rel: str, content: str | bytes, executable: bool = False) -> None:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)
        if executable:
            p.chmod(0o755)

    def write_tree(self, source: Path) -> None:
        """Copy every file under ``source`` (dotfiles too) into the work tree, paths kept."""
        for path in sorted(source.rglob("*")):
            if path.is_file():
                self.write(str(path.relative_to(source)), path.read_bytes(), executable=os.access(path, os.X_OK))

    def symlink(self, rel: str, target: str) -> None:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, p)

    def commit(self, message: str, add_all: bool = True) -> str:
        if add_all:
            run_git(self.path, "add", "-A")
        run_git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        return self.rev_parse("HEAD")

    def rev_parse(self, rev: str) -> str:
        return run_git(self.path, "rev-parse", "--verify", f"{rev}^{{commit}}").strip()

    def branch(self, name: str, start: str = "HEAD") -> None:
        run_git(self.path, "branch", name, start)

    def checkout(self, name: str) -> None:
        run_git(self.path, "checkout", "-q", name)

    def tag(self, name: str, rev: str = "HEAD", message: Optional[str] = None) -> None:
        if message:
            run_git(self.path, "tag", "-a", name, "-m", message, rev)
        else:
            run_git(self.path, "tag", name, rev)

    def publish(self, bare: Path) -> Path:
        """Create or update the bare repository ``bare`` with all branches and tags."""
        if not bare.exists():
            bare.parent.mkdir(parents=True, exist_ok=True)
            run_git(self.path.parent, "init", "-q", "--bare", "--initial-branch=main", str(bare))
        run_git(self.path, "push", "-q", "--force", str(bare), "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
        return bare


@dataclass
class PublicRepo:
    """Commits of ``public.git``: c0 ← c1 ← c2 ← c3 (main), c2 ← c4 (dev); v1.0 → c1
    (lightweight), v2.0 → c2 (annotated); release/1.x → c1. Only c0 is no ref's tip."""

    work: WorkRepo
    c0: str
    c1: str
    c2: str
    c3: str
    c4: str


@dataclass
class ServedRepos:
    root: Path
    public: PublicRepo
    private: WorkRepo
    hostile: WorkRepo
    hook_marker: Path
    big: WorkRepo
    bomb: WorkRepo
    with_submodule: WorkRepo
    file_submodule: WorkRepo
    extra: dict[str, WorkRepo] = field(default_factory=dict)


def build_public(work_root: Path, served: Path) -> PublicRepo:
    w = WorkRepo(work_root / "public")
    w.write("README.md", "# public\n")
    c0 = w.commit("c0")
    w.write("app/main.py", "print('v1')\n")
    w.write("app/requirements.txt", "flask==3.0.0\n")
    w.write("docs/index.md", "docs\n")
    c1 = w.commit("c1")
    w.tag("v1.0")
    w.branch("release/1.x")
    w.write("app/main.py", "print('v2')\n")
    c2 = w.commit("c2")
    w.tag("v2.0", message="release 2.0")
    w.write("CHANGELOG.md", "c3\n")
    c3 = w.commit("c3")
    w.branch("dev", c2)
    w.checkout("dev")
    w.write("app/dev.py", "print('dev')\n")
    c4 = w.commit("c4")
    w.checkout("main")
    w.publish(served / "public.git")
    return PublicRepo(w, c0, c1, c2, c3, c4)


def build_hostile(work_root: Path, served: Path, marker: Path) -> WorkRepo:
    """Symlinks that leave the checkout, links that stay inside, hook scripts that
    would write ``marker`` if anything ran them, and a Git LFS pointer."""
    w = WorkRepo(work_root / "hostile")
    w.write("app/main.py", "print('hi')\n")
    w.symlink("passwd", "/etc/passwd")
    w.symlink("etc", "/etc")
    w.symlink("escape", "../../..")
    w.symlink("deep/er/link", "../../../outside")
    w.symlink("inside", "app/main.py")
    w.symlink("app/up", "..")
    w.symlink("via-escape", "escape/etc")
    hook = f"#!/bin/sh\necho ran >> {marker}\n"
    for rel in ("hooks/post-checkout", ".githooks/post-checkout", ".husky/post-checkout", "post-checkout"):
        w.write(rel, hook, executable=True)
    w.write(".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n")
    w.write(
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    )
    w.commit("hostile")
    w.publish(served / "hostile.git")
    return w


def build_served(base: Path) -> ServedRepos:
    served = base / "served"
    work = base / "work"
    served.mkdir(parents=True)
    public = build_public(work, served)

    private = WorkRepo(work / "private")
    private.write("secret.txt", "private\n")
    private.commit("private")
    private.publish(served / "private" / "secret.git")

    marker = base / "hook-ran"
    hostile = build_hostile(work, served, marker)

    big = WorkRepo(work / "big")
    big.write("blob.bin", os.urandom(3 * 1024 * 1024))  # incompressible: a big pack
    big.commit("big")
    big.publish(served / "big.git")

    bomb = WorkRepo(work / "bomb")
    bomb.write("zeros.bin", b"\0" * (8 * 1024 * 1024))  # compresses to a few KiB
    bomb.commit("bomb")
    bomb.publish(served / "bomb.git")

    sub = WorkRepo(work / "with-submodule")
    sub.write("README.md", "has a submodule\n")
    (sub.path / ".gitmodules").write_text('[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = ../public.git\n')
    run_git(sub.path, "add", "-A")
    run_git(sub.path, "update-index", "--add", "--cacheinfo", f"160000,{public.c3},vendor/lib")
    sub.commit("submodule", add_all=False)
    sub.publish(served / "with-submodule.git")

    filesub = WorkRepo(work / "file-submodule")
    (filesub.path / ".gitmodules").write_text(
        f'[submodule "lib"]\n\tpath = lib\n\turl = file://{served / "public.git"}\n'
    )
    run_git(filesub.path, "add", "-A")
    run_git(filesub.path, "update-index", "--add", "--cacheinfo", f"160000,{public.c3},lib")
    filesub.commit("file submodule", add_all=False)
    filesub.publish(served / "file-submodule.git")

    return ServedRepos(served, public, private, hostile, marker, big, bomb, sub, filesub)


@contextmanager
def served_app(tmp_path: Path, source: Path, name: str) -> Iterator[tuple[WorkRepo, "GitDaemon"]]:
    """The files under `source`, committed on main and served by git daemon as NAME.git."""
    served = tmp_path / "served"
    served.mkdir()
    daemon = GitDaemon(served).start()
    try:
        work = WorkRepo(tmp_path / name)
        work.write_tree(source)
        work.commit(name)
        work.publish(daemon.root / f"{name}.git")
        yield work, daemon
    finally:
        daemon.stop()


# -- readiness ------------------------------------------------------------------------


def start_on_free_port(spawn: Callable[[int], subprocess.Popen], what: str) -> tuple[int, subprocess.Popen]:
    """Start a server on a free loopback port; try again on another port if something
    grabbed this one between the probe and the bind."""
    last: Exception | None = None
    for _ in range(3):
        port = free_port()
        proc = spawn(port)
        try:
            wait_for_port(port, time.monotonic() + READY_TIMEOUT, proc)
            return port, proc
        except (RuntimeError, TimeoutError) as exc:
            last = exc
            stop_process_group(proc)
    raise RuntimeError(f"{what} did not start: {last}")


def stop_process_group(proc: Optional[subprocess.Popen]) -> None:
    """SIGTERM a server started in its own session, SIGKILL if it lingers."""
    if proc is None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# -- git daemon -----------------------------------------------------------------------


class GitDaemon:
    """``git daemon`` serving every repository under ``root`` on git://127.0.0.1:port/."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = 0
        self.proc: Optional[subprocess.Popen] = None

    def url(self, name: str) -> str:
        return f"git://{LOOPBACK}:{self.port}/{name}"

    def start(self) -> "GitDaemon":
        def spawn(port: int) -> subprocess.Popen:
            return subprocess.Popen(
                [
                    "git", "daemon", "--reuseaddr", f"--listen={LOOPBACK}", f"--port={port}",
                    f"--base-path={self.root}", "--export-all", "--enable=upload-pack", str(self.root),
                ],
                env={**os.environ, **TEST_GIT_ENV},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

        self.port, self.proc = start_on_free_port(spawn, "git daemon")
        return self

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None


# -- git http-backend -----------------------------------------------------------------


def _read_chunked(rfile) -> bytes:
    out = bytearray()
    while True:
        size = int(rfile.readline().split(b";")[0].strip(), 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return bytes(out)
        out += rfile.read(size)
        rfile.readline()


def _pkt(line: str) -> bytes:
    data = line.encode()
    return f"{len(data) + 4:04x}".encode() + data


def argv_containing(secret: str) -> list[str]:
    """Command lines of live processes that contain ``secret`` (what ``ps`` shows)."""
    hits = []
    needle = secret.encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if needle in cmdline:
            hits.append(cmdline.replace(b"\0", b" ").decode("utf-8", "replace"))
    return hits


class _Handler(BaseHTTPRequestHandler):
    server: "_HTTPServer"
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _auth_user(self) -> Optional[tuple[str, str]]:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        return user, password

    def _deny(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="hydron-test"')
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"authentication required\n")

    def _serve(self) -> None:
        srv = self.server.owner
        path, _, query = self.path.partition("?")
        if path.startswith("/redirect/"):
            # the same server under another host name: a cross-host redirect
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{srv.port}{path[9:]}" + (f"?{query}" if query else ""))
            self.end_headers()
            return
        legacy = path.startswith("/v0/")
        if legacy:
            path = path[3:]
        echo = path.startswith("/echo/")
        if echo:
            path = path[5:]
        body = b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = _read_chunked(self.rfile)
        elif self.headers.get("Content-Length"):
            body = self.rfile.read(int(self.headers["Content-Length"]))
        remote_user = ""
        if path.startswith("/private/") or echo:
            creds = self._auth_user()
            if creds is None:
                self._deny()
                return
            srv.argv_leaks.extend(argv_containing(creds[1]))
            srv.auth_seen.append((self.headers.get("Host", ""), creds[0], creds[1]))
            if echo:
                # a server that prints back what it got, as some misconfigured ones do
                msg = _pkt(f"ERR invalid credentials: {creds[0]}:{creds[1]} for {path}\n")
                self.send_response(200)
                self.send_header("Content-Type", "application/x-git-upload-pack-advertisement")
                self.end_headers()
                self.wfile.write(_pkt("# service=git-upload-pack\n") + b"0000" + msg)
                return
            if creds != (srv.user, srv.token):
                self._deny()
                return
            remote_user = creds[0]
        env = {
            **os.environ,
            **TEST_GIT_ENV,
            "GIT_PROJECT_ROOT": str(srv.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": remote_user,
            "REMOTE_ADDR": self.client_address[0],
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol") and not legacy:
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        proc = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=120)
        head, sep, payload = proc.stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = proc.stdout.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name.strip(), value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "GitHTTPServer"


class GitHTTPServer:
    """Smart HTTP for every repository under ``root``; ``/private/...`` needs Basic auth
    as ``user``/``token``."""

    def __init__(self, root: Path, user: str = PRIVATE_USER, token: str = PRIVATE_TOKEN) -> None:
        self.root, self.user, self.token = root, user, token
        self.argv_leaks: list[str] = []
        self.auth_seen: list[tuple[str, str, str]] = []  # (Host header, user, password)
        self._httpd: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    def url(self, name: str) -> str:
        return f"http://{LOOPBACK}:{self.port}/{name}"

    def start(self) -> "GitHTTPServer":
        self._httpd = _HTTPServer((LOOPBACK, 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="git-http", daemon=True)
        self._thread.start()
        wait_for_port(self.port, time.monotonic() + READY_TIMEOUT)
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


# -- sshd -----------------------------------------------------------------------------


def ssh_keygen(path: Path) -> tuple[str, str]:
    """A fresh ed25519 key pair: ``(private key text, public key line)``."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hydron-test", "-f", str(path)], check=True)
    return path.read_text(), path.with_suffix(".pub").read_text().strip()


class SSHServer:
    """OpenSSH's sshd on 127.0.0.1 with its own host key, letting in one client key;
    git runs ``git-upload-pack`` through it like on any self-hosted Git server."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = 0
        self.proc: Optional[subprocess.Popen] = None
        self.user = os.environ.get("USER") or subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        base.mkdir(parents=True, exist_ok=True)
        self.client_key, client_pub = ssh_keygen(base / "client")
        self.other_key, _ = ssh_keygen(base / "other")
        _, self.host_pub = ssh_keygen(base / "host")
        _, self.other_host_pub = ssh_keygen(base / "otherhost")
        (base / "authorized_keys").write_text(client_pub + "\n")

    @staticmethod
    def require() -> None:
        """Raise TestBedUnavailable when sshd cannot run here, saying why."""
        sshd = "/usr/sbin/sshd"
        if not os.path.exists(sshd):
            raise TestBedUnavailable("ssh test server: sshd is not installed (apt-get install openssh-server)")
        if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
            try:
                os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation dir
            except OSError as exc:
                raise TestBedUnavailable(f"ssh test server: cannot create /run/sshd: {exc}") from exc

    def known_hosts(self, pub: Optional[str] = None) -> str:
        key = " ".join((pub or self.host_pub).split()[:2])
        return f"[{LOOPBACK}]:{self.port} {key}\n"

    def url(self, repo: Path) -> str:
        return f"ssh://{self.user}@{LOOPBACK}:{self.port}{repo}"

    def start(self) -> "SSHServer":
        def spawn(port: int) -> subprocess.Popen:
            config = self.base / "sshd_config"
            config.write_text(
                f"ListenAddress {LOOPBACK}\nPort {port}\nHostKey {self.base / 'host'}\n"
                f"AuthorizedKeysFile {self.base / 'authorized_keys'}\nAllowUsers {self.user}\n"
                "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
                "PermitRootLogin prohibit-password\nPidFile none\nLogLevel ERROR\n"
            )
            os.chmod(self.base / "host", 0o600)
            return subprocess.Popen(
                ["/usr/sbin/sshd", "-D", "-e", "-f", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=open(self.base / "sshd.log", "ab"),
                start_new_session=True,
            )

        self.port, self.proc = start_on_free_port(spawn, f"sshd (log: {self.base / 'sshd.log'})")
        return self

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None


# -- a server that never answers ------------------------------------------------------


class SilentServer:
    """Accepts connections, reads what comes, never replies: a hung remote."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(conn)

    def all_closed_by_client(self, timeout: float) -> bool:
        """True when every accepted connection reached EOF: the client process died."""
        deadline = time.monotonic() + timeout
        for conn in list(self.conns):
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                conn.settimeout(remaining)
                try:
                    if conn.recv(65536) == b"":
                        break
                except socket.timeout:
                    return False
                except ConnectionResetError:
                    break
        return bool(self.conns)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for c in self.conns:
            c.close()
        self.sock.close()
