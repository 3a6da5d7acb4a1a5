"""How Hydron talks to servers: SSH sessions, pure command builders, the command runner.

- `builders/` return `Command`s (argv + whether they change the server); they do no
  I/O, so tests compare them exactly, the way Kamal tests its command builders.
- `connect`, `session`, `pool` hold the asyncssh side: one multiplexed connection per
  server, host keys pinned, reconnect after a drop.
- `runner` executes commands: adds `sudo -n` for non-root users, streams output line
  by line, and counts the commands that change something (a second reconcile with
  nothing to do must count zero).
"""
