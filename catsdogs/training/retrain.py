"""Retrain on the base dataset plus the reviewed feedback photos; compare with the champion.

The candidate starts from the ImageNet weights, with the champion's settings and the champion's
base split: the base training photos' frozen features come from the feature cache, only the
feedback photos' are computed. Once exported, the candidate gets its own "not a cat or a dog"
detector, calibrated with the export's neither photos too (catsdogs/training/recalibrate.py).
Champion and candidate are then measured on the same base test split and on the held-out
feedback photos (catsdogs/training/comparison.py).
"""

import json
import logging
import time
from dataclasses import fields
from pathlib import Path

import numpy as np

from catsdogs.card import CLASSES
from catsdogs.store import feedback_manifest
from catsdogs.store.petimages import Dataset, Split, card_split
from catsdogs.training import export, pipeline, recalibrate
from catsdogs.training.describe import build_card
from catsdogs.training.features import feature_key, reuse_features, train_views
from catsdogs.training.settings import Settings

log = logging.getLogger(__name__)
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


def check_same_data(dataset: Dataset, card: dict) -> None:
    if dataset.sha256() != card.get("dataset", {}).get("sha256"):
        raise RetrainError(
            f"{dataset.path} is not the champion's base data (sha256 "
            f"{card.get('dataset', {}).get('sha256', '?')[:16]}...): give --data the same file"
        )


def nonpet_set(champion_card: dict, given: Path | None = None) -> Path | None:
    """The non-pet set to calibrate the candidate's detector with (`given`, else `make nonpet`'s),
    or None to go without a detector, as the champion does; RetrainError when the champion
    answers "not a cat or a dog" and no set is ready: the candidate would lose that answer."""
    folder = given or recalibrate.NONPET
    if (folder / "READY").is_file():
        return folder
    if "neither" in champion_card:
        raise RetrainError(
            f"no non-pet set at {folder} (make nonpet): the champion answers 'not a cat or a "
            "dog', and the candidate needs the set to learn it too"
        )
    log.warning("no non-pet set at %s: the candidate, as its champion, has no detector", folder)
    return None


def reviewed(manifest: dict) -> int:
    """The export's photos, cats and dogs and those labelled neither."""
    return manifest["counts"]["total"] + len(feedback_manifest.neither_photos(manifest))


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
    nonpet: Path | None = None,
    allow_empty: bool = False,
) -> dict:
    """Train the candidate into `model_path` (cards beside it), with a detector calibrated on
    the non-pet set (`nonpet_set`) and the export's neither photos; return its card. An export
    of no reviewed photo is a RetrainError unless `allow_empty`."""
    started = time.monotonic()
    manifest = feedback_manifest.read(feedback)
    if not allow_empty and not reviewed(manifest):
        raise RetrainError(
            f"0 reviewed photos in {feedback}: review some on /review first and export again, "
            "or pass --allow-empty to retrain on the base data alone"
        )
    nonpets = nonpet_set(champion_card, nonpet)  # before hours of training, not after
    settings = settings_of(champion_card)
    dataset = Dataset(data)
    check_same_data(dataset, champion_card)
    # TensorFlow only now: the checks above answer in seconds, not after its import.
    from catsdogs.training import train as keras_train

    keras_train.set_seeds(settings.seed)
    size = settings.image_size
    splits = card_split(dataset, champion_card)
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
        return train_views(bottom, pixels["train"], settings)

    key, views = feature_key(dataset, settings), 2 + settings.augmented_views
    reused: list[str] = []
    base_x = reuse_features(reused, feature_cache, f"{key}-train-{views}views", base_views)
    if len(base_x) != views * expected["train"]:
        raise RetrainError(
            f"the cached base features hold {len(base_x)} rows, not {views} views of the "
            f"champion's {expected['train']} training photos: remove them from the cache"
        )
    val_x = reuse_features(
        reused,
        feature_cache,
        f"{key}-validation",
        lambda: keras_train.cached_features(bottom, pixels["validation"], settings.batch_size),
    )
    extra_pixels, extra = Dataset(feedback).load(feedback_part(manifest, "train"), size)
    log.info("feedback: %d training photos", len(extra))
    train_x = base_x
    if len(extra):
        train_x = np.concatenate([base_x, train_views(bottom, extra_pixels, settings)])
    del base_x
    train_y = np.array(splits["train"].labels * views + extra.labels * views, dtype=np.float32)
    val_y = np.array(splits["validation"].labels, dtype=np.float32)
    members, history = pipeline.fit_members(top, train_x, train_y, val_x, val_y, settings)
    del train_x
    card = build_card(
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
        "neither": manifest.get("neither", {}).get("counts"),
    }
    card["training"]["start"] = START
    card["training"]["champion"] = champion_card.get("version")
    card["training"]["duration_s"] = round(time.monotonic() - started, 1)
    export.write_cards(card, model_path)
    if nonpets is None:
        return card
    pixels.clear()  # the decoded validation and test photos: calibration decodes its own
    card = recalibrate.recalibrate(model_path, data, feedback, manifest, nonpets)
    said = card["neither"]
    log.info(
        "not a cat or a dog: %s, threshold %s; refused: %.2f%% of test pets, %.1f%% of test "
        "non-pets; %s",
        said["detector"], said["threshold"], 100 * said["test"]["refused_pets"],
        100 * said["test"]["refused_nonpets"], said["feedback"],
    )  # fmt: skip
    return card
