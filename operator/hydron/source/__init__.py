"""Stage 1: get the source. ``fetch_source`` checks a Git repository out at a pinned
commit; ``resolve_ref`` asks a remote where a branch or tag points now."""

from .errors import (
    AuthenticationFailed,
    FetchFailed,
    HostKeyVerificationFailed,
    HostUnreachable,
    InvalidCredentials,
    InvalidPath,
    InvalidRef,
    InvalidURL,
    PathNotFound,
    RefNotFound,
    RepositoryNotFound,
    SourceError,
    SourceTimeout,
    SourceTooLarge,
    TLSVerificationFailed,
)
from .git import fetch_source
from .models import FetchedSource, FetchLimits, GitCredentials, GitSource, RemovedSymlink
from .remote import RemoteRefs, is_commit_ref, ls_remote, resolve_ref
from .urls import GitURL, parse_git_url

__all__ = [
    "AuthenticationFailed",
    "FetchFailed",
    "FetchLimits",
    "FetchedSource",
    "GitCredentials",
    "GitSource",
    "GitURL",
    "HostKeyVerificationFailed",
    "HostUnreachable",
    "InvalidCredentials",
    "InvalidPath",
    "InvalidRef",
    "InvalidURL",
    "PathNotFound",
    "RefNotFound",
    "RemoteRefs",
    "RemovedSymlink",
    "RepositoryNotFound",
    "SourceError",
    "SourceTimeout",
    "SourceTooLarge",
    "TLSVerificationFailed",
    "fetch_source",
    "is_commit_ref",
    "ls_remote",
    "parse_git_url",
    "resolve_ref",
]
