"""A real DNS server for the tests: BIND 9 (`named`, Debian's bind9) in the foreground,
serving one test zone that takes RFC 2136 updates signed with a TSIG key.

It listens on loopback (and, when asked, on another address of this machine, such as
the test bed network's gateway, so containers reach it too), on a free port, with its
configuration and zone journal in a directory of its own. Nothing of the machine's
own BIND setup is read or changed.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from hydron_testbed import TestBedUnavailable
from hydron_testbed.processes import stop_process
from hydron_testbed.ports import LOOPBACK, free_port, wait_for_port

ZONE = "example.test"
KEY_NAME = "hydron-test"
ALGORITHM = "hmac-sha256"
START_DEADLINE_S = 20.0


def named_binary() -> str:
    path = shutil.which("named") or ("/usr/sbin/named" if os.path.exists("/usr/sbin/named") else None)
    if path is None:
        raise TestBedUnavailable("BIND's named is not installed: `apt-get install bind9` (hack/setup.sh does)")
    return path


@dataclass
class Bind:
    """One running named: the zone, the key that may update it, and where it listens."""

    directory: Path
    port: int
    secret: str
    zone: str = ZONE
    key_name: str = KEY_NAME
    algorithm: str = ALGORITHM
    address: str = LOOPBACK
    process: subprocess.Popen | None = field(default=None, repr=False)

    def rfc2136(self, **overrides) -> dict:
        """spec.dns.rfc2136 pointing at this server (Secret `dns-tsig`, key `secret`)."""
        return {"nameserver": self.address, "port": self.port, "zone": self.zone, "tsigKeyName": self.key_name,
                "tsigAlgorithm": self.algorithm, "tsigSecretSecretRef": {"name": "dns-tsig", "key": "secret"},
                **overrides}

    def answers(self, name: str, rdtype: str = "A") -> set[str]:
        """What the server answers for `name`, asked the plain way (not through Hydron's code)."""
        response = dns.query.udp(dns.message.make_query(name, rdtype), LOOPBACK, port=self.port, timeout=5)
        assert response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN), dns.rcode.to_text(response.rcode())
        return {rd.to_text() for rrset in response.answer for rd in rrset
                if dns.rdatatype.to_text(rrset.rdtype) == rdtype}

    def log(self) -> str:
        path = self.directory / "named.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        stop_process(self.process)


def _config(directory: Path, port: int, secret: str, addresses: list[str]) -> str:
    listen = " ".join(f"{a};" for a in addresses)
    return f"""
options {{
  directory "{directory}";
  pid-file "{directory}/named.pid";
  session-keyfile "{directory}/session.key";
  managed-keys-directory "{directory}";
  listen-on port {port} {{ {listen} }};
  listen-on-v6 {{ none; }};
  recursion no;
  dnssec-validation no;
  allow-query {{ any; }};
  notify no;
}};
controls {{ }};
key "{KEY_NAME}" {{ algorithm {ALGORITHM}; secret "{secret}"; }};
zone "{ZONE}" {{
  type primary;
  file "{directory}/{ZONE}.zone";
  update-policy {{ grant {KEY_NAME} zonesub ANY; }};
}};
"""


def _zone() -> str:
    return f"""$TTL 60
@ IN SOA ns.{ZONE}. hostmaster.{ZONE}. ( 1 60 60 600 30 )
@ IN NS ns.{ZONE}.
ns IN A 127.0.0.1
"""


def start_bind(directory: Path, extra_addresses: tuple[str, ...] = ()) -> Bind:
    """Start named serving ZONE on loopback (and `extra_addresses`); stop it with `.stop()`."""
    named = named_binary()
    directory.mkdir(parents=True, exist_ok=True)
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    port = free_port()
    (directory / "named.conf").write_text(_config(directory, port, secret, [LOOPBACK, *extra_addresses]))
    (directory / f"{ZONE}.zone").write_text(_zone())
    log = open(directory / "named.log", "wb")
    process = subprocess.Popen([named, "-g", "-c", str(directory / "named.conf")], stdout=log, stderr=subprocess.STDOUT)
    bind = Bind(directory, port, secret, process=process)
    try:
        wait_for_port(port, time.monotonic() + START_DEADLINE_S, process)
    except (TimeoutError, RuntimeError) as error:
        bind.stop()
        raise TestBedUnavailable(f"named did not start: {error}\n{bind.log()[-2000:]}") from None
    return bind
