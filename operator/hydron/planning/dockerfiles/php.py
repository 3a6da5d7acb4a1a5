"""PHP services: composer; Laravel, Symfony, Slim or plain public/index.php, served by Apache.

`php artisan serve` and `php -S` are development servers, so the runtime is the
official php-apache image with the document root at public/, listening on 8080 as
www-data (a non-root user cannot bind port 80).
"""

from __future__ import annotations

from . import images
from .common import Context, env_lines, header, healthcheck, owned_workdir, php_check

PORT = 8080
# PDO drivers per database; the -dev packages are what docker-php-ext-install compiles against.
EXTENSIONS = {"postgres": ("pdo_pgsql", "libpq-dev"), "mysql": ("pdo_mysql", ""), "mariadb": ("pdo_mysql", "")}
APACHE_SETUP = (
    "RUN a2enmod rewrite \\\n"
    " && sed -ri 's!/var/www/html!/var/www/html/public!g' /etc/apache2/sites-available/*.conf /etc/apache2/apache2.conf \\\n"
    f" && sed -i 's/^Listen 80$/Listen {PORT}/' /etc/apache2/ports.conf \\\n"
    f" && sed -i 's/<VirtualHost \\*:80>/<VirtualHost *:{PORT}>/' /etc/apache2/sites-available/000-default.conf\n"
)


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
        f"{APACHE_SETUP}"
        f"{env_lines({**environment, 'PORT': str(PORT)})}"
        f"{owned_workdir('/var/www/html', 'www-data', ctx.writable)}"
        "COPY --from=vendor --chown=www-data:www-data /app /var/www/html\n"
        "USER www-data\n"
        f"EXPOSE {PORT}\n"
        f"{healthcheck(php_check(PORT, ctx.health_path), ctx.check)}"
        'CMD ["apache2-foreground"]\n'
    )
