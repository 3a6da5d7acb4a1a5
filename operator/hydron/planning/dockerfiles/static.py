"""Static sites: built files (Vite, Astro, CRA, plain HTML) served by a small unprivileged nginx.

nginx-unprivileged runs as uid 101 on port 8080 and its Alpine base has busybox wget for
the health check. Unknown paths fall back to index.html so client-side routers work.
"""

from __future__ import annotations

from . import images
from .common import Check, Context, header, healthcheck, relative_to, wget_check
from .node import base_image, dependency_stages, manager

PORT = 8080
NGINX_CONF = (
    "server {\\n"
    "  listen 8080;\\n"
    "  root /usr/share/nginx/html;\\n"
    "  location / { try_files $uri $uri/ /index.html; }\\n"
    "  location ~* \\\\.(?:js|css|woff2?|png|jpe?g|svg|ico|webp)$ { expires 7d; access_log off; }\\n"
    "}\\n"
)


def _served(ctx: Context) -> str:
    root = ctx.service.static_root or "dist"
    served = relative_to(root, ctx.service.path)
    return "." if served in ("", ".") else served.rstrip("/")


def _runtime(ctx: Context, source: str) -> str:
    return (
        f"FROM {images.STATIC_SERVER} AS runtime\n"
        "USER root\n"
        f"RUN printf '{NGINX_CONF}' > /etc/nginx/conf.d/default.conf\n"
        f"{source}"
        "USER 101\n"
        f"EXPOSE {PORT}\n"
        f"{healthcheck(wget_check(PORT, '/'), ctx.check or Check())}"
    )


def built(ctx: Context) -> str:
    """A front-end build: node/bun stages, then only the output directory is served."""
    pm = manager(ctx)
    base = base_image(ctx)
    served = _served(ctx)
    return (
        header(ctx, f"static site built with {pm}{', ' + ctx.framework if ctx.framework else ''}")
        + "\n"
        + dependency_stages(ctx, base, pm, prune=False)
        + "\n"
        + _runtime(ctx, f"COPY --from=build --chown=101:101 /app/{served} /usr/share/nginx/html\n")
    )


def plain(ctx: Context) -> str:
    """HTML files as they are: one stage, no build."""
    served = _served(ctx)
    return header(ctx, "static site") + "\n" + _runtime(ctx, f"COPY --chown=101:101 {served} /usr/share/nginx/html\n")
