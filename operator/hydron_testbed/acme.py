"""A real ACME CA: pebble (Let's Encrypt's test server) on a fresh server, its listener
certificate, a TLS client that verifies against pebble's root, and such a server
declared to the API server as a `Server` whose proxy orders its certificates there."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import time
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hydron_testbed.servers import Host

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


def start_pebble(host: Host, cert_pem: str, key_pem: str) -> None:
    """Run pebble on the server and make DOMAIN resolve to it there."""
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


def fetch_over_tls(address: str, root_pem: str, domain: str = DOMAIN) -> tuple[str, dict]:
    """GET https://DOMAIN/ at `address`, verifying the chain against pebble's root."""
    context = ssl.create_default_context(cadata=root_pem)
    with socket.create_connection((address, 443), timeout=10) as raw, context.wrap_socket(raw, server_hostname=domain) as tls:
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n".encode())
        body = b""
        while chunk := tls.recv(65536):
            body += chunk
        return body.decode(errors="replace"), tls.getpeercert()


def https_get(address: str, root: str, deadline: float, domain: str = DOMAIN) -> str:
    """GET https://DOMAIN/ verified against pebble's root; polls while Caddy orders the certificate."""
    while True:
        try:
            return fetch_over_tls(address, root, domain)[0]
        except OSError as error:  # ssl.SSLError is an OSError
            if time.monotonic() >= deadline:
                raise AssertionError(f"no valid HTTPS before the deadline: {error}") from error
            time.sleep(0.5)  # polling interval


@dataclass
class AcmeServer:
    """A fresh server with pebble on it, known to the API server as Server `name`."""

    name: str
    host: Host

    def pebble_root(self) -> str:
        """The root that signs the certificates pebble issues (clients trust this)."""
        return self.host.sh("curl -sS -k https://localhost:15000/roots/0")

    def https_get(self, timeout: float = 120, domain: str = DOMAIN) -> str:
        """GET https://DOMAIN/ (or `domain`, which must resolve to the server there: see
        `serve_domain`) through the server's proxy, verified against pebble's root."""
        return https_get(self.host.ip, self.pebble_root(), time.monotonic() + timeout, domain)

    def serve_domain(self, domain: str) -> None:
        """Make `domain` resolve to the server for pebble's validation, as DOMAIN does."""
        self.host.sh(f"echo '{self.host.ip} {domain}' >> /etc/hosts")


def acme_server(kube, host: Host, base_images: list[str], name: str = "srv") -> AcmeServer:
    """Start pebble on a fresh server, then apply (through `kube`, a cluster.Kube) a
    Server for it whose proxy orders from pebble, with its SSH key Secret."""
    fresh = host.fresh
    listener_cert, listener_key = listener_certificate()
    start_pebble(host, listener_cert, listener_key)  # the ACME CA, on the server itself

    kube.run("create", "secret", "generic", f"{name}-ssh", f"--from-literal=ssh-privatekey={fresh.private_key_pem}")
    kube.run("create", "secret", "generic", "pebble-root", f"--from-literal=ca.crt={listener_cert}")
    kube.apply(json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Server", "metadata": {"name": name},
        "spec": {"address": fresh.address, "port": fresh.port, "publicAddress": host.ip, "baseImages": base_images,
                 "sshKeySecretRef": {"name": f"{name}-ssh", "key": "ssh-privatekey"},
                 "proxy": {"acmeCa": "https://localhost:14000/dir", "acmeEmail": "ops@example.test",
                           "acmeCaRootSecretRef": {"name": "pebble-root", "key": "ca.crt"}}},
    }))
    return AcmeServer(name, host)
