"""What well-known package names, images and URLs mean: databases, brokers and SaaS SDKs.

One table for all ecosystems: npm names, PyPI names, gems, Maven coordinates, Go
module paths, crates, NuGet ids, Hex packages and Composer names rarely collide,
and where they do (`redis`, `stripe`) they mean the same thing.
"""

from __future__ import annotations

import re
from typing import Optional

from .models import BackingKind, IntegrationCategory

_BACKING: dict[BackingKind, tuple[str, ...]] = {
    "postgres": (
        "pg", "postgres", "pg-promise", "@neondatabase/serverless", "@vercel/postgres", "psycopg", "psycopg2",
        "psycopg2-binary", "psycopg[binary]", "asyncpg", "pg8000", "org.postgresql:postgresql",
        "github.com/lib/pq", "github.com/jackc/pgx", "tokio-postgres", "postgres", "sqlx/postgres",
        "diesel/postgres", "sea-orm/sqlx-postgres", "npgsql", "npgsql.entityframeworkcore.postgresql", "postgrex",
        "ext-pdo_pgsql", "ext-pgsql", "gorm.io/driver/postgres", "github.com/jinzhu/gorm/dialects/postgres", "io.quarkus:quarkus-jdbc-postgresql",
        "io.quarkus:quarkus-reactive-pg-client",
    ),
    "mysql": (
        "mysql", "mysql2", "pymysql", "mysqlclient", "aiomysql", "mysql-connector-python", "mysql:mysql-connector-java",
        "com.mysql:mysql-connector-j", "github.com/go-sql-driver/mysql", "gorm.io/driver/mysql", "github.com/jinzhu/gorm/dialects/mysql", "sqlx/mysql",
        "diesel/mysql", "sea-orm/sqlx-mysql", "mysql_async", "myxql", "io.quarkus:quarkus-jdbc-mysql", "mysqlconnector", "pomelo.entityframeworkcore.mysql",
        "ext-pdo_mysql", "ext-mysqli",
    ),
    "mariadb": ("mariadb", "org.mariadb.jdbc:mariadb-java-client", "io.quarkus:quarkus-jdbc-mariadb"),
    "mssql": ("mssql", "tedious", "pyodbc", "pymssql", "github.com/microsoft/go-mssqldb", "github.com/denisenkom/go-mssqldb",
              "com.microsoft.sqlserver:mssql-jdbc", "microsoft.entityframeworkcore.sqlserver",
              "microsoft.data.sqlclient", "system.data.sqlclient", "io.quarkus:quarkus-jdbc-mssql", "tds"),
    "boltdb": ("go.etcd.io/bbolt", "github.com/boltdb/bolt", "github.com/asdine/storm"),
    "libsql": ("@libsql/client", "libsql", "libsql-client", "github.com/tursodatabase/libsql-client-go",
               "github.com/tursodatabase/go-libsql"),
    "sqlite": (
        "sqlite3", "better-sqlite3", "sqlite", "aiosqlite", "github.com/mattn/go-sqlite3",
        "modernc.org/sqlite", "gorm.io/driver/sqlite", "github.com/glebarez/sqlite", "github.com/ncruces/go-sqlite3",
        "github.com/jinzhu/gorm/dialects/sqlite",
        "sqlx/sqlite", "diesel/sqlite", "rusqlite", "sea-orm/sqlx-sqlite", "org.xerial:sqlite-jdbc",
        "microsoft.entityframeworkcore.sqlite", "microsoft.data.sqlite", "ecto_sqlite3", "exqlite", "ext-pdo_sqlite",
        "ext-sqlite3", "activerecord-sqlite3-adapter",
    ),
    "mongodb": (
        "mongodb", "mongoose", "pymongo", "motor", "mongoengine", "beanie", "mongoid", "mongo",
        "org.springframework.boot:spring-boot-starter-data-mongodb", "org.mongodb:mongodb-driver-sync",
        "go.mongodb.org/mongo-driver", "mongodb.driver", "mongodb_driver", "mongodb/mongodb", "ext-mongodb",
        "io.quarkus:quarkus-mongodb-panache", "io.quarkus:quarkus-mongodb-client", "io.quarkus:quarkus-mongodb-panache-kotlin",
    ),
    "redis": (
        "redis", "ioredis", "@redis/client", "@upstash/redis", "bull", "bullmq", "redis-py", "hiredis",
        "celery[redis]", "dramatiq[redis]", "django-redis", "rq", "arq", "sidekiq", "resque", "redis-rails", "redis-client",
        "redis.clients:jedis", "io.lettuce:lettuce-core", "org.springframework.boot:spring-boot-starter-data-redis",
        "github.com/redis/go-redis", "github.com/go-redis/redis", "github.com/gomodule/redigo", "deadpool-redis",
        "stackexchange.redis", "microsoft.extensions.caching.stackexchangeredis", "redix", "predis/predis",
        "ext-redis",
    ),
    "memcached": ("memcached", "memjs", "pymemcache", "python-memcached", "pylibmc", "dalli",
                  "github.com/bradfitz/gomemcache", "memcachex", "ext-memcached"),
    "rabbitmq": (
        "amqplib", "amqp-connection-manager", "pika", "aio-pika", "aiormq", "celery[librabbitmq]", "dramatiq[rabbitmq]", "bunny",
        "sneakers", "org.springframework.boot:spring-boot-starter-amqp", "com.rabbitmq:amqp-client",
        "github.com/rabbitmq/amqp091-go", "github.com/streadway/amqp", "lapin", "rabbitmq.client", "amqp",
        "php-amqplib/php-amqplib",
    ),
    "kafka": (
        "kafkajs", "node-rdkafka", "kafka-python", "confluent-kafka", "aiokafka", "ruby-kafka", "rdkafka",
        "karafka", "org.springframework.kafka:spring-kafka", "org.apache.kafka:kafka-clients",
        "github.com/segmentio/kafka-go", "github.com/confluentinc/confluent-kafka-go", "github.com/ibm/sarama",
        "github.com/shopify/sarama", "confluent.kafka", "brod", "kafka_ex", "io.quarkus:quarkus-messaging-kafka",
        "io.quarkus:quarkus-smallrye-reactive-messaging-kafka", "io.quarkus:quarkus-kafka-client",
    ),
    "nats": ("nats", "nats-py", "github.com/nats-io/nats.go", "async-nats", "gnat"),
    "elasticsearch": (
        "@elastic/elasticsearch", "elasticsearch", "elasticsearch-dsl", "elasticsearch-rails", "searchkick",
        "org.springframework.boot:spring-boot-starter-data-elasticsearch", "co.elastic.clients:elasticsearch-java",
        "github.com/elastic/go-elasticsearch", "github.com/olivere/elastic", "nest", "elastic.clients.elasticsearch",
        "elasticsearch/elasticsearch", "elastix",
    ),
    "opensearch": ("@opensearch-project/opensearch", "opensearch-py", "opensearch-ruby"),
    "clickhouse": ("@clickhouse/client", "clickhouse-driver", "clickhouse-connect", "github.com/clickhouse/clickhouse-go",
                   "clickhouse"),
}
BACKING_PACKAGES: dict[str, BackingKind] = {name: kind for kind, names in _BACKING.items() for name in names}

_INTEGRATIONS: tuple[tuple[str, IntegrationCategory, tuple[str, ...]], ...] = (
    ("Stripe", "payments", ("stripe", "@stripe/stripe-js", "stripe/stripe-php", "github.com/stripe/stripe-go",
                            "com.stripe:stripe-java", "stripe.net", "stripity_stripe", "async-stripe")),
    ("PayPal", "payments", ("@paypal/checkout-server-sdk", "paypalrestsdk", "paypal-checkout-sdk")),
    ("AWS S3", "storage", ("@aws-sdk/client-s3", "aws-sdk-s3", "software.amazon.awssdk:s3",
                           "github.com/aws/aws-sdk-go-v2/service/s3", "awssdk.s3", "ex_aws_s3", "django-storages")),
    ("AWS", "cloud", ("aws-sdk", "boto3", "botocore", "aws-sdk-core", "aws/aws-sdk-php", "github.com/aws/aws-sdk-go",
                      "github.com/aws/aws-sdk-go-v2", "aws-config", "ex_aws")),
    ("Google Cloud Storage", "storage", ("@google-cloud/storage", "google-cloud-storage",
                                         "com.google.cloud:google-cloud-storage", "cloud.google.com/go/storage")),
    ("Cloudinary", "storage", ("cloudinary",)),
    ("SendGrid", "email", ("@sendgrid/mail", "sendgrid", "sendgrid-ruby", "sendgrid/sendgrid",
                           "github.com/sendgrid/sendgrid-go", "com.sendgrid:sendgrid-java")),
    ("Mailgun", "email", ("mailgun.js", "mailgun-js", "mailgun", "mailgun-ruby", "mailgun/mailgun-php", "symfony/mailgun-mailer",
                          "github.com/mailgun/mailgun-go")),
    ("Postmark", "email", ("postmark", "postmarker", "postmark-rails", "wildbit/postmark-php")),
    ("Resend", "email", ("resend", "resend/resend-php")),
    ("Amazon SES", "email", ("@aws-sdk/client-ses", "aws-sdk-ses")),
    ("Twilio", "sms", ("twilio", "twilio-ruby", "twilio/sdk", "com.twilio.sdk:twilio", "github.com/twilio/twilio-go")),
    ("Vonage", "sms", ("@vonage/server-sdk", "vonage")),
    ("OpenAI", "ai", ("openai", "@ai-sdk/openai", "ruby-openai", "openai-php/client", "openai-php/laravel",
                      "github.com/sashabaranov/go-openai", "github.com/openai/openai-go", "async-openai",
                      "com.openai:openai-java", "langchain-openai")),
    ("Anthropic", "ai", ("@anthropic-ai/sdk", "anthropic", "@ai-sdk/anthropic", "github.com/anthropics/anthropic-sdk-go",
                         "langchain-anthropic", "com.anthropic:anthropic-java")),
    ("Sentry", "monitoring", ("@sentry/", "sentry-sdk", "sentry-ruby", "sentry-rails", "sentry-sidekiq",
                              "io.sentry:", "github.com/getsentry/sentry-go", "sentry", "sentry/sentry-laravel",
                              "sentry/sentry-symfony", "sentry/sentry", "sentry.aspnetcore")),
    ("Datadog", "monitoring", ("dd-trace", "ddtrace", "datadog", "github.com/datadog/dd-trace-go")),
    ("New Relic", "monitoring", ("newrelic", "newrelic_rpm")),
    ("Algolia", "search", ("algoliasearch", "algoliasearch-rails", "algolia/algoliasearch-client-php",
                           "com.algolia:algoliasearch", "github.com/algolia/algoliasearch-client-go")),
    ("Meilisearch", "search", ("meilisearch", "meilisearch/meilisearch-php")),
    ("Auth0", "auth", ("auth0", "@auth0/", "auth0-python", "omniauth-auth0")),
    ("Clerk", "auth", ("@clerk/",)),
    ("Firebase", "cloud", ("firebase", "firebase-admin", "com.google.firebase:firebase-admin")),
    ("Supabase", "cloud", ("@supabase/supabase-js", "supabase")),
    ("Pusher", "cloud", ("pusher", "pusher-js", "pusher/pusher-php-server")),
    ("Segment", "analytics", ("analytics-node", "@segment/analytics-node", "analytics-python")),
    ("PostHog", "analytics", ("posthog-node", "posthog-js", "posthog", "posthog-ruby")),
    ("Slack", "cloud", ("@slack/web-api", "@slack/bolt", "slack-sdk", "slack-bolt", "slack-ruby-client")),
)
_INTEGRATION_EXACT: dict[str, tuple[str, IntegrationCategory]] = {}
_INTEGRATION_PREFIXES: list[tuple[str, tuple[str, IntegrationCategory]]] = []
for _name, _category, _packages in _INTEGRATIONS:
    for _package in _packages:
        if _package.endswith(("/", ":")):
            _INTEGRATION_PREFIXES.append((_package, (_name, _category)))
        else:
            _INTEGRATION_EXACT[_package] = (_name, _category)

_IMAGES: dict[str, BackingKind] = {
    "postgres": "postgres", "postgis": "postgres", "postgresql": "postgres", "timescaledb": "postgres",
    "mysql": "mysql", "mariadb": "mariadb", "mongo": "mongodb", "mongodb": "mongodb", "redis": "redis",
    "redis-stack": "redis", "redis-stack-server": "redis", "valkey": "redis", "keydb": "redis",
    "memcached": "memcached", "rabbitmq": "rabbitmq", "kafka": "kafka", "cp-kafka": "kafka",
    "nats": "nats", "elasticsearch": "elasticsearch", "opensearch": "opensearch",
    "clickhouse-server": "clickhouse", "clickhouse": "clickhouse", "minio": "minio",
    "azure-sql-edge": "mssql", "mssql-server-linux": "mssql", "libsql-server": "libsql", "sqld": "libsql",
}
_IMAGE_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")

# strings in code and config that name a database outright: URL schemes, adapters, providers
BACKING_MARKERS: tuple[tuple[re.Pattern[str], BackingKind], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (r"\bpostgres(?:ql)?://|jdbc:postgresql:|django\.db\.backends\.postgresql|adapter:\s*postgres(?:ql|is)?\b"
         r"|Ecto\.Adapters\.Postgres|provider\s*=\s*\"postgresql\"|UseNpgsql\(|(?:type|dialect):\s*['\"]postgres['\"]",
         "postgres"),
        (r"\bmysql://|jdbc:mysql:|django\.db\.backends\.mysql|adapter:\s*mysql2?\b|Ecto\.Adapters\.MyXQL"
         r"|provider\s*=\s*\"mysql\"|UseMySql\(|(?:type|dialect):\s*['\"]mysql['\"]", "mysql"),
        (r"\bmariadb://|jdbc:mariadb:|(?:type|dialect):\s*['\"]mariadb['\"]", "mariadb"),
        (r"\bsqlite(?:3)?:///?|jdbc:sqlite:|django\.db\.backends\.sqlite3|adapter:\s*sqlite3\b"
         r"|provider\s*=\s*\"sqlite\"|UseSqlite\(|\bsqlite3\.connect\(|(?:type|dialect|driver):\s*['\"]sqlite3?['\"]", "sqlite"),
        (r"jdbc:sqlserver:|UseSqlServer\(|provider\s*=\s*\"sqlserver\"|\bmssql://|(?:type|dialect):\s*['\"]mssql['\"]",
         "mssql"),
        (r"\bDeno\.openKv\(", "deno-kv"),
        (r"\blibsql://", "libsql"),
        (r"\bmongodb(?:\+srv)?://|provider\s*=\s*\"mongodb\"", "mongodb"),
        (r"\brediss?://", "redis"),
        (r"\bamqps?://", "rabbitmq"),
        (r"\bnats://", "nats"),
        (r"\bclickhouse://", "clickhouse"),
    )
)
# Substrings every alternative of a kind's marker contains: a text without any of them cannot match,
# and `in` is far cheaper than running the pattern over megabytes of source.
MARKER_NEEDLES: dict[BackingKind, tuple[str, ...]] = {
    "postgres": ("ostgres", "Npgsql"), "mysql": ("mysql", "MySql", "MyXQL"), "mariadb": ("mariadb",),
    "sqlite": ("sqlite", "Sqlite"), "mongodb": ("mongodb",), "redis": ("redis",), "rabbitmq": ("amqp",),
    "nats": ("nats:",), "clickhouse": ("clickhouse:",), "mssql": ("sqlserver", "SqlServer", "mssql"),
    "deno-kv": ("openKv",), "libsql": ("libsql:",),
}
URL_SCHEMES: dict[str, BackingKind] = {
    "postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "mysql2": "mysql", "mariadb": "mariadb",
    "mongodb": "mongodb", "mongodb+srv": "mongodb", "redis": "redis", "rediss": "redis", "amqp": "rabbitmq",
    "amqps": "rabbitmq", "nats": "nats", "clickhouse": "clickhouse", "kafka": "kafka", "sqlite": "sqlite",
    "sqlite3": "sqlite", "libsql": "libsql", "mssql": "mssql", "sqlserver": "mssql",
}
# Laravel's DB_CONNECTION values
SQL_DRIVERS: dict[str, BackingKind] = {"pgsql": "postgres", "mysql": "mysql", "mariadb": "mariadb", "sqlite": "sqlite"}
# a token of an env var name that means the service talks to this kind of backing service
ENV_NAME_TOKENS: dict[str, BackingKind] = {
    "REDIS": "redis", "MONGO": "mongodb", "MONGODB": "mongodb", "POSTGRES": "postgres", "POSTGRESQL": "postgres",
    "PGHOST": "postgres", "PGDATABASE": "postgres", "MYSQL": "mysql", "MARIADB": "mariadb", "RABBITMQ": "rabbitmq",
    "AMQP": "rabbitmq", "CLOUDAMQP": "rabbitmq", "KAFKA": "kafka", "ELASTICSEARCH": "elasticsearch",
    "OPENSEARCH": "opensearch", "MEMCACHED": "memcached", "MEMCACHIER": "memcached", "CLICKHOUSE": "clickhouse",
    "NATS": "nats",
}


# features that compile in every SQL driver: the app can use any of them, so each is an option, not a need
ALL_DRIVER_PACKAGES: dict[str, tuple[BackingKind, ...]] = {
    "sea-orm/sqlx-all": ("postgres", "mysql", "sqlite"), "sqlx/all-databases": ("postgres", "mysql", "sqlite"),
}
ALL_DRIVERS_DETAIL = "compiles in every SQL driver"


def backing_for_package(name: str) -> Optional[BackingKind]:
    name = name.lower()
    if name in BACKING_PACKAGES:
        return BACKING_PACKAGES[name]
    # Go modules carry major-version suffixes: github.com/jackc/pgx/v5
    base = re.sub(r"/v\d+$", "", name)
    return BACKING_PACKAGES.get(base)


def integration_for_package(name: str) -> Optional[tuple[str, IntegrationCategory]]:
    name = re.sub(r"/v\d+$", "", name.lower())
    if name in _INTEGRATION_EXACT:
        return _INTEGRATION_EXACT[name]
    return next((found for prefix, found in _INTEGRATION_PREFIXES if name.startswith(prefix)), None)


def backing_for_image(image: str) -> Optional[tuple[BackingKind, Optional[str]]]:
    """postgres:16-alpine -> (postgres, 16); bitnami/redis:7.2 -> (redis, 7.2)."""
    last_component = image.split("@", 1)[0].rsplit("/", 1)[-1]  # a registry port sits before the last /
    repository, _, tag = last_component.partition(":")
    kind = _IMAGES.get(repository.lower())
    if kind is None and "/mssql/server" in f"/{image.lower()}":
        kind = "mssql"  # mcr.microsoft.com/mssql/server: its last component alone says nothing
    if kind is None:
        return None
    version = _IMAGE_VERSION.match(tag)
    return kind, version.group(1) if version else None
