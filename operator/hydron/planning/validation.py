"""Checks on a plan spec as it stands, whoever wrote it (the planner, the LLM step, a person).

Errors make the plan invalid (it cannot be deployed as written); warnings point at
choices a reviewer should make on purpose, like a firewall opening to the world.
"""

from __future__ import annotations

from hydron.api.infraplan import Finding, InfraPlanSpec

DANGEROUS_PORTS = {
    2375: "the Docker API without TLS (root on the host for anyone who reaches it)",
    2376: "the Docker API",
    5432: "PostgreSQL", 3306: "MySQL", 27017: "MongoDB", 6379: "Redis", 11211: "memcached",
    5672: "RabbitMQ", 9200: "Elasticsearch", 9092: "Kafka", 2379: "etcd", 10250: "the kubelet",
}
WORLD = ("0.0.0.0/0", "::/0")


def _error(field: str | None, message: str) -> Finding:
    return Finding(severity="Error", source="Validation", field=field, message=message)


def _warning(field: str | None, message: str) -> Finding:
    return Finding(severity="Warning", source="Validation", field=field, message=message)


def validate(spec: InfraPlanSpec) -> list[Finding]:
    out: list[Finding] = []
    names = {s.name for s in spec.services}
    if spec.server.server_ref is None and spec.server.offer is None:
        out.append(_error("server", "The plan names neither an existing Server (serverRef) nor a catalog offer."))
    for service in spec.services:
        where = f"services[{service.name}]"
        if service.image is None and service.dockerfile is None:
            out.append(_error(where, f"{service.name} has neither an image nor a Dockerfile to build."))
        for dep in service.depends_on:
            if dep not in names:
                out.append(_error(f"{where}.dependsOn", f"{service.name} depends on {dep}, which is not in the plan."))
        if service.public and service.port is None:
            out.append(_error(f"{where}.public", f"{service.name} is public but has no port to route to."))
    out += _cycles(spec)
    for route in spec.routes:
        target = next((s for s in spec.services if s.name == route.service), None)
        where = f"routes[{route.domain}{route.path}]"
        if target is None:
            out.append(_error(where, f"The route for {route.domain}{route.path} goes to {route.service}, which is not "
                                     "in the plan."))
        elif target.port != route.port:
            out.append(_error(where, f"The route for {route.domain}{route.path} goes to port {route.port}, but "
                                     f"{route.service} listens on {target.port}."))
        if route.tls == "none":
            out.append(_warning(where, f"{route.domain} is served over plain HTTP: no certificate, no redirect."))
    for rule in spec.firewall:
        what = DANGEROUS_PORTS.get(rule.port)
        open_to = "the whole internet" if rule.source in WORLD else rule.source
        if what:
            out.append(_warning(f"firewall[{rule.port}]", f"Port {rule.port}/{rule.protocol} ({what}) is open to "
                                                         f"{open_to}. Services reach it inside the app network; an "
                                                         "opening is only for something outside the server."))
        else:
            out.append(Finding(severity="Info", source="Validation", field=f"firewall[{rule.port}]",
                               message=f"Port {rule.port}/{rule.protocol} is open to {open_to}"
                                       f"{': ' + rule.reason if rule.reason else ''}."))
    if spec.security.ssh.password_authentication:
        out.append(_warning("security.ssh.passwordAuthentication",
                            "SSH password logins are allowed: brute-force attempts start within minutes."))
    return out


def _cycles(spec: InfraPlanSpec) -> list[Finding]:
    graph = {s.name: [d for d in s.depends_on] for s in spec.services}
    state: dict[str, int] = {}
    found: list[Finding] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                found.append(_error(f"services[{node}].dependsOn",
                                    f"Services depend on each other in a circle: {' → '.join(cycle)}."))
            elif nxt in graph and state.get(nxt) is None:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in graph:
        if state.get(name) is None:
            visit(name, [name])
    return found
