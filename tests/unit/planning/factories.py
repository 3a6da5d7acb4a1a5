"""Small builders of analysis results, so each test states only the facts it is about."""

from __future__ import annotations

from hydron.analysis.models import (
    Analysis, BackingService, Command, Dependency, EnvVar, Evidence, Framework, HealthCheck, Language, PackageManager,
    Port, Service, ServiceRole,
)
from hydron.api.application import ApplicationSpec

EV = [Evidence(file="package.json", detail="test fixture")]


def env(name: str, *, secret: bool = False, required: bool = False, default: str | None = None) -> EnvVar:
    return EnvVar(name=name, secret=secret, required=required, default=default, evidence=EV)


def service(name: str = "api", *, language: str | None = "node", version: str | None = "18",
            framework: str | None = "Express", pm: str | None = "npm", lockfile: str | None = "package-lock.json",
            install: str | None = None, build: str | None = None, start: str | None = "npm run start",
            start_confidence: str = "high", port: int | None = 3000, port_confidence: str = "high",
            health: str | None = "/healthz", role: str = "web", path: str = ".", env_vars=(), depends=(),
            dockerfile: str | None = None, static_root: str | None = None, image: str | None = None) -> Service:
    return Service(
        name=name, path=path, role=ServiceRole(value=role, evidence=EV, confidence="high"),
        language=Language(name=language, version=version, evidence=EV, confidence="high") if language else None,
        framework=Framework(name=framework, evidence=EV, confidence="high") if framework else None,
        package_manager=PackageManager(name=pm, lockfile=lockfile, evidence=EV, confidence="high") if pm else None,
        install_command=Command(value=install, evidence=EV, confidence="high") if install else None,
        build_command=Command(value=build, evidence=EV, confidence="high") if build else None,
        start_command=Command(value=start, evidence=EV, confidence=start_confidence) if start else None,
        port=Port(value=port, evidence=EV, confidence=port_confidence) if port else None,
        health_check=HealthCheck(path=health, evidence=EV, confidence="high") if health else None,
        env=list(env_vars), dockerfile=dockerfile, static_root=static_root, image=image,
        depends_on=[Dependency(name=d, kind=k, evidence=EV, confidence="high") for d, k in depends],
    )


def backing(kind: str, name: str | None = None, used_by=("api",), version: str | None = None) -> BackingService:
    return BackingService(name=name or kind, kind=kind, version=version, evidence=EV, confidence="high",
                          used_by=list(used_by))


def analysis(*services: Service, databases=()) -> Analysis:
    return Analysis(services=list(services), databases=list(databases), integrations=[], files_scanned=10,
                    truncated=False, skipped=[], skipped_counts=[], warnings=[])


def app_spec(**fields) -> ApplicationSpec:
    return ApplicationSpec.model_validate({"source": {"git": {"url": "https://git.example.com/acme/shop.git"}},
                                           **fields})
