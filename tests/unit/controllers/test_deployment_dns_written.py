"""A Deployment pass queued behind another reads a body from before that pass: the DNS
records the other pass published must not be forgotten (they could never be removed)."""

from hydron.api.deployment import DeploymentStatus
from hydron.api.dns import DnsRecord, DnsStatus
from hydron.controllers.deployment import DeploymentDeps, _with_dns_written

PUBLISHED = DnsStatus(records=[DnsRecord(name="shop.example.test", type="A", value="203.0.113.7")],
                      resolved=["shop.example.test"])


async def no_server(name):
    return None


def deps(written):
    return DeploymentDeps(name="hello", namespace="t-1", get_server=no_server, read_secret=None, dns_written=written)


def test_a_stale_body_gets_the_records_this_process_last_wrote():
    stale = DeploymentStatus()
    assert _with_dns_written(stale, deps({"t-1/hello": PUBLISHED})).dns == PUBLISHED


def test_without_a_memory_the_body_is_what_counts():
    body = DeploymentStatus(dns=PUBLISHED)
    assert _with_dns_written(body, deps({})).dns == PUBLISHED
    assert _with_dns_written(body, deps(None)).dns == PUBLISHED
    assert _with_dns_written(DeploymentStatus(), deps({"t-2/hello": PUBLISHED})).dns is None
