"""Analysis of a generated 100,000-file monorepo, measured against `git ls-files` on the same tree.

Targets (issue 3): analysis at most 2 s, and at most 10x `git ls-files`, in the same run.
The tree is mostly noise (docs, assets, data, generated code) in many directories plus a
handful of real services, committed to git so `git ls-files` has an index to read.

    python3 bench/bench_analysis.py [--files 100000] [--runs 5] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "operator"))

from hydron.analysis import analyze  # noqa: E402

SERVICES = {
    "apps/web/package.json": '{"name": "web", "scripts": {"build": "next build", "start": "next start"},'
    ' "dependencies": {"next": "14.2.3", "react": "18.3.1"}}',
    "apps/web/app/api/health/route.ts": "export const GET = () => Response.json({ ok: true });\n",
    "apps/api/package.json": '{"name": "api", "scripts": {"start": "node src/index.js"},'
    ' "dependencies": {"express": "^4.19.2", "pg": "^8.11.3", "stripe": "^14.0.0"}}',
    "apps/api/src/index.js": "const app = require('express')();\napp.get('/healthz', (q, s) => s.send('ok'));\n"
    "app.listen(process.env.PORT || 4000);\nconst db = process.env.DATABASE_URL;\n",
    "services/worker/pyproject.toml": '[project]\nname = "worker"\nrequires-python = ">=3.12"\n'
    'dependencies = ["celery[redis]"]\n',
    "services/worker/worker/__init__.py": "",
    "services/worker/worker/celery.py": "import os\nfrom celery import Celery\n"
    "app = Celery('worker', broker=os.environ['CELERY_BROKER_URL'])\n",
    "services/billing/go.mod": "module billing\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.9.1\n",
    "services/billing/main.go": 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n'
    '\tr := gin.Default()\n\tr.GET("/health", nil)\n\tr.Run(":8080")\n}\n',
    "services/search/Cargo.toml": '[package]\nname = "search"\nversion = "0.1.0"\nedition = "2021"\n\n'
    '[dependencies]\naxum = "0.7"\n',
    "services/search/src/main.rs": 'fn main() { let _ = tokio::net::TcpListener::bind("0.0.0.0:3000"); }\n',
    "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n",
}

# (directory template, file template, share of the noise): a generated code base of noise
NOISE = (
    ("apps/web/components/c{d}", "Widget{f}.tsx", 0.12, "export const Widget = () => null;\n"),
    ("apps/api/src/handlers/h{d}", "handler{f}.js", 0.08, "module.exports = () => 1;\n"),
    ("services/worker/worker/tasks/t{d}", "task_{f}.py", 0.05, "def run():\n    return 1\n"),
    ("docs/section{d}", "page{f}.md", 0.25, "# Page\n\nSome documentation.\n"),
    ("assets/images/set{d}", "img{f}.png", 0.2, "\x89PNG\r\n"),
    ("data/fixtures/batch{d}", "record{f}.json", 0.3, '{"id": 1}\n'),
)


def generate(root: Path, total: int) -> None:
    for relative, text in SERVICES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    remaining = total - len(SERVICES)
    for directory, filename, share, text in NOISE:
        count = int(remaining * share)
        per_dir = 50
        for index in range(count):
            folder = root / directory.format(d=index // per_dir)
            if index % per_dir == 0:
                folder.mkdir(parents=True, exist_ok=True)
            (folder / filename.format(f=index)).write_text(text)


def commit(root: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}
    for argv in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "generated"]):
        subprocess.run(argv, cwd=root, check=True, env=env)


def time_git_ls_files(root: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["git", "ls-files"], cwd=root, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_analysis(root: Path) -> tuple[float, int, int]:
    start = time.perf_counter()
    analysis = analyze(root)
    elapsed = time.perf_counter() - start
    assert not analysis.truncated, "the benchmark must measure a complete analysis"
    return elapsed, analysis.files_scanned, len(analysis.services)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="leave the generated tree in place")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="hydron-bench-"))
    try:
        started = time.perf_counter()
        generate(root, args.files)
        commit(root)
        print(f"generated and committed {args.files} files in {time.perf_counter() - started:.1f} s at {root}")
        time_git_ls_files(root)  # warm the page cache for both contenders
        time_analysis(root)
        git_times, analysis_times = [], []
        for _ in range(args.runs):  # interleaved, so background load hits both alike
            git_times.append(time_git_ls_files(root))
            elapsed, files, services = time_analysis(root)
            analysis_times.append(elapsed)
        git_median, analysis_median = statistics.median(git_times), statistics.median(analysis_times)
        ratio = analysis_median / git_median
        print(f"files seen by analysis: {files}, services found: {services}")
        print(f"git ls-files: median {git_median:.3f} s over {args.runs} runs")
        print(f"analysis:     median {analysis_median:.3f} s over {args.runs} runs")
        print(f"ratio analysis / git ls-files: {ratio:.1f}x (target <= 10x); analysis target <= 2 s")
        return 0 if analysis_median <= 2.0 and ratio <= 10 else 1
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
