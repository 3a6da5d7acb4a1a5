"""InfraPlan controller: (re)plan when the inputs change, validate, count revisions, track approval.

`reconcile(plan, generation, deps) -> Outcome` like every controller: the remade spec
(a PatchSpec effect) and the generated credentials' Secrets (EnsureSecret effects)
are effects the caller applies; `reconcile_plan` is the pure-ish core that also
serves tests and `hydron plan`. The plan waits for the Application's analysis rather
than plan from nothing: that policy lives here, once.

When is the plan remade? When what it was made from changed: another analysis, another
Application spec, or new change requests (spec.basis records all three). Otherwise the
spec stays as it is, so a person's edit lasts until the inputs change, and counts as a
revision of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hydron import metrics
from hydron.api.base import Condition
from hydron.api.conditions import now as utc_now
from hydron.api.conditions import APPROVED, VALID, set_condition, summarize_ready
from hydron.api.infraplan import AssistantReply, Finding, InfraPlan, InfraPlanSpec, InfraPlanStatus, PlannedSecret
from hydron.api.application import Application
from hydron.controllers.common import EnsureSecret, Outcome, PatchSpec, Retry, conclude
from hydron.planning import secret_data
from hydron.llm.assist import Assistant, remember
from hydron.planning import planner
from hydron.planning.approval import AUTO_APPROVER, approval_state
from hydron.planning.digest import application_digest, digest
from hydron.planning.revisions import kept_history, next_revision
from hydron.planning.validation import validate

CONDITIONS = {
    VALID: "Waiting for the plan to be made from the Application's analysis.",
    APPROVED: "Waiting for a person (or autoApprove) to approve a revision.",
}
DEPENDS_ON = list(CONDITIONS)
PLANNING_SOURCES = ("Analysis", "Planning", "LLM")
LLM_RETRY_SECONDS = 300.0
SEVERITY_ORDER = {"Error": 0, "Warning": 1, "Info": 2}


PlanContext = planner.PlanInputs
"""What the plan is made from, read by the caller: the owning Application and its analysis."""


@dataclass
class PlanOutcome:
    spec: InfraPlanSpec | None  # the remade spec to write back; None when the spec stays as it is
    status: InfraPlanStatus
    generated_secrets: list[PlannedSecret] = field(default_factory=list)  # create missing keys: secret_data()
    retry_after_seconds: float | None = None  # the LLM step failed transiently: reconcile again after this


def needs_planning(spec: InfraPlanSpec, context: PlanContext) -> bool:
    """The plan was made from other inputs than these (or never made)."""
    basis = spec.basis
    if basis is None:
        return True
    if context.application.source.image is not None:
        return (basis.application_digest != application_digest(context.application)
                or basis.source_revision != context.application.source.image.name
                or basis.change_requests < len(spec.change_requests))
    return (basis.source_revision != context.source_revision
            or basis.analysis_digest != (digest(context.analysis) if context.analysis else None)
            or basis.application_digest != application_digest(context.application)
            or basis.change_requests < len(spec.change_requests))


def planner_owned_fields(spec: InfraPlanSpec) -> dict[str, Any]:
    """The spec as a patch body without the fields people own (approval, changeRequests), so
    writing a remade plan never overwrites an approval or a request made meanwhile."""
    body = spec.to_api()
    body.pop("approval", None)
    body.pop("changeRequests", None)
    return body


async def _remake(plan: InfraPlan, context: PlanContext, assistant: Assistant | None
                  ) -> tuple[InfraPlanSpec, list[Finding], bool, AssistantReply | None]:
    """The plan made afresh from the inputs (rules, then the LLM when configured)."""
    with metrics.stage("planning"):
        draft = planner.plan(context)
    requests = list(plan.spec.change_requests)
    applied_before = plan.spec.basis.change_requests if plan.spec.basis else 0
    findings = list(draft.findings)
    retry = False
    reply = None
    if assistant is not None:
        assisted = await assistant.improve(draft, context, requests)
        retry = assisted.retry
        reply = assisted.reply
        if assisted.applied:
            # The rules ran again with what the LLM filled: their findings replace the
            # first draft's (a field it completed is no longer reported missing).
            draft = assisted.draft
            findings = list(draft.findings)
        findings += assisted.findings
    elif len(requests) > applied_before:
        findings.append(Finding(severity="Warning", source="LLM", field="changeRequests",
                                message=f"{len(requests) - applied_before} change request(s) wait for the LLM, which "
                                        "is not configured (ANTHROPIC_API_KEY is unset); edit the Application or the "
                                        "plan directly instead."))
    spec = draft.spec
    if spec.basis is not None and spec.basis.planner == "Rules":
        spec.basis = spec.basis.model_copy(update={"change_requests": min(applied_before, len(requests))})
    spec = spec.model_copy(update={"application_ref": plan.spec.application_ref, "approval": plan.spec.approval,
                                   "change_requests": requests})
    return spec, findings, retry, reply


def _valid(findings: list[Finding]) -> tuple[str, str, str]:
    errors = [f for f in findings if f.severity == "Error"]
    if errors:
        text = " ".join(f.message for f in errors[:3]) + (f" (and {len(errors) - 3} more)" if len(errors) > 3 else "")
        return "False", "InvalidPlan", text
    warnings = sum(f.severity == "Warning" for f in findings)
    return "True", "Valid", f"The plan is complete and consistent; {warnings} warning(s) in status.findings."


def _sorted(findings: list[Finding]) -> list[Finding]:
    unique = list({(f.severity, f.field, f.message): f for f in findings}.values())
    return sorted(unique, key=lambda f: (SEVERITY_ORDER[f.severity], f.field or "", f.message))


async def reconcile_plan(plan: InfraPlan, generation: int | None, context: PlanContext | None = None,
                         assistant: Assistant | None = None, at: datetime | None = None) -> PlanOutcome:
    """Bring the plan (and its status) up to date with its inputs and its spec."""
    status = plan.status or InfraPlanStatus()
    spec = plan.spec
    written: InfraPlanSpec | None = None
    planning_findings = [f for f in status.findings if f.source in PLANNING_SOURCES]
    retry = None
    replies = status.assistant
    if context is not None and needs_planning(spec, context):
        remade, planning_findings, transient, reply = await _remake(plan, context, assistant)
        replies = remember(replies, reply)
        retry = LLM_RETRY_SECONDS if transient else None
        if remade != spec:
            written = spec = remade
    if spec.basis is None and context is None:
        pending = conclude(status, generation, CONDITIONS)
        return PlanOutcome(spec=None, status=pending.model_copy(update={"findings": validate(spec)}))

    revision = next_revision(status.revision, status.material, status.basis, status.changes, spec)
    if context is not None:
        auto = context.application.planning.auto_approve
    else:  # without the Application, keep what autoApprove decided for this same revision
        auto = status.approved_by == AUTO_APPROVER and status.approved_revision == revision.number
    latest = revision.changes[0].split(": ", 1)[-1].rstrip(".") if revision.changes else None
    approval = approval_state(revision.number, spec.approval, auto, latest)
    findings = _sorted(planning_findings + validate(spec))
    at = at or utc_now()
    conditions: list[Condition] = list(status.conditions)
    valid_status, valid_reason, valid_message = _valid(findings)
    conditions = set_condition(conditions, VALID, valid_status, valid_reason, valid_message, generation, at)  # type: ignore[arg-type]
    conditions = set_condition(conditions, APPROVED, approval.status, approval.reason, approval.message,
                               generation, at)
    conditions = summarize_ready(conditions, DEPENDS_ON, generation,
                                 f"Revision {revision.number} is valid and approved.", at)
    new_status = status.model_copy(update={
        "observed_generation": generation,
        "conditions": conditions,
        "revision": revision.number,
        "changes": revision.changes,
        "material": revision.material,
        "history": kept_history(status.history, revision, at if revision.revised else status.revised_at),
        "findings": findings,
        "basis": spec.basis,
        "revised_at": at if revision.revised else status.revised_at,
        "approved_revision": approval.approved_revision,
        "approved_by": approval.approved_by,
        "assistant": replies,
    })
    generated = [s for s in spec.secrets if s.purpose == "Generated"]
    return PlanOutcome(spec=written, status=new_status, generated_secrets=generated, retry_after_seconds=retry)


GetApplication = Callable[[str], Awaitable[Application | None]]
"""get_application(name): the owning Application with its status; None when it is gone."""
ANALYSIS_WAIT_SECONDS = 2.0


@dataclass
class PlanDeps:
    get_application: GetApplication
    assistant: Assistant | None = None


def inputs_of(app_name: str, application: Application) -> PlanContext:
    status = application.status
    revision = status.source.analyzed_commit if status and status.source else None
    return PlanContext(app_name=app_name, application=application.spec,
                       analysis=status.analysis if status else None, source_revision=revision)


async def reconcile(plan: InfraPlan, generation: int | None, deps: PlanDeps) -> Outcome:
    """Plan (again) when the inputs changed, then validate and track approval."""
    name = plan.spec.application_ref.name
    application = await deps.get_application(name)
    context = inputs_of(name, application) if application is not None else None
    if context is not None and context.analysis is None:
        # The Application made this plan before its own status (with the analysis)
        # was written: wait for it rather than plan from nothing.
        waiting = await reconcile_plan(plan, generation, None, deps.assistant)
        return Outcome(waiting.status, retry=Retry("waiting for the Application's analysis", ANALYSIS_WAIT_SECONDS))
    outcome = await reconcile_plan(plan, generation, context, deps.assistant)
    outcome.status = with_server_overrides(outcome.status, application)
    effects: list = []
    if outcome.spec is not None:
        effects.append(PatchSpec(planner_owned_fields(outcome.spec)))
    for planned in outcome.generated_secrets:
        effects.append(EnsureSecret(planned.name, lambda existing, p=planned: secret_data(p, existing)))
    retry = None
    if outcome.retry_after_seconds:
        retry = Retry("the LLM step failed; the plan uses rules only until a retry succeeds", outcome.retry_after_seconds)
    return Outcome(outcome.status, effects=effects, retry=retry)


def with_server_overrides(status: InfraPlanStatus, application: Application | None) -> InfraPlanStatus:
    """A person's edits on the Server Hydron ordered from this plan, as findings: the
    Server keeps them, so the reviewer sees where it runs otherwise than planned."""
    server = application.status.server if application is not None and application.status is not None else None
    if server is None or not server.overrides:
        return status
    findings = [Finding(severity="Warning", source="Validation", field=f"server ({server.name})",
                        message=f"Server {server.name} was edited by a person and keeps its value for {override}.")
                for override in server.overrides]
    return status.model_copy(update={"findings": _sorted([*status.findings, *findings])})
