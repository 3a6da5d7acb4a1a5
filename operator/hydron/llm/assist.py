"""The LLM step: ask, parse, let policy decide field by field, apply; on any failure keep the
rules' plan and say why.

Never raises: an unavailable, slow, refusing or misbehaving model costs the plan its
LLM-filled fields, never the plan itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from hydron.api.infraplan import AssistantReply, ChangeRequest, Finding
from hydron.llm.apply import apply_patch
from hydron.llm.client import LlmClient, LlmError, LlmSettings
from hydron.llm.patch import PlanPatch, tool_definition
from hydron.llm.policy import review
from hydron.llm.prompt import SYSTEM, user_message
from hydron.planning.planner import Draft, PlanInputs

MAX_REPLIES = 10


@dataclass
class Assisted:
    draft: Draft
    findings: list[Finding] = field(default_factory=list)
    applied: bool = False  # the model answered and `draft` holds what policy let through (maybe nothing)
    summary: str | None = None
    retry: bool = False  # the failure was transient: worth asking again later
    reply: AssistantReply | None = None  # what the model said, and what policy did not apply


def _describe(error: ValidationError, limit: int = 3) -> str:
    """Which fields were wrong, without echoing values."""
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in error.errors()[:limit]]
    more = len(error.errors()) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _clean(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Assistant:
    """Fills open fields and carries out change requests through the LLM, within policy."""

    def __init__(self, client: LlmClient) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: LlmSettings | None) -> Assistant | None:
        """None without settings (no API key): the deterministic planner then works alone."""
        return cls(LlmClient(settings)) if settings else None

    async def improve(self, draft: Draft, inputs: PlanInputs, requests: list[ChangeRequest]) -> Assisted:
        if not draft.gaps and not requests:
            return Assisted(draft=draft)
        try:
            call = await self.client.call_tool(
                system=SYSTEM, user=user_message(draft.spec, inputs.analysis, draft.gaps, requests),
                tool=tool_definition())
        except LlmError as error:
            return Assisted(draft=draft, retry=error.transient, findings=[_finding(
                f"The LLM step failed ({error.reason}: {error.message}); the plan was made by rules "
                f"only.{_pending_note(requests)}")])
        return decide(call.input, draft, inputs, requests)


def decide(answer: Any, draft: Draft, inputs: PlanInputs, requests: list[ChangeRequest]) -> Assisted:
    """What becomes of the model's answer (the tool input as the API returned it): parsed into the
    allowed fields, reviewed by policy, and what passes applied through the planner."""
    pending = _pending_note(requests)
    if not isinstance(answer, dict):
        return Assisted(draft=draft, findings=[_finding(
            "The LLM's tool input was not a JSON object; it was ignored and the plan was made by rules only."
            + pending)])
    try:
        patch = PlanPatch.model_validate(answer)
    except ValidationError as error:
        return Assisted(draft=draft, findings=[_finding(
            f"The LLM's answer did not fit the allowed fields ({_describe(error)}); it was ignored and the plan was "
            f"made by rules only.{pending}")])
    decided = review(patch, draft, inputs, requests)
    revised = apply_patch(draft, inputs, decided.patch, len(requests))
    findings = [Finding(severity="Warning", source="LLM", field=d.field, message=_clean(d.message))
                for d in decided.declined]
    findings += [Finding(severity="Info", source="LLM", field=d.field,
                         message=_clean(f"The LLM proposed {d.what}; applied otherwise: {d.why}."))
                 for d in decided.adjusted]
    findings += [Finding(severity="Info", source="LLM", message=f"Change request not carried out: {_clean(d)}")
                 for d in patch.declined]
    reply = AssistantReply(
        change_requests=len(requests), summary=_clean(patch.summary, 600),
        declined=[_clean(d) for d in patch.declined],
        not_applied=[_clean(f.message) for f in findings if f.message.startswith("The LLM proposed")][:16])
    return Assisted(draft=revised, findings=findings, applied=True, summary=_clean(patch.summary), reply=reply)


def remember(replies: list[AssistantReply], reply: AssistantReply | None) -> list[AssistantReply]:
    """The last reply per number of change requests answered, newest last, a few kept."""
    if reply is None:
        return replies
    kept = [r for r in replies if r.change_requests != reply.change_requests]
    return [*kept, reply][-MAX_REPLIES:]


def _finding(message: str, severity: str = "Warning") -> Finding:
    return Finding(severity=severity, source="LLM", message=message)


def _pending_note(requests: list[ChangeRequest]) -> str:
    if not requests:
        return ""
    return f" {len(requests)} change request(s) are not applied yet; they are retried on the next reconcile."
