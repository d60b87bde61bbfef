"""Shadow traffic's cost to the champion's answers: p50 at one client with the challenger
classifying every photo (SHADOW_SAMPLE=1) against no challenger, on a real MLflow registry.

Windows alternate (off, on, off, on, ...) so that both are measured under the same conditions.
"""

import os
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import requests

from bench import endpoint
from catsdogs.registry.client import Registry

ROOT = endpoint.ROOT
MLFLOW = ROOT / ".venv-mlflow" / "bin" / "mlflow"
QUIET_MLFLOW = {"MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
DATASET = ROOT.parent / "shared" / "datasets" / "PetImages-180.zip"


def run(model: str, database_url: str, photo: bytes, count: int = 200, windows: int = 6) -> dict:
    """Measure; {"skipped": why} when MLflow or the check photos are not on this machine."""
    if not MLFLOW.exists():
        return {"skipped": f"no MLflow server at {MLFLOW} (make mlflow)"}
    if not DATASET.exists():
        return {"skipped": f"no photos of known class: {DATASET} is absent"}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        server, url = _mlflow(folder)
        try:
            registry = Registry(url, name="catsdogs-bench", timeout=60)
            checks = _check_photos(folder / "checks")
            files = [Path(model).with_suffix(s) for s in (".onnx", ".json", ".md")]
            champion = registry.register(*files, checks=checks)
            challenger = registry.register(*files, checks=checks)
            registry.set_alias("champion", champion.registry_version)
            extra = {
                "MLFLOW_TRACKING_URI": url,
                "MLFLOW_MODEL_NAME": registry.name,
                "SHADOW_SAMPLE": "1",
                "MODEL_POLL_SECONDS": "3600",
            }

            def switch(on: bool) -> None:
                _shadow(registry, challenger.registry_version if on else None)

            return _measure(model, database_url, photo, count, windows, folder, extra, switch)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _measure(model, database_url, photo, count, windows, folder, extra, switch) -> dict:
    token = "bench-shadow-token"
    service, url = endpoint._start(
        model, database_url, token, str(folder / "instance"), None, extra
    )
    try:
        p50s = {"off": [], "on": []}
        rss_with_two = None
        for window in range(windows):
            state = "on" if window % 2 else "off"
            switch(state == "on")
            reload = requests.post(
                f"{url}/api/model/reload", headers={"Authorization": f"Bearer {token}"}, timeout=60
            ).json()
            assert (reload["shadow"] is not None) == (state == "on"), reload
            load = endpoint._load(url, token, photo, 1, count, service)
            assert load["errors"] == 0, load
            p50s[state].append(statistics.median(load["latencies"]))
            if state == "on":
                rss_with_two = endpoint._rss_mb(service.pid)
        off, on = statistics.median(p50s["off"]), statistics.median(p50s["on"])
        return {
            "requests_per_window": count,
            "window_p50s_ms": {k: [round(v, 2) for v in vs] for k, vs in p50s.items()},
            "p50_off_ms": round(off, 2),
            "p50_on_ms": round(on, 2),
            "ratio": round(on / off, 3),
            "rss_mb_two_models": rss_with_two,
            "peak_rss_mb": endpoint._rss_mb(service.pid, "VmHWM"),
        }
    finally:
        service.terminate()
        service.wait(timeout=10)


def _shadow(registry: Registry, version: str | None) -> None:
    if version is None:
        registry.delete_alias("challenger")
    else:
        registry.set_alias("challenger", version)


def _mlflow(folder: Path):
    port = endpoint._free_port()
    server = subprocess.Popen(
        [str(MLFLOW), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}", "--serve-artifacts",
         "--artifacts-destination", str(folder / "artifacts")],
        # Without its job runners: MLflow 3 starts seven for features a registry never uses.
        env=os.environ | QUIET_MLFLOW,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=2).ok:
                return server, url
        except requests.RequestException:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError("the MLflow server did not start")


def _check_photos(folder: Path, per_class: int = 2) -> Path:
    """A few dataset photos of each class, in the layout a version's checks use."""
    with zipfile.ZipFile(DATASET) as archive:
        for label in ("Cat", "Dog"):
            names = sorted(
                n
                for n in archive.namelist()
                if n.startswith(f"PetImages/{label}/") and n.endswith(".jpg")
            )[:per_class]
            (folder / label.lower()).mkdir(parents=True, exist_ok=True)
            for name in names:
                with (
                    archive.open(name) as source,
                    (folder / label.lower() / Path(name).name).open("wb") as out,
                ):
                    shutil.copyfileobj(source, out)
    return folder
