"""Monitoring agent: Prometheus' node exporter, serving /metrics on port 9100.

The firewall does not open 9100: metrics are read over the SSH connection (the
operator's usage timer) or by a scraper the user opens a port for in spec.firewall.
"""

from __future__ import annotations

from hydron.provisioning import daemons, packages, poll
from hydron.provisioning.failures import StepError
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.remote.command import shell

METRICS_URL = "http://localhost:9100/metrics"


def metrics_answer():
    """Succeeds when /metrics serves node metrics."""
    return shell('curl -sf --max-time 10 "$1" | grep -q "^node_cpu_seconds_total"', METRICS_URL, ok_exit=range(0, 256))


class MonitoringAgent(Step):
    name = "monitoring-agent"

    async def observe(self, ctx: StepContext) -> Observation:
        missing = await packages.missing(ctx, [ctx.os.node_exporter_package])
        if missing:
            return Observation(False, f"{ctx.os.node_exporter_package} is not installed")
        if not await daemons.is_running(ctx, daemons.NODE_EXPORTER):
            return Observation(False, "the node exporter is not running")
        return Observation(True, "Node exporter running on :9100.")

    async def change(self, ctx: StepContext, found: Observation) -> str:
        installed = await packages.install(ctx, [ctx.os.node_exporter_package, ctx.os.curl_package])
        if not await daemons.is_running(ctx, daemons.NODE_EXPORTER):
            await daemons.start(ctx, daemons.NODE_EXPORTER)
        return f"Installed {', '.join(installed)} and started it." if installed else "Started the node exporter."

    async def verify(self, ctx: StepContext) -> Observation:
        found = await self.observe(ctx)
        if not found.ok:
            return found

        async def answers() -> bool:
            return (await ctx.run.run(metrics_answer())).ok

        if not await poll.until(answers, ctx.settings.daemon_start_timeout):
            raise StepError(f"the node exporter runs but {METRICS_URL} serves no node metrics", retryable=True)
        return Observation(True, "Node exporter serving /metrics on :9100.")
