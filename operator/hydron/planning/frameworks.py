"""What the planner knows about frameworks and servers: the one table of default ports,
and which front-end tools build a static single-page app.

The analysis reports the port a repository states; these tables are what applies when
it states none, so a web app is never planned as a worker only because its code leaves
the port to the framework.
"""

from __future__ import annotations

import re

# The port each web framework listens on when the code sets none (its documented default
# or the one its own starter and generator use).
WEB_PORTS: dict[str, int] = {
    # Node.js and Bun
    "Express": 3000, "Fastify": 3000, "Koa": 3000, "hapi": 3000, "Hono": 3000, "NestJS": 3000, "Next.js": 3000,
    "Nuxt": 3000, "Remix": 3000, "React Router": 3000, "SvelteKit": 3000, "TanStack Start": 3000,
    "Astro": 4321, "Elysia": 3000, "AdonisJS": 3333,
    # Python
    "Django": 8000, "FastAPI": 8000, "Flask": 5000, "Starlette": 8000, "Litestar": 8000, "aiohttp": 8080,
    "Sanic": 8000, "Streamlit": 8501, "FastHTML": 5001, "Gradio": 7860, "Tornado": 8888, "Quart": 5000,
    # Ruby
    "Rails": 3000, "Sinatra": 4567, "Hanami": 2300, "Roda": 9292, "Rack": 9292,
    # Go, Rust
    "Gin": 8080, "Beego": 8080, "Rocket": 8000,
    # JVM, .NET, PHP, Elixir
    "Spring Boot": 8080, "Quarkus": 8080, "Micronaut": 8080, "Ktor": 8080, "Javalin": 8080,
    "ASP.NET Core": 8080, "Laravel": 8000, "Symfony": 8000, "Slim": 8080, "Phoenix": 4000,
}
# Web frameworks with no default: the code must pass an address, so a missing port is a gap.
WEB_WITHOUT_DEFAULT = frozenset({"Echo", "Fiber", "chi", "Gorilla mux", "Actix Web", "Axum", "Warp", "Poem"})
# Servers whose command names no port: (pattern over the start command, the port they bind).
SERVER_PORTS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\bflask\s+run\b"), 5000),
    (re.compile(r"\bmanage\.py\s+runserver\b"), 8000),
    (re.compile(r"\b(?:gunicorn|uvicorn|hypercorn|daphne|granian)\b|\b(?:fastapi|litestar)\s+(?:run|dev)\b"), 8000),
    (re.compile(r"\bwaitress-serve\b"), 8080),
    (re.compile(r"\bstreamlit\s+run\b"), 8501),
    (re.compile(r"\brails\s+(?:s|server)\b|\bpuma\b"), 3000),
    (re.compile(r"\brackup\b"), 9292),
    (re.compile(r"\bmix\s+phx\.server\b"), 4000),
    (re.compile(r"\bnext\s+start\b"), 3000),
)


def default_port(framework: str | None, start_command: str | None) -> int | None:
    """The port a web app listens on when nothing in the repository sets it; None when unknown.
    The server the start command runs decides first (gunicorn serves a Flask app on 8000)."""
    for pattern, port in SERVER_PORTS:
        if start_command and pattern.search(start_command):
            return port
    return WEB_PORTS.get(framework or "")


def is_web_framework(framework: str | None) -> bool:
    return framework in WEB_PORTS or framework in WEB_WITHOUT_DEFAULT


# Front-end tools that build a single-page app (no server-side rendering) → the directory
# their production build writes. Their own servers (react-scripts start, vite, ng serve) are
# development servers; in production the built files are served by the static server.
SPA_OUTPUTS: dict[str, str] = {"Create React App": "build", "Vite": "dist", "Angular": "dist", "Vue CLI": "dist",
                               "Gatsby": "public", "Expo": "dist", "Parcel": "dist"}
SPA_DEV_SERVERS = re.compile(
    r"(?:^|[\s/])(?:react-scripts\s+start|vite(?:\s+(?:dev|serve|preview))?(?:\s|$)|ng\s+serve|"
    r"vue-cli-service\s+serve|gatsby\s+develop|parcel(?:\s+serve)?\s+\S*\.html|expo\s+start)"
)


def spa_output(framework: str | None) -> str | None:
    """The build directory of a single-page-app tool ('Vite + React' counts as Vite)."""
    if not framework:
        return None
    return SPA_OUTPUTS.get(framework) or SPA_OUTPUTS.get(framework.split(" + ")[0])
