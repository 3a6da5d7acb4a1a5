"""Ask a remote which refs it has, without fetching anything.

``resolve_ref`` is the cheap check a controller polls to notice a new commit on a
tracked branch; ``fetch_source`` uses the same resolution so both agree on what a
ref name means (git's own order: ``refs/<ref>``, then tags, then branches).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

from .classify import classify_failure
from .errors import RefNotFound, SourceError
from .models import FetchLimits, GitCredentials
from .runner import Deadline, run_git
from .session import GitSession
from .urls import GitURL, parse_git_url

FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
# 7 is git's shortest default abbreviation; shorter hex words ("cafe") are taken as names only
SHORT_SHA = re.compile(r"^[0-9a-f]{7,63}$")
LIST_LIMIT = 20
MAX_CONNECT_TIMEOUT = 30


def connect_timeout(limits: FetchLimits) -> int:
    """ssh's ConnectTimeout: the overall deadline, capped so a dead host fails fast."""
    return min(MAX_CONNECT_TIMEOUT, max(1, int(limits.timeout_seconds)))


@dataclass
class RemoteRefs:
    """The refs a remote advertised: name → commit sha (annotated tags peeled)."""

    refs: dict[str, str] = field(default_factory=dict)
    head_target: Optional[str] = None  # what HEAD points to, e.g. refs/heads/main

    @classmethod
    def parse(cls, out: str) -> "RemoteRefs":
        result = cls()
        peeled: dict[str, str] = {}
        for line in out.splitlines():
            if line.startswith("ref: ") and line.endswith("\tHEAD"):
                result.head_target = line[5:-5].strip()
                continue
            sha, _, name = line.partition("\t")
            if not name or not re.fullmatch(r"[0-9a-f]{40,64}", sha):
                continue
            if name.endswith("^{}"):
                peeled[name[:-3]] = sha
            else:
                result.refs[name] = sha
        result.refs.update({n: s for n, s in peeled.items() if n in result.refs})
        return result

    def branches(self) -> list[str]:
        return sorted(n[len("refs/heads/") :] for n in self.refs if n.startswith("refs/heads/"))

    def tags(self) -> list[str]:
        return sorted(n[len("refs/tags/") :] for n in self.refs if n.startswith("refs/tags/"))


def is_commit_ref(ref: Optional[str]) -> bool:
    """True when ``ref`` looks like a commit sha (7+ hex digits). A commit never moves,
    so there is nothing to poll; ``resolve_ref`` cannot resolve a short sha that is no
    ref's tip without a fetch (it raises ``RefNotFound``)."""
    return ref is not None and bool(SHORT_SHA.match(ref.lower()))


def candidates(ref: str) -> list[str]:
    """Full ref names ``ref`` may mean, in the order git itself tries them."""
    if ref == "HEAD":
        return ["HEAD"]
    if ref.startswith("refs/"):
        return [ref]
    return [f"refs/{ref}", f"refs/tags/{ref}", f"refs/heads/{ref}"]


def pick_ref(remote: RemoteRefs, ref: Optional[str]) -> Optional[tuple[str, str]]:
    """``(full ref name, commit sha)`` for ``ref`` (None: the default branch), or None."""
    if ref is None or ref == "HEAD":
        if "HEAD" not in remote.refs:
            return None
        return (remote.head_target or "HEAD", remote.refs["HEAD"])
    for name in candidates(ref):
        if name in remote.refs:
            return (name, remote.refs[name])
    return None


def patterns_for(ref: Optional[str]) -> list[str]:
    """ls-remote patterns that return just what ``pick_ref`` needs."""
    if ref is None or ref == "HEAD":
        return ["HEAD"]
    return [ref, f"{ref}^{{}}"]


def list_refs(
    url: GitURL,
    session: GitSession,
    deadline: Deadline,
    patterns: Sequence[str] = (),
    *,
    heads_only: bool = False,
) -> RemoteRefs:
    """Run ``git ls-remote`` in ``session``; raise a classified :class:`SourceError`."""
    assert session.dir is not None
    env = dict(session.env, GIT_DIR=str(session.dir / "no-repository"))
    args = ["ls-remote", "--symref"]
    if heads_only:
        args = ["ls-remote", "--heads"]
    args += ["--", url.url, *patterns]
    res = run_git(args, env=env, cwd=session.dir, deadline=deadline, what=f"listing refs of {url.display}")
    if not res.ok:
        raise classify_failure(res.stderr, url, session.scrubber, has_credentials=session.credentials is not None)
    return RemoteRefs.parse(res.stdout)


def describe_branches(names: Iterable[str]) -> str:
    names = list(names)
    if not names:
        return "the remote has no branches"
    shown = ", ".join(names[:LIST_LIMIT])
    more = f" and {len(names) - LIST_LIMIT} more" if len(names) > LIST_LIMIT else ""
    return f"branches on the remote are: {shown}{more}"


def empty_repository(url: GitURL) -> RefNotFound:
    return RefNotFound(f"{url.display} has no commits yet; push a commit to it, or check spec.source.git.url")


def ref_not_found(ref: str, url: GitURL, session: GitSession, deadline: Deadline, extra: str = "") -> RefNotFound:
    """A RefNotFound whose message lists the remote's branches when that is cheap."""
    try:
        branches = describe_branches(list_refs(url, session, deadline, heads_only=True).branches())
    except SourceError:
        branches = "the branch list could not be read"
    msg = f"ref {ref!r} was not found in {url.display}{extra}; check spec.source.git.ref; {branches}"
    return RefNotFound(session.scrubber(msg))


def ls_remote(
    url: str,
    credentials: Optional[GitCredentials] = None,
    *,
    patterns: Sequence[str] = (),
    limits: FetchLimits = FetchLimits(),
) -> RemoteRefs:
    """All refs (or those matching ``patterns``) the remote advertises, and its HEAD."""
    parsed = parse_git_url(url, limits.allowed_schemes)
    deadline = Deadline(limits.timeout_seconds)
    with GitSession(parsed, credentials, limits.allowed_schemes, connect_timeout=connect_timeout(limits)) as session:
        return list_refs(parsed, session, deadline, patterns)


def resolve_ref(
    url: str,
    ref: Optional[str] = None,
    credentials: Optional[GitCredentials] = None,
    *,
    limits: FetchLimits = FetchLimits(),
) -> str:
    """The commit sha ``ref`` (branch, tag, full ref, None for the default branch) points
    to now. A full commit sha is returned as is; a short one only if it is the tip of
    some advertised ref (otherwise only a fetch can resolve it)."""
    parsed = parse_git_url(url, limits.allowed_schemes)
    deadline = Deadline(limits.timeout_seconds)
    if ref is not None and FULL_SHA.match(ref.lower()):
        return ref.lower()
    with GitSession(parsed, credentials, limits.allowed_schemes, connect_timeout=connect_timeout(limits)) as session:
        remote = list_refs(parsed, session, deadline, patterns_for(ref))
        picked = pick_ref(remote, ref)
        if picked is not None:
            return picked[1]
        if ref is not None and SHORT_SHA.match(ref.lower()):
            full = list_refs(parsed, session, deadline)
            tips = {sha for sha in full.refs.values() if sha.startswith(ref.lower())}
            if len(tips) == 1:
                return tips.pop()
            raise ref_not_found(
                ref, parsed, session, deadline, extra=" as a ref or ref tip; give the full 40-character commit sha"
            )
        if ref is None and not remote.refs:
            raise empty_repository(parsed)
        raise ref_not_found(ref or "HEAD", parsed, session, deadline)
