"""The reference profile: what the model's inputs and answers look like on the validation split.

Computed with ONNX Runtime alone, so `python -m catsdogs.training profile` (make profile)
regenerates it for a shipped model without TensorFlow and without retraining.
"""

import datetime
import json
import logging
from pathlib import Path

import numpy as np

from catsdogs.card import CLASSES, INF, ModelCard
from catsdogs.monitoring import signals
from catsdogs.serving import imaging
from catsdogs.store.petimages import Dataset, Split, card_split
from catsdogs.training import export
from catsdogs.training.report import render_markdown

log = logging.getLogger(__name__)
PART = "validation"
# Not "neither": its reference is the test split's refused share (monitoring/reference.py), not
# the validation split's that set the threshold; the score's bins above 1 hold that one anyway.
PROFILED = (*signals.SIGNALS, signals.BY_NAME["neither_score"])


def compute(
    dataset: Dataset,
    split: Split,
    model_path: Path,
    size: int,
    method: str,
    threshold: float,
    neither_output: str | None = None,
    neither_above: float = INF,
) -> dict:
    """Decode each photo as serving does, predict with ONNX Runtime, count every signal's bins.

    `neither_output` names the detector's score of a model that has one, `neither_above` the
    card's threshold: the score joins the profile, divided by the threshold as serving does.
    """
    described, pixels = [], []
    for name in split.files:
        image, source = imaging.decode_with_source(dataset.read(name), (size, size))
        pixels.append(imaging.resize(image, (size, size), method))
        described.append(signals.describe_image(pixels[-1], source.format, source.size))
    scores, detector = run(model_path, np.stack(pixels), neither_output)
    for index, (values, row) in enumerate(zip(described, scores, strict=True)):
        probabilities = dict(zip(CLASSES, map(float, row), strict=True))
        label = CLASSES[int(probabilities[CLASSES[1]] >= threshold)]
        values.update(signals.describe_answer(probabilities, label))
        if detector is not None:
            # A Python float, as serving compares: in float32 a score that rounds to the
            # threshold would not count as above it, and the profile would refuse fewer photos.
            score = float(detector[index])
            values.update(signals.describe_detector(score > neither_above, score, neither_above))
    log.info("reference profile: %d %s images", len(described), PART)
    return summarise(described, split_name=PART)


def run(
    model_path: Path, pixels: np.ndarray, neither_output: str | None, batch: int = 64
) -> tuple[np.ndarray, np.ndarray | None]:
    """The (n, classes) probabilities of uint8 pixels, and the detector's n scores (or None)."""
    runner = export.session(model_path)
    names = [runner.get_outputs()[0].name, *filter(None, [neither_output])]
    feed = runner.get_inputs()[0].name
    chunks = [
        runner.run(names, {feed: pixels[i : i + batch].astype(np.float32)})
        for i in range(0, len(pixels), batch)
    ]
    scores = np.concatenate([chunk[0] for chunk in chunks])
    if neither_output is None:
        return scores, None
    return scores, np.concatenate([np.reshape(chunk[1], -1) for chunk in chunks])


def summarise(described: list[dict], split_name: str = PART) -> dict:
    """The profile of described predictions: per signal, its bins, their shares and the mean.

    A signal no prediction has (the detector's score, for a model without one) is left out.
    """
    profile = {}
    for signal in PROFILED:
        values = [row[signal.name] for row in described if signal.name in row]
        if not values:
            continue
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
    profile = compute(
        dataset,
        split,
        Path(model_path),
        size,
        card.resize_method,
        card.threshold,
        card.neither_output,
        card.neither_above,
    )
    data = {**card.data, "reference_profile": profile}
    Path(model_path).with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n")
    Path(model_path).with_suffix(".md").write_text(render_markdown(data))
    return profile
