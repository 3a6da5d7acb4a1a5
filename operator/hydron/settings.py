"""Every environment variable the operator reads, in one typed model.

`OperatorSettings()` reads them once at start (pydantic-settings: types checked, a
bad value refused with the variable's name, instead of a ValueError deep inside a
handler). `hydron settings` lists them, with defaults, from here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hydron.llm.client import DEFAULT_MODEL, LlmSettings


class OperatorSettings(BaseSettings):
    """The operator's settings; each field is the environment variable HYDRON_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="HYDRON_", extra="ignore", frozen=True)

    workdir: Path = Field(default=Path(tempfile.gettempdir()) / "hydron",
                          description="Checkouts and source archives of the apps (scratch space; lost on restart is fine).")
    allow_file_urls: bool = Field(default=False, description="Allow file:// Git URLs: they read the operator's own "
                                                             "disk, so only for local demos and tests.")
    base_images_from: Literal["registry", "local-docker"] = Field(
        default="registry", description="Where servers get base images: they pull them (registry), or this "
                                        "machine's Docker engine sends them (local-docker, for a demo without a registry).")
    application_resync_seconds: float = Field(default=30.0, gt=0, description="How often Applications and "
                                                                             "InfraPlans are looked at again.")
    hetzner_endpoint: str | None = Field(default=None, description="Hetzner Cloud API endpoint, when not the public "
                                                                   "one (a proxy, or a test bed's stand-in).")
    ovh_endpoint: str | None = Field(default=None, description="OVHcloud API: a region name (ovh-eu, ovh-ca, "
                                                               "kimsufi-eu, soyoustart-eu...) or a URL (a proxy, a "
                                                               "test bed's stand-in). Default ovh-eu.")
    server_compose: bool = Field(default=True, description="Install Docker Compose (`docker compose`) with the engine "
                                                           "on the servers Hydron provisions.")
    server_repair_seconds: float = Field(default=300.0, gt=0, description="How often a Server is checked for drift.")
    server_usage_seconds: float = Field(default=60.0, gt=0, description="How often a Server's CPU, memory and disk are read.")
    deployment_resync_seconds: float = Field(default=60.0, gt=0, description="How often a Deployment is reconciled again.")
    deployment_usage_seconds: float = Field(default=30.0, gt=0, description="How often services' health and usage are read.")
    object_workers: int = Field(default=256, ge=1, description="Objects of one kind handled at once; more wait "
                                                               "in the watch until one is done (bounds the memory "
                                                               "of a burst, e.g. a thousand apps applied together).")
    webhook_secret: SecretStr = Field(default=SecretStr(""), description="Shared secret of the Git push webhook "
                                                                         "(needed with --webhook-port).")
    llm_model: str = Field(default=DEFAULT_MODEL, description="The Anthropic model the planner asks.")
    llm_timeout_seconds: float = Field(default=60.0, gt=0, description="Timeout of one LLM request.")
    llm_max_retries: int = Field(default=2, ge=0, description="Retries of one LLM request.")
    anthropic_api_key: SecretStr = Field(default=SecretStr(""), validation_alias="ANTHROPIC_API_KEY",
                                         description="ANTHROPIC_API_KEY: without it the planner uses rules only.")
    anthropic_base_url: str | None = Field(default=None, validation_alias="ANTHROPIC_BASE_URL",
                                           description="ANTHROPIC_BASE_URL: another Messages-API endpoint.")

    @property
    def git_schemes(self) -> frozenset[str]:
        return frozenset({"https", "http", "ssh", "git"} | ({"file"} if self.allow_file_urls else set()))

    def llm(self) -> LlmSettings | None:
        """None without an API key: the deterministic planner then works alone."""
        key = self.anthropic_api_key.get_secret_value().strip()
        if not key:
            return None
        return LlmSettings(api_key=key, model=self.llm_model, base_url=self.anthropic_base_url or None,
                           timeout_seconds=self.llm_timeout_seconds, max_retries=self.llm_max_retries)


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, description) of every setting, for help text and docs."""
    rows = []
    for name, field in OperatorSettings.model_fields.items():
        variable = field.validation_alias if isinstance(field.validation_alias, str) else f"HYDRON_{name.upper()}"
        default = field.default.get_secret_value() if isinstance(field.default, SecretStr) else field.default
        rows.append((variable, "" if default in (None, "") else str(default), field.description or ""))
    return rows
