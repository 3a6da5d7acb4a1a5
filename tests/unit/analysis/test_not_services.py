"""Candidates that look runnable but are not services: each is skipped, kept with its reason, and can come back.

Every fixture is a small repository written into a temporary folder, shaped like the real
ones the corpus (bench/realworld) found these classes in.
"""

from __future__ import annotations

import json
from pathlib import Path

from hydron.analysis import analyze
from hydron.analysis.models import Analysis
from tests.unit.files import write


def package(name: str, deps: dict[str, str] | None = None, scripts: dict[str, str] | None = None, **extra) -> str:
    return json.dumps({"name": name, "dependencies": deps or {}, "scripts": scripts or {}, **extra})


def services(analysis: Analysis) -> dict[str, str]:
    return {s.path: s.name for s in analysis.services}


def skipped(analysis: Analysis) -> dict[str, str]:
    return {s.name: s.reason for s in analysis.skipped_services}


EXPRESS_APP = {"package.json": package("api", {"express": "^4"}, {"start": "node server.js"}),
               "server.js": "require('express')().listen(3000)\n"}


def test_tool_images_in_compose_are_suggestions_not_services(tmp_path: Path) -> None:
    write(tmp_path, {**EXPRESS_APP, "compose.yaml": """
        services:
          api: {build: ., ports: ["3000:3000"]}
          adminer: {image: adminer, ports: ["8080:8080"]}
          mail: {image: "axllent/mailpit:v1.20", ports: ["8025:8025"]}
          proxy: {image: "traefik:3.1", ports: ["80:80"]}
        """})
    analysis = analyze(tmp_path)
    assert [s.name for s in analysis.services] == ["api"]
    assert skipped(analysis) == {"adminer": "tool-image", "mail": "tool-image", "proxy": "tool-image"}
    assert all(s.suggestion for s in analysis.skipped_services)


def test_a_bare_base_image_in_compose_is_a_development_helper(tmp_path: Path) -> None:
    write(tmp_path, {**EXPRESS_APP, "docker-compose.yml": """
        services:
          api: {build: ., ports: ["3000:3000"]}
          assets: {image: "node:22-alpine", command: npm run watch}
        """})
    assert skipped(analyze(tmp_path)) == {"assets": "development"}


def test_compose_service_running_the_published_image_of_the_app_itself_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, {**EXPRESS_APP, "Dockerfile": "FROM node:20\nCMD node server.js\n",
                     "deploy/compose.yaml": "services:\n  api:\n    image: ghcr.io/acme/api:latest\n"
                                           "    ports: ['3000:3000']\n"})
    analysis = analyze(tmp_path)
    assert list(services(analysis)) == ["."]
    assert skipped(analysis) == {"api-2": "own-image"}


def test_compose_services_behind_a_profile_or_in_a_test_folder_are_development(tmp_path: Path) -> None:
    write(tmp_path, {**EXPRESS_APP,
                     "compose.yaml": "services:\n  api: {build: ., ports: ['3000:3000']}\n"
                                     "  debug: {image: 'acme/debugger', profiles: [debug]}\n",
                     "dev/compose.yaml": "services:\n  browser: {image: 'acme/browser'}\n"})
    assert skipped(analyze(tmp_path)) == {"debug": "development", "browser": "development"}


def test_a_workspace_library_another_app_imports_is_not_a_service(tmp_path: Path) -> None:
    write(tmp_path, {
        "package.json": json.dumps({"name": "root", "private": True, "workspaces": ["apps/*", "packages/*"]}),
        "apps/web/package.json": package("web", {"next": "14", "@acme/ui": "*"}, {"start": "next start"}),
        "packages/ui/package.json": package("@acme/ui", {"next": "14", "react": "18"}),
    })
    analysis = analyze(tmp_path)
    assert services(analysis) == {"apps/web": "web"}
    assert skipped(analysis) == {"ui": "library"}


def test_docs_sites_and_examples_are_not_services(tmp_path: Path) -> None:
    write(tmp_path, {**EXPRESS_APP,
                     "docs/package.json": package("docs", {"@docusaurus/core": "3"}, {"start": "docusaurus start"}),
                     "examples/client/package.json": package("client", {}, {"start": "node index.js"}),
                     "examples/client/index.js": "console.log(1)\n"})
    analysis = analyze(tmp_path)
    assert list(services(analysis)) == ["."]
    assert skipped(analysis) == {"docs": "documentation", "client": "example"}


def test_a_frontend_the_backend_dockerfile_copies_in_is_built_into_that_image(tmp_path: Path) -> None:
    write(tmp_path, {
        "frontend/package.json": package("frontend", {"vite": "5", "react": "18"}, {"build": "vite build"}),
        "frontend/index.html": "<div id=app></div>\n",
        "backend/requirements.txt": "fastapi\nuvicorn\n",
        "backend/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "backend/Dockerfile": "FROM node:20 AS ui\nCOPY frontend/ /ui\nRUN npm run build\n"
                              "FROM python:3.12\nCOPY . .\nCMD uvicorn main:app --port 8000\n",
        "compose.yaml": "services:\n  backend:\n    build: {context: ., dockerfile: backend/Dockerfile}\n"
                        "    ports: ['8000:8000']\n",
    })
    analysis = analyze(tmp_path)
    assert [(s.path, s.build_context) for s in analysis.services] == [("backend", ".")]
    assert skipped(analysis) == {"frontend": "bundled"}


def test_a_frontend_folder_with_go_code_is_embedded_in_the_binary(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/srv\n\ngo 1.22\n",
                     "app.go": "package main\n\nfunc main() {}\n",
                     "ui/package.json": package("ui", {"vite": "5"}, {"build": "vite build"}),
                     "ui/embed.go": "package ui\n\nimport \"embed\"\n\n//go:embed dist\nvar Dist embed.FS\n"})
    analysis = analyze(tmp_path)
    assert list(services(analysis)) == ["."]
    assert skipped(analysis) == {"ui": "bundled"}


def test_a_frontend_the_root_scripts_build_is_served_by_the_root(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": package("shop", {"express": "4"}, {
        "start": "node backend/server.js", "heroku-postbuild": "npm install --prefix frontend && "
                                                              "npm run build --prefix frontend"}),
                     "backend/server.js": "require('express')().listen(5000)\n",
                     "frontend/package.json": package("frontend", {"react-scripts": "5"}, {"build": "react-scripts build"})})
    assert skipped(analyze(tmp_path)) == {"frontend": "bundled"}


def test_a_root_dockerfile_that_builds_a_workspace_member_is_that_member(tmp_path: Path) -> None:
    write(tmp_path, {
        "Cargo.toml": "[workspace]\nmembers = ['server', 'cli']\n",
        "server/Cargo.toml": "[package]\nname = 'srv'\n\n[dependencies]\naxum = '0.7'\n",
        "server/src/main.rs": "fn main() {}\n",
        "cli/Cargo.toml": "[package]\nname = 'srv-admin'\n",
        "cli/src/main.rs": "fn main() {}\n",
        "Dockerfile": "FROM rust AS build\nRUN cargo build --release -p srv -p srv-admin\n"
                      "FROM debian\nCOPY --from=build /target/release/srv /srv\nENTRYPOINT [\"/srv\"]\n",
    })
    analysis = analyze(tmp_path)
    assert [(s.path, s.dockerfile, s.build_context) for s in analysis.services] == [("server", "Dockerfile", ".")]
    assert {s.path: s.reason for s in analysis.skipped_services} == {".": "duplicate", "cli": "bundled"}


def test_apps_the_root_compose_file_leaves_out_are_not_self_hosted_services(tmp_path: Path) -> None:
    write(tmp_path, {
        "apps/web/package.json": package("web", {"next": "14"}, {"start": "next start"}),
        "apps/web/Dockerfile": "FROM node:20\nCMD npm start\n",
        "apps/landing/package.json": package("landing", {"next": "14"}, {"start": "next start"}),
        "docker-compose.yml": "services:\n  web:\n    build: {context: ., dockerfile: apps/web/Dockerfile}\n"
                              "    ports: ['3000:3000']\n",
    })
    analysis = analyze(tmp_path)
    assert services(analysis) == {"apps/web": "web"}
    assert skipped(analysis) == {"landing": "not-in-compose"}


def test_mobile_desktop_and_build_script_projects_are_not_services(tmp_path: Path) -> None:
    write(tmp_path, {**EXPRESS_APP,
                     "mobile/package.json": package("mobile", {"expo": "51"}, {"start": "expo start"}),
                     "desktop/package.json": package("desktop", {"@tauri-apps/api": "2", "vite": "5"}),
                     "build/build.csproj": '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe'
                                           '</OutputType></PropertyGroup><ItemGroup><PackageReference '
                                           'Include="Bullseye" Version="5" /></ItemGroup></Project>\n',
                     "build/Program.cs": "static void Main() {}\n"})
    assert skipped(analyze(tmp_path)) == {"mobile": "client-app", "desktop": "client-app", "build": "build-tooling"}


def test_a_procfile_line_that_starts_a_datastore_is_not_a_service(tmp_path: Path) -> None:
    write(tmp_path, {**EXPRESS_APP, "Procfile": "web: node server.js\nredis: redis-server --port 6380\n"})
    analysis = analyze(tmp_path)
    assert [s.name for s in analysis.services] == ["api"]
    assert skipped(analysis) == {"api-redis": "datastore-process"}


def test_a_skipped_candidate_keeps_the_service_an_override_would_deploy(tmp_path: Path) -> None:
    write(tmp_path, {**EXPRESS_APP, "compose.yaml": "services:\n  api: {build: ., ports: ['3000:3000']}\n"
                                                    "  mailhog: {image: mailhog/mailhog, ports: ['8025:8025']}\n"})
    entry = analyze(tmp_path).skipped_services[0]
    assert entry.service is not None
    assert (entry.service.name, entry.service.image, entry.service.port.value) == ("mailhog", "mailhog/mailhog", 8025)


def test_a_frontend_whose_build_is_written_into_another_folder_is_bundled(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/notes\n\ngo 1.22\n", "main.go": "package main\n\nfunc main() {}\n",
                     "web/package.json": package("web", {"vite": "5"}, {
                         "release": "vite build --outDir=../server/frontend/dist"})})
    assert skipped(analyze(tmp_path)) == {"web": "bundled"}


def test_end_to_end_test_projects_are_not_services(tmp_path: Path) -> None:
    write(tmp_path, {**EXPRESS_APP, "shop-e2e/package.json": package("shop-e2e", {"playwright": "1"},
                                                                     {"start": "node run.js"}),
                     "shop-e2e/run.js": "console.log(1)\n"})
    assert skipped(analyze(tmp_path)) == {"shop-e2e": "development"}


def test_an_nx_app_with_its_own_package_json_takes_the_framework_from_project_json(tmp_path: Path) -> None:
    write(tmp_path, {"nx.json": "{}",
                     "apps/shop/package.json": package("shop"),
                     "apps/shop/project.json": json.dumps({"name": "shop", "projectType": "application", "targets": {
                         "build": {"executor": "@nx/angular:application", "options": {"outputPath": "dist/shop"}}}})})
    [service] = analyze(tmp_path).services
    assert (service.path, service.framework.name, service.role.value) == ("apps/shop", "Angular", "static")


def test_a_crate_named_like_the_framework_it_uses_is_not_a_library(tmp_path: Path) -> None:
    write(tmp_path, {"Cargo.toml": "[package]\nname = 'rocket'\n\n[dependencies]\nrocket = '0.5'\n",
                     "src/main.rs": "#[launch]\nfn rocket() -> _ { rocket::build() }\n"})
    analysis = analyze(tmp_path)
    assert [s.path for s in analysis.services] == ["."] and analysis.skipped_services == []


def test_a_web_app_in_a_docs_folder_is_kept_but_a_docs_generator_is_not(tmp_path: Path) -> None:
    write(tmp_path, {"apps/docs/package.json": package("docs", {"next": "14"}, {"start": "next start"}),
                     "apps/handbook/package.json": package("handbook", {"vitepress": "1"}, {"build": "vitepress build"}),
                     "docs/mkdocs.yml": "site_name: x\n", "docs/requirements.txt": "mkdocs\n"})
    analysis = analyze(tmp_path)
    assert [s.path for s in analysis.services] == ["apps/docs"]


def test_a_workspace_package_nothing_starts_is_not_a_service(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": json.dumps({"name": "root", "private": True, "workspaces": ["apps/*", "packages/*"]}),
                     "apps/web/package.json": package("web", {"next": "14"}, {"start": "next start"}),
                     "packages/eslint-config/package.json": package("eslint-config", {"eslint": "9"}),
                     "packages/eslint-config/index.js": "module.exports = {}\n"})
    analysis = analyze(tmp_path)
    assert [s.path for s in analysis.services] == ["apps/web"]
    assert skipped(analysis) == {"eslint-config": "library"}


GO_MOD = "module example.com/ci\n\ngo 1.22\n"


def skipped_at(analysis: Analysis) -> dict[str, str]:
    return {s.path: s.reason for s in analysis.skipped_services}


def test_go_command_line_client_in_cmd_is_not_a_service(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": GO_MOD, "cmd/server/main.go": 'package main\n\nfunc main() { http.ListenAndServe(":8000", nil) }\n',
                     "cmd/cli/main.go": "package main\n\nfunc main() {}\n"})
    analysis = analyze(tmp_path)
    assert [s.name for s in analysis.services] == ["server"]
    assert any(s.name == "cli" and s.reason == "client-app" for s in analysis.skipped_services)


def test_hugo_site_in_a_subfolder_is_documentation(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": GO_MOD, "main.go": 'package main\n\nfunc main() { http.ListenAndServe(":8080", nil) }\n',
                     "site/hugo.toml": "title = 'x'\n", "site/content/_index.md": "# hi\n",
                     "site/Dockerfile": "FROM nginx\nEXPOSE 80\nCOPY public /usr/share/nginx/html\n"})
    analysis = analyze(tmp_path)
    assert "site" not in services(analysis) and skipped_at(analysis)["site"] == "documentation"


def test_hugo_site_at_the_root_stays_the_service(tmp_path: Path) -> None:
    write(tmp_path, {"hugo.toml": "title = 'x'\n", "content/_index.md": "# hi\n", "index.html": "<h1>x</h1>\n",
                     "Dockerfile": "FROM nginx\nCOPY public /usr/share/nginx/html\n"})
    assert list(services(analyze(tmp_path))) == ["."]


def test_template_initialiser_folder_is_not_a_service(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": package("stack", {"@remix-run/node": "2"}, {"start": "remix-serve build"}),
                     "remix.init/package.json": package("remix.init", {"semver": "7"}, main="index.js"),
                     "remix.init/index.js": "module.exports = async function main() {}\n"})
    analysis = analyze(tmp_path)
    assert "remix.init" not in services(analysis) and skipped_at(analysis)["remix.init"] == "build-tooling"


def test_a_quinoa_webui_is_bundled_into_its_quarkus_app(tmp_path: Path) -> None:
    """quarkus-super-heroes' ui-super-heroes: quarkus-quinoa builds src/main/webui (a create-react-app) into
    the Quarkus jar, which serves it; the UI is no service of its own."""
    write(tmp_path, {
        "ui/pom.xml": "<project><artifactId>ui</artifactId><dependencies>"
                      "<dependency><groupId>io.quarkus</groupId><artifactId>quarkus-rest</artifactId></dependency>"
                      "<dependency><groupId>io.quarkiverse.quinoa</groupId><artifactId>quarkus-quinoa</artifactId>"
                      "</dependency></dependencies></project>\n",
        "ui/src/main/java/UiResource.java": "class UiResource {}\n",
        "ui/src/main/webui/package.json": package("webui", {"react": "18", "react-scripts": "5"},
                                                  {"start": "react-scripts start", "build": "react-scripts build"}),
        "ui/src/main/webui/src/index.js": "import React from 'react';\n",
    })

    analysis = analyze(tmp_path)

    assert list(services(analysis)) == ["ui"]
    assert {s.path: s.reason for s in analysis.skipped_services} == {"ui/src/main/webui": "bundled"}


def test_a_frontend_a_go_package_embeds_from_above_is_built_before_the_go_build(tmp_path: Path) -> None:
    """gotify: ui/serve.go says `//go:embed build/*`, the build is not committed, so `go build` fails until the
    frontend is built. The generated image builds it in a node stage and copies it over the sources first."""
    from hydron.planning.dockerfiles import generate_dockerfile
    write(tmp_path, {"go.mod": "module example.com/srv\n\ngo 1.22\n",
                     "app.go": "package main\n\nfunc main() {}\n",
                     "web/package.json": package("web", {"vite": "5"}, {"build": "vite build"}),
                     "web/yarn.lock": "# yarn lockfile v1\n",
                     "main_embed.go": "package main\n\nimport \"embed\"\n\n//go:embed all:web/build\nvar UI embed.FS\n"})
    analysis = analyze(tmp_path)
    assert skipped(analysis) == {"web": "bundled"}
    text = generate_dockerfile(analysis.services[0], analysis)
    stage, build = text.index("AS frontend-web"), text.index("RUN go build")
    assert stage < text.index("RUN yarn build", stage) < build
    assert text.index("COPY --from=frontend-web /frontend ./web") < build


def test_a_committed_build_a_go_package_embeds_is_not_built_again(tmp_path: Path) -> None:
    """shiori commits webapp/dist: the image embeds it as it is, with no node stage."""
    from hydron.planning.dockerfiles import generate_dockerfile
    write(tmp_path, {"go.mod": "module example.com/srv\n\ngo 1.22\n",
                     "main.go": "package main\n\nfunc main() {}\n",
                     "webapp/package.json": package("webapp", {"vite": "5"}, {"build": "vite build"}),
                     "webapp/dist/index.html": "<div id=app></div>\n",
                     "webapp/embed.go": "package webapp\n\nimport \"embed\"\n\n//go:embed dist/*\nvar Assets embed.FS\n"})
    analysis = analyze(tmp_path)
    assert skipped(analysis) == {"webapp": "bundled"}
    assert "frontend-" not in generate_dockerfile(analysis.services[0], analysis)
