"""Command line: `python -m catsdogs.training train|retrain|gate|evaluate|ship|quantize ...`."""

import argparse
import datetime
import json
import logging
import os
import shutil
import sys
from pathlib import Path

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.training.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
# Trained models land here, outside the package (git-ignored), until one is shipped on purpose.
MODELS = ROOT / "models"
CARD_SUFFIXES = (".onnx", ".json", ".md")
DEFAULT_DATA = SHARED / "datasets" / "PetImages-180.zip"
DEFAULT_WEIGHTS = (
    SHARED / "weights" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
)
TOLERANCE = 1e-4
MLFLOW_TIMEOUT = 60.0  # seconds per call: uploads of a 15 MB model on a slow link
DEFAULTS = Settings()


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    handlers = [logging.StreamHandler()]
    if args.log_file:
        handlers.append(logging.FileHandler(args.log_file))
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return args.command(args)


def train(args) -> int:
    from catsdogs.training.data import download
    from catsdogs.training.pipeline import train as run_training

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
    card = run_training(Path(data), Path(args.weights), model, settings, args.feature_cache)
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


def log(args) -> int:
    """Log an already trained model to MLflow: a run with its figures, then a new version."""
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        print("set MLFLOW_TRACKING_URI to the MLflow tracking server", file=sys.stderr)
        return 2
    return log_to_mlflow(Path(args.model), "log", data=Path(args.data))


def log_to_mlflow(
    model: Path, origin: str, log_file: str | None = None, data: Path = DEFAULT_DATA
) -> int:
    """A run and a registered version for `model` on MLFLOW_TRACKING_URI, with photos of known
    class from `data`'s test split; 1 if MLflow fails."""
    from catsdogs.registry.model_run import log_model
    from catsdogs.registry.client import Registry, RegistryError
    from catsdogs.training.checks import write_check_photos

    name = os.environ.get("MLFLOW_MODEL_NAME") or "catsdogs"
    registry = Registry(os.environ["MLFLOW_TRACKING_URI"], name, timeout=MLFLOW_TIMEOUT)
    extra = (Path(log_file),) if log_file and Path(log_file).is_file() else ()
    try:
        version = log_model(registry, model, origin, extra, write_check_photos(data, model))
    except RegistryError as error:
        print(f"MLflow: {error}", file=sys.stderr)
        print(f"log it later: {os.path.relpath(sys.executable)} -m catsdogs.training log {model}")
        return 1
    print(
        f"MLflow: run {version.run_id}, registered {registry.name} version {version.version} "
        f"({version.card_version}); promote it: flask --app catsdogs models promote "
        f"{version.version}"
    )
    return 0


def retrain(args) -> int:
    """Train a candidate on the base data plus the feedback export, then judge it (gate)."""
    from catsdogs.store.feedback_manifest import ManifestError
    from catsdogs.training.retrain import RetrainError, train_candidate

    folder = retrain_folder(args)
    champion, champion_version = resolve_champion(args.champion, folder)
    candidate = folder / SHIPPED_MODEL.name
    try:
        card = train_candidate(
            Path(args.data), Path(args.feedback), Path(args.weights), candidate,
            json.loads(champion.with_suffix(".json").read_text()), args.feature_cache,
        )  # fmt: skip
    except (RetrainError, ManifestError) as error:
        print(f"retrain: {error}", file=sys.stderr)
        return 2
    print(
        f"candidate {card['version']} trained in {card['training']['duration_s'] / 60:.1f} min "
        f"on the base data plus {card['feedback_dataset']['trained_on']} feedback photos "
        f"-> {candidate}"
    )
    return judge_candidate(candidate, champion, champion_version, args)


def gate(args) -> int:
    """Judge an already trained candidate against the champion (the end of `retrain`)."""
    candidate = Path(args.candidate)
    champion, champion_version = resolve_champion(args.champion, candidate.parent)
    return judge_candidate(candidate, champion, champion_version, args)


def judge_candidate(candidate: Path, champion: Path, champion_version, args) -> int:
    """Compare, write comparison.md beside the candidate, log to MLflow when it is set, and
    register the candidate as challenger only when the gate passes; 1 when refused."""
    from catsdogs.store.feedback_manifest import ManifestError
    from catsdogs.training.retrain import RetrainError, compare, verdict_of, write_comparison

    try:
        comparison = compare(candidate, champion, Path(args.data), Path(args.feedback))
    except (RetrainError, ManifestError) as error:
        print(f"gate: {error}", file=sys.stderr)
        return 2
    comparison["champion"]["registry_version"] = champion_version
    as_json, as_markdown = write_comparison(comparison, candidate.parent)
    verdict = verdict_of(comparison)
    for warning in verdict.warnings:
        print(f"warning: {warning}")
    print(f"gate {verdict.summary()} -> {as_markdown}")
    status = 0
    if os.environ.get("MLFLOW_TRACKING_URI"):
        status = record_candidate(candidate, verdict, (as_markdown, as_json), args)
    if not verdict.passed:
        print(f"candidate refused by the gate: {'; '.join(verdict.reasons)}", file=sys.stderr)
        return 1
    return status


def record_candidate(candidate: Path, verdict, files: tuple[Path, ...], args) -> int:
    """The candidate's run with the comparison, the manifest and the datasets; a version with
    the challenger alias when the gate passed, none when refused. 1 if MLflow fails."""
    from catsdogs.store import feedback_manifest
    from catsdogs.registry import lifecycle
    from catsdogs.registry.model_run import log_model, log_unregistered
    from catsdogs.registry.client import RegistryError
    from catsdogs.training.checks import write_check_photos

    registry = mlflow_registry()
    feedback = Path(args.feedback)
    manifest = feedback_manifest.read(feedback)
    card = json.loads(candidate.with_suffix(".json").read_text())
    files = (*files, feedback / feedback_manifest.MANIFEST)
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
            "source": json.dumps({"uri": str(Path(args.data).resolve())}),
            "profile": json.dumps({"sha256": card["dataset"]["sha256"]}),
            "context": "training",
        },
    )
    tags = {
        "gate": "passed" if verdict.passed else "refused",
        "gate.reasons": "; ".join(verdict.reasons)[:4000],
        "feedback_content_hash": manifest["content_hash"],
    }
    try:
        if not verdict.passed:
            run_id = log_unregistered(registry, candidate, "retrain", files, tags, datasets)
            print(f"MLflow: run {run_id} logged (gate refused), no version registered")
            return 0
        checks = write_check_photos(Path(args.data), candidate)
        version = log_model(registry, candidate, "retrain", files, checks, tags, datasets)
        lifecycle.shadow(
            registry, version.version, os.environ.get("USER") or "retrain",
            f"retrain gate passed: {verdict.summary()}"[:500],
        )  # fmt: skip
    except (RegistryError, lifecycle.Refused) as error:
        print(f"MLflow: {error}", file=sys.stderr)
        return 1
    print(
        f"MLflow: run {version.run_id}, registered {registry.name} version {version.version} as "
        f"challenger; promote it after shadow traffic: flask --app catsdogs models promote "
        f"{version.version}"
    )
    return 0


def resolve_champion(given: str | None, folder: Path) -> tuple[Path, str | None]:
    """The champion's ONNX file (its card beside it) and its registry version, if any:
    --champion, else the registry's champion when MLFLOW_TRACKING_URI is set, else the
    packaged model."""
    if given:
        return Path(given), None
    if os.environ.get("MLFLOW_TRACKING_URI"):
        from catsdogs.registry.lifecycle import CHAMPION

        registry = mlflow_registry()
        version = registry.by_alias(CHAMPION)
        if version is not None:
            registry.download(version, folder / "champion")
            return folder / "champion" / SHIPPED_MODEL.name, version.version
        print(f"no {CHAMPION} in the registry {registry.name}: comparing with the packaged model")
    return SHIPPED_MODEL, None


def mlflow_registry():
    from catsdogs.registry.client import Registry

    name = os.environ.get("MLFLOW_MODEL_NAME") or "catsdogs"
    return Registry(os.environ["MLFLOW_TRACKING_URI"], name, timeout=MLFLOW_TIMEOUT)


def retrain_folder(args) -> Path:
    if args.out:
        return Path(args.out)
    now = datetime.datetime.now(datetime.UTC)
    return MODELS / now.strftime("%Y%m%d-%H%M%S-retrain")


def output_path(args, now: datetime.datetime) -> Path:
    """Where `train` writes: a new folder under models/, unless --model or --ship says otherwise."""
    if args.ship:
        return SHIPPED_MODEL
    if args.model:
        return Path(args.model)
    return MODELS / now.strftime("%Y%m%d-%H%M%S") / SHIPPED_MODEL.name


def ship(args) -> int:
    """Copy a trained model, its JSON card and its Markdown card over the shipped ones."""
    source = ModelCard.for_model(args.model)  # refuses a model without a consistent card
    for suffix in CARD_SUFFIXES:
        shutil.copyfile(Path(args.model).with_suffix(suffix), SHIPPED_MODEL.with_suffix(suffix))
    print(f"shipped model {source.version} as {SHIPPED_MODEL}")
    return 0


def evaluate(args) -> int:
    from catsdogs.training.pipeline import reevaluate

    recorded, measured = reevaluate(Path(args.data), Path(args.model))
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


def reference_profile(args) -> int:
    from catsdogs.training.profile import regenerate

    profile = regenerate(Path(args.data), Path(args.model))
    print(
        f"reference profile of {args.model}: {profile['images']} {profile['split']} images, "
        f"written into {Path(args.model).with_suffix('.json')} and .md"
    )
    return 0


def quantize(args) -> int:
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m catsdogs.training", description=__doc__)
    parser.add_argument("--log-file", help="also write the log to this file")
    commands = parser.add_subparsers(required=True)
    run = commands.add_parser("train", help="train, export to ONNX and write the model cards")
    run.set_defaults(command=train)
    run.add_argument("--data", default=DEFAULT_DATA, help="PetImages zip or folder")
    run.add_argument(
        "--download",
        metavar="DIR",
        type=Path,
        help="fetch the public Microsoft archive into DIR and train on it",
    )
    run.add_argument("--weights", default=DEFAULT_WEIGHTS, help="MobileNetV2 ImageNet .h5")
    target = run.add_mutually_exclusive_group()
    target.add_argument(
        "--model", help="where to write the .onnx (default: models/<date-time>/catsdogs.onnx)"
    )
    target.add_argument(
        "--ship", action="store_true", help="replace the shipped model in catsdogs/model/"
    )
    run.add_argument("--image-size", type=int, default=DEFAULTS.image_size)
    run.add_argument("--seed", type=int, default=DEFAULTS.seed)
    run.add_argument("--head-epochs", type=int, default=DEFAULTS.head_epochs)
    run.add_argument("--fine-tune-epochs", type=int, default=DEFAULTS.fine_tune_epochs)
    run.add_argument(
        "--augmented-views",
        type=int,
        default=DEFAULTS.augmented_views,
        help="random-crop views of each training photo, besides the mirror",
    )
    run.add_argument(
        "--fine-tune-learning-rate", type=float, default=DEFAULTS.fine_tune_learning_rate
    )
    run.add_argument(
        "--fine-tune-schedule", choices=("constant", "cosine"), default=DEFAULTS.fine_tune_schedule
    )
    run.add_argument("--dropout", type=float, default=DEFAULTS.dropout)
    run.add_argument(
        "--ensemble",
        type=int,
        default=DEFAULTS.ensemble,
        help="fine-tune this many copies of the top blocks (seeds seed, seed+1...) and average",
    )
    run.add_argument(
        "--feature-cache",
        type=Path,
        help="keep the frozen part's outputs in this folder and reuse them (experiments)",
    )
    run.add_argument("--per-class", type=int, help="use only the first N images of each class")
    check = commands.add_parser("evaluate", help="recompute the card's figures from the .onnx")
    check.set_defaults(command=evaluate)
    check.add_argument("--data", default=DEFAULT_DATA, help="PetImages zip or folder")
    check.add_argument("--model", default=SHIPPED_MODEL, help="the .onnx to evaluate")
    check.add_argument("--json", help="write the measured figures to this file")
    describe = commands.add_parser(
        "profile", help="recompute the card's reference profile (ONNX Runtime only, no training)"
    )
    describe.set_defaults(command=reference_profile)
    describe.add_argument("--data", default=DEFAULT_DATA, help="PetImages zip or folder")
    describe.add_argument("--model", default=SHIPPED_MODEL, help="the .onnx whose card to update")
    int8 = commands.add_parser(
        "quantize", help="INT8 copy of a model (static quantization), evaluated, with its cards"
    )
    int8.set_defaults(command=quantize)
    int8.add_argument("--data", default=DEFAULT_DATA, help="PetImages zip or folder")
    int8.add_argument("--model", default=SHIPPED_MODEL, help="the FP32 .onnx and its card")
    int8.add_argument("--output", help="where to write (default: <model>-int8.onnx beside it)")
    int8.add_argument(
        "--calibration-images", type=int, help="training photos for the ranges (default 256)"
    )
    int8.add_argument("--seed", type=int, default=0, help="which training photos calibrate")
    int8.add_argument(
        "--per-class", type=int, help="split only the first N photos of each class (tests)"
    )
    again = commands.add_parser(
        "retrain",
        help="train a candidate on the base data plus a feedback export, gate it as challenger",
    )
    again.set_defaults(command=retrain)
    _gate_arguments(again)
    again.add_argument("--weights", default=DEFAULT_WEIGHTS, help="MobileNetV2 ImageNet .h5")
    again.add_argument(
        "--feature-cache",
        type=Path,
        help="the folder of the frozen part's outputs of the champion's training (reused)",
    )
    again.add_argument(
        "--out",
        help="folder for the candidate and comparison.md (default: models/<date-time>-retrain)",
    )
    judge = commands.add_parser(
        "gate", help="compare a trained candidate with the champion; challenger if it passes"
    )
    judge.set_defaults(command=gate)
    _gate_arguments(judge)
    judge.add_argument("--candidate", required=True, help="the candidate .onnx, cards beside it")
    release = commands.add_parser("ship", help="make a trained model the shipped one")
    release.set_defaults(command=ship)
    release.add_argument("model", help="the trained .onnx, its .json and .md beside it")
    record = commands.add_parser(
        "log", help="log a trained model to MLFLOW_TRACKING_URI and register it as a version"
    )
    record.set_defaults(command=log)
    record.add_argument("model", help="the trained .onnx, its .json and .md beside it")
    record.add_argument("--data", default=DEFAULT_DATA, help="PetImages zip or folder")
    return parser


def _gate_arguments(parser) -> None:
    parser.add_argument(
        "--feedback", required=True, help="a feedback export (flask --app catsdogs dataset export)"
    )
    parser.add_argument(
        "--data", default=DEFAULT_DATA, help="the champion's PetImages zip or folder"
    )
    parser.add_argument(
        "--champion",
        help="the champion .onnx, card beside it (default: the registry's champion when "
        "MLFLOW_TRACKING_URI is set, else the packaged model)",
    )


if __name__ == "__main__":
    sys.exit(main())
