#!/bin/sh
# Run by the postgres image once, when the database volume is first created: MLflow's own role
# and database, so the tracking server never sees the app's tables. On an older volume, run it
# by hand once (docs/registry.md).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="$MLFLOW_DB_USER" -v password="$MLFLOW_DB_PASSWORD" -v db="$MLFLOW_DB" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
SQL
