"""MLflow runs through the REST API: an experiment, params, metrics, tags and artifacts."""

import time
from pathlib import Path

from catsdogs.registry.mlflow_rest import EXISTS, MISSING, RegistryError, Rest, required

EXPERIMENT = "catsdogs"
# MLflow's limits per runs/log-batch call
BATCH_LIMITS = {"params": 100, "metrics": 1000, "tags": 100}


class Runs:
    """Runs of one experiment on the tracking server that `rest` talks to."""

    def __init__(self, rest: Rest, experiment: str = EXPERIMENT):
        self.rest, self.experiment = rest, experiment

    def experiment_id(self, name: str | None = None) -> str:
        """The id of the experiment, created when missing."""
        name = name or self.experiment
        try:
            answer = self.rest.call("GET", "experiments/get-by-name", experiment_name=name)
            return str(required(answer, "experiment")["experiment_id"])
        except RegistryError as error:
            if error.code != MISSING:
                raise
        try:
            return str(self.rest.call("POST", "experiments/create", name=name)["experiment_id"])
        except RegistryError as error:
            if error.code != EXISTS:  # created meanwhile by another client
                raise
        return self.experiment_id(name)

    def start(self, run_name: str, tags: dict | None = None) -> str:
        """Open a run in the experiment; its id."""
        answer = self.rest.call(
            "POST",
            "runs/create",
            experiment_id=self.experiment_id(),
            run_name=run_name,
            start_time=_now_ms(),
            tags=[{"key": str(k), "value": str(v)} for k, v in (tags or {}).items()],
        )
        return str(required(required(answer, "run"), "info")["run_id"])

    def log_batch(
        self,
        run_id: str,
        params: dict | None = None,
        metrics: dict | None = None,
        tags: dict | None = None,
    ) -> None:
        """Log params, metrics and tags, in as many calls as MLflow's per-call limits need.

        A metric's value is a number, or a list of numbers logged as steps 0, 1, 2...
        """
        stamp = _now_ms()
        items = {
            "params": [{"key": k, "value": str(v)} for k, v in (params or {}).items()],
            "metrics": [
                {"key": k, "value": float(v), "timestamp": stamp, "step": step}
                for k, values in (metrics or {}).items()
                for step, v in enumerate(values if isinstance(values, list) else [values])
            ],
            "tags": [{"key": k, "value": str(v)} for k, v in (tags or {}).items()],
        }
        for kind, entries in items.items():
            limit = BATCH_LIMITS[kind]
            for start in range(0, len(entries), limit):
                chunk = entries[start : start + limit]
                self.rest.call("POST", "runs/log-batch", run_id=run_id, **{kind: chunk})

    def log_inputs(self, run_id: str, datasets: list[dict]) -> None:
        """Record the datasets the run used (MLflow's `runs/log-inputs`): each a dict with
        name, digest, source_type, source, and optionally profile and context."""
        entries = [
            {
                "dataset": {k: str(d[k]) for k in ("name", "digest", "source_type", "source")}
                | ({"profile": str(d["profile"])} if d.get("profile") else {}),
                "tags": [{"key": "mlflow.data.context", "value": d.get("context", "training")}],
            }
            for d in datasets
        ]
        if entries:
            self.rest.call("POST", "runs/log-inputs", run_id=run_id, datasets=entries)

    def end(self, run_id: str, status: str = "FINISHED") -> None:
        self.rest.call("POST", "runs/update", run_id=run_id, status=status, end_time=_now_ms())

    def artifacts(self, run_id: str) -> str:
        """Where the run's artifacts live (an `mlflow-artifacts:` URI)."""
        answer = self.rest.call("GET", "runs/get", run_id=run_id)
        return str(required(required(answer, "run"), "info")["artifact_uri"]).rstrip("/")

    def log_artifact(
        self, run_id: str, path: Path, name: str | None = None, folder: str = ""
    ) -> None:
        """Upload the file `path` among the run's artifacts, as folder/name."""
        location = self.artifacts(run_id) + (f"/{folder.strip('/')}" if folder else "")
        self.rest.upload(location, name or path.name, path)


def _now_ms() -> int:
    return int(time.time() * 1000)
