"""The only thing the LLM can hand back: a patch over allow-listed plan fields.

Its JSON schema is the tool's input_schema. Unknown keys are an error, so a model that
invents `privileged` or `tls: false` gets its whole answer refused before policy even
looks at it; the values of the known keys are policy's to judge, field by field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TOOL_NAME = "propose_plan_patch"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnvDescription(_Strict):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="An env var the service already reads.")
    description: str = Field(min_length=1, max_length=300, description="What the variable is for, one sentence.")


class ServicePatch(_Strict):
    name: str = Field(description="An existing service of the plan; services cannot be added.")
    start_candidate: int | None = Field(default=None, ge=1, le=64,
                                        description="The id of one of the service's startCandidates in "
                                                    "<repository_data>: how the service is started. Prefer this.")
    start_command: str | None = Field(default=None, max_length=500, pattern=r"^[^\n\r]*$",
                                      description="Only when no candidate fits: a runtime or launcher, then files "
                                                  "listed in the service's files and plain flags. No shell syntax, "
                                                  "inline code, downloads or network tools.")
    health_check_path: str | None = Field(default=None, max_length=200, pattern=r"^/[^\s]*$",
                                          description="HTTP path answering 2xx when healthy.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Port the service listens on.")
    public: bool | None = Field(default=None, description="Reachable from the internet through the proxy.")
    domains: list[str] | None = Field(default=None, max_length=8, description="Domains routed to this service.")
    memory_mib: int | None = Field(default=None, ge=32, le=262144, description="Memory to size the service for.")
    cpus: float | None = Field(default=None, gt=0, le=64, description="CPU cores to size the service for.")
    env_descriptions: list[EnvDescription] = Field(default_factory=list, max_length=256,
                                                   description="Descriptions of env vars the plan lists.")


class FirewallOpening(_Strict):
    port: int = Field(ge=1, le=65535)
    protocol: Literal["tcp", "udp"] = "tcp"
    source: str = Field(max_length=64, description="CIDR range allowed to connect, exactly as the change "
                                                   "request names it.")
    reason: str = Field(max_length=200)


class PlanPatch(_Strict):
    summary: str = Field(max_length=600, description="What you changed and why, in one or two sentences.")
    services: list[ServicePatch] = Field(default_factory=list, max_length=64)
    server_offer: str | None = Field(default=None, max_length=64, description="A catalog offer name, to change server.")
    server_rationale: str | None = Field(default=None, max_length=1500,
                                         description="Why this server, in plain words, for the reviewer.")
    firewall_openings: list[FirewallOpening] = Field(default_factory=list, max_length=8)
    declined: list[str] = Field(default_factory=list, max_length=16,
                                description="Change requests you could not carry out, each with the reason.")


def tool_definition() -> dict:
    return {
        "name": TOOL_NAME,
        "description": "Propose changes to the infrastructure plan. Only these fields can change; leave out "
                       "anything you do not change.",
        "input_schema": PlanPatch.model_json_schema(),
    }
