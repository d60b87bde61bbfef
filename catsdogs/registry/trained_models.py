"""What training asks of the registry (`python -m catsdogs.training`): the registry that the
environment names, the champion to compare a candidate with, and the runs and versions of trained
and retrained models. Printing and exit statuses stay with the command line."""

import json
import os
from pathlib import Path

from catsdogs.card import SHIPPED_MODEL
from catsdogs.registry import lifecycle, lineage
from catsdogs.registry.check_photos import write_check_photos
from catsdogs.registry.client import NAME, RegisteredVersion, Registry
from catsdogs.registry.model_run import log_model, log_unregistered, refuse_if_registered
from catsdogs.store import feedback_manifest

TIMEOUT = 60.0  # seconds per call: uploads of a 15 MB model on a slow link
RETRAIN = "retrain"  # the origin of a retrained candidate's run and version


def from_environment() -> Registry:
    """The registry of MLFLOW_TRACKING_URI (callers check it is set) and the model
    MLFLOW_MODEL_NAME (catsdogs)."""
    name = os.environ.get("MLFLOW_MODEL_NAME") or NAME
    return Registry(os.environ["MLFLOW_TRACKING_URI"], name, timeout=TIMEOUT)


def log_trained(
    registry: Registry, model: Path, origin: str, data: Path, extra_files: tuple[Path, ...] = ()
) -> RegisteredVersion:
    """A run and a registered version for `model`, with photos of known class drawn from the
    test split of `data` that its card records (AlreadyRegistered before any is written)."""
    refuse_if_registered(registry, model)
    return log_model(registry, model, origin, extra_files, write_check_photos(data, model))


def download_champion(registry: Registry, folder: Path) -> tuple[Path, str] | None:
    """The champion's ONNX file, downloaded into `folder`/champion with its cards, and its
    version; None when the registry has no champion."""
    version = registry.by_alias(lifecycle.CHAMPION)
    if version is None:
        return None
    registry.download(version, folder / "champion")
    return folder / "champion" / SHIPPED_MODEL.name, version.registry_version


def log_refused(
    registry: Registry, candidate: Path, data: Path, feedback: Path,
    files: tuple[Path, ...], reasons: tuple[str, ...],
) -> str:  # fmt: skip
    """The run of a candidate the gate refused (no version); its id."""
    tags, datasets, files = _candidate_run(candidate, data, feedback, files, False, reasons)
    return log_unregistered(registry, candidate, RETRAIN, files, tags, datasets)


def register_challenger(
    registry: Registry, candidate: Path, data: Path, feedback: Path,
    files: tuple[Path, ...], reasons: tuple[str, ...], by: str, why: str,
) -> RegisteredVersion:  # fmt: skip
    """The run and version of a candidate the gate passed, given the challenger alias."""
    tags, datasets, files = _candidate_run(candidate, data, feedback, files, True, reasons)
    checks = write_check_photos(data, candidate)
    version = log_model(
        registry, candidate, RETRAIN, files, checks, tags, datasets, lineage.manifest_tags()
    )  # the manifest's tag ties the version to the photos it was trained on
    lifecycle.shadow(registry, version.registry_version, by, why[:500])
    return version


def _candidate_run(
    candidate: Path, data: Path, feedback: Path, files: tuple[Path, ...], passed: bool,
    reasons: tuple[str, ...],
) -> tuple[dict, tuple[dict, ...], tuple[Path, ...]]:  # fmt: skip
    """The tags, datasets and files of a candidate's run: the gate's verdict, the feedback
    export's manifest, and the base data and the feedback export as MLflow datasets."""
    manifest = feedback_manifest.read(feedback)
    card = json.loads(candidate.with_suffix(".json").read_text())
    datasets = (
        {
            "name": manifest["name"],
            "digest": manifest["content_hash"][:16],
            "source_type": "local",
            "source": json.dumps({"uri": str(feedback.resolve())}),
            "profile": json.dumps(
                {"content_hash": manifest["content_hash"], "counts": manifest["counts"]}
            ),
            "context": "training",
        },
        {
            "name": card["dataset"]["name"],
            "digest": card["dataset"]["sha256"][:16],
            "source_type": "local",
            "source": json.dumps({"uri": str(data.resolve())}),
            "profile": json.dumps({"sha256": card["dataset"]["sha256"]}),
            "context": "training",
        },
    )
    tags = {
        "gate": "passed" if passed else "refused",
        "gate.reasons": "; ".join(reasons)[:4000],
        "feedback_content_hash": manifest["content_hash"],
    }
    return tags, datasets, (*files, feedback / feedback_manifest.MANIFEST)
