"""Plain static sites: an index.html that no other project owns."""

from __future__ import annotations

from .models import Evidence, Framework, ServiceRole
from .project import DirContext, Project

MANIFESTS = ("index.html",)


def detect(ctx: DirContext) -> list[Project]:
    evidence = [Evidence(file=ctx.rel("index.html"), detail="index.html with no build manifest")]
    return [
        Project(
            path=ctx.path,
            name=ctx.basename(),
            ecosystem="static",
            language=None,
            framework=Framework(name="Static HTML", evidence=evidence, confidence="high"),
            role=ServiceRole(value="static", evidence=evidence, confidence="high"),
            static_root=ctx.path or ".",
            source_extensions=(".html", ".js"),
        )
    ]
