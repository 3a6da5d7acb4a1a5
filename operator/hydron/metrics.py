"""Prometheus metrics: what people graph and alert on.

Metric objects live here so every module records into the same registry; the
operator serves them on /metrics (`hydron run --metrics-port`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily

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
STAGE_SECONDS = Histogram(
    "hydron_stage_duration_seconds",
    "Time in each stage of the path from a push to the new version serving (webhook-to-handler, ls-remote, "
    "fetch, analysis, planning, base-images, build, start, health, switch, drain, https-check).", ["stage"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300),
)
RELEASES = Counter("hydron_releases_total", "Releases rolled out, by outcome.", ["result"])
ROLLBACKS = Counter("hydron_rollbacks_total", "Releases rolled back, automatically or on request.", ["trigger"])
SERVICE_LABELS = ["namespace", "app", "service"]
SERVICE_UP = Gauge("hydron_service_up", "1 when the service's container is running and healthy.", SERVICE_LABELS)
SERVICE_RESTARTS = Gauge("hydron_service_restarts", "Restarts of the service's current container.", SERVICE_LABELS)
SERVICE_CPU = Gauge("hydron_service_cpu_percent", "CPU use of the service, percent of one CPU.", SERVICE_LABELS)
SERVICE_MEMORY = Gauge("hydron_service_memory_bytes", "Memory in use by the service, page cache excluded.", SERVICE_LABELS)
# The node exporter's readings of each server, read over SSH by the usage timer: what the
# chart's alert rules (PrometheusRule) look at, with no port opened on the server.
SERVER_LABELS = ["namespace", "server"]
SERVER_CPU = Gauge("hydron_server_cpu_percent", "CPU busy on the server, percent of all CPUs.", SERVER_LABELS)
SERVER_MEMORY_USED = Gauge("hydron_server_memory_used_bytes", "Memory in use on the server.", SERVER_LABELS)
SERVER_MEMORY_TOTAL = Gauge("hydron_server_memory_total_bytes", "Memory installed in the server.", SERVER_LABELS)
SERVER_DISK_USED = Gauge("hydron_server_disk_used_percent", "Root disk in use on the server, percent.", SERVER_LABELS)
SERVER_LOAD = Gauge("hydron_server_load", "Load average of the server.", [*SERVER_LABELS, "window"])
LIVE_STATUS_ERRORS = Counter(
    "hydron_live_status_write_errors_total", "Live progress (status written mid-pass) that could not be written.", ["kind"],
)
SSH_CONNECTIONS = Gauge("hydron_ssh_connections", "Open SSH connections to servers.")
LLM_CALLS = Counter("hydron_llm_calls_total", "Calls to the LLM, by outcome.", ["result"])
LLM_TOKENS = Counter("hydron_llm_tokens_total", "LLM tokens used.", ["direction"])
LLM_SECONDS = Histogram("hydron_llm_latency_seconds", "LLM call latency.", buckets=(0.5, 1, 2, 5, 10, 30, 60, 120))


class _PerObjectEntries:
    """hydron_operator_entries{table, namespace}: what the operator keeps per object in its
    own tables, counted when scraped. It follows the objects: a count that stays up after
    a namespace's objects are gone is a leak (RSS that grows with objects ever seen)."""

    count: Callable[[], Tally] | None = None
    """() -> Tally of (table, namespace): set by the running operator."""

    def collect(self):
        family = GaugeMetricFamily("hydron_operator_entries", "Entries the operator keeps per object, by table "
                                   "and namespace.", labels=["table", "namespace"])
        for (table, namespace), entries in sorted((self.count() if self.count else Tally()).items()):
            family.add_metric([table, namespace], entries)
        yield family


PER_OBJECT_ENTRIES = _PerObjectEntries()
REGISTRY.register(PER_OBJECT_ENTRIES)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time one stage into STAGE_SECONDS and a debug line: where a redeploy's time goes."""
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        STAGE_SECONDS.labels(name).observe(seconds)
        logging.getLogger(__name__).debug("stage %s took %.3f s", name, seconds)


def forget_service(namespace: str, app: str, service: str) -> None:
    """Drop a removed service's series, so dashboards do not show it forever."""
    for gauge in (SERVICE_UP, SERVICE_RESTARTS, SERVICE_CPU, SERVICE_MEMORY):
        try:
            gauge.remove(namespace, app, service)
        except KeyError:
            pass


def server_usage(namespace: str, server: str, usage) -> None:
    """Publish a Server's latest usage (api.server.ResourceUsage); unknown readings are left out."""
    readings = [(SERVER_CPU, usage.cpu_percent, ()), (SERVER_DISK_USED, usage.disk_used_percent, ()),
                (SERVER_MEMORY_USED, usage.memory_used_mi_b and usage.memory_used_mi_b * 2**20, ()),
                (SERVER_MEMORY_TOTAL, usage.memory_total_mi_b and usage.memory_total_mi_b * 2**20, ()),
                (SERVER_LOAD, usage.load1, ("1m",)), (SERVER_LOAD, usage.load5, ("5m",)),
                (SERVER_LOAD, usage.load15, ("15m",))]
    for gauge, value, extra in readings:
        if value is not None:
            gauge.labels(namespace, server, *extra).set(value)


def serve(port: int, address: str = "0.0.0.0") -> None:
    """Serve /metrics in a background thread."""
    start_http_server(port, addr=address)
