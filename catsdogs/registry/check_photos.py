"""Photos of known class registered with each model version: serving refuses a version that
gets one wrong (catsdogs/serving/served_models.py).
Drawn from the card's own test split, never trained on; written for trained and packaged models."""

import json
import tempfile
from pathlib import Path

from catsdogs.card import CLASSES
from catsdogs.serving.classifier import load_classifier
from catsdogs.serving.imaging import ImageError
from catsdogs.store.petimages import Dataset, card_split

PER_CLASS = 4
# Only photos the model gets right with this confidence: easy ones, that any model fit to
# serve also gets right; a hard photo would refuse good versions by chance.
CONFIDENT = 0.99


def write_check_photos(dataset: Path, model: Path, folder: Path | None = None) -> Path:
    """Write PER_CLASS test photos per class into `folder/<class>/` (a new temporary folder by
    default) and return the folder."""
    folder = Path(folder or tempfile.mkdtemp(prefix="catsdogs-checks-"))
    card = json.loads(model.with_suffix(".json").read_text())
    photos = Dataset(dataset)
    test = card_split(photos, card)["test"]
    classifier = load_classifier(str(model))
    kept = dict.fromkeys(CLASSES, 0)
    for name, label in zip(test.files, test.labels, strict=True):
        expected = CLASSES[label]
        if kept[expected] == PER_CLASS:
            if all(count == PER_CLASS for count in kept.values()):
                break
            continue
        data = photos.read(name)
        try:
            prediction = classifier.predict(data)
        except ImageError:
            continue
        if prediction.label == expected and prediction.confidence >= CONFIDENT:
            (folder / expected).mkdir(parents=True, exist_ok=True)
            (folder / expected / Path(name).name).write_bytes(data)
            kept[expected] += 1
    return folder
