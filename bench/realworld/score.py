"""Score Hydron's analysis against the real-world truth files.

    python3 bench/realworld/score.py --checkouts DIR [--suite apps|nixpacks] [--only NAME ...] [--json]

Runs hydron.analysis.analyze in-process on DIR/<app> (or DIR/<app>/<subdir>) for every truth file,
matches services by path (and by role where one path holds several), and prints per app what
differs, then the totals:

  services      precision (matched / services Hydron found), recall (matched / true services);
                spurious services are split into those the truth lists as not_services (with why)
                and unexplained ones
  role, language, framework, port, health path
                accuracy over matched services (health path: a path where the truth has one,
                none where it has none)
  datastores    recall of the kinds the truth lists (required ones, and all); kinds Hydron's
                vocabulary cannot name (sqlite) are reported apart; of those found, how many
                carry the truth's required/optional flag
  env vars      recall over the names the truth lists (a verified sample, not every variable)
  time          analysis seconds per repository
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "operator"))
sys.path.insert(0, str(HERE))

from hydron.analysis import analyze  # noqa: E402
from hydron.analysis.models import BackingKind  # noqa: E402
from truth import App, TruthService, load_all, same_path, squash  # noqa: E402

EXPRESSIBLE = set(BackingKind.__args__)
FACTS = ("role", "language", "framework", "port", "health_path")


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += int(ok)
        self.total += 1

    def ratio(self) -> Optional[float]:
        return self.right / self.total if self.total else None


@dataclass
class AppScore:
    name: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the analysis's own CPU time: comparable across runs when the machine is busy
    crashed: Optional[str] = None
    found: int = 0
    true: int = 0
    matched: int = 0
    missed: list[str] = field(default_factory=list)
    spurious_known: list[str] = field(default_factory=list)
    spurious_unexplained: list[str] = field(default_factory=list)
    facts: dict[str, Tally] = field(default_factory=lambda: {f: Tally() for f in FACTS})
    mismatches: list[str] = field(default_factory=list)
    datastores_required: Tally = field(default_factory=Tally)
    datastores_all: Tally = field(default_factory=Tally)
    datastores_need: Tally = field(default_factory=Tally)
    """Of the datastores found, those whose required/optional flag is the truth's: an optional one
    planned as required is a database the user runs (and pays for) for nothing."""
    datastores_need_wrong: list[str] = field(default_factory=list)
    datastores_missed: list[str] = field(default_factory=list)
    datastores_extra: list[str] = field(default_factory=list)
    datastores_inexpressible: list[str] = field(default_factory=list)
    env: Tally = field(default_factory=Tally)
    env_missed: list[str] = field(default_factory=list)


def _places(service) -> set[str]:
    """Where a found service lives: its path, and the folder of its entry point (Go cmd/x/main.go)."""
    places = {same_path(service.path)}
    if service.entry_point:
        places.add(same_path(str(Path(service.entry_point.file).parent)))
    return places


def _pair(truth: list[TruthService], found: list) -> tuple[list[tuple[TruthService, object]], list, list]:
    """Match by path; where a path holds several services, by role first, then in order."""
    pairs, left = [], list(found)
    unmatched = []
    for wanted in sorted(truth, key=lambda s: (s.path, s.role != "web")):
        same = [s for s in left if _places(s) & wanted.paths]
        exact = [s for s in same if same_path(s.path) == wanted.path]
        pick = (next((s for s in same if wanted.name and s.name == wanted.name), None)
                or next((s for s in exact if s.role.value == wanted.role), None)
                or next((s for s in same if s.role.value == wanted.role), None)
                or (exact or same or [None])[0])
        if pick is None:
            unmatched.append(wanted)
            continue
        left.remove(pick)
        pairs.append((wanted, pick))
    return pairs, unmatched, left


def _framework_ok(wanted: TruthService, got) -> bool:
    """'Vite + React' is right where the truth says Vite or React."""
    if got.framework is None:
        return None in wanted.frameworks
    names = {squash(got.framework.name)} | {squash(part) for part in got.framework.name.split("+")}
    return bool(names & set(wanted.frameworks))


def score(app: App, checkouts: Path) -> AppScore:
    result = AppScore(app.name, true=len(app.services))
    root = checkouts / app.checkout / (app.subdir or "")
    if not root.is_dir():
        result.crashed = f"no checkout at {root}"
        return result
    started, cpu = time.monotonic(), time.process_time()
    try:
        analysis = analyze(root)
    except Exception:  # noqa: BLE001 - a crash is a finding to report, not a reason to stop scoring
        result.seconds = time.monotonic() - started
        result.cpu_seconds = time.process_time() - cpu
        result.crashed = traceback.format_exc(limit=3).strip().splitlines()[-1]
        return result
    result.seconds = time.monotonic() - started
    result.cpu_seconds = time.process_time() - cpu
    result.found = len(analysis.services)
    pairs, unmatched, extra = _pair(app.services, analysis.services)
    result.matched = len(pairs)
    result.missed = [f"{s.path} ({s.role})" for s in unmatched]
    known = {n["path"]: n.get("reason", "") for n in app.not_services}
    for service in extra:
        path = same_path(service.path)
        label = (f"{path} as {service.role.value}" + (f" [{service.framework.name}]" if service.framework else "")
                 + (f" (entry {service.entry_point.file})" if service.entry_point and path == "." else ""))
        place = next((p for p in sorted(_places(service), key=lambda p: p == path) if p in known), None)
        if place is not None:
            result.spurious_known.append(f"{label}: {known[place]}")
        else:
            result.spurious_unexplained.append(label)
    for wanted, got in pairs:
        checks = {
            "role": (wanted.role, got.role.value, wanted.role == got.role.value),
            "language": (wanted.raw.get("language"), got.language.name if got.language else None,
                         (squash(got.language.name) if got.language else None) in wanted.languages),
            "framework": (wanted.raw.get("framework"), got.framework.name if got.framework else None,
                          _framework_ok(wanted, got)),
            "port": (wanted.port, got.port.value if got.port else None, wanted.port == (got.port.value if got.port else None)),
            "health_path": (wanted.health_path, got.health_check.path if got.health_check else None,
                            (got.health_check.path if got.health_check else None) in wanted.health_paths),
        }
        if wanted.role == "static" or wanted.port == "any":
            del checks["port"]  # whatever serves the files (or PHP) picks the port; nothing in the repository says it
        for fact, (want, have, ok) in checks.items():
            result.facts[fact].add(ok)
            if not ok:
                result.mismatches.append(f"{wanted.path}: {fact} is {want!r}, Hydron says {have!r}")
    kinds = {d.kind for d in analysis.databases}
    required = {d.kind: d.required for d in analysis.databases}
    required.setdefault("mariadb", required.get("mysql"))
    for store in app.datastores:
        if store.kind not in EXPRESSIBLE:
            result.datastores_inexpressible.append(store.kind)
            continue
        hit = store.kind in kinds or (store.kind == "mariadb" and "mysql" in kinds)
        result.datastores_all.add(hit)
        if store.required:
            result.datastores_required.add(hit)
        if hit:
            result.datastores_need.add(required[store.kind] == store.required)
            if required[store.kind] != store.required:
                result.datastores_need_wrong.append(f"{store.kind} is {'required' if store.required else 'optional'}, "
                                                    f"Hydron says {'required' if required[store.kind] else 'optional'}")
        if not hit:
            result.datastores_missed.append(store.kind + ("" if store.required else " (optional)"))
    listed = {d.kind for d in app.datastores} | ({"mysql"} if "mariadb" in {d.kind for d in app.datastores} else set())
    result.datastores_extra = sorted(kinds - listed)
    by_path = {wanted.path: got for wanted, got in pairs}  # the truth's path: two binaries of one module share "."
    everywhere = {env.name for service in analysis.services for env in service.env}
    for fact in app.env:
        names = everywhere
        if fact.service and fact.service in by_path:
            names = {env.name for env in by_path[fact.service].env}
        result.env.add(fact.name in names)
        if fact.name not in names:
            result.env_missed.append(fact.name + (f" ({fact.service})" if fact.service else ""))
    return result


def _pct(tally: Tally) -> str:
    ratio = tally.ratio()
    return "  n/a" if ratio is None else f"{100 * ratio:5.1f}%"


def totals(scores: list[AppScore]) -> dict:
    ran = [s for s in scores if not s.crashed]
    found = sum(s.found for s in ran)
    true = sum(s.true for s in scores)
    matched = sum(s.matched for s in ran)
    facts = {f: Tally(sum(s.facts[f].right for s in ran), sum(s.facts[f].total for s in ran)) for f in FACTS}
    seconds = [s.seconds for s in ran]
    cpu = [s.cpu_seconds for s in ran]
    return {
        "apps": len(scores),
        "crashed": [s.name for s in scores if s.crashed],
        "services": {"true": true, "found": found, "matched": matched,
                     "precision": matched / found if found else None, "recall": matched / true if true else None,
                     "spurious_known": sum(len(s.spurious_known) for s in ran),
                     "spurious_unexplained": sum(len(s.spurious_unexplained) for s in ran)},
        "accuracy": {f: {"right": t.right, "total": t.total, "ratio": t.ratio()} for f, t in facts.items()},
        "datastores": {
            "required_recall": Tally(sum(s.datastores_required.right for s in ran),
                                     sum(s.datastores_required.total for s in ran)).ratio(),
            "all_recall": Tally(sum(s.datastores_all.right for s in ran), sum(s.datastores_all.total for s in ran)).ratio(),
            "listed": sum(s.datastores_all.total for s in ran),
            "need_right": Tally(sum(s.datastores_need.right for s in ran), sum(s.datastores_need.total for s in ran)).ratio(),
            "extra": sum(len(s.datastores_extra) for s in ran),
            "inexpressible": sum(len(s.datastores_inexpressible) for s in ran),
        },
        "env": {"recall": Tally(sum(s.env.right for s in ran), sum(s.env.total for s in ran)).ratio(),
                "listed": sum(s.env.total for s in ran)},
        "seconds": {"median": statistics.median(seconds) if seconds else None, "max": max(seconds, default=None),
                    "total": sum(seconds), "cpu_median": statistics.median(cpu) if cpu else None,
                    "cpu_max": max(cpu, default=None), "cpu_total": sum(cpu)},
    }


def report(scores: list[AppScore]) -> str:
    lines = [f"{'app':28} {'time':>6} {'cpu':>6} {'svc t/f/m':>10} {'role':>6} {'lang':>6} {'fw':>6} {'port':>6} {'health':>6} "
             f"{'ds':>6} {'env':>6}"]
    for s in scores:
        if s.crashed:
            lines.append(f"{s.name:28} CRASHED: {s.crashed}")
            continue
        lines.append(f"{s.name:28} {s.seconds:6.2f} {s.cpu_seconds:6.2f} {f'{s.true}/{s.found}/{s.matched}':>10} "
                     + " ".join(_pct(s.facts[f]) for f in FACTS) + f" {_pct(s.datastores_all)} {_pct(s.env)}")
    lines.append("")
    for s in scores:
        notes = ([f"missed service {m}" for m in s.missed]
                 + [f"spurious service {x} (truth: not a service)" for x in s.spurious_known]
                 + [f"spurious service {x}" for x in s.spurious_unexplained]
                 + s.mismatches
                 + [f"missed datastore {d}" for d in s.datastores_missed]
                 + [f"extra datastore {d}" for d in s.datastores_extra]
                 + [f"datastore {d}" for d in s.datastores_need_wrong]
                 + ([f"missed env {', '.join(s.env_missed)}"] if s.env_missed else []))
        if notes:
            lines.append(f"== {s.name}")
            lines += [f"   {n}" for n in notes]
    t = totals(scores)
    sv, ds = t["services"], t["datastores"]

    def pct(value: Optional[float]) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    lines += [
        "",
        f"apps {t['apps']}, crashed {len(t['crashed'])} {t['crashed'] or ''}".rstrip(),
        f"services: precision {pct(sv['precision'])} ({sv['matched']}/{sv['found']}), "
        f"recall {pct(sv['recall'])} ({sv['matched']}/{sv['true']}); spurious: {sv['spurious_known']} listed as "
        f"not_services, {sv['spurious_unexplained']} unexplained",
    ]
    for fact, acc in t["accuracy"].items():
        lines.append(f"{fact}: accuracy {pct(acc['ratio'])} ({acc['right']}/{acc['total']} matched services)")
    lines += [
        f"datastores: recall {pct(ds['all_recall'])} of {ds['listed']} listed, required-only {pct(ds['required_recall'])}; "
        f"{ds['extra']} extra kinds claimed; {ds['inexpressible']} not expressible (sqlite...); "
        f"required/optional right for {pct(ds['need_right'])} of those found",
        f"env vars: recall {pct(t['env']['recall'])} of {t['env']['listed']} listed",
        f"time: median {t['seconds']['median']:.2f}s, max {t['seconds']['max']:.2f}s, total {t['seconds']['total']:.1f}s; "
        f"cpu: median {t['seconds']['cpu_median']:.2f}s, max {t['seconds']['cpu_max']:.2f}s, total {t['seconds']['cpu_total']:.1f}s"
        if t["seconds"]["median"] is not None else "time: n/a",
    ]
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkouts", required=True, type=Path, help="folder with one checkout per app (fetch.py)")
    parser.add_argument("--suite", default="apps", help="truth folder under bench/realworld: apps or nixpacks")
    parser.add_argument("--only", action="append", help="app name (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args(argv)
    apps = load_all(args.suite, args.only)
    if not apps:
        print("no truth files matched", file=sys.stderr)
        return 2
    scores = [score(app, args.checkouts) for app in apps]
    if args.json:
        print(json.dumps({"apps": [s.__dict__ | {"facts": {f: t.__dict__ for f, t in s.facts.items()},
                                                "datastores_required": s.datastores_required.__dict__,
                                                "datastores_all": s.datastores_all.__dict__, "env": s.env.__dict__}
                                   for s in scores], "totals": totals(scores)}, indent=2))
    else:
        print(report(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
