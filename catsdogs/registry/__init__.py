"""The MLflow model registry: its REST client, versions, runs, lifecycle and the `models` CLI."""
