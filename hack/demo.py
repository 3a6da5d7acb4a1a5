"""The README's main job, end to end on this machine.

`up`: a real control plane, the operator, a fresh Debian server (a container with
sshd and nothing else), a Server and an Application applied, `kubectl get hydron`
shown. Everything keeps running until `down`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "operator"))

from hydron_testbed import TestBedUnavailable  # noqa: E402
from hydron_testbed.acme import DOMAIN, fetch_over_tls, listener_certificate, start_pebble  # noqa: E402
from hydron_testbed.controlplane import ControlPlane, control_plane_bins, stop_recorded  # noqa: E402
from hydron_testbed.servers import FreshServers, Host, ensure_docker, ensure_network  # noqa: E402

DEMO_LABEL = "hydron.demo"
SAMPLE_APP = REPO / "examples" / "apps" / "hello-node"


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def start_operator(plane: ControlPlane, directory: Path) -> int:
    log = open(directory / "operator.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hydron", "run"],
        # The demo's repository is a local file:// one, and no registry is reachable,
        # so base images go to the server from this machine's Docker engine.
        env={**plane.env(), "HYDRON_ALLOW_FILE_URLS": "1", "HYDRON_BASE_IMAGES_FROM": "local-docker"},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    (directory / "operator.pid").write_text(str(proc.pid))
    return proc.pid


def sample_repository(directory: Path) -> str:
    """A bare Git repository with the sample app, as a file:// URL."""
    bare = directory / "sample-app.git"
    if not bare.exists():
        with tempfile.TemporaryDirectory() as work:
            subprocess.run(["cp", "-r", f"{SAMPLE_APP}/.", work], check=True)
            git = ["git", "-C", work, "-c", "user.name=demo", "-c", "user.email=demo@hydron.dev"]
            subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
            subprocess.run([*git, "add", "-A"], check=True)
            subprocess.run([*git, "commit", "-q", "-m", "sample app"], check=True)
            subprocess.run(["git", "clone", "-q", "--bare", work, str(bare)], check=True)
    return f"file://{bare}"


def manifests(server, public_address: str, repo_url: str, acme_root: str) -> str:
    key, root = json.dumps(server.private_key_pem), json.dumps(acme_root)
    return f"""
apiVersion: v1
kind: Secret
metadata: {{name: demo-server-ssh}}
type: kubernetes.io/ssh-auth
stringData: {{ssh-privatekey: {key}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: demo-acme-root}}
stringData: {{ca.crt: {root}}}
---
apiVersion: hydron.dev/v1alpha1
kind: Server
metadata: {{name: demo}}
spec:
  address: {server.address}
  port: {server.port}
  publicAddress: {public_address}   # SSH reaches the container through a mapped port
  sshKeySecretRef: {{name: demo-server-ssh, key: ssh-privatekey}}
  hostKey: {server.host_key}
  baseImages: ["node:18-slim"]
  proxy:
    acmeEmail: ops@example.test
    acmeCa: https://localhost:14000/dir   # pebble, a real ACME CA, on the server
    acmeCaRootSecretRef: {{name: demo-acme-root, key: ca.crt}}
---
apiVersion: hydron.dev/v1alpha1
kind: Application
metadata: {{name: hello}}
spec:
  source:
    git: {{url: "{repo_url}", ref: main}}
  domains: [{DOMAIN}]
  planning:
    serverRef: {{name: demo}}
    autoApprove: true
"""


def wait(plane: ControlPlane, resource: str, condition: str, timeout: int) -> None:
    """kubectl wait, showing the resource when it never gets there."""
    result = plane.kubectl_run("wait", f"--for={condition}", f"--timeout={timeout}s", resource, check=False)
    if result.returncode != 0:
        print(plane.kubectl_run("describe", resource, check=False).stdout)
        raise SystemExit(f"{resource} did not reach {condition}: {result.stderr.strip()}")


def https_page(host: Host, seconds: float = 120) -> str:
    """GET the app over HTTPS from outside the server (Caddy may still be ordering the certificate)."""
    root = host.sh("curl -sS -k https://localhost:15000/roots/0")
    deadline = time.monotonic() + seconds
    while True:
        try:
            return fetch_over_tls(host.ip, root)[0]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def down(directory: Path) -> None:
    pid_file = directory / "operator.pid"
    if pid_file.exists():
        try:
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)
        except ProcessLookupError:
            pass
        pid_file.unlink()
    stop_recorded(directory)
    client = ensure_docker()
    for container in client.containers.list(all=True, filters={"label": f"{DEMO_LABEL}=1"}):
        container.remove(force=True, v=True)


def up(directory: Path) -> None:
    down(directory)
    shutil.rmtree(directory, ignore_errors=True)  # a fresh cluster: the old servers are gone
    directory.mkdir(parents=True)
    say("control plane (etcd + kube-apiserver) and Hydron's CRDs")
    plane = ControlPlane(directory, control_plane_bins())
    plane.start()
    plane.install_crds()
    say("operator (log: %s)" % (directory / "operator.log"))
    start_operator(plane, directory)
    say("a fresh Debian server with sshd")
    client = ensure_docker()
    ensure_network(client)
    host = FreshServers(client, labels={DEMO_LABEL: "1"}).hosts(1)[0]
    server = host.fresh
    say("an ACME CA (pebble) on that server, standing in for Let's Encrypt")
    acme_root, acme_key = listener_certificate()
    start_pebble(host, acme_root, acme_key)
    say(f"applying a Server ({server.address}:{server.port}) and an Application from a local Git repository")
    plane.kubectl_run("apply", "-f", "-", input=manifests(server, host.ip, sample_repository(directory), acme_root))
    say("provisioning the server over SSH (Docker, firewall, SSH hardening, Caddy, ...)")
    wait(plane, "servers/demo", "condition=Ready", 900)
    say("the app: source pinned, code analysed, plan approved, built on the server, rolled out")
    wait(plane, "applications/hello", "condition=Ready", 900)
    say("kubectl get hydron")
    print(plane.kubectl_run("get", "hydron", "-o", "wide").stdout)
    steps = plane.kubectl_run("get", "server", "demo", "-o", "jsonpath={range .status.steps[*]}{.name}{\"\\t\"}{.state}{\"\\n\"}{end}").stdout
    print("Provisioning steps:\n" + steps)
    url = plane.kubectl_run("get", "application", "hello", "-o", "jsonpath={.status.url}").stdout
    say(f"{url} over HTTPS, verified against the ACME CA's root")
    page = https_page(host)
    print("\n".join([page.splitlines()[0], *(line for line in page.splitlines() if "<h1>" in line)]))
    print(f"Try it yourself:\n  export KUBECONFIG={plane.kubeconfig} PATH={plane.bins}:$PATH\n"
          "  kubectl get hydron\n  kubectl describe application hello\nStop everything: hack/down.sh")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("HYDRON_CACHE", Path.home() / ".cache/hydron")) / "demo")
    args = parser.parse_args()
    try:
        (up if args.action == "up" else down)(args.dir)
    except TestBedUnavailable as error:
        raise SystemExit(f"cannot run the demo here: {error}") from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
