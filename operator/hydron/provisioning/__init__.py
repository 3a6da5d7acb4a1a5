"""Stage 4: turn a fresh Debian/Ubuntu server into a Hydron server, over SSH.

Each step is observe → change if needed → verify (`step.Step`), run in order by
`engine.run_steps`, which records progress in status.steps, posts events, writes
pending markers and counts changing commands. `steps.ALL` is the order.
"""
