"""Hydron's test bed: the real parts the tests, the benchmarks and `hack/up.sh` run
Hydron against, on this machine.

* :mod:`.controlplane` — etcd + kube-apiserver from real binaries, with the CRDs;
  :mod:`.cluster` — kubectl (and the kubectl-hydron plugin) against it, one namespace at a time;
  :mod:`.operator_process` — ``hydron run`` as a subprocess against it;
* :mod:`.servers` — fresh Debian "servers" (containers with sshd) on the local Docker engine;
* :mod:`.acme` — pebble, a real ACME CA, on such a server;
* :mod:`.registry` — a real container registry (TLS, htpasswd) servers use as a mirror or private registry;
* :mod:`.git_server` — Git servers on loopback standing in for GitHub/GitLab;
* :mod:`.llm_server` — a loopback server speaking the Anthropic Messages API;
* :mod:`.reconcile`, :mod:`.hello_app`, :mod:`.traffic`, :mod:`.polling` — driving the
  controllers in-process against those servers, and watching what they serve;
* :mod:`.ports` — free loopback ports.

Plain Python, no pytest: a missing Docker engine or binary raises
:class:`TestBedUnavailable` saying what to install or run. The test suite turns that into
a skip (or a failure on CI); a script lets it end the run. Not part of the product: the
`hydron` package never imports it, and the wheel leaves it out.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
"""The repository checkout this test bed belongs to (crds/, examples/, hack/ live there)."""


class TestBedUnavailable(RuntimeError):
    """A real component of the test bed is missing or cannot start here; the message
    says what it is and what to install or run."""

    __test__ = False  # a name starting with "Test" is not a pytest test class
