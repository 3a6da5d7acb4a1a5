"""The server-side probes are plain argv (values passed as arguments, never spliced)."""

from __future__ import annotations

from hydron.deploy.health import tcp_check


def test_tcp_check_passes_address_and_port_as_arguments():
    command = tcp_check("172.18.0.2", 6379, 3)
    assert command.argv == (
        "sh", "-c", 'timeout "$3" bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$1" "$2"', "sh", "172.18.0.2", "6379", "3",
    )
    assert not command.mutates and command.accepts(1)
