"""What a person reads when a step fails, and whether Hydron retries."""

from hydron.provisioning.failures import DISK_FULL, STEP_FAILED, StepError, classify
from hydron.remote.errors import CommandFailed, ConnectionLost, MutationRefused


def apt_failure(stderr: str) -> CommandFailed:
    return CommandFailed("env DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io", 100, "", stderr)


def test_missing_package_points_at_the_apt_sources():
    failure = classify("docker-engine", apt_failure("Reading package lists...\nE: Unable to locate package docker.io\n"))
    assert failure.reason == STEP_FAILED and not failure.retryable
    assert failure.message == (
        "docker-engine: package install failed: E: Unable to locate package docker.io; "
        "check the server's apt sources (on Ubuntu the universe component must be enabled)"
    )


def test_full_disk_has_its_own_reason():
    failure = classify("docker-engine", apt_failure("dpkg: error processing archive ...: No space left on device\n"))
    assert failure.reason == DISK_FULL and not failure.retryable
    assert "the disk is full" in failure.message and "docker system prune" in failure.message
    written = CommandFailed("sh -c ...", 1, "", "cat: write error: No space left on device\n")
    assert classify("log-collection", written).reason == DISK_FULL


def test_lock_held_by_another_apt_is_retried():
    failure = classify("docker-engine", apt_failure("E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (unattended-upgr)"))
    assert failure.retryable and "unattended-upgrades" in failure.message


def test_network_trouble_is_retried():
    failure = classify("security-updates", apt_failure("Err:1 http://x bookworm InRelease\n  Temporary failure resolving 'x'\n"))
    assert failure.retryable and "package download failed" in failure.message


def test_sudo_that_wants_a_password_says_what_to_configure():
    failure = classify("firewall", CommandFailed("nft -f x", 1, "", "sudo: a password is required\n"))
    assert not failure.retryable and "NOPASSWD" in failure.message


def test_unknown_command_failure_keeps_its_text():
    failure = classify("firewall", CommandFailed("nft -f x", 1, "", "Error: syntax error\n"))
    assert failure.reason == STEP_FAILED and "syntax error" in failure.message


def test_step_errors_and_remote_errors_keep_their_own_verdict():
    assert classify("x", StepError("boom", retryable=True)).retryable
    lost = classify("x", ConnectionLost("dropped"))
    assert lost.reason == "HostUnreachable" and lost.retryable
    refused = classify("x", MutationRefused("observe-only"))
    assert not refused.retryable
    assert classify("x", RuntimeError("bug")).message == "x: unexpected RuntimeError: bug"
