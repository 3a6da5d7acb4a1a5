"""A sender that dies midway: writes a file on a server through Hydron's own SSH path
(files.write via CommandRunner), sends the first part of the content, says so on
stdout, then waits to be killed. Run by test_file_write.py as its own process, so the
kill is a real SIGKILL of the process holding the connection.

Config (JSON in HYDRON_WRITE_SENDER): address, port, user, key, host_key, path, size, sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import asyncssh

from hydron.remote.builders import files
from hydron.remote.connect import Target
from hydron.remote.runner import CommandRunner
from hydron.remote.session import Session


async def main() -> None:
    config = json.loads(os.environ["HYDRON_WRITE_SENDER"])
    session = Session(Target(config["address"], config["port"], config["user"]),
                      asyncssh.import_private_key(config["key"]), config["host_key"])
    content = b"n" * config["size"]

    async def first_part_then_hang():
        yield content[: config["sent"]]
        print("sent", flush=True)
        await asyncio.Event().wait()

    await CommandRunner(session, config["user"]).run(files.write(config["path"], content), input=first_part_then_hang())


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
