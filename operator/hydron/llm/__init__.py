"""The LLM step of planning: an Anthropic client wrapper, prompt building, response parsing
and the policy that keeps the model inside allow-listed fields."""

from hydron.llm.assist import Assisted, Assistant
from hydron.llm.client import LlmClient, LlmError, LlmSettings
from hydron.llm.patch import PlanPatch

__all__ = ["Assisted", "Assistant", "LlmClient", "LlmError", "LlmSettings", "PlanPatch"]
