"""Real certificate issuance: pebble (Let's Encrypt's ACME test server) runs on the
server, Caddy obtains a certificate from it over HTTP-01, and HTTPS answers with a
certificate that chains to pebble's root."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import socket
import ssl

import asyncssh
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hydron.controllers.server import reconcile
from hydron.remote.builders import caddy
from hydron.remote.connect import Target
from hydron.remote.runner import CommandRunner
from tests.integration.provisioning.conftest import Events, condition, eventually, step

pytestmark = pytest.mark.docker

DOMAIN = "shop.example.test"
ROOT_SECRET = ("pebble-root", "ca.crt")


def listener_certificate() -> tuple[str, str]:
    """pebble's own TLS certificate (its API on :14000/:15000), for localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pebble listener")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def start_pebble(host, cert_pem: str, key_pem: str) -> None:
    config = {
        "pebble": {
            "listenAddress": "0.0.0.0:14000", "managementListenAddress": "0.0.0.0:15000",
            "certificate": "/etc/pebble/cert.pem", "privateKey": "/etc/pebble/key.pem",
            "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": False,
        }
    }
    host.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pebble >/dev/null")
    host.sh(f"mkdir -p /etc/pebble && cat > /etc/pebble/cert.pem <<'EOF'\n{cert_pem}EOF")
    host.sh(f"cat > /etc/pebble/key.pem <<'EOF'\n{key_pem}EOF")
    host.sh(f"cat > /etc/pebble/pebble.json <<'EOF'\n{json.dumps(config)}\nEOF")
    host.sh(
        "PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 start-stop-daemon --start --background --make-pidfile "
        "--pidfile /run/pebble.pid --output /var/log/pebble.log --exec /usr/bin/pebble -- -config /etc/pebble/pebble.json"
    )
    host.sh(f"echo '{host.ip} {DOMAIN}' >> /etc/hosts")


def fetch_over_tls(address: str, root_pem: str) -> tuple[str, dict]:
    """GET https://DOMAIN/ at `address`, verifying the chain against pebble's root."""
    context = ssl.create_default_context(cadata=root_pem)
    with socket.create_connection((address, 443), timeout=10) as raw, context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n".encode())
        body = b""
        while chunk := tls.recv(65536):
            body += chunk
        return body.decode(errors="replace"), tls.getpeercert()


async def test_caddy_obtains_a_certificate_from_pebble_and_serves_https(hosts, runtime):
    (host,) = hosts(1)
    listener_cert, listener_key = listener_certificate()
    start_pebble(host, listener_cert, listener_key)
    server = host.server(proxy={
        "acmeCa": "https://localhost:14000/dir",
        "acmeEmail": "ops@example.test",
        "acmeCaRootSecretRef": {"name": ROOT_SECRET[0], "key": ROOT_SECRET[1]},
    })

    def read_secret(name: str, key: str) -> str:
        return listener_cert if (name, key) == ROOT_SECRET else host.fresh.private_key_pem

    events = Events()
    result = await reconcile(server, 1, read_secret=read_secret, post_event=events, runtime=runtime)
    assert condition(result, "Ready").status == "True", result.status.conditions
    assert step(result, "certificates").changed and "https://localhost:14000/dir" in step(result, "certificates").message
    issuer = json.loads(host.sh("curl -sS localhost:2019/config/apps/tls/automation/policies/0/issuers/0"))
    assert issuer["ca"] == "https://localhost:14000/dir" and issuer["email"] == "ops@example.test"

    # A deployment adds a route for the domain through the same admin API.
    session = await runtime.pool.session(
        Target(host.fresh.address, host.fresh.port, "root"), asyncssh.import_private_key(host.fresh.private_key_pem), result.status.host_key
    )
    route = {"match": [{"host": [DOMAIN]}], "handle": [{"handler": "static_response", "body": "hello from hydron"}]}
    await CommandRunner(session).run(caddy.append_route("hydron"), input=json.dumps(route).encode())

    host.sh("curl -sS -k https://localhost:15000/roots/0 > /tmp/pebble-root.pem")
    pebble_root = host.sh("cat /tmp/pebble-root.pem")
    assert "BEGIN CERTIFICATE" in pebble_root
    curl = f"curl -sS --cacert /tmp/pebble-root.pem --resolve {DOMAIN}:443:{host.ip} https://{DOMAIN}/"
    await eventually(lambda: host.sh(curl, check=False) == "hello from hydron", timeout=90)

    # And from outside the server, through its firewall, with a verifying TLS client.
    body, cert = await asyncio.to_thread(fetch_over_tls, host.ip, pebble_root)
    assert body.endswith("hello from hydron")
    assert ("commonName", DOMAIN) in [pair for rdn in cert["subject"] for pair in rdn] or (
        ("DNS", DOMAIN) in cert["subjectAltName"]
    )
    issuer_names = " ".join(value for rdn in cert["issuer"] for _, value in rdn)
    assert "Pebble" in issuer_names

    # Reconciling again keeps the route and changes nothing.
    again = await reconcile(server.model_copy(update={"status": result.status}), 1, read_secret=read_secret, runtime=runtime)
    assert again.commands.mutations == []
    assert host.sh(curl, check=False) == "hello from hydron"
