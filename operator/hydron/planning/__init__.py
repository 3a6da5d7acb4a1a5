"""Stage 3 of the pipeline: turn an analysis and an Application into a reviewable InfraPlan.

Pure: the planner, the Dockerfile generators, sizing, validation and revisions read
data and return data. The LLM step lives in `hydron.llm`; I/O in the controllers.
"""

from hydron.planning.dockerfiles import generate_dockerfile
from hydron.planning.planner import Draft, Gap, PlanInputs, plan
from hydron.planning.secrets import missing_user_keys, secret_data

__all__ = ["Draft", "Gap", "PlanInputs", "generate_dockerfile", "missing_user_keys", "plan", "secret_data"]
