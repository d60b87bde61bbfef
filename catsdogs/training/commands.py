"""What `python -m catsdogs.training train|log|ship|evaluate|profile|quantize|nonpet` do."""

import argparse
import datetime
import json
import os
import shutil
import sys
from argparse import Namespace
from pathlib import Path

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.registry import trained_models
from catsdogs.registry.client import RegistryError
from catsdogs.registry.model_run import AlreadyRegistered
from catsdogs.training import pipeline
from catsdogs.training.settings import Settings

# Trained models land here, outside the package (git-ignored), until one is shipped on purpose.
MODELS = Path(__file__).resolve().parents[2] / "models"
CARD_SUFFIXES = (".onnx", ".json", ".md")
TOLERANCE = 1e-4


def train(args: Namespace) -> int:
    """Train, export and describe a model; log it to MLflow when MLFLOW_TRACKING_URI is set."""
    from catsdogs.training.download import download

    data = download(args.download) if args.download else args.data
    settings = Settings(
        image_size=args.image_size,
        seed=args.seed,
        head_epochs=args.head_epochs,
        fine_tune_epochs=args.fine_tune_epochs,
        fine_tune_learning_rate=args.fine_tune_learning_rate,
        fine_tune_schedule=args.fine_tune_schedule,
        ensemble=args.ensemble,
        dropout=args.dropout,
        augmented_views=args.augmented_views,
        max_images_per_class=args.per_class,
    )
    model = output_path(args, datetime.datetime.now(datetime.UTC))
    card = pipeline.train(Path(data), Path(args.weights), model, settings, args.feature_cache)
    test = card["evaluation"]["test"]
    print(
        f"model {card['version']}: test accuracy {test['accuracy']:.4f} on {test['images']} "
        f"images, trained in {card['training']['duration_s'] / 60:.1f} min -> {model}"
    )
    if model != SHIPPED_MODEL:
        print(f"serve it: MODEL_PATH={model} make run")
        print(f"ship it: {os.path.relpath(sys.executable)} -m catsdogs.training ship {model}")
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return log_to_mlflow(model, "train", args.log_file, Path(data))
    return 0


def log(args: Namespace) -> int:
    """Log an already trained model to MLflow: a run with its figures, then a new version."""
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        print("set MLFLOW_TRACKING_URI to the MLflow tracking server", file=sys.stderr)
        return 2
    return log_to_mlflow(Path(args.model), "log", None, Path(args.data))


def log_to_mlflow(model: Path, origin: str, log_file: str | None, data: Path) -> int:
    """A run and a registered version for `model` on MLFLOW_TRACKING_URI, with photos of known
    class from `data`'s test split; 1 if MLflow fails."""
    registry = trained_models.from_environment()
    extra = (Path(log_file),) if log_file and Path(log_file).is_file() else ()
    try:
        version = trained_models.log_trained(registry, model, origin, data, extra)
    except AlreadyRegistered as already:
        print(f"MLflow: {already}.")
        return 0
    except RegistryError as error:
        print(f"MLflow: {error}", file=sys.stderr)
        print(f"log it later: {os.path.relpath(sys.executable)} -m catsdogs.training log {model}")
        return 1
    number = version.registry_version
    print(
        f"MLflow: run {version.run_id}, registered {registry.name} version {number} "
        f"({version.model_version}); promote it: flask --app catsdogs models promote {number}"
    )
    return 0


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """--model or --ship: where a training command writes, as output_path reads them."""
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--model", help="where to write the .onnx (default: models/<date-time>/catsdogs.onnx)"
    )
    target.add_argument(
        "--ship", action="store_true", help="replace the shipped model in catsdogs/model/"
    )


def output_path(args: Namespace, now: datetime.datetime) -> Path:
    """Where `train` writes: a new folder under models/, unless --model or --ship says otherwise."""
    if args.ship:
        return SHIPPED_MODEL
    if args.model:
        return Path(args.model)
    return MODELS / now.strftime("%Y%m%d-%H%M%S") / SHIPPED_MODEL.name


def ship(args: Namespace) -> int:
    """Copy a trained model, its JSON card and its Markdown card over the shipped ones."""
    source = ModelCard.for_model(args.model)  # refuses a model without a consistent card
    for suffix in CARD_SUFFIXES:
        shutil.copyfile(Path(args.model).with_suffix(suffix), SHIPPED_MODEL.with_suffix(suffix))
    print(f"shipped model {source.model_version} as {SHIPPED_MODEL}")
    return 0


def evaluate(args: Namespace) -> int:
    """Recompute the card's figures from the ONNX file; 1 when one differs from the card."""
    recorded, measured = pipeline.reevaluate(Path(args.data), Path(args.model))
    failures = 0
    for part in ("validation", "test"):
        for key in ("images", "accuracy", "roc_auc", "expected_calibration_error"):
            ok = abs(recorded[part][key] - measured[part][key]) <= TOLERANCE
            failures += not ok
            print(
                f"{part:10} {key:28} card {recorded[part][key]:<10} "
                f"measured {measured[part][key]:<10} {'ok' if ok else 'DIFFERS'}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(measured, indent=2) + "\n")
    return 1 if failures else 0


def reference_profile(args: Namespace) -> int:
    """Recompute the card's reference profile with ONNX Runtime alone."""
    from catsdogs.training.profile import regenerate

    profile = regenerate(Path(args.data), Path(args.model))
    print(
        f"reference profile of {args.model}: {profile['images']} {profile['split']} images, "
        f"written into {Path(args.model).with_suffix('.json')} and .md"
    )
    return 0


def quantize(args: Namespace) -> int:
    """Write the INT8 copy of a model and its cards; fail when it loses more than the gate."""
    from catsdogs.training import quantize as int8

    source = Path(args.model)
    target = Path(args.output) if args.output else int8.int8_path(source)
    images = args.calibration_images or int8.CALIBRATION_IMAGES
    card = int8.quantize(Path(args.data), source, target, images, args.per_class, args.seed)
    gate = card["quantization"]["gate"]
    print(
        f"model {card['version']}: test accuracy {gate['int8_accuracy']:.4f}, FP32 "
        f"{gate['fp32_accuracy']:.4f} on the same {gate['test_images']} images "
        f"({gate['change_points']:+.2f} points, limit -{gate['limit_points']}) -> {target}"
    )
    if not gate["within"]:
        print("INT8 loses more accuracy than the limit: do not promote it")
        return 1
    return 0


def nonpet(args: Namespace) -> int:
    """Build the non-pet set and print its counts per part and kind."""
    from catsdogs.training.nonpet.build import build

    manifest = build(args.out, args.cache, args.seed, args.max_side)
    for part, counts in manifest["counts"].items():
        print(f"{part:12}" + "  ".join(f"{kind} {number}" for kind, number in counts.items()))
    failed = [name for name, record in manifest["packages"].items() if "error" in record]
    if failed:
        print(f"packages that could not be fetched: {', '.join(failed)}")
    print(f"dropped: {manifest['dropped']} -> {args.out}")
    return 0
