"""The last champion this service verified, remembered beside it in the model cache.

A service that starts while the registry is unreachable serves that champion again (its file
checked against the sha256 recorded here) rather than fall back to the packaged model, which
may be several versions behind what users were getting.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from catsdogs.card import CardError
from catsdogs.registry import int8
from catsdogs.registry.client import RegistryError
from catsdogs.registry.versions import NUMBER, RegisteredVersion
from catsdogs.serving.candidates import VersionRefused, cache_folder, verify
from catsdogs.serving.classifier import Classifier

RECORD = "champion.json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Remembered:
    """A champion as it was verified: which version, its file's sha256, when."""

    registry_version: str
    model_version: str
    sha256: str
    verified_at: str
    precision: str = "fp32"  # "int8": the sha256 is the version's INT8 copy's

    def as_version(self) -> RegisteredVersion:
        """The version as serving's checks read it, from what was recorded (not the registry)."""
        tag = int8.SHA256_TAG if self.precision == "int8" else "sha256"
        tags = {tag: self.sha256, "card_version": self.model_version}
        return RegisteredVersion(self.registry_version, None, "", tags, (), None)


def remember(
    cache: Path, registry_version: str, model_version: str, sha256: str, precision: str = "fp32"
) -> None:
    """Record the champion just verified; a failure to write costs only the memory."""
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    record = Remembered(registry_version, model_version, sha256, now, precision)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        unfinished = cache / f"{RECORD}.{os.getpid()}.partial"  # workers share the cache
        unfinished.write_text(json.dumps(asdict(record)))
        os.replace(unfinished, cache / RECORD)  # never a half-written record
    except OSError as error:
        log.warning("cannot remember champion %s in %s: %s", registry_version, cache, error)


def recall(cache: Path) -> Remembered | None:
    """The champion remembered in `cache`; None if none was, or the record is unreadable."""
    try:
        data = json.loads((cache / RECORD).read_text())
        fields = Remembered.__dataclass_fields__  # a record written before INT8 has no precision
        record = Remembered(**{k: str(data[k]) for k in fields if k != "precision" or k in data})
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("the remembered champion in %s is unreadable: %s", cache, error)
        return None
    return record if NUMBER.fullmatch(record.registry_version) else None


@dataclass(frozen=True)
class Recalled:
    """What a start without the registry serves: the remembered champion (`classifier` and its
    `registry_version`), or None for the packaged model; `why`, in words for the log."""

    classifier: Classifier | None
    registry_version: str | None
    why: str
    precision: str = "fp32"


def load(cache: Path, threads: int, check_folder: Path | None) -> Recalled:
    """The remembered champion, loaded if its file and card pass serving's checks again (the
    sha256 recorded here, the card's, the photos of known class); else why not."""
    record = recall(cache)
    if record is None:
        return Recalled(None, None, "no champion was verified here before")
    number = record.registry_version
    try:
        folder = cache_folder(cache, number)
        photos = check_folder or folder / "checks"
        classifier = verify(record.as_version(), folder, threads, photos, record.precision)
    except (VersionRefused, CardError, OSError, RegistryError) as refused:
        why = f"the cached champion, registry version {number}, failed its checks: {refused}"
        return Recalled(None, None, why)
    verified = (
        f"the last champion this service verified ({record.verified_at}), from the model cache"
    )
    return Recalled(classifier, number, verified, record.precision)
