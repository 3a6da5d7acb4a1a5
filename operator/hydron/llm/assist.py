"""The LLM step: ask, parse, check policy, apply; on any failure keep the rules' plan and say why.

Never raises: an unavailable, slow, refusing or misbehaving model costs the plan its
LLM-filled fields, never the plan itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from hydron.api.infraplan import ChangeRequest, Finding
from hydron.llm.apply import apply_patch
from hydron.llm.client import LlmClient, LlmError, LlmSettings
from hydron.llm.patch import PlanPatch, tool_definition
from hydron.llm.policy import intent, violations
from hydron.llm.prompt import SYSTEM, user_message
from hydron.planning.planner import Draft, PlanInputs


@dataclass
class Assisted:
    draft: Draft
    findings: list[Finding] = field(default_factory=list)
    applied: bool = False
    summary: str | None = None
    retry: bool = False  # the failure was transient: worth asking again later


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
    def from_env(cls) -> Assistant | None:
        """None without ANTHROPIC_API_KEY: the deterministic planner then works alone."""
        settings = LlmSettings.from_env()
        return cls(LlmClient(settings)) if settings else None

    async def improve(self, draft: Draft, inputs: PlanInputs, requests: list[ChangeRequest]) -> Assisted:
        if not draft.gaps and not requests:
            return Assisted(draft=draft)
        pending = _pending_note(requests)
        try:
            call = await self.client.call_tool(
                system=SYSTEM, user=user_message(draft.spec, inputs.analysis, draft.gaps, requests),
                tool=tool_definition())
        except LlmError as error:
            return Assisted(draft=draft, retry=error.transient, findings=[_finding(
                f"The LLM step failed ({error.reason}: {error.message}); the plan was made by rules only.{pending}")])
        if not isinstance(call.input, dict):
            return Assisted(draft=draft, findings=[_finding(
                f"The LLM's tool input was not a JSON object; it was ignored and the plan was made by rules "
                f"only.{pending}")])
        try:
            patch = PlanPatch.model_validate(call.input)
        except ValidationError as error:
            return Assisted(draft=draft, findings=[_finding(
                f"The LLM's answer did not fit the allowed fields ({_describe(error)}); it was ignored and the plan "
                f"was made by rules only.{pending}")])
        refused = violations(patch, draft.spec, draft.gaps, intent(requests, inputs.application), inputs.analysis,
                             draft.need, inputs.application)
        if refused:
            return Assisted(draft=draft, findings=[_finding(
                "The LLM's answer was refused by policy: " + "; ".join(refused[:5])
                + f". The plan was made by rules only.{pending}", severity="Warning")])
        revised = apply_patch(draft, inputs, patch, len(requests))
        findings = [Finding(severity="Info", source="LLM", message=f"Change request not carried out: {_clean(d)}")
                    for d in patch.declined]
        return Assisted(draft=revised, findings=findings, applied=True, summary=_clean(patch.summary))


def _finding(message: str, severity: str = "Warning") -> Finding:
    return Finding(severity=severity, source="LLM", message=message)


def _pending_note(requests: list[ChangeRequest]) -> str:
    if not requests:
        return ""
    return f" {len(requests)} change request(s) are not applied yet; they are retried on the next reconcile."
