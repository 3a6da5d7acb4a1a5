"""Application controller: source → analysis → plan → deployment, summarised in Ready.

`reconcile(app, generation, deps) -> Outcome` like every controller. Stages run in
order and each records its condition; a stage that cannot finish stops the pass with
a reason a person can act on. The InfraPlan and the Deployment are children the
Outcome asks to create or update (ApplyChild effects); their state is read back
through `deps` as models. The pinned commit is handed to the Deployment as a source
archive (hydron.source.artifacts), never as a path into this work directory. Fetching and analysing happen
only when something changed (the spec's source, or a new commit on the tracked
branch when its poll interval is due), so the level-based timer costs one cheap
`ls-remote` at most.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hydron import metrics
from hydron.analysis import Analysis, analyze
from hydron.analysis.models import Port, Service, ServiceRole
from hydron.api.application import (
    Application, ApplicationSpec, ApplicationStatus, GitSource, PlanningPolicy, PlanServerStatus, SourceStatus,
    TemplateSource,
)
from hydron.api.base import LocalObjectReference
from hydron.api.conditions import ANALYZED, DEPLOYED, PLANNED, SOURCE_READY, now, set_condition
from hydron.api.deployment import Deployment
from hydron.api.infraplan import InfraPlan, InfraPlanSpec, InfraPlanStatus
from hydron.api.server import Server
from hydron.controllers.common import ApplyChild, Outcome, Retry, conclude
from hydron.source import artifacts
from hydron.source import FetchedSource, FetchLimits, GitCredentials, SourceError, fetch_source, is_commit_ref, resolve_ref
from hydron.source.models import GitSource as FetchSpec
from hydron.planning import plan_server
from hydron.planning.handoff import deployment_spec, pulled_from_registry
from hydron.templates import (
    TemplateParameterError, UnknownTemplate, expand_template, resolve_parameters, template_repository,
)

log = logging.getLogger(__name__)

CONDITIONS = {
    SOURCE_READY: "Waiting for the source to be fetched and pinned.",
    ANALYZED: "Waiting for the code to be analysed.",
    PLANNED: "Waiting for an approved InfraPlan.",
    DEPLOYED: "Waiting for the Deployment to answer over HTTPS.",
}

APPLICATION_LABEL = "hydron.dev/application"

ReadSecretData = Callable[[str], Awaitable[dict[str, str]]]
"""read_secret_data(secret_name) -> the Secret's decoded data, in the app's namespace."""
GetPlan = Callable[[str], Awaitable[InfraPlan | None]]
GetDeployment = Callable[[str], Awaitable[Deployment | None]]
GetBody = Callable[[str], Awaitable[dict | None]]
"""get_server_body(name): the Server object as stored (metadata and spec), or None."""


def checkout_dir(workdir: Path, namespace: str, app: str) -> Path:
    """Where an app's checkout lives (this controller's own scratch space)."""
    return workdir / "sources" / namespace / app


@dataclass
class ApplicationDeps:
    """What a reconcile needs from outside: identity, a scratch directory, Secrets and
    the children's current state. Without get_plan the pass stops after the analysis."""

    namespace: str
    name: str
    workdir: Path
    read_secret_data: ReadSecretData
    get_plan: GetPlan | None = None
    get_deployment: GetDeployment | None = None
    get_server_body: GetBody | None = None
    fetch_limits: FetchLimits = FetchLimits()
    refresh: str | None = None
    """The Application's refresh request (annotation): a new value means look now."""

    @property
    def checkout(self) -> Path:
        return checkout_dir(self.workdir, self.namespace, self.name)


async def reconcile(app: Application, generation: int | None, deps: ApplicationDeps) -> Outcome:
    """Bring the Application's status up to date with its spec; the children to create
    or update are in the Outcome's effects."""
    status = conclude(app.status or ApplicationStatus(), generation, CONDITIONS)
    source = app.spec.source
    effects: list = []
    if source.git is not None:
        status, retry = await _git_source(source.git, status, generation, deps)
        if retry is not None:
            return Outcome(conclude(status, generation, CONDITIONS), retry=Retry(retry))
    elif source.image is not None:
        status = _image_source(source.image.name, source.image.port, status, generation)
    elif source.template is not None:
        status, retry = await _template_source(source.template, app.spec.domains, status, generation, deps)
        if retry is not None:
            return Outcome(conclude(status, generation, CONDITIONS), retry=Retry(retry))
    if deps.get_plan is not None and _is_true(status, ANALYZED):
        plan = await deps.get_plan(deps.name)
        status = _planned(status, generation, deps.name, plan)
        children: list[ApplyChild] = []
        if plan is not None and deps.get_deployment is not None and _is_true(status, PLANNED):
            status, children = await _deploy(status, generation, plan, app.spec, deps)
        effects += [plan_child(deps.name, inputs_key(status, generation)), *children]
    return Outcome(conclude(status, generation, CONDITIONS), effects=effects)


def plan_child(name: str, inputs: str) -> ApplyChild:
    """The app's InfraPlan: created once (the planner owns its spec afterwards); a new
    `inputs` value asks it to look at the Application again."""
    return ApplyChild(InfraPlan.kind, InfraPlan.plural, name, {"applicationRef": {"name": name}},
                      labels={APPLICATION_LABEL: name}, inputs=inputs, create_only=True)


def deployment_child(name: str, spec: dict) -> ApplyChild:
    """The app's Deployment, made exactly this spec but for spec.rollbackTo (a person's)."""
    return ApplyChild(Deployment.kind, Deployment.plural, name, spec, labels={APPLICATION_LABEL: name},
                      keep=("rollbackTo",))


def _is_true(status: ApplicationStatus, type_: str) -> bool:
    return any(c.type == type_ and c.status == "True" for c in status.conditions)


# --- plan --------------------------------------------------------------------------


def inputs_key(status: ApplicationStatus, generation: int | None) -> str:
    """Changes whenever the plan's inputs may have: a new commit analysed, a new spec."""
    source = status.source or SourceStatus()
    pinned = source.analyzed_commit or source.image or source.template or "none"
    key = f"{pinned}/{generation}"
    if status.server is not None and status.server.overrides:  # the plan lists a person's edits on its Server
        key += "/" + hashlib.sha256("\n".join(status.server.overrides).encode()).hexdigest()[:12]
    return key


def _planned(status: ApplicationStatus, generation: int | None, name: str, plan: InfraPlan | None) -> ApplicationStatus:
    """Mirror where the InfraPlan stands in Planned."""
    type_, reason, message = planned_condition(name, plan.status if plan else None)
    conditions = set_condition(status.conditions, PLANNED, type_, reason, message, generation)  # type: ignore[arg-type]
    return status.model_copy(update={"conditions": conditions, "plan_ref": LocalObjectReference(name=name)})


# --- deploy ------------------------------------------------------------------------


async def _deploy(status: ApplicationStatus, generation: int | None, plan: InfraPlan, app: ApplicationSpec,
                  deps: ApplicationDeps) -> tuple[ApplicationStatus, list[ApplyChild]]:
    """Hand the approved plan (and the source archive, and spec.dns) to a Deployment and mirror how it goes
    in Deployed; with a provider account and no Server named, the Server is written from the plan first.
    An image source's image is pulled by the server and pinned; the refresh annotation looks its tag up again."""
    revision = status.source.commit if status.source else None
    spec = deployment_spec(plan.spec, deps.name, revision)
    children: list[ApplyChild] = []
    planning = app.planning
    if spec is None and planning.provider_account is not None:
        status, server = await _plan_server(status, generation, plan.spec, planning, deps)
        if server is None:
            return status, []
        children.append(server)
        named = plan.spec.server.model_copy(update={"server_ref": LocalObjectReference(name=server.name)})
        spec = deployment_spec(plan.spec.model_copy(update={"server": named}), deps.name, revision)
    if spec is not None and app.source.image is not None:
        spec = pulled_from_registry(spec, app.source.image, deps.refresh)
    if spec is not None and app.dns is not None:
        spec = spec.model_copy(update={"dns": app.dns})
    if spec is None:
        conditions = set_condition(
            status.conditions, DEPLOYED, "Unknown", "AwaitingServer", awaiting_server_message(plan.spec), generation
        )
        return status.model_copy(update={"conditions": conditions}), []
    if revision and status.source and status.source.commit:
        await _hand_over(status.source, deps)
    deployment = await deps.get_deployment(deps.name)  # type: ignore[misc]
    type_, reason, message, url = deployed_condition(deps.name, deployment)
    conditions = set_condition(status.conditions, DEPLOYED, type_, reason, message, generation)  # type: ignore[arg-type]
    status = status.model_copy(update={
        "conditions": conditions, "url": url, "deployment_ref": LocalObjectReference(name=deps.name),
    })
    return status, [*children, deployment_child(deps.name, spec.to_api())]


async def _plan_server(status: ApplicationStatus, generation: int | None, plan: InfraPlanSpec,
                       planning: PlanningPolicy, deps: ApplicationDeps) -> tuple[ApplicationStatus, ApplyChild | None]:
    """The Server (named after the app, owned by it) that orders the plan's offer with the
    account; None, with Deployed saying why, when it may not be written."""
    name = deps.name
    body = await deps.get_server_body(name) if deps.get_server_body is not None else None
    if body is not None and not plan_server.owned_by(body, name):
        message = (f"A Server named {name} exists and was not made by this Application; set "
                   f"spec.planning.serverRef to use it, or delete it to have Hydron order one.")
        return with_deployed(status, "False", "ServerNameTaken", message, generation), None
    recorded = status.server.applied if status.server is not None and status.server.name == name else []
    result = plan_server.server_from_plan(planning, plan, (body or {}).get("spec"), recorded)
    if isinstance(result, plan_server.Refusal):
        return with_deployed(status, "False", result.reason, result.message, generation), None
    status = status.model_copy(update={
        "server": PlanServerStatus(name=name, applied=result.applied, overrides=result.overrides)})
    child = ApplyChild(Server.kind, Server.plural, name, result.spec, labels={APPLICATION_LABEL: name}, keep=("address",))
    return status, child


def with_deployed(status: ApplicationStatus, value: str, reason: str, message: str,
                  generation: int | None) -> ApplicationStatus:
    conditions = set_condition(status.conditions, DEPLOYED, value, reason, message, generation)  # type: ignore[arg-type]
    return status.model_copy(update={"conditions": conditions})


async def _hand_over(source: SourceStatus, deps: ApplicationDeps) -> None:
    """Write the pinned commit's archive for the Deployment's build (once per commit)."""
    folder = artifacts.artifacts_dir(deps.workdir, deps.namespace, deps.name)
    dest = artifacts.artifact_path(deps.workdir, deps.namespace, deps.name, source.commit or "")
    if dest.exists():
        return
    tree = deps.checkout / source.path if source.path else deps.checkout
    await asyncio.to_thread(artifacts.write_artifact, tree, dest)
    await asyncio.to_thread(artifacts.prune, folder, artifacts.KEEP_ARTIFACTS, dest)


def awaiting_server_message(plan: InfraPlanSpec) -> str:
    """What to do when the plan recommends an offer but names no Server to use."""
    server = plan.server
    offer = " ".join(p for p in (server.provider, server.offer) if p) or "a server"
    price = f" (EUR {server.monthly_price:g}/month)" if server.monthly_price is not None else ""
    return (f"The plan recommends {offer}{price}. Set spec.planning.providerAccount to have Hydron order it, or "
            "order it yourself, create a Server for it, and set spec.planning.serverRef on the Application.")


def deployed_condition(name: str, deployment: Deployment | None) -> tuple[str, str, str, str | None]:
    """Deployed (and the URL), from the Deployment's own Ready condition."""
    status = deployment.status if deployment is not None else None
    ready = next((c for c in status.conditions if c.type == "Ready"), None) if status else None
    if status is None or ready is None:
        return "Unknown", "Deploying", f"Deployment {name} is starting.", None
    if ready.status == "True":
        return "True", "Available", ready.message or f"Deployment {name} is available.", (status.urls[0] if status.urls else None)
    return ready.status, ready.reason or "Deploying", f"Deployment {name}: {ready.message or ''}", None


def planned_condition(name: str, plan_status: InfraPlanStatus | None) -> tuple[str, str, str]:
    """Planned, from the InfraPlan's own conditions; says how to approve when waiting."""
    plan_status = plan_status or InfraPlanStatus()
    conditions = {c.type: c for c in plan_status.conditions}
    revision = plan_status.revision
    ready, valid, approved = conditions.get("Ready"), conditions.get("Valid"), conditions.get("Approved")
    if ready and ready.status == "True":
        return "True", "Approved", ready.message or f"InfraPlan {name} is approved."
    if valid and valid.status == "False":
        return "False", valid.reason or "InvalidPlan", f"InfraPlan {name}: {valid.message or ''}"
    if revision and approved and approved.status != "True":
        how = (f"kubectl patch infraplan {name} --type=merge -p '{{\"spec\":{{\"approval\":{{\"revision\":{revision}}}}}}}'"
               " (or set spec.planning.autoApprove)")
        return "Unknown", "AwaitingApproval", f"Revision {revision} of InfraPlan {name} waits for approval: {how}."
    return "Unknown", "Planning", f"InfraPlan {name} is being made."


def plan_view(name: str, plan: InfraPlan) -> str:
    """What a pass reads from the app's InfraPlan (the Planned it yields and the
    Deployment spec it makes), as a short digest: when it changes, the Application
    should look again at once rather than at its next resync. Nothing else: each
    nudge costs two writes."""
    handed = deployment_spec(plan.spec, name, None)
    return _digest([planned_condition(name, plan.status), handed.to_api() if handed else None])


def deployment_view(name: str, deployment: Deployment) -> str:
    """What a pass reads from the app's Deployment (Deployed and the URL), as a digest."""
    return _digest(deployed_condition(name, deployment))


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


# --- git ---------------------------------------------------------------------------


def _source_changed(spec: GitSource, recorded: SourceStatus | None) -> bool:
    """The spec asks for something other than what was fetched."""
    if recorded is None or recorded.commit is None:
        return True
    return (recorded.url, recorded.requested_ref, recorded.path) != (spec.url, spec.ref, spec.path)


def _refresh_asked(refresh: str | None, recorded: SourceStatus) -> bool:
    """A refresh request (a push webhook, or a person) not acted on yet."""
    return refresh is not None and refresh != recorded.refresh


def _poll_due(spec: GitSource, recorded: SourceStatus, at: datetime) -> bool:
    """A branch (or tag, which may move) is due for a look; a pinned commit never is."""
    if is_commit_ref(spec.ref):
        return False
    fetched = recorded.fetched_at
    return fetched is None or at - fetched >= timedelta(seconds=spec.poll_interval_seconds)


async def _credentials(spec: GitSource, ctx: ApplicationDeps) -> GitCredentials | None:
    if spec.credentials_secret_ref is None:
        return None
    data = await ctx.read_secret_data(spec.credentials_secret_ref.name)
    return GitCredentials.from_secret_data(data)


async def _git_source(
    spec: GitSource, status: ApplicationStatus, generation: int | None, ctx: ApplicationDeps
) -> tuple[ApplicationStatus, str | None]:
    """Pin a commit (fetching only when needed) and analyse it once.

    Returns the status and, when the failure can heal by itself, a retry message.
    """
    at = now()
    recorded = status.source
    try:
        # The credentials Secret is read only when the Git host is asked: an idle resync
        # (nothing changed, no poll due) makes no API request, whatever the app count.
        if _source_changed(spec, recorded) or not ctx.checkout.exists():
            fetched = await _fetch(spec, await _credentials(spec, ctx), ctx)
        elif _refresh_asked(ctx.refresh, recorded):
            # A push said the branch moved: fetch at once (an ls-remote first is one
            # more round trip to the Git host on the hot path).
            _observe_refresh_delay(ctx.refresh, datetime.now(UTC))  # `at` is cut to whole seconds
            fetched = await _fetch(spec, await _credentials(spec, ctx), ctx)
        elif _poll_due(spec, recorded, at):
            credentials = await _credentials(spec, ctx)
            with metrics.stage("ls-remote"):
                head = await asyncio.to_thread(resolve_ref, spec.url, spec.ref, credentials, limits=ctx.fetch_limits)
            if head == recorded.commit:
                seen = recorded.model_copy(update={"fetched_at": at, "refresh": ctx.refresh})
                return await _analysed(status.model_copy(update={"source": seen}), generation, ctx), None
            fetched = await _fetch(spec, credentials, ctx)
        else:
            return await _analysed(status, generation, ctx), None
    except SourceError as error:
        conditions = set_condition(status.conditions, SOURCE_READY, "False", error.reason, error.message, generation)
        status = status.model_copy(update={"conditions": conditions})
        return status, (error.message if error.retryable else None)
    except Exception as error:  # a Secret that cannot be read, for one
        reason = getattr(error, "reason", "SourceUnavailable")
        message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        conditions = set_condition(status.conditions, SOURCE_READY, "False", reason, message, generation)
        return status.model_copy(update={"conditions": conditions}), (
            message if getattr(error, "retryable", True) else None
        )

    previous = recorded.commit if recorded else None
    message = f"Pinned {fetched.commit[:12]} ({_ref_name(fetched.ref)}), {fetched.files} files."
    if fetched.removed_symlinks:
        message += f" Removed {len(fetched.removed_symlinks)} symlink(s) pointing outside the repository."
    if previous and previous != fetched.commit:
        message += f" New commit since {previous[:12]}."
    conditions = set_condition(status.conditions, SOURCE_READY, "True", "Fetched", message, generation, at)
    source = SourceStatus(
        url=spec.url, path=spec.path, commit=fetched.commit, ref=fetched.ref, requested_ref=spec.ref,
        fetched_at=at, analyzed_commit=recorded.analyzed_commit if recorded else None, refresh=ctx.refresh,
    )
    status = status.model_copy(update={"conditions": conditions, "source": source})
    return await _analysed(status, generation, ctx, checkout=fetched.checkout_dir), None


async def _fetch(spec: GitSource, credentials: GitCredentials | None, ctx: ApplicationDeps) -> FetchedSource:
    fetch_spec = FetchSpec(url=spec.url, ref=spec.ref, path=spec.path, submodules=spec.submodules)
    with metrics.stage("fetch"):
        return await asyncio.to_thread(fetch_source, fetch_spec, ctx.checkout, credentials, ctx.fetch_limits)


def _observe_refresh_delay(refresh: str | None, at: datetime) -> None:
    """From the push webhook stamping the refresh request (its value is that time) to
    this pass acting on it: the API round trip and kopf's dispatch."""
    try:
        asked = datetime.fromisoformat(refresh or "")
    except ValueError:  # set by hand (`date +%s`): no time to compare
        return
    if asked.tzinfo is not None:
        metrics.STAGE_SECONDS.labels("webhook-to-handler").observe(max((at - asked).total_seconds(), 0.0))


def _ref_name(ref: str) -> str:
    return ref.removeprefix("refs/heads/").removeprefix("refs/tags/")


async def _analysed(
    status: ApplicationStatus, generation: int | None, ctx: ApplicationDeps, checkout: Path | None = None
) -> ApplicationStatus:
    """Analyse the pinned commit unless status already describes it."""
    source = status.source
    if source is None or source.commit is None:
        return status
    if source.analyzed_commit == source.commit and status.analysis is not None:
        return status
    directory = checkout or (ctx.checkout / source.path if source.path else ctx.checkout)
    with metrics.stage("analysis"):
        analysis = await asyncio.to_thread(analyze, directory)
    status = status.model_copy(
        update={"analysis": analysis, "source": source.model_copy(update={"analyzed_commit": source.commit})}
    )
    return _analysis_condition(status, analysis, generation)


def _analysis_condition(status: ApplicationStatus, analysis: Analysis, generation: int | None) -> ApplicationStatus:
    if not analysis.services:
        hint = "; ".join(analysis.warnings[:2]) or "no manifest, Dockerfile, compose file or Procfile was found"
        conditions = set_condition(
            status.conditions, ANALYZED, "False", "NothingDeployableFound",
            f"Nothing deployable found ({hint}). Point spec.source.git.path at the app's folder, "
            "or add a Dockerfile.", generation,
        )
    else:
        conditions = set_condition(status.conditions, ANALYZED, "True", "ServicesFound", describe(analysis), generation)
    return status.model_copy(update={"conditions": conditions})


def describe(analysis: Analysis) -> str:
    """One line a person reads in `kubectl describe`: what was found."""
    parts = []
    for service in analysis.services:
        detail = [service.framework.name if service.framework else (service.language.name if service.language else "")]
        if service.port:
            detail.append(f"port {service.port.value}")
        parts.append(f"{service.name} ({', '.join(d for d in detail if d) or service.role.value})")
    text = f"{len(analysis.services)} service(s): {', '.join(parts)}"
    if analysis.databases:
        text += f"; needs {', '.join(sorted({d.kind for d in analysis.databases}))}"
    return text + "."


# --- image and template ------------------------------------------------------------


def _image_source(image: str, port: int | None, status: ApplicationStatus, generation: int | None) -> ApplicationStatus:
    """An image needs no fetching or analysis: it is one web service."""
    service = Service(
        name="web", path=".", image=image,
        role=ServiceRole(value="web", evidence=[], confidence="high"),
        port=Port(value=port, evidence=[], confidence="high") if port else None,
    )
    analysis = Analysis(
        services=[service], databases=[], integrations=[], files_scanned=0, truncated=False,
        skipped=[], skipped_counts=[], warnings=[] if port else ["spec.source.image.port is not set; the plan will assume 80."],
    )
    conditions = set_condition(status.conditions, SOURCE_READY, "True", "ImageSource", f"Runs image {image}.", generation)
    conditions = set_condition(conditions, ANALYZED, "True", "NotNeeded", "Image sources are not analysed.", generation)
    return status.model_copy(update={"conditions": conditions, "analysis": analysis, "source": SourceStatus(image=image)})


async def _template_source(template: TemplateSource, domains: list[str], status: ApplicationStatus,
                           generation: int | None, deps: ApplicationDeps) -> tuple[ApplicationStatus, str | None]:
    """The gallery stack with the person's parameters; a template whose code is the user's
    also pins a commit of the repository its parameters name (the files to build)."""
    name = template.name
    given = {p.name: p.value for p in template.parameters}
    try:
        values = resolve_parameters(name, given, domains[0] if domains else None)
        repository = template_repository(name, values)
        analysis = expand_template(name, values)
    except (UnknownTemplate, TemplateParameterError) as error:
        reason = "TemplateNotFound" if isinstance(error, UnknownTemplate) else "TemplateParameterInvalid"
        text = f"{error}. Fix spec.source.template.name." if isinstance(error, UnknownTemplate) else str(error)
        conditions = set_condition(status.conditions, SOURCE_READY, "False", reason, text, generation)
        return status.model_copy(update={"conditions": conditions}), None
    source = SourceStatus(template=name)
    if repository is not None:
        git = GitSource(url=repository.url, ref=repository.ref)
        status, retry = await _git_source(git, status, generation, deps)
        if not _is_true(status, SOURCE_READY):
            return status, retry
        source = (status.source or SourceStatus()).model_copy(update={"template": name})
    else:
        conditions = set_condition(status.conditions, SOURCE_READY, "True", "Template", f"Template {name}.", generation)
        status = status.model_copy(update={"conditions": conditions})
    conditions = set_condition(status.conditions, ANALYZED, "True", "ServicesFound", describe(analysis), generation)
    return status.model_copy(update={"conditions": conditions, "analysis": analysis, "source": source}), None
