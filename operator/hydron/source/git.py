"""Fetch one commit of a Git repository into a directory: stage 1 of the pipeline.

The steps, each bounded by one deadline and run in a :class:`GitSession`:

1. ``ls-remote`` resolves the ref the way git would (and gives the branch list when
   it does not exist);
2. ``git init`` + ``git fetch --depth 1 origin <ref>`` into a temporary directory next
   to ``dest``, watching the size of ``.git`` while it grows; a commit sha the server
   will not serve directly (old servers, protocol v0), or a short sha, falls back to a
   full fetch of branches and tags;
3. ``ls-tree`` measures the tree before anything is written, so an oversized
   checkout is refused without filling the disk;
4. checkout (no hooks, no LFS), submodules only when asked, then symlinks that leave
   the checkout are deleted and reported;
5. the temporary directory is renamed to ``dest``. Any failure removes it, so ``dest``
   is either the complete new checkout or what it was before.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Optional

from git import Repo

from .classify import classify_failure
from .errors import FetchFailed, PathNotFound, RefNotFound, SourceError, SourceTooLarge
from .models import FetchedSource, FetchLimits, GitCredentials, GitSource
from .remote import (
    FULL_SHA,
    SHORT_SHA,
    connect_timeout,
    empty_repository,
    list_refs,
    patterns_for,
    pick_ref,
    ref_not_found,
)
from .runner import Deadline, GitResult, run_git
from .session import GitSession
from .tree import disk_usage, measure, sanitize
from .urls import GitURL, parse_git_url

FETCHED_REF = "refs/hydron/fetched"


def human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def fetch_source(
    spec: GitSource,
    dest: Path,
    credentials: Optional[GitCredentials] = None,
    limits: FetchLimits = FetchLimits(),
) -> FetchedSource:
    """Check out ``spec`` at ``dest`` and return the pinned commit.

    Raises a :class:`~hydron.source.errors.SourceError`; on any failure ``dest`` is left
    as it was (absent, or the previous checkout). An existing ``dest`` is replaced.
    """
    url = parse_git_url(spec.url, limits.allowed_schemes)
    dest = Path(dest).absolute()
    deadline = Deadline(limits.timeout_seconds)
    with GitSession(url, credentials, limits.allowed_schemes, connect_timeout=connect_timeout(limits)) as session:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.fetch-", dir=dest.parent))
        try:
            fetched = _Fetch(spec, url, session, deadline, limits, tmp).run()
            _move_into_place(tmp, dest)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    rel = fetched.checkout_dir.relative_to(tmp)
    return fetched.model_copy(update={"root": dest, "checkout_dir": dest / rel if str(rel) != "." else dest})


def _move_into_place(tmp: Path, dest: Path) -> None:
    """rename(2) is atomic; replacing a non-empty directory needs two of them."""
    if not (dest.exists() or dest.is_symlink()):
        os.rename(tmp, dest)
        return
    old = dest.parent / f".{dest.name}.old-{uuid.uuid4().hex[:8]}"
    os.rename(dest, old)
    try:
        os.rename(tmp, dest)
    except BaseException:
        os.rename(old, dest)
        raise
    shutil.rmtree(old, ignore_errors=True)


class _Fetch:
    """One fetch into ``tmp``; methods in the order they run."""

    def __init__(
        self,
        spec: GitSource,
        url: GitURL,
        session: GitSession,
        deadline: Deadline,
        limits: FetchLimits,
        tmp: Path,
    ) -> None:
        self.spec, self.url, self.session, self.deadline, self.limits, self.tmp = spec, url, session, deadline, limits, tmp
        self.git_dir = tmp / ".git"
        self.env = dict(session.env, GIT_DIR=str(self.git_dir), GIT_WORK_TREE=str(tmp))
        self.scrub = session.scrubber

    # -- plumbing --------------------------------------------------------------------

    def git(self, *args: str, what: str, watch: bool = False, env: Optional[dict[str, str]] = None) -> GitResult:
        return run_git(
            args,
            env=env or self.env,
            cwd=self.tmp,
            deadline=self.deadline,
            what=f"{what} ({self.url.display})",
            watch=self._check_git_size if watch else None,
        )

    def _check_git_size(self) -> None:
        used = disk_usage(self.git_dir)
        if used > self.limits.max_bytes:
            raise SourceTooLarge(
                f"{self.url.display} is larger than the {human(self.limits.max_bytes)} source size limit "
                f"(stopped after {human(used)}); slim the repository (large files belong in releases or LFS, "
                "which is not fetched) or raise the operator's source size limit"
            )

    def fail(self, res: GitResult, ref: Optional[str] = None) -> SourceError:
        return classify_failure(
            res.stderr, self.url, self.scrub, has_credentials=self.session.credentials is not None, ref=ref
        )

    # -- steps -----------------------------------------------------------------------

    def run(self) -> FetchedSource:
        self.init()
        resolved_ref, commit = self.fetch()
        self.check_tree_size(commit)
        self.checkout(commit)
        if self.spec.submodules and (self.tmp / ".gitmodules").is_file():
            self.update_submodules()
        report = sanitize(self.tmp)
        self._check_totals(report.files, report.bytes, commit)
        checkout_dir = self.locate_path(commit)
        if checkout_dir == self.tmp:
            files, size = report.files, report.bytes
        else:
            files, size = measure(checkout_dir)
        return FetchedSource(
            commit=commit,
            ref=resolved_ref,
            root=self.tmp,
            checkout_dir=checkout_dir,
            bytes=size,
            files=files,
            removed_symlinks=report.removed,
        )

    def init(self) -> None:
        res = self.git("init", "-q", "--template=", str(self.tmp), what="initialising the repository")
        if not res.ok:
            raise FetchFailed(self.scrub(f"git init failed in {self.tmp.parent}: {res.stderr.strip()[-300:]}"))
        # GitPython's config writer is pure Python: no process, no hooks.
        with Repo(self.tmp).config_writer() as cw:
            cw.set_value('remote "origin"', "url", self.url.url)
            cw.set_value('remote "origin"', "fetch", "+refs/heads/*:refs/remotes/origin/*")
            cw.set_value('remote "origin"', "tagOpt", "--no-tags")
            cw.set_value("core", "hooksPath", os.devnull)
            cw.set_value("core", "symlinks", "true")

    def fetch(self) -> tuple[str, str]:
        """Fetch the requested commit; return ``(resolved ref, commit sha)``."""
        ref = self.spec.ref
        remote = list_refs(self.url, self.session, self.deadline, patterns_for(ref))
        picked = pick_ref(remote, ref)
        if picked is not None:
            refname = picked[0]
            self._fetch_shallow(refname, ref or refname)
            return refname, self._rev_parse(FETCHED_REF)
        if ref is None and not remote.refs:
            raise empty_repository(self.url)
        sha = (ref or "").lower()
        if ref is None or not SHORT_SHA.match(sha):
            raise ref_not_found(ref or "HEAD", self.url, self.session, self.deadline)
        if not FULL_SHA.match(sha):
            # a short sha can be fetched directly only when it is the tip of some ref
            tips = {s for s in list_refs(self.url, self.session, self.deadline).refs.values() if s.startswith(sha)}
            if len(tips) == 1:
                sha = tips.pop()
        if FULL_SHA.match(sha):
            res = self.git(
                "fetch", "-q", "--depth=1", "--no-tags", "--no-recurse-submodules", "origin",
                f"+{sha}:{FETCHED_REF}", what=f"fetching commit {sha[:12]}", watch=True,
            )
            if res.ok:
                self._check_git_size()
                return sha, self._rev_parse(FETCHED_REF)
            err = self.fail(res, ref=ref)
            if not isinstance(err, RefNotFound):
                raise err
        return self._fetch_history_for(ref)

    def _fetch_shallow(self, refname: str, asked: str) -> None:
        res = self.git(
            "fetch", "-q", "--depth=1", "--no-tags", "--no-recurse-submodules", "origin",
            f"+{refname}:{FETCHED_REF}", what=f"fetching {refname}", watch=True,
        )
        if not res.ok:
            err = self.fail(res, ref=asked)
            if isinstance(err, RefNotFound):  # deleted between ls-remote and fetch
                raise ref_not_found(asked, self.url, self.session, self.deadline)
            raise err
        self._check_git_size()

    def _fetch_history_for(self, ref: str) -> tuple[str, str]:
        """The server will not hand out this commit on its own: fetch branches and tags
        with history (bounded by the same size limit) and look for it there."""
        res = self.git(
            "fetch", "-q", "--no-tags", "--no-recurse-submodules", "origin",
            "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*",
            what=f"fetching history to find commit {ref}", watch=True,
        )
        if not res.ok:
            raise self.fail(res, ref=ref)
        self._check_git_size()
        look = self.git(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", what="looking up the commit"
        )
        if not look.ok:
            if "ambiguous" in look.stderr:
                raise RefNotFound(
                    self.scrub(
                        f"short commit sha {ref!r} is ambiguous in {self.url.display}; give more characters "
                        "(or the full sha) in spec.source.git.ref"
                    )
                )
            raise ref_not_found(ref, self.url, self.session, self.deadline, extra=" as a branch, tag or commit")
        sha = look.stdout.strip()
        upd = self.git("update-ref", FETCHED_REF, sha, what="recording the commit")
        if not upd.ok:
            raise self.fail(upd)
        return sha, sha

    def _rev_parse(self, rev: str) -> str:
        res = self.git("rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}", what="reading the commit")
        if not res.ok:
            raise self.fail(res)
        return res.stdout.strip()

    def check_tree_size(self, commit: str) -> None:
        """Refuse before checkout when the files would pass the limits (a small pack can
        expand into a huge tree)."""
        res = self.git("ls-tree", "-r", "-l", "-z", "--full-tree", commit, what="measuring the tree")
        if not res.ok:
            raise self.fail(res)
        files = size = 0
        for entry in res.stdout.split("\0"):
            meta, _, _path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 4 and parts[1] == "blob":
                files += 1
                size += int(parts[3]) if parts[3].isdigit() else 0
        self._check_totals(files, size, commit)

    def _check_totals(self, files: int, size: int, commit: str) -> None:
        if files > self.limits.max_files:
            raise SourceTooLarge(
                f"commit {commit[:12]} of {self.url.display} has {files:,} files, over the limit of "
                f"{self.limits.max_files:,}; raise the operator's source file limit or slim the repository"
            )
        if size > self.limits.max_bytes:
            raise SourceTooLarge(
                f"commit {commit[:12]} of {self.url.display} checks out to {human(size)}, over the "
                f"{human(self.limits.max_bytes)} source size limit; slim the repository (large files belong in "
                "releases or LFS, which is not fetched) or raise the operator's source size limit"
            )

    def checkout(self, commit: str) -> None:
        res = self.git("checkout", "-q", "--detach", "--force", commit, what="checking out")
        if not res.ok:
            raise self.fail(res)

    def update_submodules(self) -> None:
        env = dict(self.session.submodule_env(), GIT_DIR=str(self.git_dir), GIT_WORK_TREE=str(self.tmp))
        res = self.git(
            "submodule", "update", "--init", "--recursive", "--depth=1", "--jobs=1",
            what="fetching submodules", watch=True, env=env,
        )
        if not res.ok:
            err = self.fail(res)
            raise type(err)(f"fetching submodules (spec.source.git.submodules): {err.message}")  # type: ignore[call-arg]

    def locate_path(self, commit: str) -> Path:
        """The real directory ``spec.path`` names, after symlinks were sanitised."""
        if not self.spec.path:
            return self.tmp
        target = self.tmp / self.spec.path
        root_real = os.path.realpath(self.tmp)
        real = os.path.realpath(target)
        if os.path.isdir(real) and (real == root_real or real.startswith(root_real + os.sep)):
            return self.tmp / os.path.relpath(real, root_real)
        kind = "is not a directory" if os.path.lexists(target) else "does not exist"
        top = sorted(e.name + "/" for e in os.scandir(self.tmp) if e.is_dir(follow_symlinks=False) and e.name != ".git")
        listing = ", ".join(top[:20]) + (f" and {len(top) - 20} more" if len(top) > 20 else "")
        raise PathNotFound(
            self.scrub(
                f"spec.source.git.path {self.spec.path!r} {kind} at commit {commit[:12]} of {self.url.display}; "
                f"top-level directories are: {listing or '(none)'}"
            )
        )
