"""What `python -m catsdogs.training retrain|gate|compare` do and print: a candidate trained on
the base data plus a feedback export, judged against the champion, registered as challenger if it
passes; or any two models compared on the champion's test split alone, without a gate."""

import datetime
import json
import os
import sys
from argparse import Namespace
from pathlib import Path

from catsdogs.card import SHIPPED_MODEL
from catsdogs.registry import lifecycle, trained_models
from catsdogs.registry.client import RegistryError
from catsdogs.store.feedback_manifest import ManifestError
from catsdogs.training import comparison
from catsdogs.training.commands import MODELS
from catsdogs.training.comparison_markdown import errors
from catsdogs.training.gate import Verdict
from catsdogs.training.retrain import RetrainError, train_candidate
from catsdogs.training.significance import conclusion


def retrain(args: Namespace) -> int:
    """Train a candidate on the base data plus the feedback export, then judge it (gate)."""
    folder = retrain_folder(args)
    champion, champion_version = resolve_champion(args.champion, folder)
    candidate = folder / SHIPPED_MODEL.name
    try:
        card = train_candidate(
            Path(args.data), Path(args.feedback), Path(args.weights), candidate,
            json.loads(champion.with_suffix(".json").read_text()), args.feature_cache,
            allow_empty=args.allow_empty,
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


def gate(args: Namespace) -> int:
    """Judge an already trained candidate against the champion (the end of `retrain`)."""
    candidate = Path(args.candidate)
    champion, champion_version = resolve_champion(args.champion, candidate.parent)
    return judge_candidate(candidate, champion, champion_version, args)


def judge_candidate(
    candidate: Path, champion: Path, champion_version: str | None, args: Namespace
) -> int:
    """Compare, write comparison.md beside the candidate, log to MLflow when it is set, and
    register the candidate as challenger only when the gate passes; 1 when refused."""
    try:
        found = comparison.compare(candidate, champion, Path(args.data), Path(args.feedback))
    except (RetrainError, ManifestError) as error:
        print(f"gate: {error}", file=sys.stderr)
        return 2
    found["champion"]["registry_version"] = champion_version
    as_json, as_markdown = comparison.write_comparison(found, candidate.parent)
    verdict = comparison.verdict_of(found)
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


def compare_on_test_split(args: Namespace) -> int:
    """Two models with cards on the champion's base test split alone, printed and written
    beside the candidate; 2 when they were not split from the same data."""
    candidate = Path(args.candidate)
    try:
        found = comparison.compare_on_test_split(candidate, Path(args.champion), Path(args.data))
    except RetrainError as error:
        print(f"compare: {error}", file=sys.stderr)
        return 2
    test = found["mcnemar"].get("test")
    if test is None:
        print("compare: the champion's test split holds no photo", file=sys.stderr)
        return 2
    print(f"base test split of {found['base_dataset']['name']}:")
    for model in ("champion", "candidate"):
        figures = found["figures"][model]["test"]
        print(
            f"{model:9} {found[model]['version']}: accuracy {figures['accuracy']:.2%}, "
            f"{errors(figures)} errors on {figures['images']:,} photos, "
            f"ECE {figures['expected_calibration_error']:.4f}"
        )
    print(
        f"McNemar's exact test: the candidate alone is right on {test['candidate_only_right']} "
        f"photos, the champion alone on {test['champion_only_right']}; "
        f"p = {test['p_value']:.3g}: {conclusion(test)}"
    )
    _, as_markdown = comparison.write_comparison(
        found, candidate.parent, comparison.TEST_SPLIT_COMPARISON
    )
    print(f"-> {as_markdown}")
    return 0


def record_candidate(
    candidate: Path, verdict: Verdict, files: tuple[Path, ...], args: Namespace
) -> int:
    """The candidate's run with the comparison, the manifest and the datasets; a version with
    the challenger alias when the gate passed, none when refused. 1 if MLflow fails."""
    registry = trained_models.from_environment()
    data, feedback = Path(args.data), Path(args.feedback)
    try:
        if not verdict.passed:
            run_id = trained_models.log_refused(
                registry, candidate, data, feedback, files, verdict.reasons
            )
            print(f"MLflow: run {run_id} logged (gate refused), no version registered")
            return 0
        version = trained_models.register_challenger(
            registry, candidate, data, feedback, files, verdict.reasons,
            os.environ.get("USER") or "retrain", f"retrain gate passed: {verdict.summary()}",
        )  # fmt: skip
    except (RegistryError, lifecycle.Refused) as error:
        print(f"MLflow: {error}", file=sys.stderr)
        return 1
    number = version.registry_version
    print(
        f"MLflow: run {version.run_id}, registered {registry.name} version {number} as "
        f"challenger; promote it after shadow traffic: flask --app catsdogs models promote "
        f"{number}"
    )
    return 0


def resolve_champion(given: str | None, folder: Path) -> tuple[Path, str | None]:
    """The champion's ONNX file (its card beside it) and its registry version, if any:
    --champion, else the registry's champion when MLFLOW_TRACKING_URI is set, else the
    packaged model."""
    if given:
        return Path(given), None
    if os.environ.get("MLFLOW_TRACKING_URI"):
        registry = trained_models.from_environment()
        champion = trained_models.download_champion(registry, folder)
        if champion is not None:
            return champion
        print(
            f"no {lifecycle.CHAMPION} in the registry {registry.name}: "
            "comparing with the packaged model"
        )
    return SHIPPED_MODEL, None


def retrain_folder(args: Namespace) -> Path:
    """Where `retrain` writes: --out, else a new folder under models/."""
    if args.out:
        return Path(args.out)
    now = datetime.datetime.now(datetime.UTC)
    return MODELS / now.strftime("%Y%m%d-%H%M%S-retrain")
