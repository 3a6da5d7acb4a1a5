"""The Anthropic client, wrapped: one forced tool call, bounded time and retries, metrics,
and every failure turned into an `LlmError` with a reason a condition can carry."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anthropic

from hydron import metrics

DEFAULT_MODEL = "claude-sonnet-4-6"


class LlmError(Exception):
    """The LLM step failed; `reason` is a CamelCase word, `message` is for a person."""

    def __init__(self, reason: str, message: str, transient: bool = False) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.transient = transient  # worth trying again later


@dataclass(frozen=True)
class LlmSettings:
    api_key: str
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    timeout_seconds: float = 60.0
    max_retries: int = 2
    max_tokens: int = 4096


@dataclass(frozen=True)
class ToolCall:
    input: Any  # the tool input as the API returned it (parsed and checked by the caller)
    input_tokens: int
    output_tokens: int


class LlmClient:
    def __init__(self, settings: LlmSettings, sdk: anthropic.AsyncAnthropic | None = None) -> None:
        self.settings = settings
        self.sdk = sdk or anthropic.AsyncAnthropic(
            api_key=settings.api_key, base_url=settings.base_url, timeout=settings.timeout_seconds,
            max_retries=settings.max_retries,
        )

    async def call_tool(self, *, system: str, user: str, tool: dict) -> ToolCall:
        """Ask for exactly one call of `tool`; return its input or raise LlmError."""
        started = time.monotonic()
        result = "error"
        try:
            message = await self.sdk.messages.create(
                model=self.settings.model,
                max_tokens=self.settings.max_tokens,
                system=system,
                messages=[{"role": "user", "content": user}],
                tools=[tool],
                tool_choice={"type": "tool", "name": tool["name"]},
            )
            usage = getattr(message, "usage", None)
            input_tokens = int(getattr(usage, "input_tokens", 0) or 0)
            output_tokens = int(getattr(usage, "output_tokens", 0) or 0)
            metrics.LLM_TOKENS.labels("input").inc(input_tokens)
            metrics.LLM_TOKENS.labels("output").inc(output_tokens)
            call = _tool_use(message, tool["name"])
            result = "ok"
            return ToolCall(input=call, input_tokens=input_tokens, output_tokens=output_tokens)
        except LlmError as error:
            result = error.reason
            raise
        except anthropic.APITimeoutError as error:
            result = "timeout"
            raise LlmError("Timeout", f"no answer within {self.settings.timeout_seconds:g}s "
                                      f"({self.settings.max_retries} retries)", transient=True) from error
        except anthropic.APIStatusError as error:
            result = f"http_{error.status_code}"
            raise _status_error(error) from error
        except anthropic.APIConnectionError as error:
            result = "unreachable"
            raise LlmError("Unreachable", "the LLM API could not be reached", transient=True) from error
        except (anthropic.APIError, ValueError, TypeError, AttributeError) as error:
            result = "malformed"
            raise LlmError("MalformedResponse", f"the API's answer could not be read ({type(error).__name__})",
                           transient=True) from error
        finally:
            metrics.LLM_CALLS.labels(result).inc()
            metrics.LLM_SECONDS.observe(time.monotonic() - started)


def _status_error(error: anthropic.APIStatusError) -> LlmError:
    code = error.status_code
    if code == 529:
        return LlmError("Overloaded", "the LLM API is overloaded (529), retries exhausted", transient=True)
    if code == 429:
        return LlmError("RateLimited", "the LLM API rate limit was hit (429), retries exhausted", transient=True)
    if code >= 500:
        return LlmError("ServerError", f"the LLM API failed ({code}), retries exhausted", transient=True)
    if code in (401, 403):
        return LlmError("Unauthorized", f"the LLM API refused the key ({code}); check ANTHROPIC_API_KEY")
    return LlmError("Rejected", f"the LLM API rejected the request ({code})")


def _tool_use(message: Any, name: str) -> Any:
    """The input of the one tool_use block, or an LlmError saying why there is none."""
    for block in getattr(message, "content", None) or []:
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == name:
            return getattr(block, "input", None)
    stop = getattr(message, "stop_reason", None)
    if stop == "refusal":
        raise LlmError("Refused", "the model declined to answer")
    if stop == "max_tokens":
        raise LlmError("Truncated", "the answer ran out of tokens before the tool call finished")
    raise LlmError("NoToolCall", f"the model answered without calling {name} (stop reason {stop or 'unknown'})")
