"""The environment every git call of one fetch runs in.

A :class:`GitSession` owns a private temporary directory (mode 0700) that serves as
HOME, holds the SSH key and known_hosts files, and is removed on exit. It builds the
environment that isolates git from the machine and from the repository:

* no system or global config, no ~/.netrc, ~/.ssh or credential store (HOME is ours);
* config passed through ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``
  (environment, not argv): hooks off, fsmonitor off, no submodule recursion;
* ``GIT_ALLOW_PROTOCOL`` limited to the URL's own transport;
* ``GIT_TERMINAL_PROMPT=0`` and no askpass, so nothing ever waits for a person;
* a token reaches git only through a credential helper that prints two environment
  variables, scoped to the repository's ``scheme://host[:port]`` — it is never in a URL,
  argv (``ps``) or config file, and a redirect or submodule on another host never gets it;
* an SSH key is written to a 0600 file and used with ``IdentitiesOnly``; host keys are
  checked against ``known_hosts`` when given (``StrictHostKeyChecking=yes``), otherwise
  accepted on first use into a throwaway file (``accept-new``). The latter protects
  nothing against an attacker already in the path on the first connection, and since
  the file is discarded every fetch is a first connection: give ``known_hosts`` for
  anything that matters.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Optional

from .errors import InvalidCredentials
from .models import GitCredentials
from .scrub import Scrubber
from .urls import GitURL

DEFAULT_TOKEN_USERNAME = "x-access-token"
TOKEN_ENV = "HYDRON_GIT_TOKEN"
USERNAME_ENV = "HYDRON_GIT_USERNAME"

# Prints the credential from the environment for `get` and ignores `store`/`erase`.
# printf and test are shell builtins, so the token is never any process's argv.
_CREDENTIAL_HELPER = (
    '!f() { test "$1" = get || exit 0; '
    f'printf "username=%s\\npassword=%s\\n" "${USERNAME_ENV}" "${TOKEN_ENV}"; }}; f'
)

_BASE_CONFIG: list[tuple[str, str]] = [
    ("core.hooksPath", "/dev/null"),
    ("core.fsmonitor", "false"),
    ("core.symlinks", "true"),
    ("core.protectNTFS", "true"),
    ("core.protectHFS", "true"),
    ("core.askPass", ""),
    ("credential.helper", ""),  # an empty value resets the helper list
    ("submodule.recurse", "false"),
    ("fetch.recurseSubmodules", "false"),
    ("fetch.writeCommitGraph", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("advice.detachedHead", "false"),
    ("init.defaultBranch", "main"),
    ("protocol.version", "2"),
]

SUBMODULE_PROTOCOLS = ("https", "http", "ssh", "git")


def _clean_secret(value: str, what: str) -> str:
    """Secrets copied into a Secret often end in a newline; inside one is an error."""
    value = value.strip()
    if not value:
        raise InvalidCredentials(f"the {what} in the credentials Secret is empty")
    if any(c in value for c in "\r\n\x00"):
        raise InvalidCredentials(f"the {what} in the credentials Secret contains a line break; store it on one line")
    return value


class GitSession:
    """Context manager: temp dir, environment and scrubber for one fetch or ls-remote."""

    def __init__(
        self,
        url: GitURL,
        credentials: Optional[GitCredentials] = None,
        allowed_schemes: frozenset[str] | None = None,
        connect_timeout: int = 30,
    ) -> None:
        self.url = url
        self.credentials = credentials
        self.connect_timeout = max(1, int(connect_timeout))
        self.allowed_schemes = allowed_schemes
        self.dir: Optional[Path] = None
        self.env: dict[str, str] = {}
        self.scrubber = Scrubber()
        self._validate()

    # -- credentials -----------------------------------------------------------------

    def _validate(self) -> None:
        c = self.credentials
        if c is None:
            return
        secrets, users = [], [c.username or DEFAULT_TOKEN_USERNAME]
        if c.token is not None and c.ssh_private_key is not None:
            raise InvalidCredentials("the credentials Secret has both a token and an SSH key; keep the one that matches the URL")
        if c.token is None and c.ssh_private_key is None:
            raise InvalidCredentials("the credentials Secret has neither a token (token/password) nor an SSH key (identity)")
        if c.token is not None:
            secrets.append(c.token.get_secret_value())
            secrets.append(c.token.get_secret_value().strip())
            if self.url.scheme not in ("http", "https"):
                self.scrubber = Scrubber(secrets, users)
                raise InvalidCredentials(
                    f"a token works only with an https URL, not {self.url.scheme}; use the repository's https "
                    "clone URL, or give an SSH private key (identity) instead"
                )
        if c.ssh_private_key is not None:
            secrets.append(c.ssh_private_key.get_secret_value())
            if self.url.scheme != "ssh":
                self.scrubber = Scrubber(secrets, users)
                raise InvalidCredentials(
                    f"an SSH key works only with an ssh URL (git@host:org/repo.git), not {self.url.scheme}; "
                    "use the ssh clone URL, or give a token instead"
                )
        self.scrubber = Scrubber(secrets, users)

    # -- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> "GitSession":
        self.dir = Path(tempfile.mkdtemp(prefix="hydron-git-"))
        os.chmod(self.dir, 0o700)
        try:
            self.env = self._build_env()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # -- environment -----------------------------------------------------------------

    def _build_env(self) -> dict[str, str]:
        assert self.dir is not None
        home = self.dir / "home"
        home.mkdir(mode=0o700)
        config = list(_BASE_CONFIG)
        env = {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_SYSTEM": os.devnull,
            "GIT_CONFIG_PARAMETERS": "",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "",
            "SSH_ASKPASS": "",
            "SSH_ASKPASS_REQUIRE": "never",
            "GIT_LFS_SKIP_SMUDGE": "1",
            "GIT_ALLOW_PROTOCOL": self.url.scheme,
            "GIT_PROTOCOL_FROM_USER": "0",
            "GIT_SSH_VARIANT": "ssh",
            "GIT_TRACE": "0",
            "GIT_TRACE_PACKET": "0",
            "GIT_TRACE_CURL": "0",
            "GIT_TRACE_REDACT": "1",
            "GIT_TEMPLATE_DIR": "",
            "GIT_EXTERNAL_DIFF": "",
            "GIT_PAGER": "cat",
            "LC_ALL": "C",
            "LANGUAGE": "C",
        }
        c = self.credentials
        if c is not None and c.token is not None:
            env[TOKEN_ENV] = _clean_secret(c.token.get_secret_value(), "token")
            env[USERNAME_ENV] = (c.username or DEFAULT_TOKEN_USERNAME).strip()
            config.append((f"credential.{self.url.credential_scope}.helper", _CREDENTIAL_HELPER))
        else:
            env[TOKEN_ENV] = ""
            env[USERNAME_ENV] = ""
        env["GIT_SSH_COMMAND"] = self._ssh_command()
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for i, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{i}"] = key
            env[f"GIT_CONFIG_VALUE_{i}"] = value
        return env

    def _ssh_command(self) -> str:
        assert self.dir is not None
        known_hosts = self.dir / "known_hosts"
        c = self.credentials
        strict = "accept-new"
        if c is not None and c.known_hosts:
            known_hosts.write_text(c.known_hosts.strip() + "\n")
            strict = "yes"
        else:
            known_hosts.touch()
        opts = [
            "-F", os.devnull,
            "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none",
            "-o", "PasswordAuthentication=no",
            "-o", "KbdInteractiveAuthentication=no",
            "-o", f"StrictHostKeyChecking={strict}",
            "-o", f"UserKnownHostsFile={known_hosts}",
            "-o", f"GlobalKnownHostsFile={os.devnull}",
            "-o", "UpdateHostKeys=no",
            "-o", f"ConnectTimeout={self.connect_timeout}",
            "-o", "LogLevel=ERROR",
        ]
        if c is not None and c.ssh_private_key is not None:
            key = self.dir / "identity"
            text = c.ssh_private_key.get_secret_value().replace("\r\n", "\n").strip() + "\n"
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            opts += ["-o", f"IdentityFile={key}"]
        else:
            opts += ["-o", "IdentityFile=none"]
        return "ssh " + " ".join(shlex.quote(o) for o in opts)

    def submodule_env(self) -> dict[str, str]:
        """The environment for submodule fetches: never file://, whatever the parent used."""
        env = dict(self.env)
        allowed = [p for p in SUBMODULE_PROTOCOLS if self.allowed_schemes is None or p in self.allowed_schemes]
        env["GIT_ALLOW_PROTOCOL"] = ":".join(allowed)
        return env
