"""Stage 5: the pinned revision goes to the server and `docker build` runs there."""
