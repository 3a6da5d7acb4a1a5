"""Which of the analysed datastores the plan provisions for each service, and where file databases live.

An app that supports several SQL engines talks to one at a time, so it gets one; a datastore
only an optional feature uses is not run; a SQLite file is kept on a volume. Pure.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from hydron.analysis.models import CONFIDENCE_RANK, FILE_DATABASES, SQL_ENGINES, Analysis, BackingService, Service
from hydron.api.infraplan import Finding
from hydron.planning.env import ENGINE_SELECTORS



@dataclass
class Selection:
    """Per service, the datastores it is wired to; the findings that explain what was left out."""

    kept: dict[str, list[str]] = field(default_factory=dict)  # service → backing names
    findings: list[Finding] = field(default_factory=list)

    def used(self) -> set[str]:
        return {name for names in self.kept.values() for name in names}


def select(analysis: Analysis, services: list[Service]) -> Selection:
    by_name = {b.name: b for b in analysis.databases}
    out = Selection()
    for service in services:
        wanted = [by_name[d.name] for d in service.depends_on if d.kind == "backing" and d.name in by_name]
        kept, alternatives = [], []
        for backing in wanted:
            if backing.alternative_to:
                alternatives.append(backing)
            elif not backing.required:
                out.findings.append(Finding(
                    severity="Info", source="Planning", field=f"services[{service.name}]",
                    message=f"{service.name} uses {backing.name} ({backing.kind}) only for an optional feature, so "
                            "the plan does not run it; the service starts without it. Add the datastore and set "
                            "its connection variable on the Application to turn the feature on."))
            else:
                kept.append(backing)
        if alternatives and not any(b.kind in SQL_ENGINES for b in kept):
            kept += alternatives  # its default is not among its dependencies: any engine it supports beats none
        elif alternatives and _reads_a_database_url(service):
            kept += [b for b in alternatives if b.kind not in FILE_DATABASES]  # a server engine it can be pointed at
        sql = [b for b in kept if b.kind in SQL_ENGINES]
        if len({b.kind for b in sql}) > 1:
            chosen = min(sql, key=lambda b: (b.image is None, -CONFIDENCE_RANK[b.confidence],
                                             SQL_ENGINES.index(b.kind)))
            kept = [b for b in kept if b.kind not in SQL_ENGINES or b.kind == chosen.kind]
        supported = sorted({b.kind for b in sql + alternatives})
        if len(supported) > 1:
            chosen_kind = next(b.kind for b in kept if b.kind in SQL_ENGINES)
            out.findings.append(Finding(
                severity="Info", source="Planning", field=f"services[{service.name}]",
                message=f"{service.name} supports several SQL databases ({', '.join(supported)}) and uses one at a "
                        f"time: the plan runs {chosen_kind} only."))
        out.kept[service.name] = [b.name for b in kept]
    return out


_DATABASE_URL = re.compile(r"^(?:\w+_)?(?:DATABASE|DB)_(?:URL|URI|DSN)$|^SQLALCHEMY_DATABASE_URI$")


def _reads_a_database_url(service: Service) -> bool:
    """An app that takes its database as one URL (or an engine selector) can be pointed at a server engine
    instead of the file it falls back to; one configured some other way runs on its default."""
    return any(_DATABASE_URL.match(var.name) or var.name in ENGINE_SELECTORS for var in service.env)


def file_database_dirs(service: Service, analysis: Analysis, workdir: str | None) -> tuple[list[str], list[Finding]]:
    """Directories (absolute, in the container) holding the service's file databases, to keep on volumes."""
    dirs: list[str] = []
    findings: list[Finding] = []
    names = {d.name for d in service.depends_on if d.kind == "backing"}
    for backing in analysis.databases:
        if backing.kind not in FILE_DATABASES or backing.name not in names:
            continue
        directory = _directory(backing, workdir)
        problem = None
        if not backing.file_path:
            problem = "in a file whose path the analysis did not find"
        elif directory is None:
            problem = (f"at the relative path {backing.file_path}, and the repository's Dockerfile decides the working "
                       "directory it lands in")
        elif directory in ("/", workdir):
            problem = f"at {backing.file_path}, beside the code, where a volume would hide the code"
        if problem:
            findings.append(Finding(
                severity="Warning", source="Planning", field=f"services[{service.name}].volumes",
                message=f"{service.name} keeps a {backing.kind} database {problem}: its data is lost at the next "
                        "release. Configure the file in a directory of its own (an absolute path such as "
                        "/app/data/app.db) so the plan can keep it on a volume."))
        elif directory not in dirs:
            dirs.append(directory)
    return dirs, findings


def _directory(backing: BackingService, workdir: str | None) -> str | None:
    if not backing.file_path:
        return None
    if backing.file_path.startswith("/"):
        return posixpath.dirname(posixpath.normpath(backing.file_path))
    if workdir is None:
        return None  # the repository's own Dockerfile decides where a relative path lands
    return posixpath.dirname(posixpath.normpath(posixpath.join(workdir, backing.file_path)))
