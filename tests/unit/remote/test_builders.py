"""Exact argv of every builder: what runs on a user's server is decided here."""

import hashlib
import subprocess

import pytest

from hydron.remote.builders import apt, caddy, docker, files, markers, nft, probe, sshd, sysctl
from hydron.remote.builders.services import Daemon, Detached, Systemd, manager_for
from hydron.remote.command import mutate, observe, shell
from hydron.remote.errors import IncompleteWrite

APT_ENV = ["env", "DEBIAN_FRONTEND=noninteractive", "NEEDRESTART_MODE=a"]
DPKG_KEEP = ["-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]
LOCK = ["-o", "DPkg::Lock::Timeout=300"]


def test_apt_install_is_noninteractive_keeps_config_and_waits_for_the_lock():
    cmd = apt.install(["docker.io", "curl"])
    assert list(cmd.argv) == [*APT_ENV, "apt-get", "install", "-y", "--no-install-recommends", *LOCK, *DPKG_KEEP, "docker.io", "curl"]
    assert cmd.mutates


def test_apt_update_and_security_upgrade():
    assert list(apt.update().argv) == [*APT_ENV, "apt-get", "update", *LOCK]
    assert list(apt.upgrade_only(["tzdata"]).argv) == [
        *APT_ENV, "apt-get", "install", "-y", "--only-upgrade", *LOCK, *DPKG_KEEP, "tzdata",
    ]
    assert apt.simulate_upgrade() == observe("apt-get", "-s", "-o", "Debug::NoLocking=1", "upgrade", privileged=False)


def test_dpkg_queries_and_repair():
    assert apt.package_status(["caddy"]) == observe(
        "dpkg-query", "-W", "-f=${Package}\\t${db:Status-Status}\\t${Version}\\n", "caddy", ok_exit=(0, 1)
    )
    assert apt.finish_interrupted() == mutate(*APT_ENV, "dpkg", "--force-confdef", "--force-confold", "--configure", "-a")
    assert apt.audit() == observe("dpkg", "--audit", ok_exit=(0, 1))


def test_files_are_written_from_stdin_with_their_length_and_digest_in_argv():
    cmd = files.write("/etc/docker/daemon.json", b"{}\n", "0644")
    assert cmd.mutates and cmd.stdin == b"{}\n"
    assert cmd.argv[:2] == ("sh", "-c") and cmd.argv[3:] == (
        "sh", "/etc/docker/daemon.json", "0644", "3", hashlib.sha256(b"{}\n").hexdigest())
    assert files.read("/x") == shell('if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi', "/x", ok_exit=(0, 3))
    assert files.remove("/a", "/b") == mutate("rm", "-f", "--", "/a", "/b")


def _run_write(cmd, sent: bytes):
    """The write script through a real sh, as the server runs it, with `sent` on stdin."""
    return subprocess.run(cmd.argv, input=sent, capture_output=True, check=False)


def test_a_complete_write_replaces_the_file_with_its_mode(tmp_path):
    target = tmp_path / "etc" / "app.conf"
    new = b"new contents\n" * 1000
    result = _run_write(files.write(str(target), new, "0640"), new)
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == new and oct(target.stat().st_mode & 0o777) == "0o640"
    assert list(target.parent.iterdir()) == [target]


@pytest.mark.parametrize("sent", [b"", b"new con", b"new contents\n" * 999], ids=["nothing", "a few bytes", "all but one line"])
def test_a_stream_that_ends_early_leaves_the_old_file_and_no_temporary_file(tmp_path, sent):
    target = tmp_path / "app.conf"
    target.write_bytes(b"old\n")
    cmd = files.write(str(target), b"new contents\n" * 1000)
    result = _run_write(cmd, sent)
    assert result.returncode == files.INCOMPLETE and cmd.failure_for(result.returncode) is IncompleteWrite
    assert f"received {len(sent)} of 13000 bytes".encode() in result.stderr
    assert target.read_bytes() == b"old\n" and list(tmp_path.iterdir()) == [target]


def test_bytes_altered_on_the_way_are_refused_like_missing_ones(tmp_path):
    target = tmp_path / "app.conf"
    target.write_bytes(b"old\n")
    result = _run_write(files.write(str(target), b"allow 10.0.0.0/8\n"), b"allow 0.0.0.0/0\n")
    assert result.returncode == files.INCOMPLETE and target.read_bytes() == b"old\n"


def test_sysctl_reads_a_key_and_says_when_it_is_missing_or_read_only():
    import subprocess

    def run(cmd):
        return subprocess.run(cmd.argv, capture_output=True, text=True)

    assert sysctl.read("net.ipv4.ip_forward").ok_exit == {0, sysctl.UNKNOWN, sysctl.READ_ONLY}
    ostype = run(sysctl.read("kernel.ostype"))  # a constant: never writable
    assert (ostype.returncode, ostype.stdout.strip()) == (sysctl.READ_ONLY, "Linux")
    assert run(sysctl.read("net.ipv4.no_such_setting")).returncode == sysctl.UNKNOWN
    assert run(sysctl.read("../../etc/passwd")).returncode == sysctl.UNKNOWN
    assert sysctl.apply("/etc/sysctl.d/60-x.conf") == mutate("sysctl", "-q", "-p", "/etc/sysctl.d/60-x.conf")


def test_pending_markers():
    assert markers.path("firewall") == "/var/lib/hydron/steps/firewall.pending"
    assert markers.write("firewall") == mutate(
        "sh", "-c", 'mkdir -p -- "$(dirname -- "$1")" && : > "$1"', "sh", "/var/lib/hydron/steps/firewall.pending"
    )
    assert markers.clear("firewall") == mutate("rm", "-f", "--", "/var/lib/hydron/steps/firewall.pending")


def test_nft():
    assert nft.check("/etc/hydron/firewall.nft") == observe("nft", "-c", "-f", "/etc/hydron/firewall.nft")
    assert nft.load("/etc/hydron/firewall.nft") == mutate("nft", "-f", "/etc/hydron/firewall.nft")


def test_docker():
    assert docker.server_version() == observe("docker", "version", "--format", "{{.Server.Version}}", ok_exit=(0, 1, 127))
    assert docker.load() == mutate("docker", "load")
    assert docker.pull("python:3.11-slim") == mutate("docker", "pull", "--", "python:3.11-slim")
    assert docker.image_tags() == observe("docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}")


def test_caddy_admin_api():
    assert list(caddy.get_config().argv) == ["curl", "-sS", "--fail", "--max-time", "10", "http://localhost:2019/config/"]
    assert list(caddy.load_config().argv) == [
        "curl", "-sS", "--fail-with-body", "--max-time", "60", "-X", "POST",
        "-H", "Content-Type: application/json", "--data-binary", "@-", "http://localhost:2019/load",
    ]
    assert caddy.append_route("hydron").argv[-1] == "http://localhost:2019/config/apps/http/servers/hydron/routes"
    assert caddy.load_config().mutates and not caddy.get_config().mutates


def test_sshd_checks():
    assert sshd.check_config() == observe("sshd", "-t")
    assert sshd.effective_config() == observe("sshd", "-T")


DOCKERD = Daemon(name="docker", unit="docker", executable="/usr/sbin/dockerd")
CADDY = Daemon(
    name="caddy", unit="caddy-api", conflicts=("caddy",), executable="/usr/bin/caddy",
    args=("run", "--resume"), env=(("HOME", "/var/lib/caddy"),),
)


def test_systemd_enables_units_and_disables_conflicting_ones():
    systemd = Systemd()
    assert list(systemd.is_running(DOCKERD).argv) == ["systemctl", "is-active", "--quiet", "docker"]
    assert [list(c.argv) for c in systemd.start(DOCKERD)] == [["systemctl", "enable", "--now", "docker"]]
    assert [list(c.argv) for c in systemd.start(CADDY)] == [
        ["systemctl", "disable", "--now", "caddy"],
        ["systemctl", "enable", "--now", "caddy-api"],
    ]
    assert list(systemd.reload(DOCKERD).argv) == ["systemctl", "try-reload-or-restart", "docker"]


def test_without_systemd_daemons_run_detached_with_a_pidfile():
    detached = Detached()
    assert list(detached.is_running(DOCKERD).argv) == [
        "start-stop-daemon", "--status", "--pidfile", "/run/hydron/docker.pid", "--exec", "/usr/sbin/dockerd",
    ]
    (start,) = detached.start(CADDY)
    assert start.mutates
    assert list(start.argv) == [
        "sh", "-c", 'mkdir -p -- "$1" "$2" && shift 2 && exec "$@"', "sh", "/run/hydron", "/var/log/hydron",
        "env", "HOME=/var/lib/caddy",
        "start-stop-daemon", "--start", "--quiet", "--oknodo", "--background", "--make-pidfile",
        "--pidfile", "/run/hydron/caddy.pid", "--output", "/var/log/hydron/caddy.log",
        "--exec", "/usr/bin/caddy", "--", "run", "--resume",
    ]
    sshd_daemon = Daemon(name="sshd", unit="ssh", executable="/usr/sbin/sshd", pidfile="/run/sshd.pid")
    assert list(detached.reload(sshd_daemon).argv) == [
        "start-stop-daemon", "--stop", "--quiet", "--signal", "HUP", "--pidfile", "/run/sshd.pid",
    ]
    stop, again = detached.restart(DOCKERD)
    assert list(stop.argv)[:6] == ["start-stop-daemon", "--stop", "--quiet", "--oknodo", "--retry", "TERM/20/KILL/5"]
    assert again == detached.start(DOCKERD)[0]


def test_manager_is_chosen_by_whether_systemd_runs():
    assert manager_for(True).name == "systemd" and manager_for(False).name == "detached"


def test_probe_runs_sections_in_one_command_and_parses_them_back():
    cmd = probe.sections({"kernel": "uname -r", "cpus": "nproc"}, privileged=False)
    assert cmd.argv[:2] == ("sh", "-c") and not cmd.mutates and not cmd.privileged
    assert cmd.argv[2] == (
        "echo '@@hydron-section kernel'; { uname -r; } 2>/dev/null; "
        "echo '@@hydron-section cpus'; { nproc; } 2>/dev/null; true"
    )
    out = "@@hydron-section kernel\n6.1.0-18-amd64\n@@hydron-section cpus\n4\n"
    assert probe.parse_sections(out) == {"kernel": "6.1.0-18-amd64", "cpus": "4"}
