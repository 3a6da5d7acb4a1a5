"""A service's environment: what the analysis says it reads, and where each value comes from.

Order of precedence: what a person set on the Application; what Hydron wires (database
URLs, sibling URLs, PORT); a key of the app's user Secret for credentials; the code's
own default. A required variable that nothing sets becomes a finding, not a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hydron.analysis.models import Service
from hydron.api.base import EnvValueSource, EnvVar, SecretKeyReference
from hydron.api.infraplan import EnvDefinition, Finding
from hydron.planning.backing import Backing

DESCRIPTIONS = {
    "PORT": "Port the service listens on; Hydron sets it to the planned port.",
    "NODE_ENV": "Node.js environment; production in the generated image.",
}
_SQL_FIRST = {"postgres": 0, "mysql": 0, "mariadb": 0}


@dataclass
class Sibling:
    """Another service of the app this one depends on."""

    name: str
    port: int | None


@dataclass
class ServiceEnv:
    env: list[EnvVar] = field(default_factory=list)
    definitions: list[EnvDefinition] = field(default_factory=list)
    user_secret_keys: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _sibling_env(name: str, siblings: list[Sibling]) -> EnvVar | None:
    """CATALOG_API_URL → http://catalog-api:PORT when the service depends on a sibling named like it."""
    upper = name.upper()
    for sibling in siblings:
        token = re.sub(r"[^A-Z0-9]+", "_", sibling.name.upper())
        if sibling.port and upper.startswith(token + "_") and upper.endswith(("_URL", "_ORIGIN", "_ENDPOINT")):
            return EnvVar(name=name, value=f"http://{sibling.name}:{sibling.port}")
        if upper in (f"{token}_HOST", f"{token}_HOSTNAME"):
            return EnvVar(name=name, value=sibling.name)
    return None


def _backing_env(name: str, backings: list[Backing]) -> tuple[EnvVar, Backing] | None:
    for backing in backings:
        part = backing.managed.env_names.get(name)
        if part is not None:
            return backing.value_for(name, part), backing
    return None


def plan_env(
    service: Service,
    *,
    port: int | None,
    backings: list[Backing],
    siblings: list[Sibling],
    person_env: list[EnvVar],
    user_secret: str,
) -> ServiceEnv:
    """Env vars and definitions of one service. `person_env`: the Application's shared env, then
    the service override's (later wins)."""
    out = ServiceEnv()
    backings = sorted(backings, key=lambda b: _SQL_FIRST.get(b.source.kind, 1))
    person = {e.name: e for e in person_env}
    wired_backings: set[str] = set()
    field_prefix = f"services[{service.name}].env"
    for var in service.env:
        definition = EnvDefinition(name=var.name, secret=var.secret, required=var.required,
                                   description=DESCRIPTIONS.get(var.name))
        if var.name in person:
            out.env.append(person[var.name])
            definition.source = "Application"
        elif var.name == "PORT" and port is not None:
            out.env.append(EnvVar(name="PORT", value=str(port)))
            definition.source = "Wired"
        elif (found := _backing_env(var.name, backings)) is not None:
            env, backing = found
            out.env.append(env)
            wired_backings.add(backing.name)
            definition.source = "Wired"
            definition.description = definition.description or (
                f"Connection to the {backing.source.kind} container {backing.name} (generated credentials).")
        elif (env := _sibling_env(var.name, siblings)) is not None:
            out.env.append(env)
            definition.source = "Wired"
            definition.description = definition.description or f"Address of the sibling service {env.value}."
        elif var.secret and var.required:
            out.env.append(EnvVar(name=var.name, value_from=EnvValueSource(
                secret_key_ref=SecretKeyReference(name=user_secret, key=var.name))))
            out.user_secret_keys.append(var.name)
            definition.source = "UserSecret"
        elif var.required:
            definition.source = "Unset"
            out.findings.append(Finding(
                severity="Warning", source="Planning", field=f"{field_prefix}[{var.name}]",
                message=f"{service.name} reads {var.name} without a default and nothing sets it: set it in the "
                        "Application's env (or the service's override), or the service may fail to start."))
        out.definitions.append(definition)
    _conventional_urls(service, backings, wired_backings, person, out)
    for name, env in person.items():  # what a person set that the analysis did not see
        if all(d.name != name for d in out.definitions):
            out.env.append(env)
            out.definitions.append(EnvDefinition(name=name, secret=env.value_from is not None, source="Application"))
    out.env.sort(key=lambda e: e.name)
    out.definitions.sort(key=lambda d: d.name)
    return out


def _conventional_urls(service: Service, backings: list[Backing], wired: set[str], person: dict[str, EnvVar],
                       out: ServiceEnv) -> None:
    """A dependency the code reaches under a name the analysis did not see still gets its conventional URL."""
    taken = {e.name for e in out.env} | set(person)
    for backing in backings:
        name = backing.managed.default_env
        if backing.name in wired or name is None or name in taken:
            continue
        out.env.append(backing.value_for(name, "url"))
        taken.add(name)
        out.definitions.append(EnvDefinition(
            name=name, secret=backing.secret is not None, source="Wired",
            description=f"Connection to the {backing.source.kind} container {backing.name}; added by Hydron "
                        "because the service uses it."))
