"""Pure command builders: each returns `Command`s (argv + whether it changes the
server) and, where a command's output needs reading, the pure parser next to it.
Nothing here does I/O; tests compare the argv exactly."""
