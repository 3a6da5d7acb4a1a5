"""Planning a generated 10-service monorepo without the LLM, beside the analysis of the same repo.

Target (issue 4): planning at most 200 ms. Both times come from the same run, so the
ratio is meaningful on any machine; no test asserts on them.

    python3 bench/bench_planning.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "operator"))

from hydron.api.application import ApplicationSpec  # noqa: E402
from hydron.planning import PlanInputs, plan  # noqa: E402

TARGET_MS = 200.0


def _node(name: str, framework: str, port: int) -> dict[str, str]:
    deps = {"express": '"express": "4.21.2", "pg": "8.12.0"', "next": '"next": "14.2.3", "react": "18.3.1"',
            "nestjs": '"@nestjs/core": "10.3.0", "ioredis": "5.4.1"'}[framework]
    start = {"express": "node src/index.js", "next": "next start", "nestjs": "node dist/main.js"}[framework]
    return {
        f"apps/{name}/package.json": f'{{"name": "{name}", "scripts": {{"build": "echo build", "start": "{start}"}},'
                                     f' "dependencies": {{{deps}}}}}',
        f"apps/{name}/package-lock.json": '{"lockfileVersion": 3, "packages": {}}',
        f"apps/{name}/src/index.js": f"const port = process.env.PORT || {port};\n"
                                     "const db = process.env.DATABASE_URL;\nconst key = process.env.STRIPE_SECRET_KEY;\n"
                                     "app.get('/healthz', () => 'ok');\n",
    }


def _python(name: str, framework: str) -> dict[str, str]:
    dep = {"fastapi": "fastapi==0.115.0\nuvicorn==0.30.6\nredis==5.0.8", "django": "Django==5.0.6\npsycopg[binary]==3.2.1",
           "celery": "celery[redis]==5.4.0"}[framework]
    code = {"fastapi": "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/health')\ndef h():\n    return {}\n",
            "django": "import os\nSECRET_KEY = os.environ['DJANGO_SECRET_KEY']\n",
            "celery": "import os\nfrom celery import Celery\napp = Celery('w', broker=os.environ['CELERY_BROKER_URL'])\n"
            }[framework]
    entry = {"fastapi": "main.py", "django": "manage.py", "celery": "tasks.py"}[framework]
    return {f"services/{name}/requirements.txt": dep + "\n", f"services/{name}/.python-version": "3.12\n",
            f"services/{name}/{entry}": code}


def generate(root: Path) -> None:
    files: dict[str, str] = {}
    files.update(_node("web", "next", 3000))
    files.update(_node("api", "express", 4000))
    files.update(_node("admin", "express", 4100))
    files.update(_node("billing", "nestjs", 3300))
    files.update(_python("search", "fastapi"))
    files.update(_python("cms", "django"))
    files.update(_python("jobs", "celery"))
    files.update({
        "services/ledger/go.mod": "module ledger\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.9.1\n",
        "services/ledger/go.sum": "",
        "services/ledger/main.go": 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n'
                                   '\tr := gin.Default()\n\tr.GET("/health", nil)\n\tr.Run(":8080")\n}\n',
        "services/geo/Cargo.toml": '[package]\nname = "geo"\nversion = "0.1.0"\nedition = "2021"\n\n'
                                   '[dependencies]\naxum = "0.7"\n',
        "services/geo/Cargo.lock": "version = 3\n",
        "services/geo/src/main.rs": 'fn main() { let _ = ("0.0.0.0:3000", std::env::var("DATABASE_URL")); }\n',
        "sites/docs/index.html": "<!doctype html><title>Docs</title>\n",
        "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n",
    })
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def timed(fn, runs: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    app = ApplicationSpec.model_validate({"source": {"git": {"url": "https://git.example.com/acme/mono.git"}},
                                          "domains": ["mono.example.com"]})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root)
        try:
            from hydron.analysis import analyze
        except ImportError:  # the analysis engine is optional for this benchmark
            print("analysis: not available")
            return 1
        analysis_ms, analysis = timed(lambda: analyze(root), args.runs)
        plan(PlanInputs("mono", app, analysis))  # warm caches (catalog) once, as a running operator has them
        planning_ms, draft = timed(lambda: plan(PlanInputs("mono", app, analysis, "0" * 40)), args.runs)
    services = [s for s in draft.spec.services if s.role not in ("database", "cache", "broker")]
    print(f"repo: {len(services)} services, {len(draft.spec.services) - len(services)} managed backing services")
    print(f"analysis  median {analysis_ms:8.2f} ms over {args.runs} runs")
    print(f"planning  median {planning_ms:8.2f} ms over {args.runs} runs (target <= {TARGET_MS:.0f} ms, no LLM)")
    print(f"planning/analysis ratio {planning_ms / analysis_ms:.2f}")
    print(f"server: {draft.spec.server.provider} {draft.spec.server.offer} EUR {draft.spec.server.monthly_price}/month")
    return 0 if planning_ms <= TARGET_MS else 2


if __name__ == "__main__":
    raise SystemExit(main())
