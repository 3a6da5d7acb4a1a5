from hydron.provisioning.facts import FACTS_PROBE, parse_docker_version, parse_facts, probe_command
from hydron.remote.builders.probe import MARKER

from tests.unit.provisioning.test_osprofile import UBUNTU_2404


def probe_output(**sections: str) -> str:
    return "".join(f"{MARKER}{name}\n{text}\n" for name, text in sections.items())


SAMPLE = probe_output(**{
    "os-release": UBUNTU_2404,
    "kernel": "6.8.0-41-generic",
    "arch": "x86_64",
    "cpus": "4",
    "memory": "MemTotal:        8131072 kB",
    "disk": "Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/sda1         81000000 20250000  60750000      25% /",
    "systemd": "yes",
    "ssh-connection": "203.0.113.5 50514 10.0.0.4 2222",
    "pending": "docker-engine.pending\nfirewall.pending",
    "apt-lists": "1700003600 1700000000",
})


def test_probe_is_one_unprivileged_read():
    cmd = probe_command()
    assert not cmd.mutates and not cmd.privileged
    for name in FACTS_PROBE:
        assert f"echo '{MARKER}{name}'" in cmd.argv[2]


def test_facts_from_a_probe():
    facts = parse_facts(SAMPLE)
    assert (facts.os_id, facts.os_version, facts.codename) == ("ubuntu", "24.04", "noble")
    assert facts.kernel == "6.8.0-41-generic" and facts.architecture == "x86_64"
    assert facts.cpus == 4
    assert facts.memory_mib == 7940
    assert facts.disk_gib == 77 and facts.disk_free_mib == 59326 and facts.disk_used_percent == 25.0
    assert facts.systemd is True
    assert facts.ssh_port == 2222
    assert facts.pending == {"docker-engine", "firewall"}
    assert facts.apt_lists_age == 3600.0


def test_missing_sections_leave_fields_unset():
    facts = parse_facts(probe_output(kernel="6.1.0"))
    assert facts.kernel == "6.1.0"
    assert facts.os_id is None and facts.cpus is None and facts.disk_gib is None
    assert facts.systemd is False and facts.ssh_port is None and facts.pending == frozenset()


def test_status_facts_use_the_api_names():
    status = parse_facts(SAMPLE).to_status().to_api()
    assert status["os"] == "ubuntu" and status["osVersion"] == "24.04"
    assert status["memoryMiB"] == 7940 and status["diskGiB"] == 77


def test_docker_version():
    assert parse_docker_version("20.10.24+dfsg1\n") == "20.10.24+dfsg1"
    assert parse_docker_version("") is None
