"""A real Kubernetes control plane (etcd + kube-apiserver) on loopback.

The envtest approach: real binaries, no kubelet or controller-manager (Hydron's
workloads run on servers, not pods). Used by the test suite as a session fixture and
by `hack/up.sh` for the README's main job.

    PYTHONPATH=operator python -m hydron_testbed.controlplane up --dir DIR   # starts, prints KUBECONFIG
    PYTHONPATH=operator python -m hydron_testbed.controlplane down --dir DIR
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from hydron_testbed import REPO, TestBedUnavailable
from hydron_testbed.ports import free_port

BINS_SCRIPT = REPO / "hack" / "control-plane-bins.sh"
STATE_FILE = "controlplane.json"


def control_plane_bins() -> Path:
    """Directory with kube-apiserver, etcd, kubectl and helm (built once, then cached)."""
    result = subprocess.run(["bash", str(BINS_SCRIPT)], stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise TestBedUnavailable(
            f"control plane binaries: hack/{BINS_SCRIPT.name} failed (exit {result.returncode}; its output is above). "
            "It builds them with Go (apt-get install golang) or takes them from KUBEBUILDER_ASSETS; "
            "hack/setup.sh runs it."
        )
    return Path(result.stdout.strip().splitlines()[-1])


def _write_key(path: Path, key) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _cert(subject: x509.Name, key, issuer: x509.Name, issuer_key, *, ca: bool, sans=(), client=False):
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    if not ca:
        usage = x509.ExtendedKeyUsageOID.CLIENT_AUTH if client else x509.ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_pki(directory: Path) -> None:
    """A CA, the apiserver's serving cert, an admin client cert (system:masters) and
    the service-account signing key."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hydron-test-ca")])
    ca = _cert(ca_name, ca_key, ca_name, ca_key, ca=True)
    (directory / "ca.crt").write_bytes(_pem(ca))
    _write_key(directory / "ca.key", ca_key)

    server_key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server = _cert(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]), server_key, ca_name, ca_key, ca=False, sans=sans
    )
    (directory / "apiserver.crt").write_bytes(_pem(server))
    _write_key(directory / "apiserver.key", server_key)

    admin_key = ec.generate_private_key(ec.SECP256R1())
    admin_name = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters"), x509.NameAttribute(NameOID.COMMON_NAME, "admin")]
    )
    admin = _cert(admin_name, admin_key, ca_name, ca_key, ca=False, client=True)
    (directory / "admin.crt").write_bytes(_pem(admin))
    _write_key(directory / "admin.key", admin_key)

    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_key(directory / "sa.key", sa_key)
    (directory / "sa.pub").write_bytes(
        sa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def kubeconfig_text(server: str, ca: Path, cert: Path | None = None, key: Path | None = None, token: str | None = None) -> str:
    """A kubeconfig for one user, as JSON (which is valid YAML)."""
    user: dict = {"token": token} if token else {"client-certificate": str(cert), "client-key": str(key)}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "hydron", "cluster": {"server": server, "certificate-authority": str(ca)}}],
        "users": [{"name": "hydron", "user": user}],
        "contexts": [{"name": "hydron", "context": {"cluster": "hydron", "user": "hydron", "namespace": "default"}}],
        "current-context": "hydron",
    }
    return json.dumps(config, indent=2)


@dataclass
class ControlPlane:
    """etcd and kube-apiserver processes rooted in one directory."""

    directory: Path
    bins: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    argvs: dict[str, list[str]] = field(default_factory=dict)
    api_port: int = 0

    @property
    def kubeconfig(self) -> Path:
        return self.directory / "kubeconfig"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"

    @property
    def kubectl(self) -> Path:
        return self.bins / "kubectl"

    def env(self) -> dict[str, str]:
        """Environment for subprocesses (kubectl, the operator) aimed at this cluster."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig), "PATH": f"{self.bins}:{os.environ['PATH']}"}

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.directory / f"{name}.log", "ab")
        self.argvs[name] = argv
        # Own session: `up` leaves them running; `down` or stop() ends them.
        self.processes[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.directory / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def start(self, timeout: float = 90.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        pki = self.directory / "pki"
        pki.mkdir(exist_ok=True)
        make_pki(pki)
        etcd_port, peer_port, self.api_port = free_port(), free_port(), free_port()
        etcd_url = f"http://127.0.0.1:{etcd_port}"
        peer_url = f"http://127.0.0.1:{peer_port}"
        self._spawn("etcd", [
            str(self.bins / "etcd"), "--name", "hydron", "--data-dir", str(self.directory / "etcd"),
            "--listen-client-urls", etcd_url, "--advertise-client-urls", etcd_url,
            "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
            "--initial-cluster", f"hydron={peer_url}", "--unsafe-no-fsync", "--log-level", "warn",
        ])
        self._spawn("kube-apiserver", [
            str(self.bins / "kube-apiserver"),
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={self.api_port}",
            f"--cert-dir={pki}", f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={pki / 'sa.pub'}", f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--service-cluster-ip-range=10.0.0.0/24", "--authorization-mode=RBAC", "--allow-privileged=true",
            "--disable-admission-plugins=ServiceAccount", "--endpoint-reconciler-type=none", "--v=1",
        ])
        self.kubeconfig.write_text(kubeconfig_text(self.server, pki / "ca.crt", pki / "admin.crt", pki / "admin.key"))
        self._wait_ready(timeout)
        (self.directory / STATE_FILE).write_text(json.dumps({
            "pids": {n: p.pid for n, p in self.processes.items()}, "apiPort": self.api_port, "bins": str(self.bins),
        }))

    def _wait_ready(self, timeout: float) -> None:
        pki = self.directory / "pki"
        context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
        deadline = time.monotonic() + timeout
        last_error = ""
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise TestBedUnavailable(f"control plane: {name} exited with {proc.returncode}:\n{self.log_tail(name)}")
            try:
                with urllib.request.urlopen(f"{self.server}/readyz", context=context, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError as error:
                last_error = str(error)
            time.sleep(0.2)  # polling interval, not synchronisation: the loop checks readiness
        self.stop()
        raise TestBedUnavailable(f"control plane: kube-apiserver not ready after {timeout}s ({last_error}):\n{self.log_tail('kube-apiserver')}")

    def restart_apiserver(self, timeout: float = 90.0) -> None:
        """Stop kube-apiserver and start it again on the same port over the same etcd
        (what an upgrade or a crashed control-plane node does to its clients)."""
        proc = self.processes["kube-apiserver"]
        proc.kill()
        proc.wait()
        self._spawn("kube-apiserver", self.argvs["kube-apiserver"])
        self._wait_ready(timeout)

    def kubectl_run(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.kubectl), *args], env=self.env(), input=input, capture_output=True, text=True, check=check)

    def install_crds(self, crds: Path = REPO / "crds") -> None:
        self.kubectl_run("apply", "--server-side", "--force-conflicts", "-f", str(crds))
        self.kubectl_run("wait", "--for=condition=Established", "--timeout=60s", "-f", str(crds))

    def stop(self) -> None:
        """Terminate both; the apiserver's graceful drain is pointless for a
        throw-away cluster, so it gets a short grace period before SIGKILL."""
        for proc in reversed(list(self.processes.values())):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes.values():
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.processes.clear()


def stop_recorded(directory: Path) -> None:
    """Stop processes a previous `up` left running (best effort, by recorded PID)."""
    state = directory / STATE_FILE
    if not state.exists():
        return
    pids = list(json.loads(state.read_text())["pids"].values())
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [pid for pid in pids if _signal_group(pid, sig)]
        deadline = time.monotonic() + 3
        while alive and time.monotonic() < deadline:
            alive = [pid for pid in alive if _signal_group(pid, 0)]
            time.sleep(0.1)  # polling for exit
        if not alive:
            break
    state.unlink()


def _signal_group(pid: int, sig: int) -> bool:
    """Send sig to the process group led by pid; False when it no longer exists."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--dir", required=True, type=Path)
    args = parser.parse_args(argv)
    if args.action == "down":
        stop_recorded(args.dir)
        return 0
    stop_recorded(args.dir)
    started = time.monotonic()
    try:
        plane = ControlPlane(args.dir, control_plane_bins())
        plane.start()
    except TestBedUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    plane.install_crds()
    print(f"control plane ready in {time.monotonic() - started:.1f}s", file=sys.stderr)
    print(plane.kubeconfig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
