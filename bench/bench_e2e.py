"""End-to-end redeploy latency through the real API server and the running operator.

One fresh test-bed server (provisioned by the operator, certificates from pebble), the
hello-node app served by git daemon, `hydron run` with its push webhook. Then, per round:

  floor    the same one-line change built, run and health-checked with the docker CLI
           on the server itself (no Hydron): what no deploy tool can beat here;
  webhook  commit + publish a one-line change, POST the signed push event, until the
           new page answers 200 over HTTPS (verified against pebble's root);
  poll     the same without the webhook: the Application's poll finds it;
  env      `kubectl apply` of the Application with a changed env var, until the page shows it.

Each is broken down by stage from the operator's own `hydron_stage_duration_seconds`
(its /metrics, scraped before and after the round): webhook-to-handler, ls-remote,
fetch, analysis, planning, base-images, build, start, health, switch. The controller-only
path is the Deployment's stages (base-images + build + start + health + switch): the
ratio webhook / controller-only is the operator's overhead on top of calling the
Deployment controller directly. Nothing asserts on time.

    nice -n 10 python3 bench/bench_e2e.py [--rounds 2] [--skip-poll]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import json
import re
import statistics
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "operator"))

from hydron_testbed import REPO, TestBedUnavailable  # noqa: E402
from hydron_testbed.acme import DOMAIN, acme_server, fetch_over_tls  # noqa: E402
from hydron_testbed.cluster import Kube, git_application  # noqa: E402
from hydron_testbed.controlplane import ControlPlane, control_plane_bins  # noqa: E402
from hydron_testbed.git_server import served_app  # noqa: E402
from hydron_testbed.operator_process import WEBHOOK_SECRET, start_operator, stop_operator  # noqa: E402
from hydron_testbed.ports import free_port  # noqa: E402
from hydron_testbed.servers import FreshServers, ensure_base_images, ensure_docker, ensure_network  # noqa: E402

HELLO = REPO / "examples" / "apps" / "hello-node"
NAMESPACE = "bench-e2e"
DEPLOY_STAGES = ("base-images", "build", "start", "health", "switch")
FLOOR_SCRIPT = """set -e
export DOCKER_BUILDKIT=0
docker network inspect floor >/dev/null 2>&1 || docker network create floor >/dev/null
docker rm -f floor >/dev/null 2>&1 || true
docker build -q -t "floor:$1" /tmp/floor-ctx >/dev/null
docker run -d --name floor --network floor "floor:$1" >/dev/null
ip=$(docker inspect -f '{{(index .NetworkSettings.Networks "floor").IPAddress}}' floor)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ip:3000/health")" = 200 ]; do :; done
"""


def served_text(address: str, root: str, text: str, limit: float = 600) -> float:
    """When https://DOMAIN/ first answers 200 with `text` (polled every 20 ms)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            page, _ = fetch_over_tls(address, root)
        except OSError:
            page = ""
        if page.startswith("HTTP/1.1 200") and text in page:
            return time.monotonic()
        time.sleep(0.02)
    raise SystemExit(f"never served {text!r}")


def stages(metrics_url: str) -> Counter:
    with urllib.request.urlopen(metrics_url, timeout=5) as response:
        text = response.read().decode()
    sums: Counter = Counter()
    for stage, value in re.findall(r'hydron_stage_duration_seconds_sum\{stage="([^"]+)"\} ([0-9.e+-]+)', text):
        sums[stage] = float(value)
    return sums


def push(webhook_url: str, url: str) -> None:
    body = json.dumps({"ref": "refs/heads/main", "repository": {"clone_url": url}}).encode()
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(webhook_url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signature})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def floor(host, greeting: str, tag: str, dockerfile: str) -> float:
    """Build (with the Dockerfile Hydron's plan generated), run and health-check the
    changed app with the docker CLI on the server: the same work, no Hydron."""
    buffer = io.BytesIO()
    files = {path.name: path.read_bytes() for path in HELLO.iterdir()}
    files["Dockerfile"] = dockerfile.encode()
    files["server.js"] = files["server.js"].replace(b"Hello from Hydron", greeting.encode())
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"floor-ctx/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    host.sh("rm -rf /tmp/floor-ctx")
    host.container.put_archive("/tmp", buffer.getvalue())
    t0 = time.monotonic()
    code, out = host.container.exec_run(["sh", "-c", FLOOR_SCRIPT, "floor", tag])
    if code != 0:
        raise SystemExit(f"floor failed: {out.decode()}")
    return time.monotonic() - t0


class Round:
    def __init__(self, kind: str, seconds: float, before: Counter, after: Counter) -> None:
        self.kind, self.seconds = kind, seconds
        self.stages = {k: after[k] - before[k] for k in after if after[k] - before[k] > 0}

    def controller_only(self) -> float:
        return sum(self.stages.get(s, 0) for s in DEPLOY_STAGES)

    def line(self, floor_s: float) -> str:
        parts = ", ".join(f"{k} {v:.2f}" for k, v in sorted(self.stages.items(), key=lambda kv: -kv[1]))
        ctl = self.controller_only()
        ratio = f"{self.seconds / ctl:.2f}× controller-only ({ctl:.2f}s)" if ctl else "no deploy stages"
        return (f"{self.kind:8s} {self.seconds:6.2f}s = {self.seconds / floor_s:.2f}× floor; {ratio}; "
                f"stages [s]: {parts}")


def main(rounds: int, skip_poll: bool) -> None:
    client = ensure_docker()
    ensure_base_images()
    ensure_network(client)
    work = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    plane = ControlPlane(work / "plane", control_plane_bins())
    factory = FreshServers(client)
    proc = None
    try:
        plane.start()
        plane.install_crds()
        plane.kubectl_run("create", "namespace", NAMESPACE)
        kube = Kube(plane, NAMESPACE)
        webhook_port = free_port()
        log = work / "operator.log"
        proc, live, metrics_port = start_operator(plane, log, extra=(
            "--namespace", NAMESPACE, "--webhook-port", str(webhook_port), "--webhook-address", "127.0.0.1"))
        deadline = time.monotonic() + 600  # imports alone take a minute on a loaded machine
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{live}/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"operator not live:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.5)
        metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        webhook_url = f"http://127.0.0.1:{webhook_port}/hooks/git"
        (host,) = factory.hosts(1)
        server = acme_server(kube, host, base_images=["node:18-slim"])
        with served_app(work, HELLO, "hello") as (repo, daemon):
            url = daemon.url("hello.git")
            manifest = json.loads(git_application("hello", url, DOMAIN, server.name, poll_seconds=30))
            kube.apply(json.dumps(manifest))
            t0 = time.monotonic()
            kube.wait("applications", "hello", "condition=Ready", timeout=1200)
            print(f"first deploy (provisioning included): {time.monotonic() - t0:.0f}s")
            root = server.pebble_root()
            spec = kube.get("deployments.hydron.dev", "hello")["spec"]
            dockerfile = spec["services"][0]["build"]["dockerfile"]
            served_text(host.ip, root, "Hello from Hydron")
            floors: list[float] = []
            results: dict[str, list[Round]] = {"webhook": [], "poll": [], "env": []}
            for i in range(rounds):
                floors.append(floor(host, f"floor {i}", f"r{i}", dockerfile))
                for kind in ("webhook", "poll", "env"):
                    if kind == "poll" and skip_poll:
                        continue
                    text = f"{kind} {i}"
                    before = stages(metrics_url)
                    if kind == "env":
                        manifest["spec"]["env"] = [{"name": "GREETING", "value": text}]
                        t0 = time.monotonic()
                        kube.apply(json.dumps(manifest))
                    else:
                        repo.write("server.js", (HELLO / "server.js").read_text().replace("Hello from Hydron", text))
                        repo.commit(text)
                        repo.publish(daemon.root / "hello.git")
                        t0 = time.monotonic()
                        if kind == "webhook":
                            push(webhook_url, url)
                    seconds = served_text(host.ip, root, text) - t0
                    # the handler's tail (drain, HTTPS check) lands in the metrics after the first 200
                    kube.wait("deployments.hydron.dev", "hello", "condition=Ready", timeout=600)
                    results[kind].append(Round(kind, seconds, before, stages(metrics_url)))
                    print(results[kind][-1].line(floors[-1]), flush=True)
                if manifest["spec"].get("env"):  # the next round's commits show their own greeting again
                    manifest["spec"].pop("env")
                    kube.apply(json.dumps(manifest))
                    kube.wait("deployments.hydron.dev", "hello", "condition=Ready", timeout=600)
            floor_s = statistics.median(floors)
            print(f"docker-direct floor: median {floor_s:.2f}s of {floors}")
            for kind, done in results.items():
                if done:
                    median = statistics.median(r.seconds for r in done)
                    ctl = statistics.median(r.controller_only() for r in done)
                    hook = [r.stages.get("webhook-to-handler") for r in done if r.stages.get("webhook-to-handler")]
                    extra = f"; webhook→handler {statistics.median(hook) * 1000:.0f} ms" if hook else ""
                    print(f"{kind}: median {median:.2f}s = {median / floor_s:.2f}× floor, "
                          f"{median / ctl:.2f}× controller-only ({ctl:.2f}s){extra}")
    finally:
        if proc is not None:
            stop_operator(proc, work / "operator.log")
        factory.close()
        plane.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-poll", action="store_true")
    args = parser.parse_args()
    try:
        main(args.rounds, args.skip_poll)
    except TestBedUnavailable as error:
        raise SystemExit(str(error)) from None
