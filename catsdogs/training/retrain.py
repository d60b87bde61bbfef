"""Retrain on the base dataset plus the reviewed feedback photos; compare with the champion.

The candidate starts from the ImageNet weights, with the champion's settings and the champion's
base split: the base training photos' frozen features come from the feature cache, only the
feedback photos' are computed. Champion and candidate are then measured on the same base test
split and on the held-out feedback photos (catsdogs/training/gate.py judges the figures).
"""

import json
import logging
import time
from dataclasses import fields
from pathlib import Path

import numpy as np

from catsdogs.store import feedback_manifest
from catsdogs.training import export, metrics, pipeline
from catsdogs.card import CLASSES
from catsdogs.training.data import Dataset, Split, stratified_split
from catsdogs.training.gate import Verdict, judge
from catsdogs.training.settings import Settings

log = logging.getLogger(__name__)
COMPARISON = "comparison"  # comparison.md and comparison.json, beside the candidate
START = (
    "ImageNet weights (the champion's Keras weights are not kept, only its ONNX file); base "
    "training features from the feature cache, feedback photos' features computed"
)


class RetrainError(Exception):
    """The retrain cannot run as asked (other data than the champion's, a bad export...)."""


def settings_of(card: dict) -> Settings:
    """The champion's training settings, as recorded in its card."""
    recorded = card.get("training", {}).get("settings", {})
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in recorded.items() if k in known})


def base_splits(dataset: Dataset, card: dict) -> dict[str, Split]:
    """The champion's train/validation/test split of the base data, before decoding."""
    split = card["dataset"]["split"]
    files, labels = dataset.labelled_files()
    per_class = card["training"]["settings"].get("max_images_per_class")
    if per_class:
        files, labels = pipeline.first_per_class(files, labels, per_class)
    return stratified_split(files, labels, split["seed"], tuple(split["fractions"]))


def check_same_data(dataset: Dataset, card: dict) -> None:
    if dataset.sha256() != card.get("dataset", {}).get("sha256"):
        raise RetrainError(
            f"{dataset.path} is not the champion's base data (sha256 "
            f"{card.get('dataset', {}).get('sha256', '?')[:16]}...): give --data the same file"
        )


def feedback_part(manifest: dict, part: str) -> Split:
    """The export's photos of one part (train or holdout), as files and labels."""
    chosen = [p for p in manifest["photos"] if p["part"] == part]
    return Split([p["file"] for p in chosen], [CLASSES.index(p["label"]) for p in chosen])


def train_candidate(
    data: Path,
    feedback: Path,
    weights: Path,
    model_path: Path,
    champion_card: dict,
    feature_cache: Path | None,
) -> dict:
    """Train the candidate into `model_path` (cards beside it); return its card."""
    from catsdogs.training import train as keras_train

    started = time.monotonic()
    manifest = feedback_manifest.read(feedback)
    settings = settings_of(champion_card)
    dataset = Dataset(data)
    check_same_data(dataset, champion_card)
    keras_train.set_seeds(settings.seed)
    size = settings.image_size
    splits = base_splits(dataset, champion_card)
    pixels = {}
    for part in ("validation", "test"):
        pixels[part], splits[part] = dataset.load(splits[part], size)
    if champion_card["dataset"].get("skipped"):
        # Unreadable files were dropped from the champion's training part: decode to know which.
        pixels["train"], splits["train"] = dataset.load(splits["train"], size)
    expected = champion_card["dataset"]["split"]
    for part in pixels:  # the decoded parts must be the champion's, photo for photo
        if len(splits[part]) != expected.get(part):
            raise RetrainError(
                f"{part}: {len(splits[part])} readable photos, the champion had "
                f"{expected.get(part)}"
            )
    backbone = keras_train.build_backbone(size, str(weights))
    bottom, top = keras_train.split_backbone(backbone, settings.fine_tune_from)

    def base_views():
        log.warning("base training features are not in the feature cache: computing them")
        if "train" not in pixels:
            pixels["train"], splits["train"] = dataset.load(splits["train"], size)
        return pipeline.train_views(bottom, pixels["train"], settings)

    key, views, reused = pipeline.feature_key(dataset, settings), 2 + settings.augmented_views, []
    base_x = pipeline.reuse_features(reused, feature_cache, f"{key}-train-{views}views", base_views)
    if len(base_x) != views * expected["train"]:
        raise RetrainError(
            f"the cached base features hold {len(base_x)} rows, not {views} views of the "
            f"champion's {expected['train']} training photos: remove them from the cache"
        )
    val_x = pipeline.reuse_features(
        reused,
        feature_cache,
        f"{key}-validation",
        lambda: keras_train.cached_features(bottom, pixels["validation"], settings.batch_size),
    )
    extra_pixels, extra = Dataset(feedback).load(feedback_part(manifest, "train"), size)
    log.info("feedback: %d training photos", len(extra))
    train_x = base_x
    if len(extra):
        train_x = np.concatenate([base_x, pipeline.train_views(bottom, extra_pixels, settings)])
    del base_x
    train_y = np.array(splits["train"].labels * views + extra.labels * views, dtype=np.float32)
    val_y = np.array(splits["validation"].labels, dtype=np.float32)
    members, history = pipeline.fit_members(top, train_x, train_y, val_x, val_y, settings)
    del train_x
    card = pipeline.build_card(
        keras_train.assemble(bottom, members, size), model_path, dataset,
        json.loads(json.dumps(champion_card["dataset"])),  # the same split: promotable
        pixels, splits, settings, history, bool(reused),
    )  # fmt: skip
    card["feedback_dataset"] = {
        "name": manifest["name"],
        "content_hash": manifest["content_hash"],
        "counts": manifest["counts"],
        "holdout_rule": manifest["holdout_rule"],
        "trained_on": len(extra),
    }
    card["training"]["start"] = START
    card["training"]["champion"] = champion_card.get("version")
    card["training"]["duration_s"] = round(time.monotonic() - started, 1)
    export.write_cards(card, model_path)
    return card


def compare(candidate: Path, champion: Path, data: Path, feedback: Path) -> dict:
    """Both models on the champion's base test split and on the held-out feedback photos."""
    champion_card = json.loads(champion.with_suffix(".json").read_text())
    candidate_card = json.loads(candidate.with_suffix(".json").read_text())
    for key in ("sha256", "split"):
        if candidate_card["dataset"].get(key) != champion_card["dataset"].get(key):
            raise RetrainError(
                f"the candidate's base dataset {key} is not the champion's: "
                "their test figures cannot be compared"
            )
    manifest = feedback_manifest.read(feedback)
    dataset = Dataset(data)
    check_same_data(dataset, champion_card)
    sets = {
        "test": (dataset, base_splits(dataset, champion_card)["test"]),
        "holdout": (Dataset(feedback), feedback_part(manifest, "holdout")),
    }
    models = {"champion": (champion, champion_card), "candidate": (candidate, candidate_card)}
    figures, answers, kept, decoded = {}, {}, {}, {}
    for name, (path, card) in models.items():
        size = int(card["preprocessing"]["resize"]["size"][0])
        figures[name], answers[name] = {}, {}
        for part, (source, split) in sets.items():
            if (part, size) not in decoded:  # both models usually share the size: decode once
                decoded[part, size] = source.load(split, size) if len(split) else (None, split)
            pixels, kept[part] = decoded[part, size]
            if not len(kept[part]):
                figures[name][part] = {"images": 0, "accuracy": None}
                answers[name][part] = []
                continue
            p_dog = export.predict(path, pixels)[:, CLASSES.index("dog")]
            figures[name][part] = metrics.evaluate(kept[part].labels, p_dog, kept[part].files)
            answers[name][part] = [CLASSES[int(p >= 0.5)] for p in p_dog]
    changed = {
        part: [
            {"file": f, "truth": CLASSES[y], "champion": a, "candidate": b}
            for f, y, a, b in zip(
                kept[part].files,
                kept[part].labels,
                answers["champion"][part],
                answers["candidate"][part],
                strict=True,
            )  # fmt: skip
            if a != b
        ]
        for part in sets
    }
    verdict = judge(figures["champion"], figures["candidate"])
    return {
        "champion": {"version": champion_card.get("version"), "file": str(champion)},
        "candidate": {"version": candidate_card.get("version"), "file": str(candidate)},
        "base_dataset": {k: champion_card["dataset"].get(k) for k in ("name", "sha256")},
        "feedback_dataset": {
            "name": manifest["name"],
            "content_hash": manifest["content_hash"],
            "counts": manifest["counts"],
        },
        "figures": figures,
        "changed": changed,
        "verdict": {
            "passed": verdict.passed,
            "reasons": list(verdict.reasons),
            "warnings": list(verdict.warnings),
        },
    }


def write_comparison(comparison: dict, folder: Path) -> tuple[Path, Path]:
    """comparison.json and comparison.md in `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    as_json, as_markdown = folder / f"{COMPARISON}.json", folder / f"{COMPARISON}.md"
    as_json.write_text(json.dumps(comparison, indent=2) + "\n")
    as_markdown.write_text(render(comparison))
    return as_json, as_markdown


def verdict_of(comparison: dict) -> Verdict:
    v = comparison["verdict"]
    return Verdict(v["passed"], tuple(v["reasons"]), tuple(v["warnings"]))


def render(comparison: dict) -> str:
    """The comparison for people: figures, confusion matrices, changed answers, verdict."""
    verdict, feedback = comparison["verdict"], comparison["feedback_dataset"]
    names = {"test": "base test split", "holdout": "feedback hold-out"}
    lines = [
        f"# Retrain: candidate {comparison['candidate']['version']} against champion "
        f"{comparison['champion']['version']}",
        "",
        f"**Gate: {'PASSED' if verdict['passed'] else 'REFUSED'}**",
        "",
        *[f"- {reason}" for reason in verdict["reasons"]],
        *[f"- warning: {warning}" for warning in verdict["warnings"]],
        "",
        f"Base data {comparison['base_dataset']['name']} (sha256 "
        f"`{comparison['base_dataset']['sha256'][:16]}...`); feedback dataset {feedback['name']} "
        f"(content hash `{feedback['content_hash'][:16]}...`): training "
        f"{feedback['counts']['train']['cat']} cats and {feedback['counts']['train']['dog']} dogs, "
        f"held out {feedback['counts']['holdout']['cat']} cats and "
        f"{feedback['counts']['holdout']['dog']} dogs.",
        "",
        "| set | photos | champion accuracy | candidate accuracy |",
        "|---|---|---|---|",
    ]
    figures = comparison["figures"]
    for part, name in names.items():
        champion, candidate = figures["champion"][part], figures["candidate"][part]
        lines.append(
            f"| {name} | {candidate['images']} | {_percent(champion['accuracy'])} | "
            f"{_percent(candidate['accuracy'])} |"
        )
    for part, name in names.items():
        for model in ("champion", "candidate"):
            matrix = figures[model][part].get("confusion_matrix")
            if not matrix:
                continue
            (cc, cd), (dc, dd) = matrix["counts"]
            lines += [
                "",
                f"Confusion matrix, {model}, {name} (rows: true class):",
                "",
                "| | predicted cat | predicted dog |",
                "|---|---|---|",
                f"| cat | {cc} | {cd} |",
                f"| dog | {dc} | {dd} |",
            ]
    for part, name in names.items():
        changed = comparison["changed"][part]
        lines += ["", f"## Changed answers on the {name} ({len(changed)})", ""]
        if not changed:
            lines.append("None: both models give the same answers.")
            continue
        lines += ["| photo | truth | champion | candidate |", "|---|---|---|---|"]
        lines += [
            f"| {c['file']} | {c['truth']} | {c['champion']} | {c['candidate']} |" for c in changed
        ]
    return "\n".join(lines) + "\n"


def _percent(value) -> str:
    return "-" if value is None else f"{value:.2%}"
