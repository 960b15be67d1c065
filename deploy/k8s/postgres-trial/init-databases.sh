#!/bin/sh
# Runs once, on an empty data directory (the postgres image's /docker-entrypoint-initdb.d), and
# in compose the same way: one database per service, each owned by a role of its own, so a
# service's credentials reach its own data and nothing else.
#
# Env: POSTGRES_USER (the image's), APPLICATIONS_DB_PASSWORD, SCORING_DB_PASSWORD,
# IMPACT_DB_PASSWORD; GRANTFLOW_DB_PREFIX (default empty) prefixes every name, for tests that
# share a server.
set -eu
prefix="${GRANTFLOW_DB_PREFIX:-}"
for service in applications scoring impact; do
    case "$service" in
        applications) password="$APPLICATIONS_DB_PASSWORD" ;;
        scoring) password="$SCORING_DB_PASSWORD" ;;
        impact) password="$IMPACT_DB_PASSWORD" ;;
    esac
    # psql quotes the variables (:"name" as an identifier, :'text' as a literal), so a password
    # with quotes in it cannot break out of the statement.
    psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v role="${prefix}grantflow_${service}" -v password="$password" \
        -v database="${prefix}${service}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
done
