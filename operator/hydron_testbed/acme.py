"""A real ACME CA: pebble (Let's Encrypt's test server) on a fresh server, its listener
certificate, a TLS client that verifies against pebble's root, and such a server
declared to the API server as a `Server` whose proxy orders its certificates there."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hydron_testbed import TestBedUnavailable
from hydron_testbed.processes import stop_process
from hydron_testbed.ports import free_port
from hydron_testbed.servers import SERVER_IMAGE, Host

DOMAIN = "shop.example.test"
ROOT_SECRET = ("pebble-root", "ca.crt")


def listener_certificate(extra_ips: tuple[str, ...] = ()) -> tuple[str, str]:
    """pebble's own TLS certificate (its API on :14000/:15000), for localhost (and `extra_ips`)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pebble listener")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    *(x509.IPAddress(ipaddress.ip_address(ip)) for ip in extra_ips)]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def pebble_config(listen: str, management: str, certificate: str, private_key: str) -> dict:
    """pebble's configuration: its API and management listeners with their TLS files;
    challenges validated on the standard ports 80 and 443."""
    return {"pebble": {
        "listenAddress": listen, "managementListenAddress": management,
        "certificate": certificate, "privateKey": private_key,
        "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": False,
    }}


def start_pebble(host: Host, cert_pem: str, key_pem: str) -> None:
    """Run pebble on the server and make DOMAIN resolve to it there."""
    config = pebble_config("0.0.0.0:14000", "0.0.0.0:15000", "/etc/pebble/cert.pem", "/etc/pebble/key.pem")
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


# --- pebble on this machine, for servers that do not exist before the test ------------

PEBBLE_DEB = "/var/cache/apt/archives/pebble_*.deb"
PEBBLE_START_S = 20.0


@dataclass
class HostPebble:
    """pebble running on this machine at `address` (the test bed network's gateway, so
    servers reach it), resolving the names it validates through `dns_server`: a server
    Hydron orders cannot have pebble put on it beforehand, and a domain only validates
    once the real DNS answers with the server's address."""

    address: str
    port: int
    management_port: int
    listener_cert: str
    directory: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The ACME directory, for spec.proxy.acmeCa."""
        return f"https://{self.address}:{self.port}/dir"

    def root(self) -> str:
        """The root that signs the certificates pebble issues (clients trust this)."""
        context = ssl.create_default_context(cadata=self.listener_cert)
        url = f"https://{self.address}:{self.management_port}/roots/0"
        with urllib.request.urlopen(url, context=context, timeout=10) as answer:
            return answer.read().decode()

    def log(self) -> str:
        path = self.directory / "pebble.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        stop_process(self.process)


def _pebble_binary(client, directory: Path) -> Path:
    """Debian's pebble, taken from the package the server image keeps in its apt cache."""
    script = f"dpkg-deb --fsys-tarfile {PEBBLE_DEB} | tar -xO ./usr/bin/pebble > /out/pebble && chmod 755 /out/pebble"
    client.containers.run(SERVER_IMAGE, ["sh", "-c", script], entrypoint=[], remove=True,
                          volumes={str(directory): {"bind": "/out", "mode": "rw"}})
    binary = directory / "pebble"
    if not binary.exists() or binary.stat().st_size == 0:
        raise TestBedUnavailable(f"no pebble package in {SERVER_IMAGE}'s apt cache: run hack/base-images.sh")
    return binary


def start_host_pebble(client, directory: Path, address: str, dns_server: str) -> HostPebble:
    """Start pebble on `address` (free ports), resolving through `dns_server` (host:port);
    stop it with `.stop()`."""
    directory.mkdir(parents=True, exist_ok=True)
    binary = _pebble_binary(client, directory)
    cert, key = listener_certificate(extra_ips=(address,))
    (directory / "cert.pem").write_text(cert)
    (directory / "key.pem").write_text(key)
    port, management = free_port(), free_port()
    config = pebble_config(f"{address}:{port}", f"{address}:{management}",
                           str(directory / "cert.pem"), str(directory / "key.pem"))
    (directory / "pebble.json").write_text(json.dumps(config))
    env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "TZ": "UTC"}
    log = open(directory / "pebble.log", "wb")
    process = subprocess.Popen([str(binary), "-config", str(directory / "pebble.json"), "-dnsserver", dns_server],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    pebble = HostPebble(address, port, management, cert, directory, process)
    deadline = time.monotonic() + PEBBLE_START_S
    while True:
        try:
            pebble.root()
            return pebble
        except OSError as error:
            if process.poll() is not None or time.monotonic() > deadline:
                pebble.stop()
                raise TestBedUnavailable(f"pebble did not start: {error}\n{pebble.log()[-2000:]}") from None
            time.sleep(0.2)  # polling interval
