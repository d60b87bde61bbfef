"""Which registered versions were trained on which kept photos, and the mark of those trained on
a photo erased since.

A retrained version's run holds the feedback export's manifest (every photo's sha256); the
version's `training_manifest` tag names it. Each manifest is read once and cached on disk per
run, as the set of its photos' sha256. A version trained on erased photos carries the tag
`erased_training_photos` (how many, and since when): in MLflow, so it outlives restarts and every
replica and `flask models` see it. Knows nothing of Flask or the database.
"""

import datetime
import json
import logging
import os
import re
import tempfile
from collections.abc import Collection
from dataclasses import asdict, dataclass
from pathlib import Path

from catsdogs.registry.client import Registry, RegistryError
from catsdogs.registry.versions import RegisteredVersion
from catsdogs.store import feedback_manifest

log = logging.getLogger(__name__)
MANIFEST_TAG = "training_manifest"  # version tag: the manifest's path among its run's artifacts
MARK_TAG = "erased_training_photos"
RETRAIN = "retrain"  # trained_models.RETRAIN: the origin of retrained versions, older ones untagged
RUN_ID = re.compile(r"[0-9a-f]{32}")  # MLflow's run ids; anything else never names a file here


@dataclass(frozen=True)
class Mark:
    """How many erased photos a version was trained on, and when it was first marked."""

    count: int
    since: str  # ISO time of the first mark

    def tag_value(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def of(cls, version: RegisteredVersion) -> "Mark | None":
        """The version's mark; None when it has none (or an unreadable one)."""
        try:
            value = json.loads(version.tags[MARK_TAG])
            return cls(int(value["count"]), str(value["since"]))
        except (KeyError, TypeError, ValueError):
            return None


def manifest_tags() -> dict[str, str]:
    """The version tags of a retrained version: where its run keeps the training manifest."""
    return {MANIFEST_TAG: feedback_manifest.MANIFEST}


def manifest_path(version: RegisteredVersion) -> str | None:
    """The manifest's path in the version's run, or None: the version was not trained on kept
    photos (the packaged model, a model trained on the base data)."""
    if not version.run_id:
        return None
    if MANIFEST_TAG in version.tags:
        return version.tags[MANIFEST_TAG]
    return feedback_manifest.MANIFEST if version.tags.get("origin") == RETRAIN else None


def photos_in(manifest: dict) -> frozenset[str]:
    """The sha256 of every photo an export lists: the trained part, the held-out part (it
    decided the gate) and the neither photos (they calibrate the detector)."""
    entries = manifest.get("photos", []) + feedback_manifest.neither_photos(manifest)
    return frozenset(str(entry["sha256"]) for entry in entries)


def erased_count(photos: frozenset[str], erased: Collection[str]) -> int:
    """How many of a version's photos were erased."""
    return len(photos.intersection(erased))


def marked(version: RegisteredVersion, count: int, now: datetime.datetime) -> Mark | None:
    """The mark `version` should carry for `count` erased photos; None when its tag already
    says so (nothing to write). The first mark's time is kept."""
    current = Mark.of(version)
    if count == 0 or (current is not None and current.count == count):
        return None
    return Mark(count, current.since if current else now.isoformat(timespec="seconds"))


class Manifests:
    """The photos of each version's training manifest, read from MLflow once per run and kept
    in `folder` (one small JSON list of sha256 per run)."""

    def __init__(self, registry: Registry, folder: Path):
        self.registry, self.folder = registry, folder

    def photos(self, version: RegisteredVersion) -> frozenset[str] | None:
        """The sha256 of the photos the version was trained on; None without a manifest.
        RegistryError when MLflow does not answer (asked again at the next poll)."""
        path, run_id = manifest_path(version), version.run_id
        if path is None or run_id is None or not RUN_ID.fullmatch(run_id):
            return None
        cached = self.folder / f"{run_id}.json"
        if cached.is_file():
            listed = json.loads(cached.read_text())
            return None if listed is None else frozenset(listed)
        photos = self._download(run_id, path)
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.part")  # workers share the folder
        partial.write_text(json.dumps(None if photos is None else sorted(photos)))
        partial.replace(cached)
        return photos

    def _download(self, run_id: str, path: str) -> frozenset[str] | None:
        location = self.registry.runs.artifacts(run_id)
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / feedback_manifest.MANIFEST
            try:
                self.registry.rest.download(location, path, target)
            except RegistryError as error:
                if error.status != 404:
                    raise
                log.warning("run %s has no %s: its version is not checked for erasures", run_id,
                            path)  # fmt: skip
                return None
            try:
                return photos_in(json.loads(target.read_text()))
            except (ValueError, KeyError, TypeError, AttributeError):
                log.warning("run %s: %s is unreadable: not checked for erasures", run_id, path)
                return None


def mark(registry: Registry, version: RegisteredVersion, new: Mark) -> None:
    """Tag `version` with its mark, and say so in the log."""
    registry.set_tag(version.registry_version, MARK_TAG, new.tag_value())
    log.warning(
        "registry version %s was trained on %d erased photo(s): retrain without them and "
        "archive it (docs/personal-data.md)",
        version.registry_version,
        new.count,
    )
