"""A registry version before it serves: its folder in the cache, its download, its checks.

The registry's answers are data, never paths or hosts: a version is a folder of the cache only
if MLflow's number names one there (catsdogs/registry/versions.py accepts digits alone).
"""

from __future__ import annotations

import logging
import os
import shutil
from functools import partial
from pathlib import Path

from catsdogs.card import CardError, ModelCard
from catsdogs.registry import int8
from catsdogs.registry.client import RegisteredVersion, Registry, RegistryError, file_sha256
from catsdogs.serving import optimized
from catsdogs.serving.classifier import Classifier
from catsdogs.serving.imaging import ImageError

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
log = logging.getLogger(__name__)


class VersionRefused(Exception):
    """A registry version failed a check; `reason` is a short, bounded code for metrics."""

    def __init__(self, registry_version: str, reason: str, detail: str):
        super().__init__(f"version {registry_version} refused ({reason}): {detail}")
        self.registry_version, self.reason, self.detail = registry_version, reason, detail


def check_photos(folder: Path) -> list[tuple[str, Path]]:
    """The (class, path) pairs of `folder/<class>/*`: photos whose right answer is known."""
    if not folder.is_dir():
        return []
    return [
        (label.name, photo)
        for label in sorted(folder.iterdir())
        if label.is_dir()
        for photo in sorted(label.iterdir())
        if photo.suffix.lower() in PHOTO_SUFFIXES
    ]


def verify(
    version: RegisteredVersion, folder: Path, threads: int, photos: Path, precision: str = "fp32"
) -> Classifier:
    """Load the version downloaded to `folder` (its INT8 copy for `precision` "int8") only if
    every check passes, or raise why not.

    Checks: the ONNX file's sha256 against its card and the registry's tag; the card (an INT8
    copy's records a passed gate); the session (input name, output shape, a warm-up run); the
    photos of known class.
    """
    fp32 = precision == "fp32"
    name, tag = ("catsdogs.onnx", "sha256") if fp32 else (int8.INT8_ONNX, int8.SHA256_TAG)
    model = folder / name
    refuse = partial(VersionRefused, version.registry_version)  # refuse(reason, detail)
    try:
        card = ModelCard.for_model(model)
    except CardError as error:
        raise refuse("card", str(error)) from None
    if not fp32 and not int8.gate_passed(card.data):
        raise refuse("card", f"{name} did not pass its accuracy gate")
    digest = file_sha256(model)
    expected = {card.data.get("sha256"), version.tags.get(tag)}
    if expected != {digest}:
        raise refuse(
            "sha256", f"file {digest[:12]}, card and registry say {sorted(map(str, expected))}"
        )
    try:
        # Checks input name and output shape, and warms up.
        classifier = Classifier(card, threads, folder / optimized.FOLDER)
    except CardError as error:
        raise refuse("load", str(error)) from None
    known = check_photos(photos)
    if not known:
        raise refuse("check_photos", f"no photos of known class in {photos}")
    for label, photo in known:
        try:
            answer = classifier.predict(photo.read_bytes()).label
        except ImageError as error:
            raise refuse("check_photos", f"{photo.name}: {error.message}") from None
        if answer != label:
            raise refuse("check_photos", f"{photo.parent.name}/{photo.name} classified as {answer}")
    return classifier


def cache_folder(cache: Path, registry_version: str) -> Path:
    """The folder of `registry_version` directly inside `cache`, or a RegistryError."""
    folder = cache / registry_version
    if folder.name != registry_version or folder.resolve().parent != cache.resolve():
        shown = registry_version[:40]
        raise RegistryError(f"registry version {shown!r} names no folder in the model cache")
    return folder


def fetch(registry: Registry, version: RegisteredVersion, cache: Path) -> Path:
    """The version's folder in `cache`, downloaded whole first unless it is there already."""
    folder = cache_folder(cache, version.registry_version)
    if not (folder / "catsdogs.onnx").is_file():
        # Named by process: another worker of this service may be fetching the same version.
        unfinished = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
        shutil.rmtree(unfinished, ignore_errors=True)
        registry.download(version, unfinished)
        try:
            unfinished.rename(folder)
        except OSError:  # that other worker's copy landed first: the same files, keep it
            shutil.rmtree(unfinished, ignore_errors=True)
            if not (folder / "catsdogs.onnx").is_file():
                raise
    return folder


def load(
    registry: Registry,
    version: RegisteredVersion,
    folder: Path,
    threads: int,
    photos: Path,
    precision: str,
) -> tuple[Classifier, str]:
    """The version's model in `precision` if it passes every check, and the precision it got:
    an INT8 copy that fails one gives way to the FP32 model, which must pass them all."""
    if precision == "int8":
        try:
            int8.download(registry, version, folder)
            return verify(version, folder, threads, photos, "int8"), "int8"
        except VersionRefused as refused:
            log.warning("%s; its FP32 model answers instead", refused)
    return verify(version, folder, threads, photos), "fp32"
