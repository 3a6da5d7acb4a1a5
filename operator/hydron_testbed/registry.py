"""A real container registry (Debian's `docker-registry`, the CNCF distribution
registry) for test-bed servers: TLS with its own CA and htpasswd logins, as a user's
mirror or private registry would be.

Two processes share one storage directory:

* the servers' registry, on the test-bed network's gateway address (where server
  containers reach this machine), with TLS and a login;
* a plain, login-free one on loopback, only for this machine's engine to push into
  (Docker pushes to 127.0.0.0/8 over plain HTTP without extra configuration), so the
  machine's engine needs no trust or login changes.

    registry = start_registry(workdir, gateway)
    digest = registry.push(client, "debian:bookworm-slim", "library/only-here:1")
    registry.dockerconfigjson()          # a kubernetes.io/dockerconfigjson value
    registry.stop()

`hack/registry.sh` installs the packages (docker-registry, apache2-utils for htpasswd).
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import secrets
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import docker
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hydron_testbed import TestBedUnavailable
from hydron_testbed.servers import NETWORK

START_DEADLINE_S = 30.0
USER = "hydron-ci"


@dataclass
class RunningRegistry:
    host: str
    """`address:port` as servers reach it (TLS, login required)."""
    push_host: str
    """`127.0.0.1:port`: plain and open, for this machine's engine to push to."""
    ca_pem: str
    username: str
    password: str = field(repr=False)
    processes: list[subprocess.Popen] = field(default_factory=list, repr=False)
    logs: list[Path] = field(default_factory=list)

    def dockerconfigjson(self, password: str | None = None) -> str:
        """A kubernetes.io/dockerconfigjson value for this registry (another password: a wrong login)."""
        secret = self.password if password is None else password
        auth = base64.b64encode(f"{self.username}:{secret}".encode()).decode()
        return json.dumps({"auths": {self.host: {"username": self.username, "password": secret, "auth": auth}}})

    def push(self, client: docker.DockerClient, local_image: str, repository: str) -> str:
        """Push a local image as `repository` (e.g. library/name:tag); its manifest digest.
        The push name is removed from this machine's engine again."""
        name = f"{self.push_host}/{repository}"
        client.images.get(local_image).tag(name)
        try:
            digest = None
            for event in client.images.push(name, stream=True, decode=True):
                if "error" in event:
                    raise TestBedUnavailable(f"push of {name} failed: {event['error']}")
                digest = (event.get("aux") or {}).get("Digest") or digest
        finally:
            client.images.remove(name)
        if digest is None:
            raise TestBedUnavailable(f"push of {name} reported no digest")
        return digest

    def stop(self) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def gateway_address(client: docker.DockerClient) -> str:
    """This machine's address on the test-bed network (servers reach it there)."""
    network = client.networks.get(NETWORK)
    for config in network.attrs["IPAM"]["Config"] or []:
        if config.get("Gateway"):
            return config["Gateway"]
    raise TestBedUnavailable(f"network {NETWORK} has no gateway address")


def start_registry(workdir: Path, address: str) -> RunningRegistry:
    """Start both processes; TestBedUnavailable when the packages are missing or a
    process does not answer."""
    binary, htpasswd = shutil.which("docker-registry"), shutil.which("htpasswd")
    if binary is None or htpasswd is None:
        raise TestBedUnavailable("docker-registry or htpasswd is not installed: run hack/registry.sh")
    workdir.mkdir(parents=True, exist_ok=True)
    storage = workdir / "storage"
    storage.mkdir(exist_ok=True)
    cert, key = _self_signed(address)
    (workdir / "cert.pem").write_bytes(cert)
    (workdir / "key.pem").write_bytes(key)
    (workdir / "key.pem").chmod(0o600)
    password = secrets.token_urlsafe(18)
    made = subprocess.run([htpasswd, "-Bbn", USER, password], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        raise TestBedUnavailable(f"htpasswd failed: {made.stderr.strip()}")
    (workdir / "htpasswd").write_text(made.stdout)

    served_port, push_port = _free_port(address), _free_port("127.0.0.1")
    served = _config(storage, f"{address}:{served_port}", {
        "tls": {"certificate": str(workdir / "cert.pem"), "key": str(workdir / "key.pem")},
    }, {"htpasswd": {"realm": "hydron-test", "path": str(workdir / "htpasswd")}})
    pushing = _config(storage, f"127.0.0.1:{push_port}", {}, None)
    registry = RunningRegistry(
        host=f"{address}:{served_port}", push_host=f"127.0.0.1:{push_port}", ca_pem=cert.decode(),
        username=USER, password=password,
    )
    try:
        for name, config in (("served", served), ("push", pushing)):
            path = workdir / f"{name}.json"  # the registry reads YAML, and JSON is YAML
            path.write_text(json.dumps(config))
            log = workdir / f"{name}.log"
            registry.logs.append(log)
            with log.open("wb") as out:
                registry.processes.append(subprocess.Popen([binary, "serve", str(path)], stdout=out, stderr=out))
        _wait_until_up(registry, workdir)
    except BaseException:
        registry.stop()
        raise
    return registry


def _config(storage: Path, addr: str, http: dict, auth: dict | None) -> dict:
    config = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
        "http": {"addr": addr, **http},
    }
    if auth:
        config["auth"] = auth
    return config


def _wait_until_up(registry: RunningRegistry, workdir: Path) -> None:
    tls = ssl.create_default_context(cadata=registry.ca_pem)
    deadline = time.monotonic() + START_DEADLINE_S
    for url, context, wanted in ((f"https://{registry.host}/v2/", tls, 401), (f"http://{registry.push_host}/v2/", None, 200)):
        while True:
            for proc, log in zip(registry.processes, registry.logs):
                if proc.poll() is not None:
                    raise TestBedUnavailable(f"docker-registry exited {proc.returncode}: {log.read_text()[-800:]}")
            try:
                with urllib.request.urlopen(url, context=context, timeout=2) as answer:
                    status = answer.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = None
            if status == wanted:
                break
            if time.monotonic() > deadline:
                raise TestBedUnavailable(f"docker-registry at {url} did not answer {wanted} (got {status})")
            time.sleep(0.1)  # poll interval, bounded by the deadline


def _free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def _self_signed(address: str) -> tuple[bytes, bytes]:
    """A self-signed certificate for the address, usable as its own CA (certs.d/ca.crt)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hydron test registry")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem
