#!/bin/sh
# `make mlflow-server`: the light MLflow tracking server the tests run (tests/registry/
# mlflow_server.py), in the foreground: one worker and no job runners (MLflow 3's defaults start
# over a dozen processes), a SQLite store and the artifacts it serves itself, under MLFLOW_DATA.
set -eu
venv=${MLFLOW_VENV:-.venv-mlflow}
port=${MLFLOW_PORT:-5000}
data=${MLFLOW_DATA:-instance/mlflow}
url="http://127.0.0.1:$port"
mkdir -p "$data"
echo "Starting MLflow on $url (store $data/mlflow.db, artifacts $data/artifacts)..."
MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true \
    "$venv/bin/mlflow" server --host 127.0.0.1 --port "$port" --workers 1 \
    --backend-store-uri "sqlite:///$(cd "$data" && pwd)/mlflow.db" \
    --serve-artifacts --artifacts-destination "$data/artifacts" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server"; exit 0' INT TERM
# Ready when its health check answers: the imports and the store's migrations take a while.
until "$venv/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "$url/health" 2>/dev/null; do
    kill -0 "$server" 2>/dev/null || { echo "MLflow stopped before it answered" >&2; exit 1; }
    sleep 1
done
echo "MLflow ready on $url -- in another terminal: MLFLOW_TRACKING_URI=$url make run"
wait "$server"
