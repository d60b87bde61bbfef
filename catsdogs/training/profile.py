"""The reference profile: what the model's inputs and answers look like on the validation split.

Computed with ONNX Runtime alone, so `python -m catsdogs.training profile` (make profile)
regenerates it for a shipped model without TensorFlow and without retraining.
"""

import datetime
import json
import logging
from pathlib import Path

import numpy as np

from catsdogs.card import CLASSES, ModelCard
from catsdogs.monitoring import signals
from catsdogs.serving import imaging
from catsdogs.store.petimages import Dataset, Split, card_split
from catsdogs.training import export
from catsdogs.training.report import render_markdown

log = logging.getLogger(__name__)
PART = "validation"


def compute(
    dataset: Dataset, split: Split, model_path: Path, size: int, method: str, threshold: float
) -> dict:
    """Decode each photo as serving does, predict with ONNX Runtime, count every signal's bins."""
    described, pixels = [], []
    for name in split.files:
        image, source = imaging.decode_with_source(dataset.read(name), (size, size))
        pixels.append(imaging.resize(image, (size, size), method))
        described.append(signals.describe_image(pixels[-1], source.format, source.size))
    scores = export.predict(model_path, np.stack(pixels))
    for values, row in zip(described, scores, strict=True):
        probabilities = dict(zip(CLASSES, map(float, row), strict=True))
        label = CLASSES[int(probabilities[CLASSES[1]] >= threshold)]
        values.update(signals.describe_answer(probabilities, label))
    log.info("reference profile: %d %s images", len(described), PART)
    return summarise(described, split_name=PART)


def summarise(described: list[dict], split_name: str = PART) -> dict:
    """The profile of described predictions: per signal, its bins, their shares and the mean."""
    profile = {}
    for signal in signals.SIGNALS:
        values = [row[signal.name] for row in described if signal.name in row]
        counts = np.bincount([signal.bin(v) for v in values], minlength=len(signal.bins))
        entry = {"bins": signal.bins, "shares": [round(int(c) / len(values), 6) for c in counts]}
        if signal.edges:
            entry["edges"] = list(signal.edges)
            entry["mean"] = round(float(np.mean(values)), 6)
        profile[signal.name] = entry
    return {
        "split": split_name,
        "images": len(described),
        "date": datetime.date.today().isoformat(),
        "signals": profile,
    }


def regenerate(dataset_path: Path, model_path: Path) -> dict:
    """Recompute the profile of a trained model and write it into its JSON and Markdown cards."""
    card = ModelCard.for_model(model_path)
    dataset = Dataset(dataset_path)
    if dataset.path.name != card.data["dataset"]["name"]:
        log.warning(
            "the card was trained on %s, not %s", card.data["dataset"]["name"], dataset.path
        )
    split = card_split(dataset, card.data)[PART]
    size = card.input_size[0]
    profile = compute(dataset, split, Path(model_path), size, card.resize_method, card.threshold)
    data = {**card.data, "reference_profile": profile}
    Path(model_path).with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n")
    Path(model_path).with_suffix(".md").write_text(render_markdown(data))
    return profile
