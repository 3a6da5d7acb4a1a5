"""Stage 6: containers in dependency order, proxy routes, zero-downtime switch, rollback."""
