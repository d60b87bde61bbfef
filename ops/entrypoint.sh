#!/bin/sh
# Apply migrations, retrying while the database is not answering yet (a fresh PostgreSQL
# container, a restart), then replace this shell with the command so it receives signals.
set -eu

# Large uploads go to temporary files: with a read-only root file system, TMPDIR is in the
# instance volume (the Dockerfile sets it), which a new volume does not have yet.
[ -z "${TMPDIR:-}" ] || mkdir -p "$TMPDIR"

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

# Without API_TOKEN(S), a token is generated once in the instance volume and kept across restarts;
# not printed, so it never reaches the logs: `flask --app catsdogs api-token --show` reads it.
flask --app catsdogs api-token >/dev/null

exec "$@"
