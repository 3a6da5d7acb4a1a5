"""The web view with 100 applications: first meaningful paint of the list, and the delay
from a status change in the API server to the page showing it.

Targets (issue 15): the list painted with all 100 apps in under 1 s; a status change on
the page in under 0.5 s. Runs a control plane of its own, `kubectl hydron ui` as a user
runs it, and Debian's Chromium through Playwright.

    python3 bench/bench_ui.py [--apps 100] [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "operator"))

from hydron_testbed.controlplane import ControlPlane, control_plane_bins  # noqa: E402

NAMESPACE = "bench"
CHROMIUM = "/usr/bin/chromium"

# Resolves with Date.now() when the row's reason cell first reads `reason` (checked on
# every DOM change, so the time is when the page showed it, not when we looked).
WATCH_ROW = """([name, reason]) => { window.shown = new Promise((resolve) => {
  const seen = () => document.querySelector(`[data-testid="app-row-${name}"] [data-testid="reason"]`)?.textContent === reason;
  if (seen()) return resolve(Date.now());
  const observer = new MutationObserver(() => { if (seen()) { observer.disconnect(); resolve(Date.now()); } });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
}); }"""

ALL_ROWS = """(count) => new Promise((resolve) => {
  const done = () => document.querySelectorAll('[data-testid^="app-row-"]').length >= count;
  if (done()) return resolve(performance.now());
  const observer = new MutationObserver(() => { if (done()) { observer.disconnect(); resolve(performance.now()); } });
  observer.observe(document.documentElement, { subtree: true, childList: true });
})"""


def applications(count: int) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": f"app-{i:03d}"},
         "spec": {"source": {"image": {"name": "traefik/whoami:v1.10", "port": 80}}}} for i in range(count)]})


def start_ui(plane: ControlPlane) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hydron.cli.kubectl_plugin", "ui", "--no-browser", "-n", NAMESPACE,
         "--kubeconfig", str(plane.kubeconfig)],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "operator")}, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    return process, line.split(" is at ", 1)[1].split()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    from kubernetes import client, config
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="hydron-bench-ui-") as scratch:
        plane = ControlPlane(Path(scratch), control_plane_bins())
        plane.start()
        try:
            plane.install_crds()
            plane.kubectl_run("create", "namespace", NAMESPACE)
            plane.kubectl_run("-n", NAMESPACE, "apply", "-f", "-", input=applications(args.apps))
            custom = client.CustomObjectsApi(config.new_client_from_config(config_file=str(plane.kubeconfig)))
            process, url = start_ui(plane)
            print(f"kubectl hydron ui at {url}", file=sys.stderr)
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                    paints, fcps = [], []
                    for _ in range(args.runs + 1):  # the first load warms caches; it is not counted
                        page = browser.new_page()
                        page.goto(url, wait_until="domcontentloaded")
                        paints.append(page.evaluate(ALL_ROWS, args.apps))
                        fcps.append(page.evaluate(
                            "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null"))
                        page.close()
                    paints, fcps = paints[1:], fcps[1:]
                    print(f"list painted in {paints} ms", file=sys.stderr)

                    page = browser.new_page()
                    page.goto(url)
                    page.evaluate(ALL_ROWS, args.apps)
                    delays = []
                    for run in range(args.runs):
                        name, reason = f"app-{run % args.apps:03d}", f"Bench{run}"
                        page.evaluate(WATCH_ROW, [name, reason])  # returns at once; window.shown resolves later
                        before = time.time() * 1000
                        custom.patch_namespaced_custom_object_status(
                            "hydron.dev", "v1alpha1", NAMESPACE, "applications", name,
                            {"status": {"conditions": [{"type": "Ready", "status": "False", "reason": reason,
                                                        "message": "bench", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}})
                        delays.append(page.evaluate("() => window.shown") - before)
                        print(f"{name}: {delays[-1]:.0f} ms", file=sys.stderr)
                    browser.close()
            finally:
                process.terminate()
                process.wait(timeout=10)
        finally:
            plane.stop()

    def summary(values: list[float]) -> str:
        return f"median {statistics.median(values):.0f} ms, max {max(values):.0f} ms (n={len(values)})"

    print(f"list of {args.apps} apps, all rows painted after navigation: {summary(paints)} (target < 1000 ms)")
    if all(v is not None for v in fcps):
        print(f"  first contentful paint: {summary(fcps)}")
    print(f"status patch -> page shows it: {summary(delays)} (target < 500 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
