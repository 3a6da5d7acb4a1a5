"""Background job workers beside a web app: the same code started a second way (Sidekiq, Solid Queue, RQ).

A Rails app with Sidekiq or a Django app with django-rq needs a second process that runs
the queue; without it, jobs pile up unnoticed. The repository often says so only through
the dependency, so each known queue library adds a worker draft with its conventional command.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Optional

from .models import Command

if TYPE_CHECKING:
    from .drafts import Plan
    from .walk import Tree

# dependency -> (name shown, command); the first present wins
_QUEUES = {
    "ruby": (("sidekiq", "Sidekiq", "bundle exec sidekiq"), ("solid_queue", "Solid Queue", "bin/jobs"),
             ("good_job", "GoodJob", "bundle exec good_job start"), ("resque", "Resque", "bundle exec rake resque:work"),
             ("delayed_job_active_record", "Delayed Job", "bundle exec rake jobs:work")),
    "python": (("django-rq", "RQ", "python manage.py rqworker"), ("django_rq", "RQ", "python manage.py rqworker"),
               ("huey", "Huey", "python manage.py run_huey")),
}


def add_job_workers(plan: Plan, tree: Optional[Tree]) -> None:
    """One worker draft per web app whose queue library has no worker process stated anywhere."""
    for draft in list(plan.drafts):
        project = draft.project
        if project is None or draft.image or project.default_port is None or draft.process or draft.worker_command:
            continue
        if any(d is not draft and d.path == draft.path and (d.process or d.compose and not d.compose.ports)
               for d in plan.drafts):
            continue  # a Procfile line or compose service already runs the second process
        names = {d.name.lower(): d for d in project.dependencies}
        hit = next((q for q in _QUEUES.get(project.ecosystem, ()) if q[0] in names), None)
        if hit is None:
            continue
        gem, label, command = hit
        if command == "bin/jobs" and tree is not None and not tree.has_file(f"{draft.path}/bin/jobs".lstrip("/")):
            command = "bundle exec rake solid_queue:start"
        entry = project.entry_point.file if project.entry_point else ""
        site = entry[len(draft.path) + 1:] if draft.path and entry.startswith(draft.path + "/") else entry
        if command.startswith("python manage.py ") and site.endswith("/manage.py"):
            command = command.replace("manage.py", site, 1)  # the Django site a folder below (netbox/manage.py)
        evidence = [names[gem].evidence]
        plan.drafts.append(dataclasses.replace(
            draft, name=f"{draft.name}-worker", compose=None, process=None,
            worker_command=Command(value=command, evidence=evidence, confidence="medium"), worker_label=label))
