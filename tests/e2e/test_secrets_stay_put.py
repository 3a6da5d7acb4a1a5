"""After the whole run: no Secret value of the session is anywhere but its Secret.

Runs last (tests/conftest.py moves it to the end), over everything the tests left:
every Hydron resource (spec and status) and every Event on the control plane, the log
of every operator the tests started, and (scanned as each server was removed) each
server's /var/lib/hydron — build logs, step markers, listings.
"""

from __future__ import annotations

import json

from hydron_testbed.secret_scan import find_needles

HYDRON_KINDS = "applications.hydron.dev,infraplans.hydron.dev,servers.hydron.dev,deployments.hydron.dev"


def test_no_secret_value_outside_its_secret(control_plane, operator, secret_ledger, tmp_path_factory,
                                            shared_servers_scanned):
    needles = secret_ledger.needles()
    assert needles, "the e2e layer used no Secret: nothing was checked"

    hits = list(secret_ledger.hits)
    for what in (HYDRON_KINDS, "events"):
        listing = control_plane.kubectl_run("get", what, "--all-namespaces", "-o", "json").stdout
        for item in json.loads(listing)["items"]:
            meta = item["metadata"]
            where = f"{item['kind']} {meta.get('namespace')}/{meta['name']}"
            hits += find_needles(json.dumps(item), needles, where)
    logs = sorted(tmp_path_factory.getbasetemp().rglob("operator*.log"))
    assert logs, "no operator log found to scan"
    for log in logs:
        hits += find_needles(log.read_text(errors="replace"), needles, f"operator log {log.name}")

    assert not hits, "Secret values found outside their Secrets:\n" + "\n".join(
        f"  {hit.secret} in {hit.where}" for hit in sorted(set(hits), key=lambda h: (h.secret, h.where)))
