"""Parse and vet Git URLs before git sees them.

Git accepts far more than a user means to give it: ``ext::`` runs a command, a host
beginning with ``-`` becomes an ssh option, a bare path reads the operator's own disk.
We accept exactly https, http, ssh (URL and scp-like ``git@host:org/repo.git``), git and
file URLs, and reject credentials inside the URL (they belong in a Secret).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import InvalidURL
from .scrub import Scrubber

SCHEMES = ("https", "http", "ssh", "git", "file")
_SCHEME_ALIASES = {"git+ssh": "ssh", "ssh+git": "ssh"}
_DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22, "git": 9418}

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")
_IPV6 = re.compile(r"^\[[0-9A-Fa-f:.]+\]$")
_SCHEME_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# [user@]host:path  — git's own rule: no slash before the first colon
_SCP = re.compile(r"^(?:(?P<user>[^@/:\s]+)@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^@/:\s\[\]]+):(?P<path>.*)$")
_SHORTHAND = re.compile(r"^(?P<host>[A-Za-z0-9.-]+\.[A-Za-z]{2,})/(?P<path>[^\s]+)$")


@dataclass(frozen=True)
class GitURL:
    """A vetted Git URL. ``url`` is what git is given; ``display`` is safe to print."""

    url: str
    scheme: str
    host: str
    port: int | None
    user: str | None
    path: str
    scp_like: bool = False

    @property
    def display(self) -> str:
        """The URL without any http(s) userinfo (it may be a token)."""
        if self.scheme in ("http", "https") and self.user:
            return self.url.replace(f"{self.user}@", "", 1)
        return self.url

    @property
    def repository(self) -> str:
        """host/path naming the repository whatever the transport: https://GitHub.com/Acme/Shop.git,
        git@github.com:Acme/Shop and ssh://git@github.com:22/Acme/Shop are all github.com/Acme/Shop."""
        return f"{self.host.lower()}/{self.path.strip('/').removesuffix('.git').strip('/')}"

    @property
    def credential_scope(self) -> str:
        """``scheme://host[:port]``: the key git matches ``credential.<url>.*`` against."""
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{self.host}{port}"


def _fail(raw: str, why: str) -> InvalidURL:
    shown = _safe_echo(raw)
    return InvalidURL(f"spec.source.git.url {shown!r} is not usable: {why}")


def _safe_echo(raw: str) -> str:
    """Echo a rejected URL without anything that might be a password."""
    return Scrubber().scrub(raw)[:300]


def _check_host(raw: str, host: str) -> None:
    if not host:
        raise _fail(raw, "it has no host")
    if host.startswith("-"):
        raise _fail(raw, "a host may not begin with '-'")
    if not (_HOSTNAME.match(host) or _IPV6.match(host)):
        raise _fail(raw, f"{host!r} is not a valid host name")


def parse_git_url(raw: str, allowed_schemes: tuple[str, ...] | frozenset[str] = SCHEMES) -> GitURL:
    """Parse ``raw`` or raise :class:`InvalidURL` with a message saying how to fix it."""
    if not isinstance(raw, str):
        raise InvalidURL("spec.source.git.url must be a string")
    url = raw.strip()
    if not url:
        raise InvalidURL("spec.source.git.url is empty; give the repository's clone URL, e.g. https://github.com/org/repo.git")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise _fail(url, "it contains whitespace or control characters")
    if url.startswith("-"):
        raise _fail(url, "a URL may not begin with '-'")

    m = _SCHEME_PREFIX.match(url)
    if m:
        parsed = _parse_standard(url, m.group(1).lower())
    elif "::" in url.split("/", 1)[0]:
        raise _fail(url, "remote helpers such as 'ext::' are not allowed; use an https, ssh or git URL")
    elif _SCP.match(url) and not url.startswith(("/", ".")):
        parsed = _parse_scp(url)
    else:
        short = _SHORTHAND.match(url)
        if short:
            raise _fail(url, f"it has no scheme; did you mean https://{url}?")
        raise _fail(url, "local paths are not accepted; use a file:// URL or the repository's https/ssh clone URL")

    if parsed.scheme not in allowed_schemes:
        raise _fail(url, f"the {parsed.scheme} transport is not allowed here; allowed: {', '.join(sorted(allowed_schemes))}")
    return parsed


def _parse_standard(url: str, scheme: str) -> GitURL:
    scheme = _SCHEME_ALIASES.get(scheme, scheme)
    if scheme not in SCHEMES:
        raise _fail(url, f"unsupported scheme {scheme!r}; use one of {', '.join(SCHEMES)}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _fail(url, f"it cannot be parsed ({exc})") from None
    if parts.password is not None:
        raise _fail(
            url,
            "it contains a password; remove it and put the credentials in the Secret named by "
            "spec.source.git.credentialsSecretRef",
        )
    if parts.query or parts.fragment:
        raise _fail(url, "Git URLs have no query string or fragment")
    host = parts.hostname or ""
    if "[" in parts.netloc and host and ":" in host:
        host = f"[{host}]"
    path = parts.path
    if scheme == "file":
        if host not in ("", "localhost"):
            raise _fail(url, "file:// URLs must name a local path (file:///srv/repo.git)")
        if not path.startswith("/") or path == "/":
            raise _fail(url, "file:// URLs need an absolute path")
        return GitURL(url=url, scheme=scheme, host="", port=None, user=None, path=path)
    _check_host(url, host)
    if port == 0:
        raise _fail(url, "port 0 is not a valid port")
    if path in ("", "/"):
        raise _fail(url, "it names a host but no repository")
    if path.lstrip("/").startswith("-"):
        raise _fail(url, "a repository path may not begin with '-'")
    user = parts.username or None
    if user is not None and user.startswith("-"):
        raise _fail(url, "a user name may not begin with '-'")
    # git understands git+ssh:// too, but give it the canonical spelling
    if url[: len(scheme) + 3].lower() != f"{scheme}://":
        url = scheme + url[url.index("://") :]
    return GitURL(url=url, scheme=scheme, host=host, port=port, user=user, path=path)


def _parse_scp(url: str) -> GitURL:
    m = _SCP.match(url)
    assert m is not None
    user, host, path = m.group("user"), m.group("host"), m.group("path")
    _check_host(url, host)
    if user is not None and user.startswith("-"):
        raise _fail(url, "a user name may not begin with '-'")
    if not path or path == "/":
        raise _fail(url, "it names a host but no repository")
    if path.startswith("-"):
        raise _fail(url, "a repository path may not begin with '-'")
    return GitURL(url=url, scheme="ssh", host=host, port=None, user=user, path=path, scp_like=True)


def default_port(url: GitURL) -> int | None:
    """The TCP port git will connect to, for messages about unreachable hosts."""
    return url.port or _DEFAULT_PORTS.get(url.scheme)
