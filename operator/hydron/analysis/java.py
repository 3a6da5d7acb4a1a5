"""JVM projects: Maven pom.xml or Gradle build files; Spring Boot and Quarkus.

pom.xml is read with regular expressions rather than an XML parser: it needs only a
handful of elements, and it keeps entity-expansion tricks in hostile files harmless.
"""

from __future__ import annotations

import re
from typing import Optional

from .evidence import SourceText, presence
from .models import Command, EntryPoint, Evidence, Framework, HealthCheck, PackageManager, Port
from .project import DeclaredDependency, DirContext, Project
from .versions import Version, language, tool_version, version_file

MANIFESTS = ("pom.xml", "build.gradle", "build.gradle.kts")
SOURCE_EXTENSIONS = (".java", ".kt")

_POM_DEPENDENCY = re.compile(r"<groupId>\s*([\w.-]+)\s*</groupId>\s*<artifactId>\s*([\w.-]+)\s*</artifactId>")
_POM_SECTIONS = re.compile(r"<(parent|dependencies|dependencyManagement|build|profiles)>.*?</\1>", re.DOTALL)
_POM_ARTIFACT = re.compile(r"<artifactId>\s*([\w.-]+)\s*</artifactId>")
_POM_VERSION = re.compile(r"<version>\s*([\w.-]+)\s*</version>")
_POM_JAVA = re.compile(r"<(java\.version|maven\.compiler\.release|maven\.compiler\.source|release)>\s*(\d+(?:\.\d+)?)\s*<")
_GRADLE_DEPENDENCY = re.compile(
    r"\b(?:implementation|api|runtimeOnly|compileOnly|annotationProcessor)\s*\(?\s*['\"]([\w.-]+):([\w.-]+)"
)
_GRADLE_PLUGIN = re.compile(r"id\s*\(?\s*['\"](org\.springframework\.boot|io\.quarkus)['\"]")
_GRADLE_JAVA = re.compile(
    r"(?:JavaLanguageVersion\.of\(\s*|jvmToolchain\(\s*|(?:source|target)Compatibility\s*=\s*(?:JavaVersion\.VERSION_)?['\"]?)"
    r"(\d+(?:[._]\d+)?)"
)
_GRADLE_VERSION = re.compile(r"^version\s*=\s*['\"]([\w.-]+)['\"]", re.MULTILINE)
_GRADLE_NAME = re.compile(r"rootProject\.name\s*=\s*['\"]([\w.-]+)['\"]")
_POM_PACKAGING = re.compile(r"<packaging>\s*pom\s*</packaging>")
_SYSTEM_PROPERTIES = re.compile(r"java\.runtime\.version\s*=\s*(\d+(?:\.\d+)*)")
_CONFIG_FILES = tuple(f"src/main/resources/{name}" for name in (
    "application.properties", "application.yml", "application.yaml", "application-prod.properties",
    "application-prod.yml"))

# Boot 4 split spring-boot-starter-web into webmvc; each of these brings an embedded server
_WEB_STARTERS = tuple(f"org.springframework.boot:spring-boot-starter-{s}" for s in (
    "web", "webflux", "webmvc", "jersey", "websocket", "graphql", "hateoas", "data-rest"))
_KOTLIN = re.compile(r"kotlin\(\s*\"jvm\"|org\.jetbrains\.kotlin|<artifactId>kotlin-maven-plugin")


def detect(ctx: DirContext) -> list[Project]:
    build_file = next(n for n in MANIFESTS if ctx.has(n))
    source = ctx.source(build_file)
    if source is None:
        return []
    maven = build_file == "pom.xml"
    manifest = Evidence(file=source.path, detail=build_file)
    name, version = _maven_identity(source) if maven else _gradle_identity(ctx, source)
    project = Project(
        path=ctx.path, name=name or ctx.basename(), ecosystem="java",
        language=language("java", manifest, _build_java(source, maven), version_file(ctx, ".java-version"),
                          tool_version(ctx, "java"), _system_properties(ctx)),
        source_extensions=SOURCE_EXTENSIONS,
        scan_first=[ctx.rel(f) for f in _CONFIG_FILES if ctx.exists(f)] + _profile_configs(ctx),
    )
    pattern = _POM_DEPENDENCY if maven else _GRADLE_DEPENDENCY
    project.dependencies = [
        DeclaredDependency(f"{m.group(1)}:{m.group(2)}", source.evidence(f"dependency {m.group(2)}", m.start(2)))
        for m in source.matches(pattern)
    ]
    if next(source.matches(_KOTLIN), None) or ctx.has_dir("src/main/kotlin") and not ctx.has_dir("src/main/java"):
        project.language.name, project.language.runtime = "kotlin", "java"  # Kotlin on the JVM: built like Java
        project.language.evidence.append(source.evidence("Kotlin plugin") if next(source.matches(_KOTLIN), None)
                                          else Evidence(file=ctx.rel("src/main/kotlin"), detail="Kotlin sources"))
    _tooling(ctx, project, maven, source)
    project.entry_point = _application_class(ctx)
    coordinates = {d.name: d.evidence for d in project.dependencies}
    if not _framework(ctx, project, coordinates, source, maven, version):
        _plain_jar(ctx, project, source, maven)
    return [project]


def _profile_configs(ctx: DirContext) -> list[str]:
    """application-mysql.properties and the like: what the app needs when a profile is switched on."""
    folder = ctx.rel("src/main/resources")
    return sorted(f"{folder}/{n}" for n in ctx.tree.names(folder)
                  if re.fullmatch(r"application-[\w-]+\.(?:properties|ya?ml)", n))[:10]


def _plain_jar(ctx: DirContext, project: Project, source: SourceText, maven: bool) -> None:
    """A JVM app without a framework runs its jar; an aggregator pom or a project without sources does not."""
    if (maven and _POM_PACKAGING.search(source.text)) or not ctx.has_dir("src/main"):
        project.deployable = False
        project.not_deployable_reason = "JVM build without application sources (a parent or library)"
        return
    jar = "target/*.jar" if maven else "build/libs/*.jar"
    project.start = Command(value=f"java -jar {jar}", evidence=[Evidence(file=source.path, detail="runs the built jar")],
                            confidence="low")


def _application_class(ctx: DirContext) -> Optional[EntryPoint]:
    """Spring Boot and Quarkus apps start from a class annotated as the application, by convention *Application."""
    for source_folder in ("java", "kotlin"):
        base = ctx.rel(f"src/main/{source_folder}")
        for directory in sorted(d for d in ctx.tree.files if d == base or d.startswith(base + "/")):
            for name in ctx.tree.names(directory):
                if name.endswith(("Application.java", "Application.kt", "Main.java", "Main.kt")):
                    path = f"{directory}/{name}"
                    source = ctx.reader.source(path)
                    match = source and re.search(r"@(SpringBootApplication|QuarkusMain)\b", source.text)
                    if match:
                        evidence = [source.evidence(f"@{match.group(1)}", match.start())]
                        return EntryPoint(file=path, evidence=evidence, confidence="high")
    return None


def _maven_identity(source: SourceText) -> tuple[Optional[str], Optional[str]]:
    own = _POM_SECTIONS.sub("", source.text)
    artifact = _POM_ARTIFACT.search(own)
    version = _POM_VERSION.search(own)
    return (artifact.group(1) if artifact else None), (version.group(1) if version else None)


def _gradle_identity(ctx: DirContext, source: SourceText) -> tuple[Optional[str], Optional[str]]:
    settings = ctx.source("settings.gradle") or ctx.source("settings.gradle.kts")
    name = next(settings.matches(_GRADLE_NAME), None) if settings else None
    version = next(source.matches(_GRADLE_VERSION), None)
    return (name.group(1) if name else None), (version.group(1) if version else None)


def _build_java(source: SourceText, maven: bool) -> Optional[Version]:
    match = next(source.matches(_POM_JAVA if maven else _GRADLE_JAVA), None)
    if match is None:
        return None
    raw = match.group(match.lastindex).replace("_", ".")
    value = raw[2:] if raw.startswith("1.") else raw  # 1.8 is Java 8
    return value, source.evidence(f"Java {value}", match.start())


def _system_properties(ctx: DirContext) -> Optional[Version]:
    source = ctx.source("system.properties")
    match = next(source.matches(_SYSTEM_PROPERTIES), None) if source else None
    if source is None or match is None:
        return None
    return match.group(1), source.evidence(f"java.runtime.version {match.group(1)}", match.start())


def _tooling(ctx: DirContext, project: Project, maven: bool, source: SourceText) -> None:
    wrapper = "./mvnw" if maven and ctx.has("mvnw") else "./gradlew" if not maven and ctx.has("gradlew") else None
    tool = wrapper or ("mvn" if maven else "gradle")
    evidence = [presence(source.path, "Maven build" if maven else "Gradle build")]
    if wrapper:
        evidence.append(presence(ctx.rel(wrapper[2:]), "build tool wrapper"))
    project.package_manager = PackageManager(name="maven" if maven else "gradle", evidence=evidence, confidence="high")
    if maven:
        project.install = Command(value=f"{tool} -B dependency:go-offline", evidence=evidence, confidence="medium")
        project.build = Command(value=f"{tool} -B package -DskipTests", evidence=evidence, confidence="high")
    else:
        project.build = Command(value=f"{tool} build -x test", evidence=evidence, confidence="high")


def _framework(
    ctx: DirContext, project: Project, coordinates: dict[str, Evidence], source: SourceText, maven: bool,
    version: Optional[str],
) -> bool:
    output = "target" if maven else "build/libs"
    spring = next((coordinates[c] for c in coordinates if c.startswith("org.springframework.boot:")), None)
    plugin = next(source.matches(_GRADLE_PLUGIN), None)
    if spring or (plugin and plugin.group(1) == "org.springframework.boot"):
        evidence = [spring or source.evidence("Spring Boot plugin", plugin.start())]
        project.framework = Framework(name="Spring Boot", evidence=evidence, confidence="high")
        jar = f"{project.name}-{version}.jar" if version else "*.jar"
        project.start = Command(value=f"java -jar {output}/{jar}", evidence=evidence, confidence="medium")
        web = next((coordinates[c] for c in _WEB_STARTERS if c in coordinates), None)
        if web:
            project.default_port = Port(value=8080, evidence=[Evidence(file=web.file, line=web.line,
                                        detail="Spring Boot web listens on 8080 by default")], confidence="low")
        actuator = coordinates.get("org.springframework.boot:spring-boot-starter-actuator")
        if actuator:
            project.health = HealthCheck(path="/actuator/health", evidence=[actuator], confidence="high")
        return True
    quarkus = next((coordinates[c] for c in coordinates if c.startswith("io.quarkus:")), None)
    if quarkus or (plugin and plugin.group(1) == "io.quarkus"):
        evidence = [quarkus or source.evidence("Quarkus plugin", plugin.start())]
        project.framework = Framework(name="Quarkus", evidence=evidence, confidence="high")
        base = "target" if maven else "build"
        project.start = Command(value=f"java -jar {base}/quarkus-app/quarkus-run.jar", evidence=evidence,
                                confidence="high")
        project.default_port = Port(value=8080, evidence=[Evidence(file=source.path,
                                    detail="Quarkus listens on 8080 by default")], confidence="low")
        health = coordinates.get("io.quarkus:quarkus-smallrye-health")
        if health:
            project.health = HealthCheck(path="/q/health", evidence=[health], confidence="high")
        return True
    return False
