"""Ports, frameworks and runtimes when the code does not state them plainly: framework defaults and indirect binds."""

from __future__ import annotations

import json
from pathlib import Path

from hydron.analysis import analyze
from hydron.analysis.models import Service
from tests.unit.files import write


def only(root: Path) -> Service:
    services = analyze(root).services
    assert len(services) == 1, [s.name for s in services]
    return services[0]


POM = """
    <project>
      <artifactId>shop</artifactId>
      <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId>
      <version>4.0.0</version></parent>
      <dependencies>
        <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-webmvc</artifactId>
        </dependency>
        <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-actuator</artifactId>
        </dependency>
      </dependencies>
    </project>
"""


def test_spring_boot_4_webmvc_starter_is_a_web_app_on_8080(tmp_path: Path) -> None:
    write(tmp_path, {"pom.xml": POM,
                     "src/main/java/shop/ShopApplication.java": "@SpringBootApplication\nclass ShopApplication {}\n"})
    service = only(tmp_path)
    assert (service.role.value, service.port.value, service.health_check.path) == ("web", 8080, "/actuator/health")


def test_kotlin_on_the_jvm_is_reported_as_kotlin_with_java_as_runtime(tmp_path: Path) -> None:
    write(tmp_path, {"build.gradle.kts": 'plugins {\n  kotlin("jvm") version "2.0.0"\n'
                                         '  id("org.springframework.boot") version "3.3.0"\n}\n',
                     "src/main/kotlin/App.kt": "@SpringBootApplication\nclass App\n"})
    language = only(tmp_path).language
    assert (language.name, language.runtime) == ("kotlin", "java")


def test_node_projects_report_their_runtime(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": json.dumps({"name": "api", "dependencies": {"hono": "4"},
                                                 "scripts": {"start": "bun run src/index.ts"}}),
                     "bun.lockb": "", "src/index.ts": "export default { port: 3000 }\n"})
    assert only(tmp_path).language.runtime == "bun"


def test_go_main_package_in_a_file_not_called_main_go(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/conduit\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.9.1\n",
                     "hello.go": 'package main\n\nimport "github.com/gin-gonic/gin"\n\n'
                                 'func main() { gin.Default().Run() }\n',
                     "users/routes.go": "package users\n"})
    service = only(tmp_path)
    assert (service.entry_point.file, service.framework.name, service.port.value) == ("hello.go", "Gin", 8080)


def test_smtp_and_ldap_ports_in_code_are_not_the_listening_port(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": json.dumps({"name": "mailer", "dependencies": {"express": "4"},
                                                 "scripts": {"start": "node app.js"}}),
                     "app.js": "const mail = { host: 'smtp.example.com', port: 587 };\n"
                               "require('express')().listen(process.env.PORT || 3000)\n"})
    assert only(tmp_path).port.value == 3000


def test_port_default_after_several_fallback_variables(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": json.dumps({"name": "site", "dependencies": {"express": "4"},
                                                 "scripts": {"start": "node app.js"}}),
                     "app.js": "const app = require('express')();\n"
                               "app.set('port', process.env.PORT || process.env.OPENSHIFT_NODEJS_PORT || 8080);\n"})
    assert only(tmp_path).port.value == 8080


def test_a_dockerfile_under_docker_that_copies_root_files_builds_the_root_app(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/notes\n\ngo 1.22\n", "go.sum": "",
                     "main.go": "package main\n\nfunc main() {}\n",
                     "scripts/Dockerfile": "FROM golang AS build\nCOPY go.mod go.sum ./\nCOPY . .\nRUN go build\n"
                                           "FROM alpine\nEXPOSE 5230\nCMD [\"/notes\"]\n"})
    service = only(tmp_path)
    assert (service.dockerfile, service.build_context, service.port.value) == ("scripts/Dockerfile", ".", 5230)


def test_a_lone_index_php_is_a_plain_php_app_and_its_subfolders_are_not(tmp_path: Path) -> None:
    write(tmp_path, {"index.php": "<?php echo 'hi';\n", "admin/index.php": "<?php echo 'admin';\n"})
    service = only(tmp_path)
    assert (service.path, service.language.name, service.role.value) == (".", "php", "web")


def test_composer_app_with_php_pages_at_the_top_but_no_index_php_is_served(tmp_path: Path) -> None:
    write(tmp_path, {"composer.json": json.dumps({"name": "acme/links", "require": {"php": ">=8.1"}}),
                     "links-loader.php": "<?php\n", "includes/functions.php": "<?php\n"})
    assert only(tmp_path).start_command.value.startswith("php -S 0.0.0.0:")


def test_pnpm_workspace_file_with_only_settings_is_not_a_workspace(tmp_path: Path) -> None:
    write(tmp_path, {"pnpm-workspace.yaml": "onlyBuiltDependencies:\n  - esbuild\n",
                     "package.json": json.dumps({"name": "site", "devDependencies": {
                         "@sveltejs/kit": "2", "@sveltejs/adapter-vercel": "5"}, "scripts": {"build": "vite build"}})})
    service = only(tmp_path)
    assert (service.framework.name, service.role.value, service.port.value) == ("SvelteKit", "web", 3000)


def test_a_standalone_nx_app_is_the_app_not_a_workspace_root(tmp_path: Path) -> None:
    write(tmp_path, {"nx.json": "{}", "project.json": json.dumps({"name": "api", "projectType": "application"}),
                     "package.json": json.dumps({"name": "api", "dependencies": {"express": "4"}}),
                     "src/main.ts": "import express from 'express';\nexpress().listen(3000);\n"})
    assert [s.framework.name for s in analyze(tmp_path).services if s.framework] == ["Express"]


def test_tanstack_start_is_a_server_and_react_router_without_ssr_is_static(tmp_path: Path) -> None:
    write(tmp_path, {"start/package.json": json.dumps({"name": "start", "dependencies": {
                         "@tanstack/react-start": "1", "vite": "6", "react": "19"}}),
                     "spa/package.json": json.dumps({"name": "spa", "dependencies": {
                         "@react-router/node": "7", "react": "19"}, "scripts": {"build": "react-router build"}}),
                     "spa/react-router.config.ts": "export default { ssr: false };\n"})
    found = {s.path: (s.framework.name, s.role.value) for s in analyze(tmp_path).services}
    assert found == {"start": ("TanStack Start", "web"), "spa": ("React Router", "static")}


def test_a_deno_fresh_app_without_package_json(tmp_path: Path) -> None:
    write(tmp_path, {"deno.json": json.dumps({"tasks": {"start": "deno run -A --watch dev.ts", "build": "deno run -A dev.ts build"},
                                              "imports": {"$fresh/": "https://deno.land/x/fresh@1.7.3/"}}),
                     "main.ts": "import { start } from '$fresh/server.ts';\nconst kv = await Deno.openKv();\n"})
    service = only(tmp_path)
    assert (service.language.name, service.framework.name, service.port.value) == ("deno", "Fresh", 8000)
    assert service.start_command.value == "deno run -A main.ts"  # the start task only watches for development
    assert [(d.kind, d.file_database) for d in analyze(tmp_path).databases] == [("deno-kv", True)]


def test_package_json_beside_deno_json_runs_on_deno(tmp_path: Path) -> None:
    write(tmp_path, {"deno.jsonc": "{\n  // tasks\n  \"tasks\": {},\n}\n",
                     "package.json": json.dumps({"name": "server", "dependencies": {"hono": "4"}}),
                     "src/index.ts": "Deno.serve({ port: 3000 }, app.fetch)\n"})
    language = only(tmp_path).language
    assert (language.name, language.runtime) == ("deno", "deno")


def test_a_dev_server_behind_cross_env_or_dotenv_is_still_a_dev_server(tmp_path: Path) -> None:
    from hydron.analysis.node import unwrap

    assert unwrap("cross-env NODE_ENV=development PORT=3001 react-scripts start") == "react-scripts start"
    assert unwrap("dotenv -e .env.local -- vite") == "vite"
    write(tmp_path, {"package.json": json.dumps({"name": "ui", "dependencies": {"react-scripts": "5", "react": "18"},
                                                 "scripts": {"start": "cross-env BROWSER=none react-scripts start",
                                                             "build": "react-scripts build"}})})
    service = only(tmp_path)
    assert (service.role.value, service.framework.name) == ("static", "Create React App")


def test_rust_binds_built_from_an_address_and_a_port(tmp_path: Path) -> None:
    write(tmp_path, {"Cargo.toml": "[package]\nname = 'api'\n\n[dependencies]\ntokio = '1'\n",
                     "src/main.rs": "fn main() {\n    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 8088));\n}\n"})
    assert only(tmp_path).port.value == 8088
    (tmp_path / "src/main.rs").write_text('fn main() { axum::Server::bind(&"0.0.0.0:8089".parse().unwrap()); }\n')
    assert only(tmp_path).port.value == 8089


def test_a_gem_that_is_also_an_app_takes_its_framework_from_the_gemspec(tmp_path: Path) -> None:
    write(tmp_path, {"Gemfile": "source 'https://rubygems.org'\ngemspec\n",
                     "wiki.gemspec": "Gem::Specification.new do |s|\n  s.add_dependency 'sinatra', '~> 4'\nend\n",
                     "lib/wiki/app.rb": "class App < Sinatra::Base; end\n"})
    service = only(tmp_path)
    assert (service.framework.name, service.role.value, service.port.value) == ("Sinatra", "web", 4567)


def test_a_rails_app_with_sidekiq_gets_a_worker_beside_the_web_process(tmp_path: Path) -> None:
    write(tmp_path, {"Gemfile": "source 'https://rubygems.org'\ngem 'rails'\ngem 'sidekiq'\n",
                     "config.ru": "run Rails.application\n"})
    found = {s.name: (s.role.value, s.start_command.value if s.start_command else None,
                      s.framework.name) for s in analyze(tmp_path).services}
    worker = next(v for k, v in found.items() if k.endswith("-worker"))
    assert worker == ("worker", "bundle exec sidekiq", "Sidekiq")
    assert sorted(role for role, _, _ in found.values()) == ["web", "worker"]


def test_a_procfile_worker_means_no_second_worker_is_added(tmp_path: Path) -> None:
    write(tmp_path, {"Gemfile": "source 'https://rubygems.org'\ngem 'rails'\ngem 'sidekiq'\n",
                     "config.ru": "run Rails.application\n",
                     "Procfile": "web: bundle exec puma\njobs: bundle exec sidekiq -q default\n"})
    assert sorted(s.role.value for s in analyze(tmp_path).services) == ["web", "worker"]


def test_compose_services_running_a_queue_worker_are_workers_without_a_port(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "django\ncelery\n", "manage.py": "import django\n",
                     "Dockerfile": "FROM python:3.12\nCOPY . .\n",
                     "docker-compose.yml": "services:\n  web: {build: ., command: python manage.py runserver 0.0.0.0:8000,"
                                           " ports: ['8000:8000']}\n"
                                           "  celery: {build: ., command: celery -A app.tasks worker -l info}\n"})
    found = {s.name: (s.role.value, s.port.value if s.port else None) for s in analyze(tmp_path).services}
    assert found == {"web": ("web", 8000), "celery": ("worker", None)}


def test_a_docker_folder_with_only_dockerfile_variants_builds_the_root_app(tmp_path: Path) -> None:
    write(tmp_path, {"Cargo.toml": "[package]\nname = 'vault'\n\n[dependencies]\nrocket = '0.5'\n",
                     "build.rs": "fn main() {}\n", "src/main.rs": "fn main() {}\n",
                     "docker/Dockerfile.debian": "FROM rust AS build\nCOPY ./Cargo.* ./build.rs ./\nCOPY . .\n"
                                                 "FROM debian\nENV ROCKET_PORT=80\nEXPOSE 80\nCMD [\"/vault\"]\n",
                     "docker/Dockerfile.j2": "template\n"})
    service = only(tmp_path)
    assert (service.dockerfile, service.port.value) == ("docker/Dockerfile.debian", 80)


def test_liveness_alive_and_heartbeat_routes_are_health_checks(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": json.dumps({"name": "api", "dependencies": {"express": "4"},
                                                 "scripts": {"start": "node app.js"}}),
                     "app.js": "const app = require('express')();\napp.get('/api/heartbeat', ok);\napp.listen(3000)\n"})
    health = only(tmp_path).health_check
    assert (health.path, health.confidence) == ("/api/heartbeat", "medium")


def test_fasthtml_listens_on_its_default_port(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "python-fasthtml\n",
                     "main.py": "from fasthtml.common import *\napp, rt = fast_app()\nserve()\n"})
    service = only(tmp_path)
    assert (service.framework.name, service.role.value, service.port.value) == ("FastHTML", "web", 5001)


def test_a_lone_bot_py_at_the_root_is_a_python_worker(tmp_path: Path) -> None:
    write(tmp_path, {"bot.py": "import os\nTOKEN = os.environ['BOT_TOKEN']\nif __name__ == '__main__':\n    run()\n",
                     "helpers/main.py": "print('x')\n"})
    service = only(tmp_path)
    assert (service.path, service.language.name, service.role.value, service.start_command.value) == (
        ".", "python", "worker", "python bot.py")
    assert [v.name for v in service.env] == ["BOT_TOKEN"]


GO_MOD_GIN = "module example.com/ci\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.10.0\n"


def test_dotnet_8_image_listens_on_8080_despite_a_leftover_expose_80(tmp_path: Path) -> None:
    write(tmp_path, {"Api.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net8.0'
                                   '</TargetFramework></PropertyGroup></Project>',
                     "Program.cs": "var app = WebApplication.CreateBuilder(args).Build();\napp.Run();\n",
                     "Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:8.0 AS base\nWORKDIR /app\nEXPOSE 80\n"
                                   'ENTRYPOINT ["dotnet", "Api.dll"]\n'})
    assert only(tmp_path).port.value == 8080


def test_dotnet_image_that_sets_its_urls_keeps_the_exposed_port(tmp_path: Path) -> None:
    write(tmp_path, {"Api.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>',
                     "Program.cs": "app.Run();\n",
                     "Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:8.0\nENV ASPNETCORE_URLS=http://+:80\nEXPOSE 80\n"})
    assert only(tmp_path).port.value == 80


def test_exposed_port_named_for_http_wins_over_another_protocol(tmp_path: Path) -> None:
    write(tmp_path, {"Cargo.toml": '[package]\nname = "dir"\nversion = "0.1.0"\n\n[dependencies]\nactix-web = "4"\n',
                     "src/main.rs": "fn main() {}\n",
                     "Dockerfile": "FROM debian:bookworm-slim\nARG LDAP_PORT=3890\nARG HTTP_PORT=17170\n"
                                   "EXPOSE ${LDAP_PORT} ${HTTP_PORT}\nCMD [\"/app/dir\"]\n"})
    assert only(tmp_path).port.value == 17170


def test_config_rs_default_port_beats_a_metrics_port(tmp_path: Path) -> None:
    write(tmp_path, {"Cargo.toml": '[package]\nname = "sync"\nversion = "0.1.0"\n\n[dependencies]\naxum = "0.7"\n',
                     "src/main.rs": "fn main() {}\n",
                     "src/settings.rs": "impl Default for Metrics { fn default() -> Self { Self { port: 9001 } } }\n"
                                        'fn load() { builder.set_default("port", 8888)?; }\n'})
    assert only(tmp_path).port.value == 8888


def test_gunicorn_config_bind_sets_the_port(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "django\ngunicorn\n", "manage.py": "",
                     "contrib/gunicorn.py": "bind = '127.0.0.1:8001'\nworkers = 5\n"})
    assert only(tmp_path).port.value == 8001


def test_listen_addr_option_default_sets_the_port(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/feeds\n\ngo 1.22\n",
                     "main.go": "package main\n\nfunc main() { serve() }\n",
                     "internal/config/options.go": 'package config\n\nvar defaults = map[string]*option{\n'
                                                   '\t"LISTEN_ADDR": {\n\t\trawValue: "127.0.0.1:8080",\n\t},\n}\n',
                     "internal/reader/request.go": "package reader\n\nvar port = 80\n"})
    assert only(tmp_path).port.value == 8080


def test_ruby_option_hash_port_beats_the_rack_default(tmp_path: Path) -> None:
    write(tmp_path, {"Gemfile": "source 'https://rubygems.org'\ngem 'sinatra'\n", "config.ru": "run App\n",
                     "bin/wiki": "#!/usr/bin/env ruby\noptions = {\n  :port => 4567,\n}\n"})
    assert only(tmp_path).port.value == 4567


def test_go_cli_listen_flag_default_makes_a_gin_server_web(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": GO_MOD_GIN,
                     "cmd/server/main.go": "package main\n\nfunc main() { run() }\n",
                     "cmd/server/server.go": 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc run() { gin.New() }\n',
                     "cmd/server/flags.go": 'package main\n\nvar flags = []cli.Flag{\n\t&cli.StringFlag{\n'
                                            '\t\tName:  "server-addr",\n\t\tValue: ":8000",\n\t},\n}\n'})
    service = only(tmp_path)
    assert (service.role.value, service.framework.name, service.port.value) == ("web", "Gin", 8000)


def test_go_health_check_flag_does_not_make_a_worker_web(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/ci\n\ngo 1.22\n",
                     "cmd/agent/main.go": "package main\n\nfunc main() {}\n",
                     "cmd/agent/flags.go": 'package main\n\nvar flags = []cli.Flag{\n\t&cli.StringFlag{\n'
                                           '\t\tName:  "healthcheck-addr",\n\t\tValue: ":3000",\n\t},\n}\n'})
    assert only(tmp_path).port is None


ASTRO_SITE = {
    "package.json": json.dumps({"name": "site", "scripts": {"dev": "astro dev", "start": "astro dev", "build": "astro build"},
                                "dependencies": {"astro": "^5.0.0"}}),
    "astro.config.mjs": "import { defineConfig } from 'astro/config';\nexport default defineConfig({\n  output: 'static',\n});\n",
    "src/pages/index.astro": "<h1>hi</h1>\n",
    "Dockerfile": "FROM node:lts AS build\nWORKDIR /app\nCOPY . .\nRUN npm install && npm run build\n\n"
                  "FROM nginx:stable-alpine AS deploy\nCOPY --from=build /app/dist /usr/share/nginx/html\nEXPOSE 8080\n",
}


def test_a_static_site_whose_compose_publishes_its_file_servers_port_stays_static(tmp_path: Path) -> None:
    """astrowind: output 'static', an nginx image of the built files, compose publishing 8080:8080.
    The published port is the file server's; the repository's image keeps it as the route's port."""
    service = only(write(tmp_path, ASTRO_SITE | {"docker-compose.yml": "services:\n  site:\n    build: .\n"
                                                                         "    ports:\n      - 8080:8080\n"}))

    assert service.role.value == "static"
    assert service.port is not None and service.port.value == 8080


def test_a_static_site_with_its_own_file_server_image_listens_where_the_image_exposes(tmp_path: Path) -> None:
    """it-tools: a Vite SPA built into nginx (EXPOSE 80), no compose; without the port the plan had no route."""
    service = only(write(tmp_path, ASTRO_SITE))

    assert service.role.value == "static"
    assert service.port is not None and service.port.value == 8080


def test_an_nx_app_whose_build_is_inferred_from_its_rsbuild_config_is_a_static_site(tmp_path: Path) -> None:
    """nx-examples' cart: project.json has no build executor (the @nx/rsbuild plugin infers it from
    rsbuild.config.ts) and declares its output; the dev server's port is no reason to plan a web app."""
    write(tmp_path, {
        "nx.json": json.dumps({"plugins": [{"plugin": "@nx/rsbuild/plugin"}]}),
        "package.json": json.dumps({"name": "shop", "private": True, "devDependencies": {
            "nx": "20", "@nx/rsbuild": "20", "@rsbuild/core": "1.1", "react": "18"}}),
        "yarn.lock": "",
        "apps/cart/project.json": json.dumps({"name": "cart", "projectType": "application", "targets": {
            "build": {"outputs": ["{workspaceRoot}/dist/apps/cart"]}}}),
        "apps/cart/rsbuild.config.ts": "import { defineConfig } from '@rsbuild/core';\n"
                                       "export default defineConfig({ server: { port: 4201 }, output: { target: 'web' } });\n",
        "apps/cart/src/main.tsx": "import React from 'react';\n",
    })

    service = only(tmp_path)

    assert (service.role.value, service.framework.name, service.static_root) == ("static", "Rsbuild", "dist/apps/cart")


def test_a_package_json_whose_start_script_runs_deno_is_a_deno_service(tmp_path: Path) -> None:
    """openstatus' workflows: no deno.json, but "start": "NODE_ENV=production deno run -A src/serve.ts"."""
    service = only(write(tmp_path, {
        "package.json": json.dumps({"name": "workflows", "scripts": {
            "dev": "deno run -A --watch src/serve.ts", "start": "NODE_ENV=production deno run -A src/serve.ts"},
            "dependencies": {"hono": "4"}}),
        "src/serve.ts": "Deno.serve({ port: 3000 }, app.fetch);\n",
    }))

    assert (service.language.name, service.language.runtime) == ("deno", "deno")


def test_a_bare_nitro_server_is_a_web_service_started_from_its_build_output(tmp_path: Path) -> None:
    """nuxt-movies' proxy: nitropack as a dev dependency, `nitropack build`, no start script; Nitro writes
    .output/server/index.mjs, which listens on PORT (3000 by default; the 3001 of `dev` is the dev server's)."""
    service = only(write(tmp_path, {
        "package.json": json.dumps({"private": True, "scripts": {"dev": "PORT=3001 nitropack dev",
                                                                "build": "nitropack build"},
                                    "devDependencies": {"nitropack": "^2.9.6", "ofetch": "^1.3.4"}}),
        "nitro.config.ts": "export default defineNitroConfig({ runtimeConfig: { tmdbApiKey: process.env.TMDB_API_KEY } });\n",
        "routes/[...path].ts": "export default defineEventHandler(() => 'ok');\n",
    }))

    assert (service.role.value, service.framework.name, service.port.value) == ("web", "Nitro", 3000)
    assert service.start_command.value == "node .output/server/index.mjs"


def test_a_flask_app_made_by_an_app_factory_is_served_from_the_module_that_calls_it(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "flask==3.0.0\ngunicorn==22.0.0\n",
                     "shop/__init__.py": "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n",
                     "wsgi.py": "from shop import create_app\n\napp = create_app()\n",
                     "manage.py": "if __name__ == '__main__':\n    cli()\n"})
    service = only(tmp_path)
    assert (service.role.value, service.start_command.value) == ("web", "gunicorn wsgi:app --bind 0.0.0.0:8000")


def test_a_web_app_started_by_its_one_top_level_script_runs_that_script(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "flask==3.0.0\n",
                     "watcher/__init__.py": "from flask import Flask\n\ndef main():\n    Flask(__name__).run()\n",
                     "watcher.py": "import watcher\n\nif __name__ == '__main__':\n    watcher.main()\n",
                     "setup.py": "if __name__ == '__main__':\n    setup()\n"})
    service = only(tmp_path)
    assert (service.role.value, service.start_command.value) == ("web", "python watcher.py")


def test_django_collects_static_files_at_build_only_when_the_settings_say_where(tmp_path: Path) -> None:
    manage = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_app.settings')\n"
    write(tmp_path / "plain", {"requirements.txt": "django==4.2\n", "manage.py": manage,
                               "site_app/settings.py": "STATIC_URL = '/static/'\n"})
    write(tmp_path / "collected", {"requirements.txt": "django==4.2\n", "manage.py": manage,
                                   "site_app/settings/base.py": "STATIC_URL = '/static/'\n",
                                   "site_app/settings/production.py": "STATIC_ROOT = BASE_DIR / 'static'\n"})
    assert only(tmp_path / "plain").build_command is None
    assert only(tmp_path / "collected").build_command.value == "python manage.py collectstatic --noinput"


def test_a_cobra_cli_whose_server_is_a_subcommand_starts_with_that_subcommand(tmp_path: Path) -> None:
    """shiori: started bare, the binary prints its help and exits; `server` runs the web server (`serve` is its
    deprecated alias)."""
    command = ('package cmd\n\nimport "github.com/spf13/cobra"\n\n'
               'func {fn}() *cobra.Command {{ return &cobra.Command{{Use: "{use}", Short: "run"}} }}\n')
    write(tmp_path, {"go.mod": "module github.com/acme/bookmarks\n\ngo 1.22\n\nrequire github.com/spf13/cobra v1.8.0\n",
                     "main.go": 'package main\n\nimport "github.com/acme/bookmarks/internal/cmd"\n\n'
                                "func main() { cmd.Root().Execute() }\n",
                     "internal/cmd/serve.go": command.format(fn="serveCmd", use="serve"),
                     "internal/cmd/server.go": command.format(fn="serverCmd", use="server"),
                     "internal/cmd/version.go": command.format(fn="versionCmd", use="version")})
    service = only(tmp_path)
    assert service.start_command.value == "./bin/bookmarks server"
    assert any(e.file == "internal/cmd/server.go" for e in service.start_command.evidence)


def test_a_cobra_cli_without_a_server_subcommand_starts_bare(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module github.com/acme/notes\n\ngo 1.22\n\nrequire github.com/spf13/cobra v1.8.0\n",
                     "cmd/notes/main.go": 'package main\n\nimport "github.com/spf13/cobra"\n\n'
                                          'func main() { (&cobra.Command{Use: "notes"}).Execute() }\n'})
    assert only(tmp_path).start_command.value == "./bin/notes"


def test_a_build_script_kept_for_container_builds_is_the_build_and_one_that_runs_docker_is_not(tmp_path: Path) -> None:
    """umami: `build` runs check-env and check-db (the database at build time); `build-docker` is the image's."""
    write(tmp_path, {"package.json": json.dumps({"name": "stats", "dependencies": {"next": "15"}, "scripts": {
        "build": "npm-run-all check-env check-db build-app", "build-docker": "npm-run-all build-app",
        "docker:build": "docker build -t stats .", "start": "next start"}}), "pnpm-lock.yaml": ""})
    assert only(tmp_path).build_command.value == "pnpm run build-docker"
    write(tmp_path, {"package.json": json.dumps({"name": "stats", "dependencies": {"next": "15"}, "scripts": {
        "build": "next build", "docker:build": "docker build -t stats .", "start": "next start"}})})
    assert only(tmp_path).build_command.value == "pnpm run build"


def test_a_start_script_that_is_vites_dev_server_gives_way_to_the_server_the_framework_builds(tmp_path: Path) -> None:
    """create-t3-turbo's TanStack Start app: `vite start` is Vite's dev server (with "start" as its root folder);
    the production server is the Nitro output its build writes."""
    write(tmp_path, {"package.json": json.dumps({"name": "web", "dependencies": {"@tanstack/react-start": "1"},
                                                 "scripts": {"build": "vite build", "start": "vite start"}})})
    assert only(tmp_path).start_command.value == "node .output/server/index.mjs"
    write(tmp_path, {"package.json": json.dumps({"name": "web", "dependencies": {"@tanstack/react-start": "1"},
                                                 "scripts": {"build": "vite build", "start": "node server.mjs"}})})
    assert only(tmp_path).start_command.value == "npm run start"


def test_a_crate_with_no_database_backend_by_default_builds_with_its_sqlite_feature(tmp_path: Path) -> None:
    """vaultwarden: `default = []` and 'Please enable at least one of these DB backends' at compile time."""
    write(tmp_path, {"Cargo.toml": "[package]\nname = 'vault'\nversion = '0.1.0'\n\n[features]\ndefault = []\n"
                                   "sqlite = ['diesel/sqlite']\npostgresql = ['diesel/postgres']\n\n"
                                   "[dependencies]\nrocket = '0.5'\ndiesel = '2'\n",
                     "src/main.rs": "fn main() {}\n"})
    assert only(tmp_path).build_command.value == "cargo build --release --features sqlite"
    write(tmp_path, {"Cargo.toml": "[package]\nname = 'vault'\nversion = '0.1.0'\n\n[features]\n"
                                   "default = ['sqlite']\nsqlite = ['diesel/sqlite']\n\n[dependencies]\ndiesel = '2'\n"})
    assert only(tmp_path).build_command.value == "cargo build --release"
