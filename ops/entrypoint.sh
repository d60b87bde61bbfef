#!/bin/sh
# Apply migrations, retrying while the database is not answering yet (a fresh PostgreSQL
# container, a restart), then replace this shell with the command so it receives signals.
set -eu

attempts="${DB_WAIT_ATTEMPTS:-30}"
delay="${DB_WAIT_SECONDS:-2}"
attempt=1
until flask --app catsdogs init-db; do
    if [ "$attempt" -ge "$attempts" ]; then
        echo "entrypoint: database did not answer after $attempts attempts, giving up" >&2
        exit 1
    fi
    echo "entrypoint: database not ready (attempt $attempt of $attempts), retrying in ${delay}s" >&2
    attempt=$((attempt + 1))
    sleep "$delay"
done

exec "$@"
