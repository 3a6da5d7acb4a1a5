"""Static sites: built files (Vite, Astro, CRA, plain HTML) served by a small unprivileged nginx.

nginx-unprivileged runs as uid 101 on port 8080 and its Alpine base has busybox wget for
the health check. Unknown paths fall back to index.html so client-side routers work.
"""

from __future__ import annotations

import posixpath

from . import images
from .common import Check, Context, header, healthcheck, relative_to, wget_check
from .node import _is_workspace_member, base_image, dependency_stages, manager

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
    """The output folder as seen from the build stage's /app: the service's folder, or the workspace root for
    a workspace member, whose build may write above the member (nx-examples: dist/apps/cart, not ../../dist)."""
    root = ctx.service.static_root or "dist"
    served = relative_to(root, _workspace_root(ctx) if _is_workspace_member(ctx) else ctx.service.path)
    return "." if served in ("", ".") else served.rstrip("/")


def _workspace_root(ctx: Context) -> str:
    return posixpath.dirname(ctx.service.package_manager.lockfile) or "."


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
