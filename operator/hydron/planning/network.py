"""Who is reachable from the internet, under which domain, over TLS.

Everything joins the app's own network; nothing publishes a port on the host. Only
services with a domain sit behind the reverse proxy, each domain with an ACME
certificate. The Application's domains go to its main web service.
"""

from __future__ import annotations

import re

from hydron.api.infraplan import Finding, NetworkPlan, PlannedService, Route

_FRONT_NAMES = re.compile(r"(?:^|-)(?:web|www|frontend|front|site|app|ui|storefront|portal)(?:-|$)")
_FRONT_FRAMEWORKS = ("Next.js", "Nuxt", "Remix", "SvelteKit", "Astro")


def network(app: str) -> NetworkPlan:
    return NetworkPlan(name=f"{app}-internal"[:63].rstrip("-"))


def primary(candidates: list[PlannedService], frameworks: dict[str, str | None]) -> PlannedService | None:
    """The service the Application's own domains belong to: the one a visitor sees first."""
    serving = [s for s in candidates if s.role in ("web", "static") and s.port]
    if not serving:
        return None

    def rank(s: PlannedService) -> tuple[int, int, int]:
        return (0 if _FRONT_NAMES.search(s.name) else 1,
                0 if frameworks.get(s.name) in _FRONT_FRAMEWORKS or s.role == "static" else 1,
                candidates.index(s))
    return min(serving, key=rank)


def assign_domains(services: list[PlannedService], app_domains: list[str], override_domains: dict[str, list[str]],
                   frameworks: dict[str, str | None]) -> tuple[list[Route], list[Finding]]:
    """Set domains and `public` on the services (in place) and return the proxy routes."""
    findings: list[Finding] = []
    main = primary(services, frameworks)
    for service in services:
        domains = list(override_domains.get(service.name, []))
        if main is not None and service.name == main.name:
            domains = list(dict.fromkeys([*app_domains, *domains]))
        service.domains = domains
        service.public = bool(domains) or (main is not None and service.name == main.name)
    routes = [Route(domain=d, path="/", service=s.name, port=s.port, tls="acme")
              for s in services if s.public and s.port for d in s.domains]
    if main is not None and not main.domains:
        findings.append(Finding(severity="Warning", source="Planning", field="routes",
                                message=f"{main.name} is the app's public service but has no domain: add one to the "
                                        "Application's spec.domains (its DNS pointing at the server) to get an HTTPS "
                                        "URL with an ACME certificate."))
    for service in services:
        if service.role == "web" and service.port and not service.public:
            findings.append(Finding(severity="Info", source="Planning", field=f"services[{service.name}].public",
                                    message=f"{service.name} serves HTTP but only inside the app network; give it "
                                            "a domain in the Application's services[].domains to expose it."))
    for route in routes:
        if route.domain.startswith("*."):
            findings.append(Finding(severity="Warning", source="Planning", field="routes",
                                    message=f"{route.domain} is a wildcard: ACME HTTP-01 cannot issue it; the proxy "
                                            "needs a DNS-01 challenge, which Hydron does not configure yet."))
    return routes, findings
