"""Train an EfficientNet-Lite model end to end: cached bottom, fine-tuned tops, ONNX, card."""

from __future__ import annotations

import copy
import logging
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime
import torch

from catsdogs.store.petimages import Dataset
from catsdogs.training import export
from catsdogs.training.describe import PARITY_IMAGES, card_for, dataset_section
from catsdogs.training.features import reuse_features
from catsdogs.training.lite import bottom as frozen
from catsdogs.training.lite.fit import fit
from catsdogs.training.lite.network import Bottom, Classifier, Top, pretrained
from catsdogs.training.lite.settings import LiteSettings
from catsdogs.training.pipeline import load_planned_splits

log = logging.getLogger(__name__)


def train(
    dataset_path: Path, model_path: Path, settings: LiteSettings, feature_cache: Path | None = None
) -> dict:
    """Train, export to `model_path` with its cards, return the JSON card.

    `feature_cache`, a folder, keeps the frozen bottom's outputs between runs that share the
    data, backbone, size, cut, seed and subset."""
    started = time.monotonic()
    torch.manual_seed(settings.seed)
    dataset = Dataset(dataset_path)
    size = settings.image_size
    pixels, splits, skipped = load_planned_splits(dataset, settings)
    network = pretrained(settings.backbone)
    bottom = Bottom(network, settings.cut).eval()
    key = (
        f"{dataset.sha256()[:16]}-{settings.backbone}-{size}px-cut{settings.cut}"
        f"-seed{settings.seed}-{settings.max_images_per_class or 'all'}"
    )
    reused: list[str] = []
    with tempfile.TemporaryDirectory() as work:

        def cached(name: str, part: str, mirror: bool = False) -> np.ndarray:
            return reuse_features(
                reused, feature_cache, f"{key}-{name}",
                lambda: frozen.features(bottom, size, pixels[part], Path(work), mirror),
            )  # fmt: skip

        views = [cached("train", "train")]
        if settings.mirrored_view:
            views.append(cached("train-mirrored", "train", mirror=True))
        validation = cached("validation", "validation")
    labels = np.array(splits["train"].labels)
    val_labels = np.array(splits["validation"].labels)
    tops, histories = [], []
    for member in range(settings.ensemble):
        top = Top(copy.deepcopy(network), settings.cut, settings.dropout)
        seed = settings.seed + member
        histories.append(fit(top, views, labels, (validation, val_labels), settings, seed))
        tops.append(top.eval())
    del views
    classifier = Classifier(bottom, tops).eval()
    model_path.parent.mkdir(parents=True, exist_ok=True)
    frozen.export_onnx(classifier, size, model_path)
    parity = check_parity(classifier, model_path, pixels["validation"][:PARITY_IMAGES])
    section = dataset_section(dataset, splits, skipped, settings.seed)
    training = {
        "settings": settings.as_dict(),
        "history": histories[0] if len(histories) == 1 else {"members": histories},
        "versions": _versions(),
    }
    architecture = (
        f"{settings.backbone} (ImageNet weights, PyTorch) fine-tuned from block {settings.cut}, "
        "global average pooling, dropout, sigmoid"
        + (f"; {settings.ensemble} fine-tuned tops averaged" if settings.ensemble > 1 else "")
    )
    card = card_for(
        model_path, f"catsdogs-{settings.backbone}", architecture, parity, dataset, section,
        pixels, splits, training, bool(reused),
    )  # fmt: skip
    card["training"]["duration_s"] = round(time.monotonic() - started, 1)
    # ru_maxrss is in KiB on Linux: the process's peak, the cached features included
    card["training"]["peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    export.write_cards(card, model_path)
    return card


def check_parity(classifier: Classifier, path: Path, pixels: np.ndarray) -> dict:
    """PyTorch and ONNX Runtime on the same photos; raise ParityError above the tolerance."""
    with torch.no_grad():
        expected = classifier(torch.from_numpy(pixels.astype(np.float32))).numpy()
    difference = float(np.max(np.abs(export.predict(path, pixels) - expected)))
    log.info("parity on %d images: max abs difference %.2e", len(pixels), difference)
    if not difference <= export.PARITY_TOLERANCE:
        raise export.ParityError(
            f"ONNX export differs from PyTorch by {difference:.2e} "
            f"(> {export.PARITY_TOLERANCE:.0e}) on {len(pixels)} images"
        )
    return {
        "images": int(len(pixels)),
        "max_abs_difference": difference,
        "tolerance": export.PARITY_TOLERANCE,
    }


def _versions() -> dict:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
    }
