"""PHP services: composer; Laravel, Symfony, Slim or plain public/index.php, served by Apache.

`php artisan serve` and `php -S` are development servers, so the runtime is the
official php-apache image, listening on 8080 as www-data (a non-root user cannot bind
port 80). The document root is the folder the app serves from: public/ for the
frameworks, the folder the analysed `php -S -t DIR` names, else the app's own folder
(a plain PHP app has its pages at the top).
"""

from __future__ import annotations

import posixpath
import re

from . import images
from .common import Context, env_lines, header, healthcheck, owned_workdir, php_check, plain_folder, relative_to

PORT = 8080
# PDO drivers per database; the -dev packages are what docker-php-ext-install compiles against.
EXTENSIONS = {"postgres": ("pdo_pgsql", "libpq-dev"), "mysql": ("pdo_mysql", ""), "mariadb": ("pdo_mysql", "")}
FRONT_CONTROLLER_ROOT = {"Laravel": "public", "Symfony": "public", "Slim": "public"}
_DEV_SERVER_ROOT = re.compile(r"\bphp\s+-S\s+\S+.*?\s-t\s+(\S+)")


def document_root(ctx: Context) -> str:
    """The folder Apache serves, relative to the app: what the framework or the analysed dev server serves."""
    if ctx.framework in FRONT_CONTROLLER_ROOT:
        return FRONT_CONTROLLER_ROOT[ctx.framework]
    root = "public"
    match = _DEV_SERVER_ROOT.search(ctx.start_command or "")
    entry = ctx.service.entry_point.file if ctx.service.entry_point else None
    if match:
        root = posixpath.normpath(match.group(1).strip("'\""))
    elif entry and posixpath.basename(entry) == "index.php":
        root = posixpath.dirname(relative_to(entry, ctx.service.path)) or "."
    return root if plain_folder(root) else "public"  # it lands in a sed command of the image


def apache_setup(root: str) -> str:
    served = "/var/www/html" if root in (".", "") else f"/var/www/html/{root}"
    retarget = (f" && sed -ri 's!/var/www/html!{served}!g' /etc/apache2/sites-available/*.conf "
                "/etc/apache2/apache2.conf \\\n") if served != "/var/www/html" else ""
    return ("RUN a2enmod rewrite \\\n"
            f"{retarget}"
            f" && sed -i 's/^Listen 80$/Listen {PORT}/' /etc/apache2/ports.conf \\\n"
            f" && sed -i 's/<VirtualHost \\*:80>/<VirtualHost *:{PORT}>/' /etc/apache2/sites-available/000-default.conf\n")


def generate(ctx: Context) -> str:
    extensions = sorted({EXTENSIONS[k][0] for k in ctx.backing_kinds if k in EXTENSIONS})
    dev_packages = sorted({EXTENSIONS[k][1] for k in ctx.backing_kinds if k in EXTENSIONS and EXTENSIONS[k][1]})
    ext_step = ""
    if extensions:
        apt = (f"apt-get update && apt-get install -y --no-install-recommends {' '.join(dev_packages)} && "
               if dev_packages else "")
        ext_step = (f"RUN {apt}docker-php-ext-install {' '.join(extensions)}"
                    f"{' && apt-get clean && rm -rf /var/lib/apt/lists/*' if dev_packages else ''}\n")
    laravel = ctx.framework == "Laravel"
    environment = {"APP_ENV": "production", "LOG_CHANNEL": "stderr"} if laravel else {"APP_ENV": "prod"}
    return (
        header(ctx, f"php, composer{', ' + ctx.framework if ctx.framework else ''}")
        + "\n"
        f"FROM {images.COMPOSER} AS vendor\n"
        "WORKDIR /app\n"
        "COPY composer.json composer.lock* ./\n"
        "RUN composer install --no-dev --no-scripts --no-autoloader --prefer-dist --no-interaction "
        "--ignore-platform-reqs\n"
        "COPY . .\n"
        "RUN composer dump-autoload --optimize --no-dev\n"
        "\n"
        f"FROM {images.php(ctx.version)} AS runtime\n"
        f"{ext_step}"
        f"{apache_setup(document_root(ctx))}"
        f"{env_lines({**environment, 'PORT': str(PORT)})}"
        f"{owned_workdir('/var/www/html', 'www-data', ctx.writable)}"
        "COPY --from=vendor --chown=www-data:www-data /app /var/www/html\n"
        "USER www-data\n"
        f"EXPOSE {PORT}\n"
        f"{healthcheck(php_check(PORT, ctx.health_path), ctx.check)}"
        'CMD ["apache2-foreground"]\n'
    )
