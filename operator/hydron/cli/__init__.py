"""Command-line entry points: `hydron` and the `kubectl hydron` plugin."""
