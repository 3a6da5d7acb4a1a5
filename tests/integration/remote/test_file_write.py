"""A file write whose sender is killed midway leaves the old file on a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hydron.remote.builders import files
from hydron.remote.connect import Target
from hydron.remote.errors import IncompleteWrite
from hydron.remote.runner import CommandRunner
from hydron.remote.session import Session
from hydron_testbed import REPO
from hydron_testbed.polling import eventually

pytestmark = [pytest.mark.docker]

PATH = "/etc/hydron/app.conf"
OLD = b"the old, complete file\n"
SIZE = 8 * 1024 * 1024
SENT = 1024 * 1024


def _size(host, path: str) -> int:
    out = host.sh(f"stat -c %s {path} 2>/dev/null || echo -1", check=False).strip()
    return int(out or -1)


async def test_a_sender_killed_mid_stream_leaves_the_old_file_and_no_temporary_file(hosts):
    (host,) = hosts(1)
    fresh = host.fresh
    host.sh(f"mkdir -p /etc/hydron && printf 'the old, complete file\\n' > {PATH}")
    config = {"address": fresh.address, "port": fresh.port, "user": fresh.user, "key": fresh.private_key_pem,
              "host_key": fresh.host_key, "path": PATH, "size": SIZE, "sent": SENT}
    sender = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("write_sender.py"))],
        stdout=subprocess.PIPE, text=True,
        env={**os.environ, "HYDRON_WRITE_SENDER": json.dumps(config), "PYTHONPATH": str(REPO / "operator")},
    )
    try:
        assert sender.stdout.readline().strip() == "sent"
        temporary = PATH + files.TEMPORARY_SUFFIX
        # The server has part of the new content in the temporary file: mid-stream.
        await eventually(lambda: _size(host, temporary) >= SENT, timeout=60)
    finally:
        sender.kill()
        sender.wait()
    await eventually(lambda: _size(host, temporary) == -1, timeout=60)
    assert host.sh(f"cat {PATH}").encode() == OLD


async def test_a_stream_that_ends_early_raises_incomplete_write_and_keeps_the_old_file(hosts):
    (host,) = hosts(1)
    fresh = host.fresh
    host.sh(f"mkdir -p /etc/hydron && printf 'the old, complete file\\n' > {PATH}")
    session = Session(Target(fresh.address, fresh.port, fresh.user), fresh.client_key, fresh.host_key)
    run = CommandRunner(session, fresh.user)

    async def ends_early():
        yield b"half of it"

    try:
        with pytest.raises(IncompleteWrite, match=f"received 10 of 20 bytes.*{PATH} was left as it was"):
            await run.run(files.write(PATH, b"half of it, and more"), input=ends_early())
        assert host.sh(f"cat {PATH}").encode() == OLD
        assert host.sh(f"ls -a {Path(PATH).parent}").split() == [".", "..", "app.conf"]
        await run.run(files.write(PATH, b"complete\n"))
        assert host.sh(f"cat {PATH}") == "complete\n"
    finally:
        await session.close()
