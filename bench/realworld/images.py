"""Do the corpus apps' images build and answer? The real engine, the plan's own datastores beside them.

    nice -n 10 python3 bench/realworld/images.py --checkouts DIR [--only NAME ...] [--results FILE] [--resume] [--logs DIR]

(First `HYDRON_BENCH_IMAGES=1 bash hack/base-images.sh`: the older and newer toolchains corpus apps
ask for are stand-ins the test suite does not build.)

For every truth file marked buildable_here, analyses the checkout, makes the rules-only plan,
and for each planned web or static service: builds its Dockerfile (the repository's own or
the generated one) with the local engine (classic builder, never pulling), starts the
datastores the plan runs beside it on a private network with the plan's env and generated
secrets, starts the service the way the plan says, and probes its health check from this
machine until it answers (2xx/3xx), the container exits, or the deadline passes.

When the repository's Dockerfile needs a base image this machine cannot make, the image
built is the one Hydron generates for that service when a repository has no Dockerfile
(the checkout analysed again without its Dockerfiles).

A datastore image of another tag than the local one (postgres:18.1 where the test bed has
postgres:16) runs as the local image of the same name, noted on the outcome: what is under
test is the app's image, not the datastore's version.

Prints one line per service (passed, failed with the first error, or not runnable here:
a base or datastore image this machine cannot make) and the pass rate over the services
that could be tried. --results appends one JSON line per service; --resume skips the apps
already in that file, except those that were not runnable here. A line with status
not-tried (a runner that stopped an app at its time cap writes one) counts apart, and so
does --no-build, which sorts the services of the apps a time-boxed run did not reach into
not runnable here and not tried, building nothing. --report prints the summary of
--results per ecosystem without running anything. Everything it made (containers,
network, volumes, images) is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import http.client
import json
import re
import socket
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "operator"))
sys.path.insert(0, str(HERE))

import docker  # noqa: E402
import docker.errors  # noqa: E402

from hydron.analysis import analyze  # noqa: E402
from hydron.api.application import ApplicationSpec  # noqa: E402
from hydron.planning import PlanInputs, plan  # noqa: E402
from hydron.planning.dockerfiles import build_context, generate_dockerfile, image_port  # noqa: E402
from hydron.planning.dockerfiles.images import satisfies  # noqa: E402
from hydron.planning.secrets import password, secret_data  # noqa: E402
from truth import load_all  # noqa: E402

LABEL = "dev.hydron.bench.images"
DOCKERFILE = re.compile(r"^(?:Dockerfile(?:\..+)?|.+\.[Dd]ockerfile)$")
BUILD_TIMEOUT_S = 2400
ANSWER_DEADLINE_S = 150.0
# the public name the plan routes to the app, and the Host the probe asks for (an allow-list of hosts such as
# Django's ALLOWED_HOSTS is planned from it)
PUBLIC_HOST = "app.example.com"
CPU_SHARES = 256  # below the default 1024: the bench yields to everything else on the machine
STRONG_ERROR = re.compile(r"^(?:error|err!|fatal|npm err!|E:)|\berror(?:\[\w+\])?:|ERR_|is out of date|No matching distribution"
                          r"|Could not find|cannot find|not found:", re.I)
# the classic builder's own lines, never the error: its summary and its step bookkeeping
_ENGINE_LINE = re.compile(r"^(?:The command '|Removing intermediate container |---> |Running in )")
ERROR_WORDS = re.compile(r"\b(error|err!|failed|fatal|cannot|could not|not found|no such|exception)\b", re.I)


@dataclass
class Outcome:
    app: str
    service: str
    origin: str  # Repository / Generated
    status: str  # passed / failed / not-here / not-tried
    stage: str = ""  # plan / build / start / answer
    error: str = ""
    seconds: float = 0.0
    note: str = ""  # what ran in place of what the plan named (a datastore's local tag)


def base_images(dockerfile: str, args: dict[str, str]) -> set[str]:
    """The FROM images that are not earlier stages, with ARG defaults substituted."""
    defaults = dict(args)
    stages, bases = set(), set()
    for line in dockerfile.splitlines():
        words = line.strip().split()
        if not words:
            continue
        if words[0].upper() == "ARG" and len(words) > 1 and "=" in words[1]:
            name, _, value = words[1].partition("=")
            defaults.setdefault(name, value.strip("\"'"))
        if words[0].upper() != "FROM":
            continue
        rest = [w for w in words[1:] if not w.startswith("--")]
        if not rest:
            continue
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), rest[0])
        if len(rest) >= 3 and rest[1].upper() == "AS":
            stages.add(rest[2].lower())
        if image.lower() not in stages and image.lower() != "scratch":
            bases.add(image)
    return bases


def first_error(log: str, limit: int = 400) -> str:
    """The failing step and the first line of its output that reads like an error."""
    steps = [m.start() for m in re.finditer(r"^Step \d+/\d+ : ", log, re.M)]
    tail = log[steps[-1]:] if steps else log
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    if not lines:
        return "(no build output)"
    step = lines[0] if steps else ""
    # neither the engine's own summary nor the generated Dockerfile's notices (hydron: lock out of date...) are the error;
    # a notice starts a retry, so what failed the step is after the last one (the first attempt's error was handled)
    # read through the terminal colours: "\x1b[91mError: ..." is an error line like any other
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in lines]
    notices = [i for i, line in enumerate(lines) if line.startswith("hydron:")]
    body = [line for line in lines[notices[-1] + 1 if notices else 1:] if line and not _ENGINE_LINE.match(line)]
    hit = (next((line for line in body if STRONG_ERROR.search(line)), None) or _python_exception(body)
           or next((line for line in body if ERROR_WORDS.search(line)), None) or (body or lines)[-1])
    if _PIP_WRAPPER.search(hit):
        hit = _pip_build_error(body, body.index(hit)) or hit
    if _FETCH_FAILED.search(hit):
        hit = _with_unreachable_host(body, body.index(hit), hit)
    step = step if len(step) <= 120 else step[:117] + "..."  # a long RUN line must leave room for the error itself
    engine = _ENGINE_WANTED.search("\n".join(body)) if _ENGINE_REFUSED.search(hit) else None
    if engine and engine.group(0) not in hit:  # pnpm says which Node it wanted on the lines below
        hit = f"{hit} (Expected version: {engine.group(1)} Got: {engine.group(2)})"
    return (f"{step} -> {hit}" if step else hit)[:limit]


# Node's fetch says only "fetch failed"; the host it could not reach is in the cause printed below it
# (astrowind: Astro sizes its remote images at build time, "Caused by: getaddrinfo ENOTFOUND plus.unsplash.com")
_FETCH_FAILED = re.compile(r"fetch failed\b")  # glued to the line before by a colour code
_UNREACHED = re.compile(r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN) [\w.-]+")


def _with_unreachable_host(body: list[str], index: int, hit: str) -> str:
    cause = next((m.group(0) for line in body[index + 1:index + 20] for m in [_UNREACHED.search(line)] if m), None)
    return f"{hit} (caused by {cause})" if cause else hit


# A package manager refusing the image's Node: pnpm's error, then "Expected version: ^22.21.0" / "Got: v22.20.0"
# lines below it; yarn's on one line: `The engine "node" is incompatible ... Expected version ">=20". Got "18.1.0"`
_ENGINE_REFUSED = re.compile(r"ERR_PNPM_UNSUPPORTED_ENGINE|The engine \"node\" is incompatible", re.I)
_ENGINE_WANTED = re.compile(r"Expected version:?\s*\"?([^\"\n]+?)\"?\.?\s+Got:?\s*\"?(v?\d+(?:\.\d+)*)\"?", re.I)


# the line a Python traceback ends with: the exception raised last (a chain's "During handling of the above
# exception" is not it)
_TRACEBACK = "Traceback (most recent call last):"
_PY_EXCEPTION = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Configured|Exit|Warning|Interrupt)\b(?::|$)")


def _python_exception(body: list[str]) -> Optional[str]:
    if not any(_TRACEBACK in line for line in body):
        return None
    return next((line for line in reversed(body) if _PY_EXCEPTION.match(line)), None)


# pip's wrapper around a package whose own build failed: the package is the one it was collecting or
# building last, the cause is in the build's output it quotes up to "[end of output]"
_PIP_WRAPPER = re.compile(r"subprocess-exited-with-error")
_PIP_PACKAGE = re.compile(r"^(?:Collecting|Building wheel for)\s+([^\s(]+)")
_PIP_OUTPUT_END = "[end of output]"
_PIPENV = re.compile(r"^\[pipenv\.exceptions\.\w+\]:\s*")  # pipenv quotes pip's output behind this


def _pip_build_error(body: list[str], index: int) -> Optional[str]:
    """"psycopg-c==3.3.4: error: ... 'pg_config'" for pip's "error: subprocess-exited-with-error" at body[index]."""
    package = next((m.group(1) for line in reversed(body[:index]) if (m := _PIP_PACKAGE.match(_PIPENV.sub("", line)))),
                   None)
    output = body[index + 1:]
    output = output[:next((i for i, line in enumerate(output) if _PIP_OUTPUT_END in line), len(output))]
    cause = (next((line for line in reversed(output) if STRONG_ERROR.search(line)), None)
             or next((line for line in reversed(output) if ERROR_WORDS.search(line)), None))
    if cause is None:
        return None
    cause = _PIPENV.sub("", cause).strip()
    return f"{package}: {cause}" if package else cause


def _exists(client, image: str) -> bool:
    try:
        client.images.get(image)
        return True
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError:
        return False


# The test bed's MariaDB stands in under mysql's names (hack/testbed/README.md), so a plan's mariadb runs as it.
SAME_SERVER = {"mariadb": "mysql"}


def local_stand_in(image: str, local_tags: list[str]) -> Optional[str]:
    """A local image of the same datastore under another tag (postgres:18.1 → postgres:16), if any."""
    name = image.rsplit("@", 1)[0]
    repository = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
    wanted = {repository, SAME_SERVER.get(repository, repository)}
    return next((tag for tag in sorted(local_tags) if tag.rsplit(":", 1)[0] in wanted), None)


STORE_READY_DEADLINE_S = 120.0


def _wait_ready(containers, stores) -> None:
    """Until each datastore's own health command passes (or the deadline): the rollout starts a service after what
    it depends on is healthy, and an app that connects once at start (miniflux) exits on a database still
    initialising. A store that never gets ready is left to the app's answer to show."""
    deadline = time.monotonic() + STORE_READY_DEADLINE_S
    for container, store in zip(containers, stores):
        command = store.health_check.command if store.health_check else None
        while command and time.monotonic() < deadline:
            container.reload()
            if container.status != "running" or container.exec_run(command).exit_code == 0:
                break
            time.sleep(1)  # polling the store's own check: there is no event to wait on


def _env(service, secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    env = {}
    for var in service.env:
        if var.value is not None:
            env[var.name] = var.value
        elif var.value_from is not None:
            ref = var.value_from.secret_key_ref
            env[var.name] = secrets.get(ref.name, {}).get(ref.key) or password(24)
    return env


def _secrets(spec) -> dict[str, dict[str, str]]:
    """Values for every planned Secret: generated ones the way the controller makes them, user ones invented."""
    made = {}
    for planned in spec.secrets:
        data = secret_data(planned)
        for key in planned.keys:
            data.setdefault(key.key, password(24))
        made[planned.name] = data
    return made


def _probe(port: int, path: Optional[str]) -> Optional[str]:
    """None when the service answered; else why not."""
    if path is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=3).close()
            return None
        except OSError as error:
            return f"TCP connect: {error}"
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path, headers={"Host": PUBLIC_HOST})
        status = conn.getresponse().status
        conn.close()
    except (OSError, http.client.HTTPException) as error:
        return f"GET {path}: {error or type(error).__name__}"
    return None if status < 400 else f"GET {path}: HTTP {status}"


class Runner:
    def __init__(self, checkouts: Optional[Path] = None, keep_images: bool = False, labels: Optional[dict] = None,
                 build: bool = True, logs: Optional[Path] = None):
        self.checkouts = checkouts
        self.keep_images = keep_images
        self.build = build  # False: only sort the services into not runnable here and not tried
        self.logs = logs  # where each build's whole output goes (APP-SERVICE.log): the first error is a summary
        self.labels = {LABEL: "1", **(labels or {})}  # on everything it makes, so a test run can find its leftovers
        self.client = docker.from_env(timeout=BUILD_TIMEOUT_S)

    def app(self, app) -> list[Outcome]:
        return self.run(app.name, self.checkouts / app.checkout / (app.subdir or ""), f"https://github.com/{app.repo}.git")

    def run(self, name: str, root: Path, git_url: str = "https://git.example.com/app.git") -> list[Outcome]:
        """Analyse and plan the checkout at root, then build, start and probe each web or static service."""
        started = time.monotonic()
        try:
            analysis = analyze(root)
            spec = plan(PlanInputs(name, ApplicationSpec.model_validate({"source": {"git": {"url": git_url}},
                                                                  "domains": [PUBLIC_HOST]}),
                                   analysis)).spec
        except Exception as error:  # noqa: BLE001 - a crash is the finding
            return [Outcome(name, "*", "", "failed", "plan", f"{type(error).__name__}: {error}")]
        targets = [s for s in spec.services if s.context is not None and s.role in ("web", "static")]
        if not targets:
            return [Outcome(name, "*", "", "failed", "plan", "no web or static service with a build in the plan")]
        stores = {s.name: s for s in spec.services if s.image and s.role in ("database", "cache", "broker")}
        secrets = _secrets(spec)
        return [self._service(name, root, service, spec, stores, secrets, started, analysis) for service in targets]

    @staticmethod
    def _generated(root: Path, path: str) -> Optional[tuple[str, str, Optional[int]]]:
        """(context, Dockerfile text, port) Hydron generates for the service at path if the repository had no
        Dockerfile: analysed again without them, since a Dockerfile's CMD (/opt/CTFd/docker-entrypoint.sh) and
        ports belong to its own image's layout, not to a generated one."""
        with tempfile.TemporaryDirectory(prefix="hydron-bench-") as scratch:
            shadow = Path(scratch) / root.name  # the same folder name: services keep their names
            shutil.copytree(root, shadow, symlinks=True, copy_function=os.link,
                            ignore=lambda _dir, names: [n for n in names if DOCKERFILE.match(n) or n == ".git"])
            analysis = analyze(shadow)
        found = next((s for s in analysis.services if s.path == path and s.role.value in ("web", "static")), None)
        if found is None:
            return None
        text = generate_dockerfile(found, analysis)
        return (build_context(found), text, image_port(found)) if text else None

    def _service(self, app_name, root, service, spec, stores, secrets, started, analysis) -> Outcome:
        out = Outcome(app_name, service.name, service.dockerfile_origin or "", "failed")
        context = root / service.context
        generated = service.dockerfile if service.dockerfile_origin == "Generated" else None
        port, command = service.port, service.command or None
        listens: dict[str, str] = {}
        if generated is None:
            dockerfile_name = service.dockerfile
            text = (context / dockerfile_name).read_text(errors="replace")
            absent = sorted(b for b in base_images(text, {}) if not _exists(self.client, b))
            analysed = next((s for s in analysis.services if s.name == service.name), None)
            fallback = self._generated(root, analysed.path) if absent and analysed else None
            if fallback:  # the repository's base images cannot be made here: try what Hydron would generate
                context, generated, port = root / fallback[0], fallback[1], fallback[2] or port
                command = None  # the generated image's own CMD: the plan's command fits the repository's image
                listens = {"PORT": str(port)} if port else {}  # the plan's PORT was the repository image's
                out.origin = f"Generated (repository's needs {', '.join(absent)})"
        if generated is not None:
            dockerfile_name = f".hydron-bench-{uuid.uuid4().hex[:6]}.Dockerfile"
            text = generated
            (context / dockerfile_name).write_text(text)
        needed = {name: stores[name] for name in service.depends_on if name in stores}
        missing = sorted(b for b in base_images(text, {}) if not _exists(self.client, b))
        store_images = {}
        local_tags = [t for image in self.client.images.list() for t in image.tags]
        for name, store in needed.items():
            local = store.image if _exists(self.client, store.image) else local_stand_in(store.image, local_tags)
            if local is None:
                missing.append(store.image)
            elif local != store.image:
                store_images[name] = local
                out.note = "; ".join(filter(None, [out.note, f"{store.image} ran as {local}"]))
        if missing:
            out.status, out.stage, out.error = "not-here", "build", "no local image " + ", ".join(missing)
            return self._done(out, started, context / dockerfile_name if generated is not None else None)
        if not self.build:
            out.status, out.error = "not-tried", "not built: the run ended before this app (--no-build)"
            return self._done(out, started, context / dockerfile_name if generated is not None else None)
        tag = f"hydron-bench/{app_name}-{service.name}:{uuid.uuid4().hex[:8]}".lower()
        made: list = []
        network = None
        try:
            out.stage = "build"
            log = []
            try:
                for chunk in self.client.api.build(path=str(context), dockerfile=dockerfile_name, tag=tag, pull=False,
                                                   rm=True, forcerm=True, decode=True, labels=self.labels,
                                                   container_limits={"cpushares": CPU_SHARES}):
                    log.append(str(chunk.get("stream") or chunk.get("error") or ""))
                    if self.logs is not None:
                        with (self.logs / f"{app_name}-{service.name}.log").open("a" if len(log) > 1 else "w") as saved:
                            saved.write(log[-1])
                    if "error" in chunk:
                        out.error = first_error("".join(log))
                        return out
            except (docker.errors.APIError, OSError) as error:
                out.error = f"build: {error}"[:400]
                return out
            out.stage = "start"
            network = self.client.networks.create(f"hydron-bench-{uuid.uuid4().hex[:8]}", labels=self.labels)
            for name, store in needed.items():
                made.append(self.client.containers.run(
                    store_images.get(name, store.image), detach=True, environment=_env(store, secrets), labels=self.labels,
                    network=network.name, name=f"{network.name}-{name}", hostname=name,
                    command=store.command or None,
                    networking_config={network.name: self.client.api.create_endpoint_config(aliases=[name])}))
            _wait_ready(made, [needed[name] for name in needed])
            container = self.client.containers.run(
                tag, detach=True, environment={**_env(service, secrets), **listens}, labels=self.labels, network=network.name,
                command=command, ports={f"{port}/tcp": ("127.0.0.1", None)} if port else {},
                volumes={f"{network.name}-{v.name}": {"bind": v.path, "mode": "rw"} for v in service.volumes})
            made.append(container)
            out.stage = "answer"
            health = service.health_check
            path = health.path if health else None
            deadline = time.monotonic() + ANSWER_DEADLINE_S
            why = "no port planned"
            while port and time.monotonic() < deadline:
                container.reload()
                if container.status in ("exited", "dead"):
                    tail = container.logs(tail=15).decode(errors="replace").strip().splitlines()
                    hit = next((line for line in tail if ERROR_WORDS.search(line)), tail[-1] if tail else "")
                    why = f"exited {container.attrs['State'].get('ExitCode')}: {hit.strip()[:300]}"
                    break
                bound = (container.attrs["NetworkSettings"]["Ports"] or {}).get(f"{port}/tcp")
                if bound:
                    why = _probe(int(bound[0]["HostPort"]), path)
                    if why is None:
                        out.status, out.stage = "passed", ""
                        return out
                time.sleep(2)  # polling the app's startup, there is no event to wait on
            out.error = why or "no answer"
            if out.stage == "answer" and not out.error.startswith("exited"):
                logs = container.logs(tail=8).decode(errors="replace").strip().splitlines()
                hit = next((line for line in logs if ERROR_WORDS.search(line)), "")
                out.error += f" (log: {hit.strip()[:200]})" if hit else ""
            return out
        except docker.errors.APIError as error:
            out.error = str(error)[:400]
            return out
        finally:
            self._cleanup(made, network, tag)
            self._done(out, started, context / dockerfile_name if generated is not None else None)

    def _done(self, out: Outcome, started: float, generated: Optional[Path]) -> Outcome:
        out.seconds = round(time.monotonic() - started, 1)
        if generated is not None:
            generated.unlink(missing_ok=True)
        return out

    def _cleanup(self, containers, network, tag) -> None:
        for container in containers:
            try:
                container.remove(force=True, v=True)
            except docker.errors.APIError:
                pass
        if network is not None:
            volumes = self.client.volumes.list(filters={"name": network.name})
            try:
                network.remove()
            except docker.errors.APIError:
                pass
            for volume in volumes:
                try:
                    volume.remove(force=True)
                except docker.errors.APIError:
                    pass
        if not self.keep_images:
            try:
                self.client.images.remove(tag, force=True)
            except docker.errors.APIError:
                pass


def latest(outcomes: list[Outcome]) -> list[Outcome]:
    """Each app's outcomes from its last run only: a rerun after a fix replaces the earlier lines."""
    last: dict[str, list[Outcome]] = {}
    for out in outcomes:
        runs = last.setdefault(out.app, [])
        if any(o.service == out.service for o in runs) or (runs and (out.service == "*") != (runs[0].service == "*")):
            runs.clear()  # the same service again, or a run of another shape: a new run of the app
        runs.append(out)
    return [o for runs in last.values() for o in runs]


# A build that failed because this machine's network or stand-ins fell short, not the image Hydron made:
# a host the registries redirect to that is unreachable from here, a module the proxy refuses, a
# toolchain stand-in older than the code asks for (and older_stand_in below).
MACHINE_FAULTS = re.compile(
    r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|\b403 Forbidden\b|Failed to download `|could not be downloaded"
    r"|All attempts to connect to \S+ failed|requires rustc \d"
    # corepack: a package manager from its own host (repo.yarnpkg.com), or registry metadata without signatures;
    # node-gyp: the Node headers from nodejs.org
    r"|Error when performing the request to|No compatible signature found in package metadata"
    r"|most likely not a problem with node-gyp or the package itself"
    # next/font/google downloads the fonts at build time (Turbopack: "Error while requesting resource")
    r"|issue establishing a connection while requesting|from Google Fonts|Error while requesting resource"
    # bun: a tarball a lockfile pins to its own host (midday's xlsx from cdn.sheetjs.com)
    r"|DNSResolveFailed downloading", re.I)


def machine_fault(outcome: Outcome) -> bool:
    return outcome.status == "failed" and bool(MACHINE_FAULTS.search(outcome.error) or older_stand_in(outcome.error))


def older_stand_in(error: str) -> bool:
    """A package manager refused the image's Node, and the newest release of that Node line (what the tag is on
    Docker Hub) would do: the stand-in built here is older than the tag it stands in for (node:20-slim is 20.18)."""
    wanted = _ENGINE_WANTED.search(error) if _ENGINE_REFUSED.search(error) else None
    if wanted is None:
        return False
    got = tuple(int(p) for p in wanted.group(2).lstrip("v").split("."))
    newest = got[:1] + (10**6, 10**6)
    return not satisfies(wanted.group(1), got) and bool(satisfies(wanted.group(1), newest))


def summary(outcomes: list[Outcome]) -> str:
    """Pass rate over the services tried, and over those whose outcome was the product's (failures
    that were this machine's fault left out); not runnable here and not tried (time cap) apart."""
    tried = [o for o in outcomes if o.status in ("passed", "failed")]
    passed = [o for o in tried if o.status == "passed"]
    machine = sum(machine_fault(o) for o in tried)
    apps = {o.app for o in tried}
    apps_passed = {a for a in apps if all(o.status == "passed" for o in tried if o.app == a)}

    def rate(n: int, of: int) -> str:
        return f"{100 * n / of:.1f}%" if of else "n/a"

    here = sum(o.status == "not-here" for o in outcomes)
    untried = sum(o.status == "not-tried" for o in outcomes)
    return (f"services: {len(passed)}/{len(tried)} build and answer ({rate(len(passed), len(tried))}); "
            f"{machine} failed for this machine ({len(passed)}/{len(tried) - machine} = "
            f"{rate(len(passed), len(tried) - machine)} of the product's); {here} not runnable here; "
            f"{untried} not tried (time); apps: {len(apps_passed)}/{len(apps)} with every service")


def report(outcomes: list[Outcome], ecosystems: dict[str, str]) -> str:
    """The summary per ecosystem (the app's first service's language in its truth file), then overall."""
    lines = []
    for kind in sorted({ecosystems.get(o.app, "?") for o in outcomes}):
        lines.append(f"{kind:8} {summary([o for o in outcomes if ecosystems.get(o.app, '?') == kind])}")
    lines.append(f"{'all':8} {summary(outcomes)}")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkouts", required=True, type=Path)
    parser.add_argument("--only", action="append", help="app name (repeatable)")
    parser.add_argument("--results", type=Path, help="append one JSON line per service here")
    parser.add_argument("--resume", action="store_true", help="skip the apps already in --results (not those not runnable here)")
    parser.add_argument("--keep-images", action="store_true")
    parser.add_argument("--no-build", action="store_true",
                        help="build nothing: record each service as not runnable here or not tried")
    parser.add_argument("--logs", type=Path, help="write each build's whole output to DIR/APP-SERVICE.log")
    parser.add_argument("--report", action="store_true", help="only print the summary of --results, per ecosystem")
    args = parser.parse_args(argv)
    done: list[Outcome] = []
    if (args.resume or args.report) and args.results and args.results.exists():
        done = latest([Outcome(**json.loads(line)) for line in args.results.read_text().splitlines() if line.strip()])
    if args.report:
        ecosystems = {a.name: ((a.services[0].language or a.services[0].role) if a.services else "?") for a in load_all("apps", None)}
        for out in sorted(done, key=lambda o: (ecosystems.get(o.app, "?"), o.app)):
            print(f"{out.app:28} {out.service:24} {out.status:9} {out.stage + ': ' if out.stage else ''}{out.error}"
                  f"{' [' + out.note + ']' if out.note else ''}")
        print(report(done, ecosystems))
        return 0
    skip = {o.app for o in done if o.status != "not-here"}  # the machine may make that image now: try again
    apps = [a for a in load_all("apps", args.only) if a.buildable_here and a.name not in skip]
    runner = Runner(args.checkouts, args.keep_images, build=not args.no_build, logs=args.logs)
    outcomes = list(done)
    for app in apps:
        for out in runner.app(app):
            outcomes.append(out)
            print(f"{out.app:28} {out.service:24} {out.origin or '-':10} {out.status:8} {out.seconds:7.1f}s "
                  f"{out.stage + ': ' if out.stage else ''}{out.error}{' [' + out.note + ']' if out.note else ''}",
                  flush=True)
            if args.results:
                with args.results.open("a") as handle:
                    handle.write(json.dumps(asdict(out)) + "\n")
    print(summary(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
