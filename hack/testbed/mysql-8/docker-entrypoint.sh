#!/bin/bash
# The official mysql image's first-start contract, for the MariaDB stand-in: initialise
# the data directory when empty, set the root password, create MYSQL_DATABASE and
# MYSQL_USER (with all rights on it), on a server that listens on no TCP port meanwhile,
# so a health check cannot pass before the real server runs.
set -Eeuo pipefail
install -d -o mysql -g mysql -m 0755 /run/mysqld
chown -R mysql:mysql /var/lib/mysql
if [ "$1" = mysqld ] && [ ! -d /var/lib/mysql/mysql ]; then
  : "${MYSQL_ROOT_PASSWORD:?mysql stand-in: MYSQL_ROOT_PASSWORD is not set}"
  echo "mysql stand-in: initialising /var/lib/mysql"
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --auth-root-authentication-method=normal >/dev/null
  mysqld --user=mysql --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 60); do mysqladmin --socket=/run/mysqld/init.sock ping --silent 2>/dev/null && break; sleep 0.5; done
  {
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD//\'/\'\'}';"
    echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD//\'/\'\'}';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "${MYSQL_DATABASE:-}" ]; then echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"; fi
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
      echo "CREATE USER '$MYSQL_USER'@'%' IDENTIFIED BY '${MYSQL_PASSWORD//\'/\'\'}';"
      echo "CREATE USER '$MYSQL_USER'@'localhost' IDENTIFIED BY '${MYSQL_PASSWORD//\'/\'\'}';"
      if [ -n "${MYSQL_DATABASE:-}" ]; then
        echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'%';"
        echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'localhost';"
      fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | mysql --socket=/run/mysqld/init.sock -uroot
  mysqladmin --socket=/run/mysqld/init.sock -uroot -p"$MYSQL_ROOT_PASSWORD" shutdown
  wait "$pid" || true
  echo "mysql stand-in: initialised"
fi
if [ "$1" = mysqld ]; then
  exec mysqld --user=mysql "${@:2}"
fi
exec "$@"
