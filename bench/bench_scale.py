"""Scale of one operator: N Applications (template and image sources, planned, no
servers) against the real API server and a running `hydron run`.

Measured in one run, first with --small objects, then with --large present:
- time until all are Planned (from the first create);
- the operator's RSS (and its growth per 1,000 objects beyond the base, idle);
- API requests per minute while idle, counted by the apiserver itself
  (`apiserver_request_total` on its /metrics, by verb and resource; the bench's own
  scrapes are left out);
- one object's change latency: a spec edit until its status says the new generation
  was handled, with all the others present;
- restart-resume: a new operator process until it has reconciled every object once.

Nothing asserts on time; the report prints the numbers. The RSS beyond the idle base
includes a one-off cost of the first work (imports the first analysis and plan make,
the I/O threads' stacks and malloc arenas: about 100 MB, whatever N); the cost per
object is the slope between the two counts.

--profile PREFIX runs the operator under tracemalloc (bench/scale_probe.py, slower) and
prints, between the two counts, what grew per object: the source lines that allocated
it and the types of the live objects (--profile-frames 0: the types only, at full speed).
--operator DIR runs another tree's operator
package (a worktree of an older commit: before and after on the same machine).

    nice -n 10 python3 bench/bench_scale.py [--small 100] [--large 1000] [--idle 60]
        [--profile /tmp/scale [--profile-frames 0]] [--operator ../before/operator]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "operator"))

from hydron_testbed import TestBedUnavailable  # noqa: E402
from hydron_testbed.controlplane import ControlPlane, control_plane_bins  # noqa: E402
from hydron_testbed.ports import free_port  # noqa: E402

NAMESPACE = "scale"
TEMPLATES = ("umami", "ghost", "wordpress")  # gallery templates that need no parameter
PAGE = 200
WATCHED = ("applications", "infraplans", "deployments", "servers")


def application(i: int) -> dict:
    """Two in three apps an image, every third a gallery template (with its databases'
    generated Secrets): no fetch, a real analysis and plan."""
    if i % 3:
        source = {"image": {"name": f"traefik/whoami:v1.{i % 10}", "port": 80}}
    else:
        source = {"template": {"name": TEMPLATES[(i // 3) % len(TEMPLATES)]}}
    return {"apiVersion": "hydron.dev/v1alpha1", "kind": "Application",
            "metadata": {"name": f"app-{i:05d}", "namespace": NAMESPACE},
            "spec": {"source": source, "domains": [f"app-{i}.example.com"],
                     "planning": {"autoApprove": True, "monthlyBudget": 40}}}


class Api:
    """The apiserver over HTTPS with the admin client certificate (no client library,
    so the bench's own requests are few and known)."""

    def __init__(self, plane: ControlPlane) -> None:
        pki = plane.directory / "pki"
        self.base = plane.server
        self.context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        self.context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
        self.own = Counter()

    def request(self, method: str, path: str, body: dict | None = None, content_type: str = "application/json") -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": content_type})
        self.own[method] += 1
        with urllib.request.urlopen(req, context=self.context, timeout=300) as response:  # a loaded machine
            text = response.read().decode()
        return json.loads(text) if text.startswith("{") else {"text": text}

    def requests_total(self) -> Counter:
        """apiserver_request_total summed by (verb, resource) for what is not /metrics."""
        text = self.request("GET", "/metrics")["text"]
        totals: Counter = Counter()
        for line in text.splitlines():
            if not line.startswith("apiserver_request_total{"):
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
            key = (labels.get("verb", ""), labels.get("resource", "") or labels.get("component", ""))
            totals[key] += float(line.rsplit(" ", 1)[1])
        return totals

    def apps(self) -> list[dict]:
        return self.items("applications")

    def watched(self) -> int:
        """Objects the operator watches and keeps state for (an Application brings its
        InfraPlan): the unit of the per-object cost."""
        return sum(len(self.items(plural)) for plural in WATCHED)

    def items(self, plural: str) -> list[dict]:
        """Every object of the kind, in pages: one LIST of a thousand bodies is what the
        loaded apiserver cut short."""
        path = f"/apis/hydron.dev/v1alpha1/namespaces/{NAMESPACE}/{plural}?limit={PAGE}"
        items, token = [], ""
        while True:
            page = self.request("GET", path + (f"&continue={urllib.parse.quote(token)}" if token else ""))
            items += page["items"]
            token = page["metadata"].get("continue") or ""
            if not token:
                return items


def planned(app: dict) -> bool:
    return any(c["type"] == "Planned" and c["status"] == "True" for c in (app.get("status") or {}).get("conditions", []))


def wait_all_planned(api: Api, count: int, limit: float = 3600) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        try:
            items = api.apps()
        except Exception as error:  # the loaded apiserver timed the LIST out (504, a cut body): ask again
            print(f"  (list failed: {error}; again)", flush=True)
            time.sleep(5)
            continue
        if len(items) >= count and sum(planned(a) for a in items) >= count:
            return time.monotonic()
        time.sleep(2)
    raise SystemExit(f"not all {count} Planned after {limit}s")


def planned_delays(items: list[dict]) -> list[float]:
    """Per app: its Planned turning True after its creation (the API's 1 s resolution)."""
    from datetime import datetime

    def at(text: str) -> float:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    return sorted(at(next(c["lastTransitionTime"] for c in a["status"]["conditions"] if c["type"] == "Planned"))
                  - at(a["metadata"]["creationTimestamp"]) for a in items)


def cpu_s(pid: int) -> float:
    """The process's user + system CPU seconds: its cost apart from the shared machine's load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def idle_rate(api: Api, seconds: float, pid: int | None = None) -> tuple[float, Counter]:
    """Requests per minute over `seconds` of idling, without the bench's own scrapes
    (and the operator's CPU seconds per idle minute, under the key "cpu")."""
    before = api.requests_total()
    cpu = cpu_s(pid) if pid else 0
    time.sleep(seconds)
    after = api.requests_total()
    idle_cpu = (cpu_s(pid) - cpu) * 60 / seconds if pid else 0
    delta = Counter({k: after[k] - before[k] for k in after if after[k] - before[k] > 0})
    delta[("GET", "")] -= 1  # the first scrape itself
    delta = +delta
    rate = sum(delta.values()) * 60 / seconds
    delta[("cpu s/min", "")] = round(idle_cpu, 2)
    return rate, delta


class Operator:
    """`hydron run` with production intervals, scoped to the bench's namespace."""

    def __init__(self, plane: ControlPlane, work: Path, tree: Path, profile: str | None = None,
                 frames: int = 12) -> None:
        self.plane, self.work, self.tree, self.profile, self.frames = plane, work, tree, profile, frames
        self.proc: subprocess.Popen | None = None
        self.metrics_port = free_port()
        self.snapshots = 0

    def start(self) -> float:
        env = {**os.environ, **self.plane.env(), "PYTHONPATH": str(self.tree),
               "HYDRON_WORKDIR": str(self.work / "work")}
        command = [sys.executable, "-m", "hydron"]
        if self.profile:
            env["HYDRON_PROBE"] = self.profile
            tracing = ["-X", f"tracemalloc={self.frames}"] if self.frames else []
            command = [sys.executable, *tracing, str(ROOT / "bench" / "scale_probe.py")]
        self.live = live = free_port()
        log = open(self.work / "operator.log", "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [*command, "run", "--namespace", NAMESPACE,
             "--liveness", f"http://127.0.0.1:{live}/healthz",
             "--metrics-port", str(self.metrics_port), "--metrics-address", "127.0.0.1"],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        return t0

    def wait_live(self, limit: float = 600) -> None:
        """Until its liveness endpoint answers (imports alone take a minute on a loaded machine)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.live}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        raise SystemExit("operator never came live")

    def reconciled(self, kind: str) -> float:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return 0
        return sum(float(v) for v in re.findall(
            rf'hydron_reconciles_total{{kind="{kind}",result="[a-z]+"}} ([0-9.e+]+)', text))

    def snapshot(self) -> int:
        """With --profile: the probe's snapshot of now (its number), after a full GC."""
        self.snapshots += 1
        done = Path(f"{self.profile}-{self.snapshots}.done")
        self.proc.send_signal(signal.SIGUSR1)
        while not done.exists():
            time.sleep(0.5)
        return self.snapshots

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=60)


def create_all(api: Api, indexes: range) -> None:
    path = f"/apis/hydron.dev/v1alpha1/namespaces/{NAMESPACE}/applications"
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: api.request("POST", path, application(i)), indexes))


def change_latency(api: Api, i: int) -> float:
    """A spec edit of one app until its status reports handling that generation."""
    path = f"/apis/hydron.dev/v1alpha1/namespaces/{NAMESPACE}/applications/app-{i:05d}"
    t0 = time.monotonic()
    changed = api.request("PATCH", path, {"spec": {"domains": [f"app-{i}.example.com", f"x{int(t0)}.example.com"]}},
                          content_type="application/merge-patch+json")
    generation = changed["metadata"]["generation"]
    while time.monotonic() - t0 < 600:
        status = api.request("GET", path).get("status") or {}
        if status.get("observedGeneration") == generation:
            return time.monotonic() - t0
        time.sleep(0.02)
    raise SystemExit("change never handled")


def growth(prefix: str, before: int, after: int, objects: int, top: int = 25) -> None:
    """What the operator allocated and still holds, per object added between two probe
    snapshots: by source line (the newest frame in Hydron or kopf when there is one),
    and the live objects by type."""
    import tracemalloc

    if not Path(f"{prefix}-{after}.snap").exists():  # --profile-frames 0: live objects by type only
        return _type_growth(prefix, before, after, objects)
    old, new = (tracemalloc.Snapshot.load(f"{prefix}-{n}.snap") for n in (before, after))
    total = sum(s.size_diff for s in new.compare_to(old, "filename"))
    print(f"  traced growth {total / 2**20:.1f} MB = {total / objects / 1024:.1f} KiB per object")
    by_place: Counter = Counter()
    for stat in new.compare_to(old, "traceback"):
        frames = list(reversed(stat.traceback))  # the most recent first
        ours = next((f for f in frames if "/hydron/" in f.filename and "site-packages" not in f.filename), None)
        theirs = next((f for f in frames if "/kopf/" in f.filename), None)
        where = frames[0]
        label = f"{where.filename.split('site-packages/')[-1]}:{where.lineno}"
        for owner in (ours, theirs):
            if owner is not None and owner is not where:
                label += f" ← {owner.filename.split('/operator/')[-1].split('site-packages/')[-1]}:{owner.lineno}"
                break
        by_place[label] += stat.size_diff
    for label, size in by_place.most_common(top):
        print(f"  {size / objects / 1024:7.2f} KiB/object  {label}")
    _type_growth(prefix, before, after, objects)


def _type_growth(prefix: str, before: int, after: int, objects: int) -> None:
    counts = [json.loads(Path(f"{prefix}-{n}.types.json").read_text()) for n in (before, after)]
    grown = Counter({k: v - counts[0].get(k, 0) for k, v in counts[1].items()})
    print("  live objects per object added: " + ", ".join(
        f"{k} {v / objects:.1f}" for k, v in grown.most_common(20) if v > 0))


def measure(api: Api, op: Operator, count: int, t_create: float, idle: float, cpu0: float) -> dict:
    done = wait_all_planned(api, count)
    busy_cpu = cpu_s(op.proc.pid) - cpu0
    delays = planned_delays(api.apps())
    time.sleep(5)  # let the last status writes land before idling
    rate, detail = idle_rate(api, idle, op.proc.pid)
    rss = rss_mb(op.proc.pid)
    latencies = sorted(change_latency(api, i) for i in (1, count // 2, count - 1))
    return {"count": count, "objects": api.watched(), "planned_s": done - t_create, "busy_cpu": busy_cpu, "rss_mb": rss, "idle_rpm": rate,
            "idle_detail": dict(detail.most_common(8)), "change_s": latencies,
            "delays": (delays[len(delays) // 2], delays[int(len(delays) * 0.9)], delays[-1])}


def main(small: int, large: int, idle: float, tree: Path, profile: str | None, frames: int = 12) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    plane = ControlPlane(work / "plane", control_plane_bins())
    plane.start()
    op = Operator(plane, work, tree, profile, frames)
    print(f"operator from {tree}" + (" under tracemalloc" if profile else ""))
    try:
        plane.install_crds()
        plane.kubectl_run("create", "namespace", NAMESPACE)
        api = Api(plane)
        op.start()
        op.wait_live()
        time.sleep(5)  # the first watch lists land
        base = rss_mb(op.proc.pid)
        base_rate, base_detail = idle_rate(api, idle, op.proc.pid)
        print(f"base: operator RSS {base:.0f} MB, idle {base_rate:.0f} requests/min with 0 objects {dict(base_detail)}")
        snaps = [op.snapshot()] if profile else []
        results = []
        done = 0
        for target in (small, large):
            t0, cpu0 = time.monotonic(), cpu_s(op.proc.pid)
            create_all(api, range(done, target))
            new = target - done
            done = target
            results.append(measure(api, op, target, t0, idle, cpu0))
            r = results[-1]
            print(f"{target} apps: the {new} new all Planned {r['planned_s']:.1f}s after the first create "
                  f"(operator CPU {r['busy_cpu']:.1f}s = {r['busy_cpu'] * 1000 / new:.0f} ms per app); "
                  f"RSS {r['rss_mb']:.0f} MB ({(r['rss_mb'] - base) * 1000 / target:.1f} MB per 1,000 beyond base, "
                  f"the first pass's one-off cost included: the growth line's slope is the cost per object); "
                  f"idle {r['idle_rpm']:.0f} requests/min {r['idle_detail']}; "
                  f"create→Planned per app median/p90/max {r['delays']} s; "
                  f"one change handled in {', '.join(f'{s:.2f}' for s in r['change_s'])} s", flush=True)
            if profile:
                snaps.append(op.snapshot())
                growth(profile, snaps[-2], snaps[-1], new)
        op.stop()
        t0 = op.start()
        while op.reconciled("Application") < large:
            time.sleep(0.2)
        resumed = time.monotonic() - t0
        print(f"restart with {large} present: every Application reconciled {resumed:.1f}s after the process started "
              f"(operator CPU {cpu_s(op.proc.pid):.1f}s, imports included)")
        a, b = results
        per_app_rss = (b["rss_mb"] - a["rss_mb"]) / (large - small)
        per_object_rss = (b["rss_mb"] - a["rss_mb"]) / (b["objects"] - a["objects"])
        print(f"growth {small}→{large} Applications ({a['objects']}→{b['objects']} objects watched): "
              f"RSS {per_object_rss * 1000:.1f} MB per 1,000 objects, {per_app_rss * 1000:.1f} MB per 1,000 Applications "
              f"(10,000 on paper: {b['rss_mb'] + per_app_rss * (10000 - large):.0f} MB); "
              f"idle requests/min {a['idle_rpm']:.0f} → {b['idle_rpm']:.0f}; "
              f"idle CPU s/min {a['idle_detail'].get(('cpu s/min', ''))} → {b['idle_detail'].get(('cpu s/min', ''))}; "
              f"time to Planned per app {a['planned_s'] / small * 1000:.0f} → "
              f"{b['planned_s'] / (large - small) * 1000:.0f} ms")
    finally:
        op.stop()
        plane.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=60)
    parser.add_argument("--operator", type=Path, default=ROOT / "operator", help="the tree whose hydron package runs")
    parser.add_argument("--profile", help="path prefix for the operator's tracemalloc snapshots")
    parser.add_argument("--profile-frames", type=int, default=12,
                        help="frames kept per allocation; 0 counts live objects by type only (fast)")
    args = parser.parse_args()
    try:
        main(args.small, args.large, args.idle, args.operator.resolve(), args.profile, args.profile_frames)
    except TestBedUnavailable as error:
        raise SystemExit(str(error)) from None
