"""The versioned feedback dataset: reviewed training photos written as PetImages + a manifest.

Only labels a reviewer confirmed or corrected are exported. A fixed share of the photos is held
out for evaluation, chosen by each photo's own hash: a photo never moves between the parts when
others are added, so the hold-out figures of successive retrains stay comparable. Photos
labelled neither a cat nor a dog go into `neither/`, listed apart: the cats and dogs that
training reads are the same with or without them.
"""

import datetime
import json
import shutil
from pathlib import Path

from sqlalchemy import select

from catsdogs.extensions import db
from catsdogs.store.feedback_manifest import (
    FOLDERS,
    FORMAT,
    HOLDOUT_RULE,
    MANIFEST,
    NAME,
    NEITHER,
    NEITHER_USE,
    ExportError,
    content_hash,
    counts,
    is_export,
    neither_counts,
    part_of,
)
from catsdogs.store.tables import TrainingPhoto

LABEL_SOURCES = {"confirmed": "feedback confirmed", "corrected": "reviewer corrected"}
EMPTY = (
    "0 reviewed photos: review some on /review first, or pass --allow-empty to go on without "
    "(make retrain RETRAIN_ARGS=--allow-empty)"
)


def in_utc(moment: datetime.datetime | None) -> str | None:
    """ISO 8601 with its offset, like exported_at: SQLite gives back naive times, stored in UTC."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)).isoformat()


def reviewed_photos() -> list[TrainingPhoto]:
    """Photos whose label a reviewer confirmed or corrected, oldest first."""
    query = (
        select(TrainingPhoto)
        .where(TrainingPhoto.review.in_(tuple(LABEL_SOURCES)))
        .order_by(TrainingPhoto.id)
    )
    return list(db.session.scalars(query))


def export(out: Path, allow_empty: bool = False) -> dict:
    """Write the reviewed photos and the manifest into `out`; return the manifest.

    `out` must be missing, empty, or an earlier export (which is replaced whole). No reviewed
    photo is an ExportError unless `allow_empty`: a retrain on nothing new costs minutes for
    a candidate that only repeats the champion.
    """
    rows = reviewed_photos()
    if not rows and not allow_empty:
        raise ExportError(EMPTY)
    prepare(out)
    photos: list[dict] = []
    neither: list[dict] = []  # apart: no class is trained on them
    seen, duplicates = set(), 0
    for row in rows:
        if row.sha256 in seen:  # the same photo sent twice is one example, not two
            duplicates += 1
            continue
        seen.add(row.sha256)
        label, review = row.label, row.review
        assert label is not None and review is not None  # reviewed_photos: both are set
        folder = NEITHER if label == NEITHER else f"PetImages/{FOLDERS[label]}"
        file = f"{folder}/{row.sha256[:16]}.jpg"
        entry = {
            "photo_id": row.id,
            "prediction_id": row.prediction_id,
            "sha256": row.sha256,
            "label": label,
            "label_source": LABEL_SOURCES[review],
            "reviewer": row.reviewer,
            "reviewed_at": in_utc(row.reviewed_at),
            "part": part_of(row.sha256),
            "file": file,
        }
        path = out / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(row.jpeg)
        (neither if label == NEITHER else photos).append(entry)
    manifest = {
        "format": FORMAT,
        "name": NAME,
        "content_hash": content_hash(photos + neither),
        "exported_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "holdout_rule": HOLDOUT_RULE,
        "counts": counts(photos),
        "duplicates_skipped": duplicates,
        "photos": photos,
        NEITHER: {
            "folder": f"{NEITHER}/",
            "use": NEITHER_USE,
            "counts": neither_counts(neither),
            "photos": neither,
        },
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def prepare(out: Path) -> None:
    """Make `out` ready: refuse a folder holding anything but an earlier export."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not is_export(out):
            raise ExportError(
                f"{out} is not empty and holds no earlier export ({MANIFEST} of {FORMAT}): "
                "choose an empty or new folder"
            )
        (out / MANIFEST).unlink()
        for written in ("PetImages", NEITHER):
            shutil.rmtree(out / written, ignore_errors=True)
        if any(out.iterdir()):
            raise ExportError(f"{out} holds files an export did not write: remove them first")
    out.mkdir(parents=True, exist_ok=True)
