"""Turn git's stderr into a :class:`SourceError` a person can act on.

Git reports the same problem differently per transport (curl for http, ssh, the git
daemon, a local upload-pack) and per host (GitHub, GitLab and Bitbucket word their
``remote:`` lines differently). The patterns below were taken from those; anything
unmatched becomes a retryable ``FetchFailed`` carrying git's (scrubbed) last lines.
"""

from __future__ import annotations

import re
from typing import Optional

from .errors import (
    AuthenticationFailed,
    FetchFailed,
    HostKeyVerificationFailed,
    HostUnreachable,
    InvalidURL,
    RefNotFound,
    RepositoryNotFound,
    SourceError,
    TLSVerificationFailed,
)
from .scrub import Scrubber
from .urls import GitURL, default_port

_I = re.IGNORECASE

HOST_KEY = [re.compile(p, _I) for p in (
    r"Host key verification failed",
    r"REMOTE HOST IDENTIFICATION HAS CHANGED",
    r"No \S+ host key is known for",
)]
TLS = [re.compile(p, _I) for p in (
    r"SSL certificate problem",
    r"server certificate verification failed",
    r"SSL: no alternative certificate subject name",
    r"certificate (has expired|is not yet valid|verify failed)",
    r"unable to get local issuer certificate",
)]
UNREACHABLE = [re.compile(p, _I) for p in (
    r"Could not resolve host",
    r"Could not resolve hostname",
    r"Name or service not known",
    r"Temporary failure in name resolution",
    r"nodename nor servname provided",
    r"Failed to connect to",
    r"Couldn't connect to server",
    r"Connection refused",
    r"Connection timed out",
    r"Operation timed out",
    r"No route to host",
    r"Network is unreachable",
    r"unable to connect to",
    r"Connection reset by peer",
    r"Resolving timed out",
    r"The requested URL returned error: 50[234]",
)]
AUTH = [re.compile(p, _I) for p in (
    r"Authentication failed",
    r"could not read (Username|Password)",
    r"terminal prompts disabled",
    r"Invalid username or password",
    r"HTTP Basic: Access denied",
    r"Permission denied \((publickey|password|keyboard-interactive)",
    r"Permission denied, please try again",
    r"The requested URL returned error: 40[13]",
    r"Invalid credentials",
    r"Load key .*: (invalid format|error in libcrypto|incorrect passphrase)",
    r"Bad credentials",
    r"Write access to repository not granted",
    r"You are not allowed to (download|access)",
    r"Missing or invalid credentials",
)]
NOT_FOUND = [re.compile(p, _I) for p in (
    r"repository '.*' not found",
    r"Repository not found",
    r"does not appear to be a git repository",
    r"not a git repository",
    r"The project you were looking for could not be found",
    r"no such repository",
    r"repository not exported",
    r"The requested URL returned error: 404",
    r"Not Found",
    r"remote: Repository .* not found",
)]
REF_MISSING = [re.compile(p, _I) for p in (
    r"couldn't find remote ref",
    r"Remote branch .* not found",
    r"not our ref",
    r"unadvertised object",
    r"no such remote ref",
    r"invalid refspec",
)]


_BOILERPLATE = re.compile(r"Please make sure you have the correct access rights|^\s*and the repository exists\.?\s*$", _I)


def _tail(stderr: str, scrub: Scrubber, lines: int = 4, limit: int = 600) -> str:
    """The last meaningful lines of git's stderr, scrubbed and shortened."""
    keep = [
        ln.strip()
        for ln in stderr.splitlines()
        if ln.strip()
        and not ln.lstrip().lower().startswith(("hint:", "warning: redirecting"))
        and not _BOILERPLATE.search(ln)
    ]
    text = " | ".join(keep[-lines:])
    text = scrub(text)
    return text if len(text) <= limit else "…" + text[-limit:]


def _any(patterns: list[re.Pattern[str]], text: str) -> bool:
    return any(p.search(text) for p in patterns)


def classify_failure(
    stderr: str,
    url: GitURL,
    scrub: Optional[Scrubber] = None,
    *,
    has_credentials: bool = False,
    ref: Optional[str] = None,
) -> SourceError:
    """The error for a failed git call talking to ``url``.

    ``ref`` is set for fetches, so a missing ref becomes ``RefNotFound``; callers that can
    list branches replace that message with a better one.
    """
    scrub = scrub or Scrubber()
    where = url.display
    detail = _tail(stderr, scrub)
    git_said = f" (git: {detail})" if detail else ""

    def out(cls: type[SourceError], message: str) -> SourceError:
        return cls(scrub(message))  # type: ignore[call-arg]

    transport = re.search(r"transport '([^']+)' not allowed", stderr)
    if transport:
        return out(
            InvalidURL,
            f"a URL used while fetching {where} needs the {transport.group(1)} transport, which is not allowed "
            f"(submodules may use https, http, ssh and git only){git_said}",
        )
    if _any(HOST_KEY, stderr):
        return out(
            HostKeyVerificationFailed,
            f"the SSH host key of {url.host} does not match the known_hosts in the credentials Secret; if the "
            f"server's key really changed, update known_hosts, otherwise someone may be intercepting the connection{git_said}",
        )
    if _any(TLS, stderr):
        return out(
            TLSVerificationFailed,
            f"the TLS certificate of {url.host} could not be verified; the server needs a certificate from a "
            f"trusted CA (or the operator the CA bundle){git_said}",
        )
    if _any(AUTH, stderr):
        if has_credentials:
            msg = (
                f"{where} rejected the credentials; check that the token or key in the Secret named by "
                f"spec.source.git.credentialsSecretRef is valid, not expired, and may read this repository{git_said}"
            )
        else:
            msg = (
                f"{where} asks for credentials: the repository is private or does not exist; for a private "
                f"repository set spec.source.git.credentialsSecretRef to a Secret with a token or SSH key{git_said}"
            )
        return out(AuthenticationFailed, msg)
    if _any(NOT_FOUND, stderr):
        hint = " or the credentials may not see it" if has_credentials else ""
        return out(
            RepositoryNotFound,
            f"no repository at {where}{hint}; check spec.source.git.url (owner, name and host){git_said}",
        )
    if ref is not None and _any(REF_MISSING, stderr):
        return out(RefNotFound, f"ref {ref!r} was not found in {where}; check spec.source.git.ref{git_said}")
    if _any(UNREACHABLE, stderr):
        port = default_port(url)
        target = f"{url.host}:{port}" if port else url.host
        return out(
            HostUnreachable,
            f"cannot reach {target} for {where}; check the host name and that the server accepts connections "
            f"from the operator (DNS, firewall, proxy); will retry{git_said}",
        )
    if re.search(r"remote end hung up|early EOF|unexpected disconnect|RPC failed|transfer closed", stderr, _I):
        return out(FetchFailed, f"the connection to {where} broke off during the transfer; will retry{git_said}")
    return out(FetchFailed, f"git could not fetch {where}{git_said}")
