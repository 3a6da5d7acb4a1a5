#!/bin/bash
# The official postgres image's start-up contract, for the postgres:16 stand-in.
# First start (no PG_VERSION in $PGDATA): initdb with POSTGRES_USER as the superuser
# and POSTGRES_PASSWORD as its password, then POSTGRES_DB is created by a temporary
# server that listens on a private socket only, so `pg_isready` (default socket) does
# not report ready before the real server runs. Later starts reuse the data as it is.
set -Eeuo pipefail

if [ "${1:0:1}" = "-" ]; then
  set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  # As root: make the data directory the postgres user's, then step down.
  install -d -o postgres -g postgres -m 0700 "$PGDATA"
  chown -R postgres:postgres "$PGDATA"
  chmod 0700 "$PGDATA"
  install -d -o postgres -g postgres -m 2777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_USER:=postgres}"
  : "${POSTGRES_DB:=$POSTGRES_USER}"
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgres stand-in: POSTGRES_PASSWORD is not set; the database would be open to anyone." >&2
    exit 1
  fi
  echo "postgres stand-in: initialising $PGDATA for user $POSTGRES_USER, database $POSTGRES_DB"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 -D "$PGDATA" >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    sockets=$(mktemp -d)
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$sockets" start >/dev/null
    psql -v ON_ERROR_STOP=1 -h "$sockets" -U "$POSTGRES_USER" -d postgres -q --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    rmdir "$sockets"
  fi
  echo "postgres stand-in: initialised"
fi

exec "$@"
