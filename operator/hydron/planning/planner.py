"""The deterministic planner: analysis + Application → a complete InfraPlan spec.

Pure: no I/O, no clock, no randomness. It also reports the fields it could not decide
well (gaps), which is all the LLM step is ever allowed to fill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from hydron.analysis.models import Analysis, Command, HealthCheck as AnalysedHealth, Port, Service
from hydron.api.application import ApplicationSpec, ServiceOverride
from hydron.api.infraplan import (
    BuildArg, Finding, HealthCheck, InfraPlanSpec, PlanBasis, PlannedSecret, PlannedService, SecretKeyPlan, ServiceResources,
    Volume,
)
from hydron.api.base import EnvVar, LocalObjectReference
from hydron.planning import backing as backing_plan
from hydron.api.names import volume_name
from hydron.planning import datastores, hosts, network, server, sizing
from hydron.planning.digest import application_digest, digest
from hydron.planning.dockerfiles import recipe, runtime_workdir
from hydron.planning.env import Sibling, plan_env
from hydron.planning.findings import analysis_findings, service_findings
from hydron.planning.settle import settle

GapKind = Literal["startCommand", "envDescription", "rationale"]


@dataclass(frozen=True)
class PlanInputs:
    """Everything a plan is made from."""

    app_name: str
    application: ApplicationSpec
    analysis: Analysis | None
    source_revision: str | None = None


@dataclass(frozen=True)
class Gap:
    """A field the rules left open or uncertain: the only kind of field the LLM may fill unasked."""

    kind: GapKind
    service: str | None = None
    name: str | None = None  # the env var, for envDescription

    @property
    def field(self) -> str:
        if self.kind == "rationale":
            return "server.rationale"
        if self.kind == "envDescription":
            return f"services[{self.service}].envDefinitions[{self.name}].description"
        return f"services[{self.service}].startCommand"


@dataclass
class Draft:
    spec: InfraPlanSpec
    findings: list[Finding] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    need: sizing.Need | None = None


def user_secret_name(app: str) -> str:
    return f"{app}-env"


def _with_overrides(service: Service, override: ServiceOverride | None) -> Service:
    """The analysed service corrected by what a person wrote on the Application."""
    if override is None:
        return service
    update = {}
    if override.port is not None:
        update["port"] = Port(value=override.port, evidence=[], confidence="high")
    if override.health_check_path is not None:
        update["health_check"] = AnalysedHealth(path=override.health_check_path, evidence=[], confidence="high")
    if override.start_command is not None:
        update["start_command"] = Command(value=override.start_command, evidence=[], confidence="high")
    return service.model_copy(update=update)


def _health(service: Service, port: int | None) -> HealthCheck | None:
    role = service.role.value
    if role == "static" and port:
        return HealthCheck(path="/", port=port)
    if role != "web" or port is None:
        return None
    return HealthCheck(path=service.health_check.path if service.health_check else None, port=port)


def _runtime(service: Service) -> str | None:
    language = service.language
    if language is None:
        return service.framework.name if service.framework else None
    text = language.name + (f" {language.version}" if language.version else "")
    return text + (f" ({service.framework.name})" if service.framework else "")


def _backing_names(analysis: Analysis, taken: set[str]) -> dict[str, str]:
    names = {}
    for b in analysis.databases:
        label = re.sub(r"[^a-z0-9-]+", "-", b.name.lower()).strip("-") or b.kind  # compose allows rallly_db
        name = label if label not in taken else f"{label}-db"
        names[b.name] = name
        taken.add(name)
    return names


def _keep_backings(service: Service, kept: list[str]) -> Service:
    """The service without the datastores the plan does not provision for it."""
    depends = [d for d in service.depends_on if d.kind != "backing" or d.name in kept]
    return service if len(depends) == len(service.depends_on) else service.model_copy(update={"depends_on": depends})


def restored_services(analysis: Analysis, overrides: list[ServiceOverride]) -> list[Service]:
    """Candidates analysis skipped (a mail catcher, a docs site) that an override naming them adds back."""
    wanted = {o.name for o in overrides if not o.disabled}
    return [s.service for s in analysis.skipped_services if s.name in wanted and s.service is not None]


def plan(inputs: PlanInputs) -> Draft:
    """The complete deterministic plan."""
    app, spec = inputs.app_name, inputs.application
    if spec.source.image is not None:
        return _image_plan(inputs)
    analysis = inputs.analysis
    if analysis is None:
        return Draft(spec=InfraPlanSpec(application_ref=LocalObjectReference(name=app)), findings=[Finding(
            severity="Error", source="Planning", message="There is no analysis to plan from yet.")])
    overrides = {o.name: o for o in spec.services}
    disabled = {o.name for o in spec.services if o.disabled}
    candidates = analysis.services + restored_services(analysis, spec.services)
    settled = [settle(_with_overrides(s, overrides.get(s.name))) for s in candidates if s.name not in disabled]
    analysed = [s for s, _ in settled]
    findings = analysis_findings(analysis) + [f for _, found in settled for f in found]
    known = {s.name for s in analysis.services} | {s.name for s in analysis.skipped_services}
    findings += [Finding(severity="Warning", source="Planning", field=f"services[{o.name}]",
                         message=f"The Application overrides service {o.name}, which the analysis did not find.")
                 for o in spec.services if o.name not in known]
    selection = datastores.select(analysis, analysed)
    findings += selection.findings
    analysed = [_keep_backings(s, selection.kept[s.name]) for s in analysed]
    deployed = {s.name for s in analysed}
    used = {d.name for s in analysed for d in s.depends_on if d.kind == "backing"}
    backing_names = _backing_names(analysis, set(deployed))
    backings = {b.name: backing_plan.plan_backing(b, backing_names[b.name], app)
                for b in analysis.databases if b.name in used and b.kind in backing_plan.MANAGED}
    ports = {}
    services: list[PlannedService] = []
    gaps: list[Gap] = []
    user_keys: list[str] = []
    for service in analysed:
        override = overrides.get(service.name)
        start_override = override.start_command if override else None
        # An image runs as it is: its port is the one declared, not a generated recipe's.
        built = None if service.image else recipe(service, analysis, start_command=start_override)
        port = built.port if built else (service.port.value if service.port else None)
        ports[service.name] = port
    for service in analysed:
        planned, env_findings, keys = _service(service, analysis, overrides.get(service.name), app, ports, backings,
                                               deployed, list(spec.env))
        services.append(planned)
        findings += env_findings
        user_keys += [k for k in keys if k not in user_keys]
        gaps += _gaps(service, planned, overrides.get(service.name))
    frameworks = {s.name: (s.framework.name if s.framework else None) for s in analysed}
    routes, route_findings = network.assign_domains(
        services, list(spec.domains), {o.name: list(o.domains) for o in spec.services}, frameworks)
    findings += route_findings
    findings = hosts.wire_allowed_hosts(services, findings)
    services += [backing_plan.container(b, app) for b in backings.values()]
    provisioned = analysis.model_copy(update={"databases": [b for b in analysis.databases if b.name in backings]})
    need = sizing.analysis_need(provisioned, deployed)
    # Arm64 offers only when every image is one Hydron generates or an official multi-arch one.
    arm_ok = all(s.dockerfile_origin == "Generated" for s in services if s.role not in
                 ("database", "cache", "broker")) and all(not b.source.image for b in backings.values())
    recommendation, server_findings = server.recommend(need, spec.planning, arm_ok=arm_ok)
    findings += server_findings
    secrets = [s for s in (backing_plan.secret(b) for b in backings.values()) if s is not None]
    if user_keys:
        secrets.append(PlannedSecret(name=user_secret_name(app), purpose="User", keys=[
            SecretKeyPlan(key=k, generate="User", description="Filled by a person.") for k in sorted(user_keys)]))
        findings.append(Finding(
            severity="Info", source="Planning", field="secrets",
            message=f"Fill the Secret {user_secret_name(app)} with the keys {', '.join(sorted(user_keys))} before "
                    "deploying; the services read them from it (kubectl create secret generic ...)."))
    gaps.append(Gap(kind="rationale"))
    plan_spec = InfraPlanSpec(
        application_ref=LocalObjectReference(name=app),
        server=recommendation,
        services=services,
        network=network.network(app),
        routes=routes,
        secrets=secrets,
        basis=PlanBasis(source_revision=inputs.source_revision, analysis_digest=digest(analysis),
                        application_digest=application_digest(spec), planner="Rules"),
    )
    return Draft(spec=plan_spec, findings=findings, gaps=gaps, need=need)


def _service(service: Service, analysis: Analysis, override: ServiceOverride | None, app: str,
             ports: dict[str, int | None], backings: dict[str, backing_plan.Backing],
             deployed: set[str], shared_env: list[EnvVar]) -> tuple[PlannedService, list[Finding], list[str]]:
    start_override = override.start_command if override else None
    # A service that names an image (image sources, templates) runs it as it is.
    built = None if service.image else recipe(service, analysis, start_command=start_override)
    port = ports[service.name]
    start = start_override or (service.start_command.value if service.start_command else None)
    findings = service_findings(service, generated=built is not None and built.origin == "Generated",
                                start_command=start)
    if built is None and service.image is None:
        findings.append(Finding(severity="Error", source="Planning", field=f"services[{service.name}].dockerfile",
                                message=f"Hydron cannot generate a Dockerfile for {service.name} "
                                        f"({_runtime(service) or 'unknown language'}); add one to the repository."))
    siblings = [Sibling(name=d.name, port=ports.get(d.name)) for d in service.depends_on
                if d.kind == "service" and d.name in deployed]
    service_backings = [backings[d.name] for d in service.depends_on if d.kind == "backing" and d.name in backings]
    person_env = [*shared_env, *(override.env if override else [])]
    generated = built is not None and built.origin == "Generated"
    data_dirs, data_findings = datastores.file_database_dirs(service, analysis,
                                                             runtime_workdir(service) if generated else None)
    findings += data_findings
    uses = {d.name for d in service.depends_on if d.kind == "backing"}
    engine = next((b.kind for b in analysis.databases if b.name in uses and b.kind in datastores.SQL_ENGINES), None)
    env = plan_env(service, port=port, backings=service_backings, siblings=siblings, person_env=person_env,
                   user_secret=user_secret_name(app), sql_engine=engine, template=analysis.template)
    depends = [d.name for d in service.depends_on if d.kind == "service" and d.name in deployed]
    depends += [backings[d.name].name for d in service.depends_on if d.kind == "backing" and d.name in backings]
    footprint = sizing.service_footprint(service)
    limits = footprint if footprint.memory_mib else sizing.service_footprint(
        service.model_copy(update={"role": service.role.model_copy(update={"value": "worker"})}))
    planned = PlannedService(
        name=service.name, role=service.role.value, runtime=_runtime(service), image=service.image,
        context=built.context if built else None, dockerfile=built.dockerfile if built else None,
        build_args=[BuildArg(name=n, value=v) for n, _, v in (a.partition("=") for a in service.build_args or [])]
        if built and built.origin == "Repository" else [],
        dockerfile_origin=built.origin if built else None, start_command=start, port=port,
        health_check=_health(service, port), env=env.env, env_definitions=env.definitions,
        depends_on=list(dict.fromkeys(depends)),
        volumes=[Volume(name=volume_name(app, service.name, d), path=d) for d in data_dirs],
        resources=ServiceResources(cpus=max(limits.cpus, 0.05), memory_mi_b=max(limits.memory_mib, 32)),
    )
    return planned, findings + env.findings, env.user_secret_keys


def _gaps(service: Service, planned: PlannedService, override: ServiceOverride | None) -> list[Gap]:
    gaps = []
    uncertain = service.start_command is None or service.start_command.confidence == "low"
    generated = planned.dockerfile_origin == "Generated"
    if generated and service.role.value in ("web", "worker") and uncertain and not (override and override.start_command):
        gaps.append(Gap(kind="startCommand", service=service.name))
    gaps += [Gap(kind="envDescription", service=service.name, name=d.name)
             for d in planned.env_definitions if not d.description]
    return gaps


def _image_plan(inputs: PlanInputs) -> Draft:
    """An image source: one service, run as it is."""
    spec, app = inputs.application, inputs.app_name
    image = spec.source.image
    service = PlannedService(name=app[:63], role="web" if image.port else "worker", image=image.name, port=image.port,
                             health_check=HealthCheck(port=image.port) if image.port else None,
                             env=list(spec.env), resources=ServiceResources(cpus=0.5, memory_mi_b=512))
    routes, findings = network.assign_domains([service], list(spec.domains), {}, {})
    need = sizing.Need(cpus=1.0, memory_mib=sizing.SYSTEM.memory_mib + 640, disk_gib=sizing.SYSTEM.disk_gib + 5,
                       services_memory_mib=512, backing_memory_mib=0, system_memory_mib=sizing.SYSTEM.memory_mib,
                       build_memory_mib=0, steady_memory_mib=sizing.SYSTEM.memory_mib + 512, steady_cpus=0.75)
    recommendation, server_findings = server.recommend(need, spec.planning)
    return Draft(
        spec=InfraPlanSpec(application_ref=LocalObjectReference(name=app), server=recommendation, services=[service],
                           network=network.network(app), routes=routes,
                           basis=PlanBasis(source_revision=image.name, application_digest=application_digest(spec))),
        findings=findings + server_findings, gaps=[Gap(kind="rationale")], need=need,
    )
