"""Pixels: read a package's image, tell whether it is a cut-out, flatten it onto a background,
crop large photos and shrink everything to the size of the pet photos' originals.

A cut-out or a drawing with transparency gets a background drawn at random: a crop of one of
the set's own photos, a solid colour (white only sometimes), a gradient or smooth noise. Were
they all put on white, the detector could learn "a white background means neither".
"""

import random
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

MIN_SIDE = 64
MAX_SIDE = 320
# Large photos are read at this short side at most: enough for crops, cheap to hold.
WORKING_SIDE = 960
# Larger images are skipped rather than decoded (a few drawings are 10000x16000), except JPEGs,
# which decode at a reduced scale.
MAX_PIXELS = 40_000_000
CROP_FROM_SIDE = 1000  # photos at least this large on the short side give extra crops
CROPS = 2
TRANSPARENT_SHARE = 0.05  # a cut-out has at least this share of see-through pixels
# Fewer distinct colours than this (5 bits a channel; grey levels for a grey image) among the
# opaque pixels make a picture flat: drawn, not photographed.
FLAT_COLOURS, FLAT_GREYS = 120, 100
BACKGROUNDS = {
    "cutout": {"photo": 0.55, "solid": 0.15, "gradient": 0.15, "noise": 0.15},
    "drawing": {"photo": 0.25, "solid": 0.3, "gradient": 0.3, "noise": 0.15},
}
WHITE_SHARE = 0.2  # of the solid backgrounds: drawings on white paper exist too


def read(path: Path) -> tuple[Image.Image, tuple[int, int]]:
    """The image at `path`, upright, RGBA when it has transparency, else RGB, its short side at
    most WORKING_SIDE, and its size in the file; raises OSError or ValueError when Pillow
    cannot read it."""
    with warnings.catch_warnings():
        # Pillow warns on opening a huge file; such files are refused just below.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        opened = Image.open(path)
    with opened as file:
        size = file.size
        if size[0] * size[1] > MAX_PIXELS and file.format != "JPEG":
            raise ValueError(f"{size[0]}x{size[1]} pixels, too large to decode")
        file.draft("RGB", (WORKING_SIDE, WORKING_SIDE))  # JPEG only: decode at a reduced scale
        image = ImageOps.exif_transpose(file)
        transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
    return shrink(image, WORKING_SIDE), size


def shrink(image: Image.Image, side: int) -> Image.Image:
    """`image` with its short side at most `side`."""
    scale = side / min(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def transparent_share(image: Image.Image) -> float:
    """The share of pixels more than half see-through (0 for an opaque image)."""
    if image.mode != "RGBA":
        return 0.0
    return float((np.asarray(image.getchannel("A")) < 128).mean())


def flat(image: Image.Image) -> bool:
    """Whether the opaque pixels have so few colours that the picture must be drawn."""
    pixels = np.asarray(image.convert("RGBA")).reshape(-1, 4)
    pixels = pixels[pixels[:, 3] > 250, :3].astype(np.int32)
    if not len(pixels):
        return True
    if (pixels.max(axis=1) - pixels.min(axis=1)).max() <= 8:  # grey: count its levels
        return len(np.unique(pixels[:, 0])) < FLAT_GREYS
    codes = (pixels[:, 0] >> 3) * 1024 + (pixels[:, 1] >> 3) * 32 + (pixels[:, 2] >> 3)
    return len(np.unique(codes)) < FLAT_COLOURS


def thumbnail(image: Image.Image) -> np.ndarray:
    """A 16x16 RGB fingerprint (transparency on mid grey) to find near-duplicates."""
    return np.asarray(flatten(image, Image.new("RGB", image.size, (128, 128, 128))).resize(
        (16, 16), Image.Resampling.BOX
    ), dtype=np.float32).reshape(-1)  # fmt: skip


def flatten(image: Image.Image, background: Image.Image) -> Image.Image:
    """`image` composited over `background` (same size), opaque RGB."""
    if image.mode != "RGBA":
        return image.convert("RGB")
    canvas = background.convert("RGBA")
    canvas.alpha_composite(image)
    return canvas.convert("RGB")


def place(image: Image.Image, background: Image.Image, rng: random.Random) -> Image.Image:
    """A cut-out on a canvas of `background`, filling 60-95% of it at a random spot."""
    fill = rng.uniform(0.6, 0.95)
    width = max(image.width, round(image.width / fill * rng.uniform(0.9, 1.1)))
    height = max(image.height, round(image.height / fill * rng.uniform(0.9, 1.1)))
    canvas = cover(background, (width, height), rng).convert("RGBA")
    canvas.alpha_composite(
        image, (rng.randint(0, width - image.width), rng.randint(0, height - image.height))
    )
    return canvas.convert("RGB")


def background(
    kind: str, size: tuple[int, int], photos: list[Image.Image], rng: random.Random
) -> tuple[Image.Image, str]:
    """A background of `size` for an image of `kind`, and what it is."""
    weights = BACKGROUNDS[kind]
    choice = rng.choices(list(weights), weights=list(weights.values()))[0]
    if choice == "photo" and photos:
        return cover(rng.choice(photos), size, rng), "photo"
    if choice == "gradient":
        return gradient(size, rng), "gradient"
    if choice == "noise":
        return noise(size, rng), "noise"
    white = rng.random() < WHITE_SHARE
    colour = (255, 255, 255) if white else tuple(rng.randint(0, 255) for _ in range(3))
    return Image.new("RGB", size, colour), "white" if white else "solid"


def cover(image: Image.Image, size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A random part of `image` scaled to cover `size` entirely."""
    scale = max(size[0] / image.width, size[1] / image.height) * rng.uniform(1.0, 1.6)
    scaled = image.convert("RGB").resize(
        (max(size[0], round(image.width * scale)), max(size[1], round(image.height * scale))),
        Image.Resampling.BILINEAR,
    )
    left = rng.randint(0, scaled.width - size[0])
    top = rng.randint(0, scaled.height - size[1])
    return scaled.crop((left, top, left + size[0], top + size[1]))


def gradient(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A linear gradient between two random colours, at a random angle."""
    start, end = (np.array([rng.randint(0, 255) for _ in range(3)], np.float32) for _ in "ab")
    angle = rng.uniform(0, np.pi)
    y, x = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float32)
    ramp = x * np.cos(angle) + y * np.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1.0)
    pixels = start + ramp[..., None] * (end - start)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def noise(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Smooth noise around one random colour: random cells, enlarged and blurred (a rainbow of
    independent cells would look like nothing a camera sees)."""
    generator = np.random.default_rng(rng.getrandbits(32))
    base = generator.integers(0, 256, 3)
    spread = rng.uniform(15, 60)
    shape = (rng.randint(3, 16), rng.randint(3, 16))
    # Mostly light and shade of the one colour, with a little tint: how surfaces vary.
    light = generator.normal(0, spread, (*shape, 1))
    tint = generator.normal(0, spread / 4, (*shape, 3))
    cells = base + light + tint
    cells = np.clip(cells, 0, 255).astype(np.uint8)
    image = Image.fromarray(cells, "RGB").resize(size, Image.Resampling.BICUBIC)
    return image.filter(ImageFilter.GaussianBlur(rng.uniform(0, 3)))


def crops(
    image: Image.Image, original: tuple[int, int], rng: random.Random
) -> list[tuple[int, int, int, int]]:
    """Boxes of extra views of a photo that was large in its file (`original` size): 35-60% of
    its short side each, at random spots."""
    if min(original) < CROP_FROM_SIDE:
        return []
    boxes = []
    for _ in range(CROPS):
        side = round(min(image.size) * rng.uniform(0.35, 0.6))
        width = min(image.width, round(side * rng.uniform(1.0, 1.5)))
        left = rng.randint(0, image.width - width)
        top = rng.randint(0, image.height - side)
        boxes.append((left, top, left + width, top + side))
    return boxes
