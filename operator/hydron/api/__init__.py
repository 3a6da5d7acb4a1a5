"""The four Hydron resources as pydantic models: the single source of truth.

`crds/` is generated from these models (`hydron crds`), and controllers parse
specs into them, so the schema the API server enforces and the types the code
uses cannot drift apart.
"""

from hydron.api.application import Application
from hydron.api.deployment import Deployment
from hydron.api.infraplan import InfraPlan
from hydron.api.server import Server

GROUP = "hydron.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
RESOURCES = (Application, InfraPlan, Server, Deployment)

__all__ = ["API_VERSION", "GROUP", "RESOURCES", "VERSION", "Application", "Deployment", "InfraPlan", "Server"]
