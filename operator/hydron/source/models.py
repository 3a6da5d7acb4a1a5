"""Data the source stage takes and returns.

``GitSource`` mirrors ``Application.spec.source.git`` (minus the Secret reference, which
the controller resolves into :class:`GitCredentials`). A bad ``ref`` or ``path`` raises
:class:`InvalidRef`/:class:`InvalidPath` straight out of the constructor: they are
``SourceError``s, not ``ValueError``s, so pydantic passes them through and the caller's
``except SourceError`` turns them into a condition like any other source failure. Credentials are ``SecretStr`` so a
repr, a log line or a pydantic error never shows them; they are checked where they are
used (:mod:`hydron.source.session`), never in a validator, because pydantic echoes the
raw input of a failed validation.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Mapping, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from .errors import InvalidPath, InvalidRef
from .urls import SCHEMES


class GitSource(BaseModel):
    """Which repository, at which ref, and which part of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(description="Clone URL: https, http, ssh (also git@host:org/repo.git), git or file.")
    ref: Optional[str] = Field(
        default=None,
        description="Branch, tag, full ref name or commit sha (full or short). Default: the remote's default branch.",
    )
    path: Optional[str] = Field(default=None, description="Subdirectory of the repository to use.")
    submodules: bool = Field(default=False, description="Also fetch submodules (shallow).")

    @field_validator("url")
    @classmethod
    def _strip_url(cls, v: str) -> str:
        return v.strip()

    @field_validator("ref")
    @classmethod
    def _check_ref(cls, v: Optional[str]) -> Optional[str]:
        if v is None:
            return None
        v = v.strip()
        if not v:
            return None
        # git check-ref-format's rules that matter for safety; the remote decides the rest
        if v.startswith("-") or any(c.isspace() or ord(c) < 32 for c in v) or ".." in v or any(c in v for c in "~^:?*[\\"):
            raise InvalidRef(
                f"spec.source.git.ref {v[:200]!r} is not a branch, tag or commit sha "
                "(no spaces, '..', '~', '^', ':', '?', '*', '[', '\\', no leading '-')"
            )
        return v

    @field_validator("path")
    @classmethod
    def _check_path(cls, v: Optional[str]) -> Optional[str]:
        if v is None:
            return None
        shown = repr(v[:200])
        if "\x00" in v or "\\" in v:
            raise InvalidPath(f"spec.source.git.path {shown} must be a relative POSIX path inside the repository")
        if v.startswith("/"):
            raise InvalidPath(f"spec.source.git.path {shown} must be relative to the repository root (no leading '/')")
        norm = posixpath.normpath(v.strip())
        if norm in (".", ""):
            return None
        if norm == ".." or norm.startswith("../"):
            raise InvalidPath(f"spec.source.git.path {shown} leaves the repository ('..')")
        if "/.git/" in f"/{norm}/":
            raise InvalidPath(f"spec.source.git.path {shown} points into .git")
        return norm


class GitCredentials(BaseModel):
    """Either an access token (https) or an SSH private key (ssh).

    ``username`` defaults to ``x-access-token``: GitHub ignores it for tokens and GitLab
    accepts any non-empty name with a personal access token; Bitbucket app passwords
    need the real user name and Bitbucket access tokens ``x-token-auth``.
    ``known_hosts`` pins the SSH server's key; without it the first key seen is trusted.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: Optional[str] = None
    token: Optional[SecretStr] = None
    ssh_private_key: Optional[SecretStr] = None
    known_hosts: Optional[str] = None

    @classmethod
    def from_secret_data(cls, data: Mapping[str, Union[str, bytes]]) -> "GitCredentials":
        """Build from a decoded Secret's data.

        Accepted keys (Flux's, Argo CD's and the kubernetes.io/ssh-auth and basic-auth
        Secret types'): ``token`` or ``password``, ``username``; ``identity``,
        ``ssh-privatekey`` or ``sshPrivateKey``; ``known_hosts`` or ``knownHosts``.
        """

        def get(*keys: str) -> Optional[str]:
            for k in keys:
                if k in data and data[k] is not None:
                    v = data[k]
                    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            return None

        token = get("token", "password")
        key = get("identity", "ssh-privatekey", "sshPrivateKey")
        return cls(
            username=get("username"),
            token=SecretStr(token) if token is not None else None,
            ssh_private_key=SecretStr(key) if key is not None else None,
            known_hosts=get("known_hosts", "knownHosts"),
        )


class FetchLimits(BaseModel):
    """Bounds on one fetch. ``max_bytes`` applies to the fetched objects and, separately,
    to the checked-out files; ``timeout_seconds`` to the whole fetch, every git call
    included."""

    model_config = ConfigDict(frozen=True)

    timeout_seconds: float = Field(default=300.0, gt=0)
    max_bytes: int = Field(default=1 << 30, gt=0)
    max_files: int = Field(default=250_000, gt=0)
    allowed_schemes: frozenset[str] = frozenset(SCHEMES)


class RemovedSymlink(BaseModel):
    """A symlink from the repository that pointed outside the checkout and was deleted."""

    model_config = ConfigDict(frozen=True)

    path: str
    target: str


class FetchedSource(BaseModel):
    """What was fetched: ``commit`` is the pinned revision that goes to status."""

    model_config = ConfigDict(frozen=True)

    commit: str = Field(description="Full sha of the checked-out commit.")
    ref: str = Field(description="What the requested ref resolved to: refs/heads/x, refs/tags/y or the commit sha.")
    root: Path = Field(description="The checkout's root (dest).")
    checkout_dir: Path = Field(description="root, or root/path when spec.path is set.")
    bytes: int = Field(description="Size of the files under checkout_dir (.git excluded).")
    files: int = Field(description="Number of files and symlinks under checkout_dir (.git excluded).")
    removed_symlinks: list[RemovedSymlink] = Field(default_factory=list)
