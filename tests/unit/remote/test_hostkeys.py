import base64
import hashlib

import asyncssh
import pytest

from hydron.remote import hostkeys

KEY = asyncssh.generate_private_key("ssh-ed25519")
LINE = KEY.export_public_key().decode().strip()


def test_normalize_drops_the_comment():
    algorithm, blob = LINE.split()[:2]
    assert hostkeys.normalize(f"{algorithm} {blob} root@somewhere\n") == f"{algorithm} {blob}"


def test_fingerprint_is_the_one_ssh_prints():
    blob = base64.b64decode(LINE.split()[1])
    expected = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert hostkeys.fingerprint(LINE) == expected


def test_garbage_is_refused_with_a_readable_error():
    with pytest.raises(hostkeys.InvalidHostKey, match="not an OpenSSH public key"):
        hostkeys.parse("ssh-ed25519 not-base64!")
