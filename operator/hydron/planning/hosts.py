"""The host names a web app answers, where the app keeps an allow-list of them (Django's ALLOWED_HOSTS).

Such an app refuses a request for any other host (Django: HTTP 400, DisallowedHost), so an
allow-list that nothing sets, or that defaults to localhost, fails every request the proxy
routes to it. The plan knows the names: the domains it routes to the service, and the loopback
names the image's own health check calls it by.
"""

from __future__ import annotations

from hydron.api.base import EnvVar
from hydron.api.infraplan import Finding, PlannedService

# Variables apps read their allow-list from, as a comma-separated list (Django settings conventions).
ALLOW_LISTS = frozenset({"ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS"})
LOOPBACK = ("localhost", "127.0.0.1")  # the generated image's HEALTHCHECK asks http://127.0.0.1:PORT/...


def wire_allowed_hosts(services: list[PlannedService], findings: list[Finding]) -> list[Finding]:
    """Set each routed service's allow-list that nothing else sets to its domains (in place); the findings
    without the ones that said the variable was unset."""
    wired: set[str] = set()
    for service in services:
        if not service.domains:
            continue
        for definition in service.env_definitions:
            if definition.name not in ALLOW_LISTS or definition.source != "Unset":  # the app's own default stays
                continue
            if any(e.name == definition.name for e in service.env):
                continue
            service.env.append(EnvVar(name=definition.name, value=",".join(dict.fromkeys([*service.domains, *LOOPBACK]))))
            service.env.sort(key=lambda e: e.name)
            definition.source = "Wired"
            definition.description = definition.description or "Host names the app answers: the domains routed to it."
            wired.add(f"services[{service.name}].env[{definition.name}]")
    return [f for f in findings if f.field not in wired]
