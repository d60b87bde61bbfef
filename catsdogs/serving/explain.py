"""Why the model answered: the class activation map of the class it chose, as a grid, a place
and a picture of the map over the photo as the model saw it. Built per request, never stored:
the photo may have come without consent to keep it."""

import base64
import io

import numpy as np
from PIL import Image

from catsdogs.serving.classifier import Answer

# Matplotlib's viridis at ten even stops: perceptually uniform and readable by people who do not
# see red and green apart, so a brighter cell always means "looked more", whatever one's eyes.
VIRIDIS = "440154 482878 3e4989 31688e 26828e 1f9e89 35b779 6ece58 b5de2b fde725".split()
OPACITY = 0.5  # enough colour to read the map, enough photo to see what it covers
QUALITY = 80  # about 10 KB for the shipped model's 224x224 overlay; the map is blurry anyway
# Where the hottest cell lies, by thirds of the photo (rows, then columns).
PLACES = (
    ("top_left", "top", "top_right"),
    ("left", "centre", "right"),
    ("bottom_left", "bottom", "bottom_right"),
)
EVENLY = "evenly"  # a flat map: no cell stands out
NO_MAP = "model_without_activation_map"  # why a model cannot explain itself


def _palette(stops: list[str]) -> list[int]:
    """A 256-colour palette (red, green, blue of each level in turn) interpolated between
    `stops`."""
    colours = np.array([[int(stop[i : i + 2], 16) for i in (0, 2, 4)] for stop in stops])
    levels = np.linspace(0, len(stops) - 1, 256)
    steps = np.arange(len(stops))
    channels = [np.interp(levels, steps, colours[:, c]) for c in range(3)]
    return np.stack(channels, axis=1).round().astype(int).ravel().tolist()


PALETTE = _palette(VIRIDIS)


def explanation(answer: Answer, pixels: np.ndarray) -> dict | None:
    """Where the model saw its answer's class in `pixels` (the model's input, (height, width, 3)
    uint8): the class, its map normalised 0-1 (`grid`, the model's own rows and columns: 7x7 for
    MobileNetV2) and raw (`logits`: each cell's share of the class logit, their mean is the
    logit), the hottest region (`where`), the map blended over the photo (`overlay`, a JPEG data
    URI) and that photo's [width, height] (`size`). None for a model without maps."""
    if answer.activation is None or answer.card is None:
        return None
    logits = np.asarray(answer.activation[answer.card.classes.index(answer.label)], np.float32)
    low, high = float(logits.min()), float(logits.max())
    grid = (logits - low) / (high - low) if high - low > 1e-6 else np.zeros_like(logits)
    return {
        "class": answer.label,
        "grid": np.round(grid, 4).tolist(),
        "logits": np.round(logits, 4).tolist(),
        "where": where(grid) if high - low > 1e-6 else EVENLY,
        "overlay": overlay(pixels, grid),
        "size": [pixels.shape[1], pixels.shape[0]],
    }


def where(grid: np.ndarray) -> str:
    """The third of the photo, up-down and left-right, of the grid's hottest cell."""
    row, column = np.unravel_index(int(np.argmax(grid)), grid.shape)
    return PLACES[int((row + 0.5) * 3 / grid.shape[0])][int((column + 0.5) * 3 / grid.shape[1])]


def overlay(pixels: np.ndarray, grid: np.ndarray) -> str:
    """The 0-1 `grid` upsampled smoothly to the photo's size, coloured, blended over it: a JPEG
    data URI. Pillow does every per-pixel step in C, which keeps this under a millisecond."""
    size = (pixels.shape[1], pixels.shape[0])
    levels = Image.fromarray(np.round(grid * 255).astype(np.uint8), "L")
    # Bilinear from the cells' centres: each cell covers its share of the photo, whatever the
    # grid (7x7 cells of 32x32 pixels on MobileNetV2's 224x224).
    levels = levels.resize(size, Image.Resampling.BILINEAR)
    levels.putpalette(PALETTE)  # each level becomes its colour (twice faster than 3 lookups)
    blended = Image.blend(Image.fromarray(pixels, "RGB"), levels.convert("RGB"), OPACITY)
    buffer = io.BytesIO()
    blended.save(buffer, "JPEG", quality=QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
