"""The model-health signals of one prediction, and the fixed bins they are counted in.

Shared by serving (live metrics and drift windows) and training (the card's reference profile),
so that both describe a photo the same way. Knows nothing of Flask or Prometheus.
"""

import bisect
import math
from dataclasses import dataclass

import numpy as np

# Every 4th pixel of every 4th row of the 224x224 model input: 3,136 pixels estimate the
# means within a fraction of a percent, at a twentieth of the cost of all 50,176.
STRIDE = 4
# A photo whose pixels all have channels within this many levels (of 255) of each other is
# grayscale: JPEG's colour noise keeps even gray photos a level or two apart.
GRAY_SPREAD = 4
OTHER = "other"


@dataclass(frozen=True)
class Signal:
    """One measured quantity: numeric with bin upper edges (the last bin is open), or categories."""

    name: str
    group: str  # "prediction", "confidence", "content", "format" or "neither": its alert
    edges: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    def bin(self, value: float | str) -> int:
        """The index of the bin that `value` falls in (a value equal to an edge goes below it)."""
        if self.categories:
            return self.categories.index(value if value in self.categories else OTHER)
        return bisect.bisect_left(self.edges, value)

    @property
    def bins(self) -> list[str]:
        """Bin names: `<=edge` for numeric signals, the category otherwise."""
        if self.categories:
            return list(self.categories)
        return [f"<={edge:g}" for edge in self.edges] + [f">{self.edges[-1]:g}"]


FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "pixels", OTHER)
SIGNALS = (
    Signal("class", "prediction", categories=("cat", "dog")),
    Signal("confidence", "confidence", (0.9, 0.99, 0.999)),
    Signal("entropy", "confidence", (0.01, 0.1, 0.5)),
    Signal("brightness", "content", (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)),
    Signal("contrast", "content", (0.1, 0.15, 0.2, 0.225, 0.25, 0.275, 0.3, 0.35)),
    Signal("saturation", "content", (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)),
    Signal("grayscale", "content", categories=("no", "yes")),
    Signal("width", "format", (100, 150, 200, 300, 500, 1000, 2000, 4000)),
    Signal("height", "format", (100, 150, 200, 300, 500, 1000, 2000, 4000)),
    Signal("aspect_ratio", "format", (0.5, 0.67, 0.8, 0.95, 1.05, 1.25, 1.5, 2.0)),
    Signal("format", "format", categories=FORMATS),
)
# "Not a cat or a dog", from a model whose card names a detector: whether the answer was neither,
# and the detector's score divided by the card's threshold (1 is where refusing begins), so that
# one set of bins serves every detector, whatever the scale of its score. Apart from SIGNALS: a
# model without a detector has none of them, and the profiles of older cards neither.
# On the shipped model's test split (1st-99th percentile) pets score 0.24-1.0 (median 0.5),
# non-pet images 0.95-1.7.
DETECTOR = (
    Signal("neither", "neither", categories=("no", "yes")),
    Signal("neither_score", "neither", (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5)),
)
ALL_SIGNALS = (*SIGNALS, *DETECTOR)
BY_NAME = {signal.name: signal for signal in ALL_SIGNALS}


def describe_image(pixels: np.ndarray, file_format: str, size: tuple[int, int] | None) -> dict:
    """Brightness, contrast, saturation, grayscale, format and size of one photo.

    `pixels` is the (height, width, 3) uint8 model input; `size` the photo's own width and
    height (None for pixels sent as a tensor, whose original size is unknown).
    """
    sample = pixels[::STRIDE, ::STRIDE]
    # One array per channel: reductions over a length-3 axis cost several times more.
    red, green, blue = (sample[..., channel].astype(np.int32) for channel in range(3))
    top = np.maximum(np.maximum(red, green), blue)
    spread = top - np.minimum(np.minimum(red, green), blue)
    luma = (red * 299 + green * 587 + blue * 114) * (1 / 255_000)  # ITU-R BT.601, as Pillow's L
    values = {
        "brightness": float(luma.mean()),
        "contrast": float(luma.std()),
        # HSV saturation, (max - min) / max, with black pixels counted as unsaturated
        "saturation": float((spread / np.maximum(top, 1)).mean()),
        "grayscale": "yes" if float(spread.max()) <= GRAY_SPREAD else "no",
        "format": file_format if file_format in FORMATS else OTHER,
    }
    if size:
        width, height = size
        values.update(width=width, height=height, aspect_ratio=width / height)
    return values


def describe_answer(probabilities: dict[str, float], label: str) -> dict:
    """The predicted class, its confidence and the answer's entropy in bits."""
    entropy = -sum(p * math.log2(p) for p in probabilities.values() if p > 0)
    return {"class": label, "confidence": probabilities[label], "entropy": entropy}


def describe_detector(neither: bool, score: float | None, threshold: float) -> dict:
    """Whether the answer was "not a cat or a dog", and the detector's score over its threshold.

    {} for a model without a detector (`score` None); no score signal for a threshold that is
    not a positive number, whose ratio would mean nothing.
    """
    if score is None:
        return {}
    values: dict = {"neither": "yes" if neither else "no"}
    if 0 < threshold < math.inf:
        values["neither_score"] = score / threshold
    return values


def bins_of(values: dict) -> dict[str, int]:
    """{signal: bin index} for the signals present in `values`."""
    return {name: BY_NAME[name].bin(value) for name, value in values.items() if name in BY_NAME}
