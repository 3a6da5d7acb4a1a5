"""The Docker CLI on the server."""

from __future__ import annotations

from hydron.remote.command import Command, mutate, observe


def server_version() -> Command:
    """The engine's version; exit 1 while no engine answers."""
    return observe("docker", "version", "--format", "{{.Server.Version}}", ok_exit=(0, 1, 127))


def info() -> Command:
    """Succeeds only when the daemon answers."""
    return observe("docker", "info", "--format", "{{.ServerVersion}} {{.LoggingDriver}}")


def image_tags() -> Command:
    return observe("docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}")


def parse_image_tags(output: str) -> set[str]:
    return {line.strip() for line in output.splitlines() if line.strip() and "<none>" not in line}


def load() -> Command:
    """Load images from a `docker save` stream on stdin."""
    return mutate("docker", "load")


def pull(image: str) -> Command:
    """`docker pull -- IMAGE`: after `--`, an image named like an option is only a bad name."""
    return mutate("docker", "pull", "--", image)


def image_identity(image: str) -> Command:
    """`<image id> <repo digests as JSON>`; exit 1 when the image is not there."""
    return observe("docker", "image", "inspect", "--format", "{{.Id}} {{json .RepoDigests}}", "--", image, ok_exit=(0, 1))


def tag(source: str, target: str) -> Command:
    return mutate("docker", "tag", "--", source, target)


def untag(image: str) -> Command:
    """Remove one name; the image stays while another name points at it."""
    return mutate("docker", "image", "rm", "--", image)


def registry_mirrors() -> Command:
    """The mirrors the running engine uses, as JSON."""
    return observe("docker", "info", "--format", "{{json .RegistryConfig.Mirrors}}")
