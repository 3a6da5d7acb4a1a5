"""The real-world image runner's reading of Dockerfiles and build logs (bench/realworld/images.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "realworld"))
from images import base_images, first_error  # noqa: E402


def test_base_images_are_the_from_lines_that_are_not_earlier_stages_with_arg_defaults():
    dockerfile = ("ARG GO_VERSION=1.22\nFROM golang:${GO_VERSION}-alpine AS build\nRUN go build\n"
                  "FROM --platform=$BUILDPLATFORM node:22-slim AS web\nFROM build AS final\nFROM scratch\n")
    assert base_images(dockerfile, {}) == {"golang:1.22-alpine", "node:22-slim"}


def test_first_error_names_the_failing_step_and_its_cause_not_the_engine_summary():
    log = ("Step 1/3 : FROM python:3.12-slim\n ---> abc\nStep 2/3 : RUN pipenv install --deploy --system\n"
           "Installing dependencies\nYour Pipfile.lock (b211) is out of date. Expected: (3417).\n"
           "ERROR:: Aborting deploy\nThe command '/bin/sh -c pipenv install' returned a non-zero code: 1\n")
    assert first_error(log) == ("Step 2/3 : RUN pipenv install --deploy --system -> "
                                "Your Pipfile.lock (b211) is out of date. Expected: (3417).")


def test_a_datastore_of_another_tag_runs_as_the_local_image_of_the_same_server():
    from images import local_stand_in
    local = ["postgres:16", "postgres:16-alpine", "redis:7", "mysql:8.4", "python:3.12-slim"]
    assert local_stand_in("postgres:18.1", local) == "postgres:16"
    assert local_stand_in("postgres", local) == "postgres:16"
    assert local_stand_in("redis:8.4", local) == "redis:7"
    assert local_stand_in("mariadb:10.11", local) == "mysql:8.4"  # the test bed's mysql is MariaDB
    assert local_stand_in("mongo:7", local) is None
    assert local_stand_in("clickhouse/clickhouse-server:24.8", local) is None


def test_the_summary_counts_only_the_last_run_of_an_app_and_keeps_not_here_and_not_tried_apart():
    from images import Outcome, latest, summary
    outcomes = latest([
        Outcome("a", "web", "Generated", "failed", "build", "boom"),
        Outcome("b", "web", "Generated", "not-here", "build", "no local image mongo:7"),
        Outcome("c", "*", "", "not-tried", "timeout", "over the 600 s cap"),
        Outcome("a", "web", "Generated", "passed"),  # a rerun after a fix replaces the failure
        Outcome("d", "api", "Generated", "passed"),
        Outcome("d", "web", "Generated", "failed", "answer", "HTTP 500"),
    ])
    assert [o.status for o in outcomes if o.app == "a"] == ["passed"]
    assert summary(outcomes) == ("services: 2/3 build and answer (66.7%); 0 failed for this machine (2/3 = 66.7% of "
                                 "the product's); 1 not runnable here; 1 not tried (time); apps: 1/2 with every service")


def test_a_build_that_failed_on_this_machines_network_counts_apart_from_the_products_failures():
    from images import Outcome, summary
    outcomes = [
        Outcome("a", "web", "Generated", "passed"),
        Outcome("b", "web", "Generated", "failed", "build", "RUN npm install -> npm error Error: getaddrinfo ENOTFOUND "
                "download.cypress.io"),
        Outcome("c", "web", "Generated", "failed", "build", "RUN go mod download -> go: example.org/m@v1.0.0: reading "
                "https://proxy.example/m/@v/v1.0.0.mod: 403 Forbidden"),
        Outcome("d", "web", "Generated", "failed", "answer", "exited 0: Use \"shiori [command] --help\""),
    ]
    assert "2 failed for this machine (1/2 = 50.0% of the product's)" in summary(outcomes)


def test_first_error_after_a_retry_is_the_retrys_not_the_handled_first_attempts():
    log = ("Step 5/9 : RUN yarn install || (echo 'hydron: a native module compiles' >&2 && apt-get install g++ && yarn install)\n"
           "gyp ERR! stack Error: Could not find any Python installation to use\n"
           "hydron: a native module compiles (no prebuilt binary for this Node); installing python3, make and g++\n"
           "Setting up g++ ...\nerror argon2@0.26.2: The engine \"node\" is incompatible with this module.\n"
           "The command '/bin/sh -c yarn install' returned a non-zero code: 1\n")
    assert first_error(log).endswith('-> error argon2@0.26.2: The engine "node" is incompatible with this module.')


def test_first_error_is_never_the_builders_bookkeeping():
    log = ("Step 7/19 : RUN go build -o /out/server .\n ---> Running in f00f3aedde2e\n"
           "main.go:12:2: pattern ui/build: no matching files found\n"
           "\x1b[0mRemoving intermediate container f00f3aedde2e\n"
           "The command '/bin/sh -c go build' returned a non-zero code: 1\n")
    assert first_error(log) == "Step 7/19 : RUN go build -o /out/server . -> main.go:12:2: pattern ui/build: no matching files found"


def test_a_package_manager_refusing_a_stand_in_older_than_its_tags_newest_release_is_the_machines_fault():
    """create-t3-turbo wants ^22.21.0; the node:22-slim built here is 22.20 while Docker Hub's is newer.
    A range no release of the line meets (Node 18 for ^20.19) is the product's choice of line."""
    from images import Outcome, machine_fault
    log = ("Step 6/23 : RUN pnpm install --frozen-lockfile\n ERR_PNPM_UNSUPPORTED_ENGINE  Unsupported environment "
           "(bad pnpm and/or Node.js version)\n\nYour Node version is incompatible with \"/app\".\n\n"
           "Expected version: ^22.21.0\nGot: v22.20.0\n\nThis is happening because the package's manifest has an "
           "engines.node field specified.\n")
    error = first_error(log)
    assert error.endswith("ERR_PNPM_UNSUPPORTED_ENGINE  Unsupported environment (bad pnpm and/or Node.js version) "
                          "(Expected version: ^22.21.0 Got: v22.20.0)")
    assert machine_fault(Outcome("t3", "nextjs", "Generated", "failed", "build", error))
    yarn = ('error vite@7.0.0: The engine "node" is incompatible with this module. Expected version '
            '"^20.19.0 || >=22.12.0". Got "18.20.4"')
    assert not machine_fault(Outcome("a", "web", "Generated", "failed", "build", yarn))
    assert machine_fault(Outcome("a", "web", "Generated", "failed", "build", yarn.replace("18.20.4", "20.18.0")))


def test_first_error_reads_through_terminal_colours_and_unreachable_hosts_are_the_machines():
    """it-tools: the error line started with an ANSI colour code, so the report named the stack frame below it."""
    from images import Outcome, machine_fault
    log = ("Step 14/22 : RUN pnpm run build\n \x1b[91m\u2713 built in 6m 36s\n\x1b[91mError: No compatible signature "
           "found in package metadata\n    at verifySignature (/usr/local/lib/node_modules/corepack/dist/lib/corepack.cjs:1:1)\n"
           "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n")
    error = first_error(log)
    assert error == "Step 14/22 : RUN pnpm run build -> Error: No compatible signature found in package metadata"
    assert machine_fault(Outcome("it-tools", "it-tools", "Generated", "failed", "build", error))
    yarn = ("RUN yarn install -> Error: Error when performing the request to https://repo.yarnpkg.com/4.15.0/packages/"
            "yarnpkg-cli/bin/yarn.js")
    assert machine_fault(Outcome("nx-examples", "cart", "Generated", "failed", "build", yarn))
    fonts = ("RUN pnpm run build -> There was an issue establishing a connection while requesting "
             "https://fonts.googleapis.com/css2?family=Geist:wght@100..900&display=swap")
    assert machine_fault(Outcome("create-t3-turbo", "nextjs", "Generated", "failed", "build", fonts))
    turbopack = "RUN pnpm run build -> Error while requesting resource"
    assert machine_fault(Outcome("create-t3-turbo", "nextjs", "Generated", "failed", "build", turbopack))
    bun = ("RUN bun install --frozen-lockfile -> error: DNSResolveFailed downloading tarball "
           "xlsx@https://cdn.sheetjs.com/xlsx-0.20.2/xlsx-0.20.2.tgz")
    assert machine_fault(Outcome("midday", "website", "Generated", "failed", "build", bun))


def test_a_package_pip_failed_to_build_is_named_with_the_cause_its_build_printed():
    log = ("Step 6/20 : RUN pip install -r requirements.txt\n"
           "Collecting psycopg-c==3.3.4 (from psycopg[c,pool]==3.3.4->-r requirements.txt (line 33))\n"
           "  Downloading psycopg_c-3.3.4.tar.gz (647 kB)\n"
           "  Preparing metadata (pyproject.toml): finished with status 'error'\n"
           "\x1b[91m  error: subprocess-exited-with-error\n  \n"
           "  × Preparing metadata (pyproject.toml) did not run successfully.\n  │ exit code: 1\n"
           "  ╰─> [3 lines of output]\n      running dist_info\n"
           "      couldn't run 'pg_config' --includedir: [Errno 2] No such file or directory: 'pg_config'\n"
           "      error: [Errno 2] No such file or directory: 'pg_config'\n      [end of output]\n"
           "  note: This error originates from a subprocess, and is likely not a problem with pip.\n"
           "\x1b[0m\x1b[91merror: metadata-generation-failed\n"
           "The command '/bin/sh -c pip install' returned a non-zero code: 1\n")
    assert first_error(log) == ("Step 6/20 : RUN pip install -r requirements.txt -> "
                                "psycopg-c==3.3.4: error: [Errno 2] No such file or directory: 'pg_config'")


def test_a_package_pipenv_failed_to_build_is_named_through_pipenvs_quoting_of_pip():
    quoted = "[pipenv.exceptions.InstallError]: "
    log = ("Step 8/22 : RUN pipenv install --system --ignore-pipfile\n"
           + "".join(quoted + line + "\n" for line in (
               "Collecting markupsafe==1.0 (from -r /tmp/pipenv-reqs.txt (line 19))",
               "  Downloading MarkupSafe-1.0.tar.gz (14 kB)", "error: subprocess-exited-with-error",
               "  ╰─> [3 lines of output]", "      Traceback (most recent call last):",
               "      ImportError: cannot import name 'Feature' from 'setuptools'", "      [end of output]")))
    assert first_error(log).endswith("-> markupsafe==1.0: ImportError: cannot import name 'Feature' from 'setuptools'")


def test_a_python_traceback_is_reported_by_the_exception_it_ends_with():
    log = ("Step 9/22 : RUN python netbox/manage.py collectstatic --noinput\n ---> Running in 0c1d\n"
           "Traceback (most recent call last):\n  File \"/app/netbox/netbox/settings.py\", line 58, in <module>\n"
           "ModuleNotFoundError: No module named 'netbox.configuration'\n"
           "During handling of the above exception, another exception occurred:\n"
           "Traceback (most recent call last):\n  File \"/app/netbox/manage.py\", line 10, in <module>\n"
           "django.core.exceptions.ImproperlyConfigured: Configuration file is not present.\n"
           "The command '/bin/sh -c python netbox/manage.py collectstatic --noinput' returned a non-zero code: 1\n")
    assert first_error(log) == ("Step 9/22 : RUN python netbox/manage.py collectstatic --noinput -> "
                                "django.core.exceptions.ImproperlyConfigured: Configuration file is not present.")


def test_a_fetch_that_failed_is_the_machines_only_when_its_cause_names_a_host_this_machine_cannot_resolve():
    """astrowind: Astro sizes its remote images while rendering a page; the summary said only "fetch failed", which
    counted as the machine's whatever had failed. The host is in the cause printed under the stack trace."""
    from images import Outcome, machine_fault
    log = ("Step 11/19 : RUN npm run build\n17:14:58   \u2514\u2500 /homes/personal/index.html\x1b[91mfetch failed\n"
           "  Stack trace:\n    at node:internal/deps/undici/undici:13510:13\n"
           "    at async inferRemoteSize (file:///app/dist/chunks/_astro_assets.mjs:1151:20)\n"
           "  Caused by:\n  getaddrinfo ENOTFOUND plus.unsplash.com\n"
           "    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26)\n")
    error = first_error(log)
    assert error.endswith("fetch failed (caused by getaddrinfo ENOTFOUND plus.unsplash.com)")
    assert machine_fault(Outcome("astrowind", "astrowind", "Generated", "failed", "build", error))
    refused = log.replace("getaddrinfo ENOTFOUND plus.unsplash.com", "connect ECONNREFUSED 127.0.0.1:5432")
    assert not machine_fault(Outcome("astrowind", "astrowind", "Generated", "failed", "build", first_error(refused)))
