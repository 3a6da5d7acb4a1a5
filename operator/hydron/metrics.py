"""Prometheus metrics: what people graph and alert on.

Metric objects live here so every module records into the same registry; the
operator serves them on /metrics (`hydron run --metrics-port`).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

RECONCILES = Counter("hydron_reconciles_total", "Reconciles by kind and result.", ["kind", "result"])
RECONCILE_SECONDS = Histogram(
    "hydron_reconcile_duration_seconds", "Time spent in one reconcile.", ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900),
)
PROVISIONING_STEP_SECONDS = Histogram(
    "hydron_provisioning_step_duration_seconds", "Duration of provisioning steps.", ["step", "result"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 180, 600),
)
DEPLOY_SECONDS = Histogram(
    "hydron_deploy_duration_seconds", "Apply-to-healthy time of a release.", ["result"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 900),
)
RELEASES = Counter("hydron_releases_total", "Releases rolled out, by outcome.", ["result"])
ROLLBACKS = Counter("hydron_rollbacks_total", "Releases rolled back, automatically or on request.", ["trigger"])
SERVICE_LABELS = ["namespace", "app", "service"]
SERVICE_UP = Gauge("hydron_service_up", "1 when the service's container is running and healthy.", SERVICE_LABELS)
SERVICE_RESTARTS = Gauge("hydron_service_restarts", "Restarts of the service's current container.", SERVICE_LABELS)
SERVICE_CPU = Gauge("hydron_service_cpu_percent", "CPU use of the service, percent of one CPU.", SERVICE_LABELS)
SERVICE_MEMORY = Gauge("hydron_service_memory_bytes", "Memory in use by the service, page cache excluded.", SERVICE_LABELS)
LIVE_STATUS_ERRORS = Counter(
    "hydron_live_status_write_errors_total", "Live progress (status written mid-pass) that could not be written.", ["kind"],
)
SSH_CONNECTIONS = Gauge("hydron_ssh_connections", "Open SSH connections to servers.")
LLM_CALLS = Counter("hydron_llm_calls_total", "Calls to the LLM, by outcome.", ["result"])
LLM_TOKENS = Counter("hydron_llm_tokens_total", "LLM tokens used.", ["direction"])
LLM_SECONDS = Histogram("hydron_llm_latency_seconds", "LLM call latency.", buckets=(0.5, 1, 2, 5, 10, 30, 60, 120))


def forget_service(namespace: str, app: str, service: str) -> None:
    """Drop a removed service's series, so dashboards do not show it forever."""
    for gauge in (SERVICE_UP, SERVICE_RESTARTS, SERVICE_CPU, SERVICE_MEMORY):
        try:
            gauge.remove(namespace, app, service)
        except KeyError:
            pass


def serve(port: int, address: str = "0.0.0.0") -> None:
    """Serve /metrics in a background thread."""
    start_http_server(port, addr=address)
