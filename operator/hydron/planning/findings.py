"""Best-practice findings a reviewer should see, read from the analysis of each service."""

from __future__ import annotations

import re

from hydron.analysis.models import Analysis, Service
from hydron.api.infraplan import Finding
from hydron.planning.dockerfiles.sqlx import sqlx_build

DEV_SERVERS = (
    (re.compile(r"\b(?:npm|yarn|pnpm|bun)\s+(?:run\s+)?dev\b"), "a package script named dev"),
    (re.compile(r"\bnext\s+dev\b"), "next dev"),
    (re.compile(r"\bnuxt\s+dev\b|\bnuxi\s+dev\b"), "nuxt dev"),
    (re.compile(r"\bvite(?:\s|$)(?!build|preview)"), "the Vite dev server"),
    (re.compile(r"\bnodemon\b|\bts-node-dev\b|\btsx\s+watch\b"), "a file watcher"),
    (re.compile(r"\bflask\s+run\b"), "flask run"),
    (re.compile(r"manage\.py\s+runserver\b"), "Django's runserver"),
    (re.compile(r"--reload\b"), "auto-reload"),
    (re.compile(r"\bphp\s+artisan\s+serve\b"), "php artisan serve"),
    (re.compile(r"\bphp\s+-S\b"), "PHP's built-in server"),
    (re.compile(r"\bmix\s+phx\.server\b.*--?\s*iex|\biex\b"), "an interactive shell"),
)
LOCKING_MANAGERS = {"npm", "yarn", "pnpm", "bun", "poetry", "uv", "pipenv", "bundler", "composer", "cargo", "go", "mix"}
_CREDENTIAL_WORDS = re.compile(r"(?:^|_)(?:SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|ACCESS_KEY)(?:_|$)")


def dev_server(command: str) -> str | None:
    """What kind of development server a start command runs, if it is one."""
    return next((what for pattern, what in DEV_SERVERS if pattern.search(command)), None)


def service_findings(service: Service, *, generated: bool, start_command: str | None) -> list[Finding]:
    where = f"services[{service.name}]"
    out: list[Finding] = []
    role = service.role.value
    if role == "web" and service.health_check is None:
        out.append(Finding(severity="Warning", source="Analysis", field=f"{where}.healthCheck",
                           message=f"No health endpoint was found for {service.name}; Docker only checks that its "
                                   "port accepts connections. Add a /healthz route (or set healthCheckPath on the "
                                   "Application) so a broken release is caught and rolled back."))
    if start_command and (what := dev_server(start_command)):
        php = service.language and service.language.name == "php" and generated
        out.append(Finding(severity="Info" if php else "Warning", source="Analysis", field=f"{where}.startCommand",
                           message=(f"The repository starts {service.name} with {what}; the generated image serves "
                                    "it with Apache instead." if php else
                                    f"{service.name} starts with {what} ({start_command!r}), a development server: "
                                    "slow, verbose and not hardened. Set a production start command.")))
    manager = service.package_manager
    if manager and manager.name in LOCKING_MANAGERS and not manager.lockfile and generated:
        out.append(Finding(severity="Warning", source="Analysis", field=f"{where}.packageManager",
                           message=f"{service.name} has no {manager.name} lockfile: every build may install different "
                                   "dependency versions. Commit the lockfile."))
    if role in ("web", "worker") and not start_command and generated:
        out.append(Finding(severity="Error", source="Planning", field=f"{where}.startCommand",
                           message=f"No start command is known for {service.name}: set services[].startCommand on "
                                   "the Application, or ask for one in a change request."))
    if service.port and service.port.confidence == "low" and role == "web":
        out.append(Finding(severity="Info", source="Analysis", field=f"{where}.port",
                           message=f"Port {service.port.value} is {service.framework.name if service.framework else 'the'} "
                                   "default, not stated in the repository; set services[].port on the Application "
                                   "if the service listens elsewhere."))
    for var in service.env:
        if var.secret and not var.required and _CREDENTIAL_WORDS.search(var.name.upper()):
            out.append(Finding(severity="Warning", source="Analysis", field=f"{where}.env[{var.name}]",
                               message=f"{var.name} looks like a credential but the code falls back to a default "
                                       "when it is unset; make sure production sets it."))
    return out


def analysis_findings(analysis: Analysis) -> list[Finding]:
    out = [Finding(severity="Info", source="Analysis", message=w) for w in analysis.warnings]
    if analysis.truncated:
        out.append(Finding(severity="Warning", source="Analysis",
                           message="The analysis stopped at a limit before reading the whole repository; the plan "
                                   "may miss services, variables or dependencies."))
    for store in analysis.databases:
        if store.file_database and store.used_by:
            where = f" ({store.file_path})" if store.file_path else ""
            out.append(Finding(
                severity="Warning", source="Analysis", field=f"databases[{store.name}]",
                message=f"{', '.join(store.used_by)} keeps its data in a {store.kind} file{where} inside its "
                        "container; without a persistent volume at that path the data is lost at the next release."))
    out += [finding for service in analysis.services if (finding := _sqlx_finding(service, analysis))]
    return out


def _sqlx_finding(service: Service, analysis: Analysis) -> Finding | None:
    """sqlx's query macros check every query against a database while compiling: what the generated image does
    about it, and the committed offline data that makes the build fast and database-free."""
    build = sqlx_build(service, analysis)
    if service.dockerfile or service.image or build is None or build.offline_data:
        return None
    prepare = ("run `cargo sqlx prepare` and commit the offline data it writes (.sqlx/, sqlx-data.json before "
               "sqlx 0.7)")
    where = f"services[{service.name}].buildCommand"
    if build.needs_database:
        return Finding(severity="Info", source="Analysis", field=where,
                       message=f"{service.name} uses sqlx's query macros (query!, query_as!), which check every query "
                               "against a database while compiling, and the repository commits no offline data: the "
                               f"generated image starts a throwaway {build.backend} database in its build step, "
                               f"applies the migrations in {build.migrations}/ and compiles against it. For faster "
                               f"builds that need no database, {prepare}.")
    return Finding(severity="Warning", source="Analysis", field=where,
                   message=f"{service.name} uses sqlx's query macros (query!, query_as!), which check every query "
                           "against a database while compiling; the repository commits no offline data, and no sqlx "
                           "migrations of a database the build can run, so the image build fails (`DATABASE_URL` "
                           f"must be set to use query macros). Fix: {prepare}.")
