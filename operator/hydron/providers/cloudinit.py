"""The cloud-init user data an ordered machine boots with: the SSH key Hydron logs in
with, and the host key Hydron generated, so the key is pinned before the first
connection (no trust on first use). Pure: text in, text out."""

from __future__ import annotations

import asyncssh
import yaml


def host_key() -> tuple[str, str]:
    """A new ed25519 host key: (private key in OpenSSH form, public `ssh-ed25519 AAAA...`)."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    algorithm, blob = key.export_public_key("openssh").decode().split()[:2]
    return key.export_private_key("openssh").decode(), f"{algorithm} {blob}"


def user_data(ssh_public_key: str, host_key_private: str, host_key_public: str) -> str:
    """#cloud-config installing root's authorized key and the given ed25519 host key
    (cloud-init's `ssh_keys`; the old keys are deleted), with password logins off."""
    config = {
        "disable_root": False,
        "ssh_pwauth": False,
        "ssh_authorized_keys": [ssh_public_key.strip()],
        "ssh_deletekeys": True,
        "ssh_genkeytypes": [],
        "ssh_keys": {"ed25519_private": host_key_private, "ed25519_public": host_key_public.strip()},
    }
    return "#cloud-config\n" + yaml.safe_dump(config, sort_keys=False)


def parse(text: str) -> dict:
    """The user data back as a mapping (what a machine's cloud-init reads)."""
    if not text.startswith("#cloud-config"):
        raise ValueError("not a #cloud-config document")
    return yaml.safe_load(text) or {}
