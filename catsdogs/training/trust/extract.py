"""Run a model with the extra outputs over photos once, and keep what it says under build/."""

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import onnxruntime as ort

from catsdogs.serving.imaging import ImageError, load_rgb
from catsdogs.store.petimages import Dataset, Split

log = logging.getLogger(__name__)
CHUNK = 256  # photos decoded at a time: a whole split would take gigabytes of pixels


def session(path: Path | str, threads: int = 1) -> ort.InferenceSession:
    """An ONNX Runtime session set up as the Classifier's: one thread, no spinning."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run(runner: ort.InferenceSession, pixels: np.ndarray, batch: int = 32) -> dict:
    """Every output of `runner` for (n, h, w, 3) uint8 pixels, by output name."""
    name = runner.get_inputs()[0].name
    names = [o.name for o in runner.get_outputs()]
    parts: dict[str, list] = {n: [] for n in names}
    for start in range(0, len(pixels), batch):
        feed = {name: pixels[start : start + batch].astype(np.float32)}
        for key, value in zip(names, runner.run(None, feed), strict=True):
            parts[key].append(value)
    return {key: np.concatenate(value) for key, value in parts.items()}


def pet_chunks(dataset: Dataset, split: Split, size: int) -> Iterator[tuple[np.ndarray, Split]]:
    """The split's photos decoded `CHUNK` at a time, as serving decodes them."""
    for start in range(0, len(split), CHUNK):
        part = Split(split.files[start : start + CHUNK], split.labels[start : start + CHUNK])
        yield dataset.load(part, size)


def image_chunks(files: list[Path], size: int) -> Iterator[tuple[np.ndarray, list[Path]]]:
    """Image files decoded `CHUNK` at a time; unreadable ones are left out."""
    for start in range(0, len(files), CHUNK):
        pixels, kept = [], []
        for path in files[start : start + CHUNK]:
            try:
                pixels.append(load_rgb(path.read_bytes(), (size, size)))
            except ImageError as error:
                log.warning("skipping %s: %s", path, error.message)
                continue
            kept.append(path)
        yield np.stack(pixels) if pixels else np.empty((0, size, size, 3), np.uint8), kept


def outputs_of(runner: ort.InferenceSession, chunks: Iterator, total: int, what: str) -> dict:
    """`run` over chunks of (pixels, names), with the names kept as `files`; logs progress."""
    parts: dict[str, list] = {}
    names: list[str] = []
    started = time.monotonic()
    for pixels, kept in chunks:
        for key, value in run(runner, pixels).items():
            parts.setdefault(key, []).append(value)
        names.extend(str(n) for n in (kept.files if isinstance(kept, Split) else kept))
        log.info("%s: %d/%d photos, %.0f s", what, len(names), total, time.monotonic() - started)
    result = {key: np.concatenate(value) for key, value in parts.items()}
    result["files"] = np.array(names)
    return result


def cached(path: Path, compute: Callable[[], dict]) -> dict:
    """compute(), or the copy an earlier run saved at `path` (an .npz)."""
    if path.exists():
        log.info("reusing %s", path)
        with np.load(path) as saved:
            return dict(saved)
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **result)
    return result


def nonpet_files(folder: Path, manifest: dict, part: str) -> tuple[list[Path], list[str]]:
    """The images of one part (calibration or test) of a non-pet set, and their kinds."""
    chosen = [e for e in manifest["images"] if e["part"] == part]
    return [folder / e["file"] for e in chosen], [e["kind"] for e in chosen]


def pet_outputs(runner: ort.InferenceSession, dataset: Dataset, parts: dict, folder: Path) -> dict:
    """The probe's outputs for each part of the card's split, cached in `folder`."""
    size = runner.get_inputs()[0].shape[1]
    result = {}
    for part, split in parts.items():

        def compute(part: str = part, split: Split = split) -> dict:
            outputs = outputs_of(runner, pet_chunks(dataset, split, size), len(split), part)
            kept = {name: label for name, label in zip(split.files, split.labels, strict=True)}
            outputs["labels"] = np.array([kept[str(n)] for n in outputs["files"]])
            return outputs

        result[part] = cached(folder / f"{part}.npz", compute)
    return result


def nonpet_outputs(runner: ort.InferenceSession, nonpet: Path, folder: Path) -> tuple[dict, str]:
    """The probe's outputs for each part of the non-pet set, with each image's kind; and the
    digest of the manifest they follow (the set may be rebuilt: it names the cache)."""
    size = runner.get_inputs()[0].shape[1]
    manifest = (nonpet / "manifest.json").read_bytes()
    digest = hashlib.sha256(manifest).hexdigest()
    result = {}
    for part in ("calibration", "test"):
        files, kinds = nonpet_files(nonpet, json.loads(manifest), part)

        def compute(files: list[Path] = files, kinds: list[str] = kinds, part: str = part) -> dict:
            outputs = outputs_of(runner, image_chunks(files, size), len(files), f"non-pet {part}")
            kind = dict(zip(map(str, files), kinds, strict=True))
            outputs["kinds"] = np.array([kind[str(n)] for n in outputs["files"]])
            return outputs

        result[part] = cached(folder / f"nonpet-{digest[:8]}-{part}.npz", compute)
    return result, digest
