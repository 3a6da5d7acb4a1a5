"""The HTTPS check's certificate and status rules, and what observe makes of Docker's answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hydron.deploy.containers import Observed
from hydron.deploy.https import certificate_problem, status_code
from hydron.deploy.observe import cpu_percent, memory_mib, state_of

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def certificate(*names: str, days: int = 90, starts: datetime = NOW - timedelta(days=1)) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "nobody")])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
               .serial_number(1).not_valid_before(starts).not_valid_after(starts + timedelta(days=days)))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_a_certificate_for_the_domain_is_accepted():
    assert certificate_problem(certificate("shop.example.com", "www.shop.example.com"), "shop.example.com", NOW) is None


def test_a_wildcard_covers_one_label_only():
    cert = certificate("*.example.com")
    assert certificate_problem(cert, "shop.example.com", NOW) is None
    assert "names *.example.com" in certificate_problem(cert, "a.shop.example.com", NOW)
    assert certificate_problem(cert, "example.com", NOW) is not None


@pytest.mark.parametrize(("cert", "words"), [
    (certificate("other.example.com"), "names other.example.com"),
    (certificate(), "names no domain"),
    (certificate("shop.example.com", starts=NOW - timedelta(days=100), days=90), "expired on 2026-11-17"),
    (certificate("shop.example.com", starts=NOW + timedelta(hours=2)), "not valid before 2026-11-27 14:00"),
])
def test_a_certificate_a_browser_would_refuse_says_why(cert, words):
    assert words in certificate_problem(cert, "shop.example.com", NOW)


@pytest.mark.parametrize(("head", "code"), [
    (b"HTTP/1.1 200 OK\r\n", 200), (b"HTTP/1.1 502 Bad Gateway\r\n", 502), (b"HTTP/2 404\r\n", 404),
    (b"SSH-2.0-OpenSSH\r\n", None), (b"", None),
])
def test_status_line(head, code):
    assert status_code(head) == code


def seen(**changes) -> Observed:
    base = dict(name="hydron-shop-web-1", service="web", digest="d", running=True, health=None, ip="10.0.0.2",
                restarts=0, image="img", exit_code=None)
    return Observed(**{**base, **changes})


@pytest.mark.parametrize(("container", "state"), [
    (None, "Stopped"),
    (seen(running=False, exit_code=137), "Stopped"),
    (seen(running=False, exit_code=None), "Unhealthy"),  # restarting
    (seen(health="unhealthy"), "Unhealthy"),
    (seen(health="starting"), "Starting"),
    (seen(health="healthy"), "Healthy"),
    (seen(), "Healthy"),
])
def test_service_state_from_dockers_view(container, state):
    assert state_of(container) == state


def test_cpu_is_the_share_of_one_cpu_over_the_sample():
    stats = {
        "cpu_stats": {"cpu_usage": {"total_usage": 3_000_000_000}, "system_cpu_usage": 20_000_000_000, "online_cpus": 2},
        "precpu_stats": {"cpu_usage": {"total_usage": 2_500_000_000}, "system_cpu_usage": 18_000_000_000},
    }
    assert cpu_percent(stats) == 50.0  # 0.5 s of CPU in a 1 s window of 2 CPUs


def test_cpu_without_a_previous_sample_is_unknown():
    assert cpu_percent({"cpu_stats": {"cpu_usage": {"total_usage": 5}, "system_cpu_usage": 9}, "precpu_stats": {}}) is None


def test_memory_leaves_out_the_page_cache():
    assert memory_mib({"memory_stats": {"usage": 300 * 2**20, "stats": {"inactive_file": 100 * 2**20}}}) == 200
    assert memory_mib({"memory_stats": {"usage": 64 * 2**20, "stats": {"total_inactive_file": 2**20}}}) == 63
    assert memory_mib({"memory_stats": {}}) is None


# --- Available follows what observe saw ------------------------------------------------

from hydron.api.conditions import set_condition  # noqa: E402
from hydron.api.deployment import DeploymentStatus, ServiceStatus  # noqa: E402
from hydron.controllers.deployment import health_condition  # noqa: E402


def deployed() -> DeploymentStatus:
    conditions = set_condition([], "Built", "True", "ImagesBuilt", "built", 1)
    conditions = set_condition(conditions, "Available", "True", "Healthy", "1 service(s) healthy", 1)
    return DeploymentStatus(conditions=conditions)


def by_type(status: DeploymentStatus, type_: str):
    return next(c for c in status.conditions if c.type == type_)


def test_an_unhealthy_service_turns_available_false_and_back():
    sick = health_condition(deployed(), [ServiceStatus(name="web", state="Unhealthy", restarts=3)], 1)
    assert (by_type(sick, "Available").status, by_type(sick, "Available").reason) == ("False", "ServiceUnhealthy")
    assert "web (unhealthy, 3 restart(s))" in by_type(sick, "Available").message
    assert by_type(sick, "Ready").status == "False"
    well = health_condition(sick, [ServiceStatus(name="web", state="Healthy", restarts=3)], 1)
    assert by_type(well, "Available").status == "True" and by_type(well, "Ready").status == "True"


def test_a_failure_a_rollout_reported_is_not_overwritten_by_healthy_containers():
    status = deployed()
    status = status.model_copy(update={"conditions": set_condition(
        status.conditions, "Available", "False", "CertificateNotReady", "no certificate yet", 1)})
    after = health_condition(status, [ServiceStatus(name="web", state="Healthy", cpu_percent=1.5)], 1)
    assert by_type(after, "Available").reason == "CertificateNotReady"
    assert after.services[0].cpu_percent == 1.5
