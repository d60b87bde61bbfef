"""The feedback dataset's manifest: its parts, counts and content hash (no database, no
TensorFlow: read by the export in the app and by training)."""

import hashlib
import json
from pathlib import Path

from catsdogs.card import CLASSES

# /2 adds the photos labelled neither a cat nor a dog, listed apart; a /1 export has none.
FORMAT = "catsdogs-feedback-dataset/2"
READABLE = ("catsdogs-feedback-dataset/1", FORMAT)
NAME = "catsdogs-feedback"
MANIFEST = "manifest.json"
FOLDERS = {"cat": "Cat", "dog": "Dog"}  # the PetImages layout training reads
NEITHER = "neither"  # the label, and the folder beside PetImages/: no class reads it
NEITHER_USE = (
    "neither a cat nor a dog: trains no class; a retrain adds the train part to the non-pet "
    "calibration images of its 'not a cat or a dog' detector and measures the holdout part"
)
PARTS = ("train", "holdout")
HOLDOUT_EVERY = 5  # one photo in five (20%) is held out
HOLDOUT_RULE = f"int(sha256[:8], 16) % {HOLDOUT_EVERY} == 0"


class ExportError(Exception):
    """The export cannot be written where asked."""


def part_of(sha256: str) -> str:
    """'holdout' or 'train', from the photo's hash alone; the same in every class, so the
    share held out is the same in each class up to rounding."""
    return "holdout" if int(sha256[:8], 16) % HOLDOUT_EVERY == 0 else "train"


def content_hash(photos: list[dict]) -> str:
    """sha256 over the sorted (sha256, label, part) entries: same reviewed photos, same hash.
    The neither photos count too: they change what a retrain calibrates on."""
    digest = hashlib.sha256()
    for entry in sorted((p["sha256"], p["label"], p["part"]) for p in photos):
        digest.update(("\t".join(entry) + "\n").encode())
    return digest.hexdigest()


def counts(photos: list[dict]) -> dict:
    """Photos per part and class, and in all."""
    found = {part: dict.fromkeys(CLASSES, 0) for part in PARTS}
    for photo in photos:
        found[photo["part"]][photo["label"]] += 1
    return found | {"total": len(photos)}


def neither_counts(photos: list[dict]) -> dict:
    """Neither photos per part, and in all."""
    found = dict.fromkeys(PARTS, 0)
    for photo in photos:
        found[photo["part"]] += 1
    return found | {"total": len(photos)}


def neither_photos(manifest: dict) -> list[dict]:
    """The export's photos labelled neither (none in a /1 export)."""
    return manifest.get(NEITHER, {}).get("photos", [])


def is_export(folder: Path) -> bool:
    try:
        return json.loads((folder / MANIFEST).read_text()).get("format") in READABLE
    except (OSError, ValueError, AttributeError):
        return False


class ManifestError(Exception):
    """The folder is not a usable feedback export."""


def read(folder: Path) -> dict:
    """The manifest of an export in `folder`, checked: format, content hash, files present."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise ManifestError(f"{folder} holds no readable {MANIFEST}: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") not in READABLE:
        raise ManifestError(f"{folder / MANIFEST} is not a {FORMAT} manifest")
    try:
        photos = manifest["photos"] + neither_photos(manifest)
        if content_hash(photos) != manifest["content_hash"]:
            raise ManifestError(f"{folder / MANIFEST}: the photos do not match the content hash")
        missing = [p["file"] for p in photos if not (folder / p["file"]).is_file()]
    except (KeyError, TypeError, AttributeError) as error:
        raise ManifestError(f"{folder / MANIFEST} is malformed: {error!r}") from None
    if missing:
        raise ManifestError(f"{folder}: {len(missing)} photos are missing, e.g. {missing[0]}")
    return manifest
