"""A model's MLflow run: its card's settings, dataset and figures, its files, then a version.

Shared by training (`python -m catsdogs.training`) and `flask models register-packaged`, so a
trained model and the packaged one reach the registry the same way.
"""

import json
from pathlib import Path

from catsdogs.registry.client import RegisteredVersion, Registry, RegistryError, file_sha256

SKIPPED = ("worst_mistakes", "reliability", "confusion_matrix")  # read apart, or not figures


class AlreadyRegistered(Exception):
    """The model file is already a version (same sha256): nothing was logged or registered."""

    def __init__(self, model_path: Path, version: RegisteredVersion, name: str):
        super().__init__(
            f"{model_path.name} is already version {version.registry_version} of {name} "
            f"({version.model_version}): nothing registered"
        )
        self.version = version


def log_model(
    registry: Registry,
    model_path: Path,
    origin: str,
    extra_files: tuple[Path, ...] = (),
    checks: Path | None = None,
    tags: dict | None = None,
    datasets: tuple[dict, ...] = (),
    version_tags: dict | None = None,
) -> RegisteredVersion:
    """Log a run for the model at `model_path` (cards beside it) and register it as a version,
    with `checks`, its photos of known class (catsdogs/registry/check_photos.py); `tags` go to
    the run, `version_tags` to the version.

    AlreadyRegistered if a version holds the same file: two identical versions would only
    make the history harder to read."""
    refuse_if_registered(registry, model_path)
    card_path, report = model_path.with_suffix(".json"), model_path.with_suffix(".md")
    run_id = _logged_run(registry, model_path, origin, extra_files, tags, datasets)
    try:
        version = registry.register(
            model_path,
            card_path,
            report if report.exists() else None,
            run_id=run_id,
            tags={"origin": origin} | (version_tags or {}),
            checks=checks,
        )
    except BaseException:
        _end_quietly(registry, run_id)
        raise
    registry.runs.end(run_id)
    return version


def refuse_if_registered(registry: Registry, model_path: Path) -> None:
    """Raise AlreadyRegistered if a version of the model holds this very file."""
    existing = registry.with_file(file_sha256(model_path))
    if existing is not None:
        raise AlreadyRegistered(model_path, existing, registry.name)


def log_unregistered(
    registry: Registry,
    model_path: Path,
    origin: str,
    extra_files: tuple[Path, ...] = (),
    tags: dict | None = None,
    datasets: tuple[dict, ...] = (),
) -> str:
    """Log a finished run for a model that must not become a version (a refused candidate);
    its id. The model file itself is not uploaded, only its card and `extra_files`."""
    card = model_path.with_suffix(".json")
    files = (card, *extra_files)
    run_id = _logged_run(registry, model_path, origin, files, tags, datasets)
    registry.runs.end(run_id)
    return run_id


def _logged_run(
    registry: Registry,
    model_path: Path,
    origin: str,
    extra_files: tuple[Path, ...],
    tags: dict | None,
    datasets: tuple[dict, ...],
) -> str:
    """An open run holding the card's params and figures, `tags`, `datasets` and files."""
    card_path = model_path.with_suffix(".json")
    try:
        card = json.loads(card_path.read_text())
    except (OSError, ValueError) as error:
        raise RegistryError(f"cannot read the model card {card_path}: {error!r}") from None
    runs = registry.runs
    run_tags = {"card_version": card.get("version", ""), "origin": origin}
    run_id = runs.start(f"{origin} {card.get('version', '')}".strip(), run_tags)
    try:
        runs.log_batch(
            run_id,
            params=parameters(card),
            metrics=figures(card),
            tags={"dataset_sha256": card.get("dataset", {}).get("sha256", "")} | (tags or {}),
        )
        runs.log_inputs(run_id, list(datasets))
        for path in extra_files:
            runs.log_artifact(run_id, path)
    except BaseException:
        _end_quietly(registry, run_id)
        raise
    return run_id


def parameters(card: dict) -> dict[str, str]:
    """The settings and the data that made the model, as MLflow params."""
    training, dataset = card.get("training", {}), card.get("dataset", {})
    split = dataset.get("split", {})
    found = {f"settings.{k}": v for k, v in training.get("settings", {}).items()}
    found |= {f"dataset.{k}": dataset[k] for k in ("name", "sha256", "readable", "skipped")
              if k in dataset}  # fmt: skip
    found |= {f"dataset.split.{k}": v for k, v in split.items()}
    feedback = card.get("feedback_dataset", {})  # a retrained model's reviewed photos
    found |= {f"feedback.{k}": feedback[k] for k in ("name", "content_hash", "trained_on")
              if k in feedback}  # fmt: skip
    found |= {f"versions.{k}": v for k, v in training.get("versions", {}).items()}
    found |= {k: card[k] for k in ("name", "version", "architecture", "threshold") if k in card}
    found |= {f"training.{k}": training[k] for k in ("date", "machine") if k in training}
    return {k: ("None" if v is None else v) for k, v in found.items()}


def figures(card: dict) -> dict[str, float | list[float]]:
    """Every evaluation figure of the card, plus parity, duration and the training curves."""
    found: dict[str, float | list[float]] = {}
    for part, figures_of_part in card.get("evaluation", {}).items():
        plain = {k: v for k, v in figures_of_part.items() if k not in SKIPPED}
        _numbers(part, plain, found)
        for bin_ in figures_of_part.get("reliability", []):
            label = f"{part}.reliability.{bin_['bin'][0]:.2f}-{bin_['bin'][1]:.2f}"
            for key in ("count", "mean_confidence", "accuracy"):
                found[f"{label}.{key}"] = bin_[key]
        matrix = figures_of_part.get("confusion_matrix")
        if matrix:
            names = matrix["rows_true_columns_predicted"]
            for row, true in enumerate(names):
                for column, predicted in enumerate(names):
                    found[f"{part}.confusion.{true}_as_{predicted}"] = matrix["counts"][row][column]
    _numbers("parity", card.get("parity", {}), found)
    if isinstance(card.get("training", {}).get("duration_s"), int | float):
        found["training.duration_s"] = card["training"]["duration_s"]
    _numbers("history", card.get("training", {}).get("history", {}), found)
    if "unsure_below" in card:
        found["unsure_below"] = card["unsure_below"]
    return found


def _numbers(prefix: str, value: object, found: dict) -> None:
    """Numbers under `prefix`: nested dicts and lists as dotted keys, lists of numbers as steps."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        found[prefix] = value
    elif isinstance(value, dict):
        for key, inner in value.items():
            _numbers(f"{prefix}.{key}", inner, found)
    elif isinstance(value, list) and value and all(_number(v) for v in value):
        found[prefix] = list(value)
    elif isinstance(value, list):
        for index, inner in enumerate(value, start=1):
            _numbers(f"{prefix}.{index}", inner, found)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _end_quietly(registry: Registry, run_id: str) -> None:
    try:
        registry.runs.end(run_id, "FAILED")
    except RegistryError:
        pass  # the first error is the one worth reporting
