"""Turn image bytes into the RGB pixel array that the model card prescribes.

Shared by serving and training so that both resize photos in exactly the same way. Decoding is
budgeted in bytes, not pixels: a 92 KB PNG can declare 40 million 16-bit pixels (docs/deploy.md,
"Memory sizing").
"""

import io
import threading
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps

from catsdogs.errors import ServiceError

# Formats are sniffed from the bytes by Pillow; anything else (SVG, PDF, HTML...) is refused.
ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
MAX_PIXELS = 40_000_000
RESAMPLING = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}
MB = 1024 * 1024
# What one decode may hold at once. With 4 threads, one large decode at a time and three of at
# most LARGE_DECODE_BYTES, decoding needs under 200 MB of a pod's 1 GiB (docs/deploy.md).
MAX_DECODE_BYTES = 64 * MB
LARGE_DECODE_BYTES = 16 * MB
# Bytes per pixel a decode holds: Pillow's pixels (3 bands kept in 4 bytes), plus the full-size
# copy that the modes converted before shrinking need (alpha is premultiplied in a copy). Grey,
# 16-bit and float images are shrunk in their own mode, then converted: no copy.
BYTES_PER_PIXEL = {"1": 2, "L": 1, "P": 9, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
BYTES_PER_PIXEL |= {"I": 4, "F": 4, "RGB": 4}
OTHER_MODES_BYTES = 8  # RGBA, LA, PA, CMYK, YCbCr...: 4 bytes, converted in a copy of 4
# Memory is the process's, whichever app decodes: one semaphore per process, not per app.
LARGE_DECODES = threading.BoundedSemaphore(1)


class ImageError(ServiceError):
    """The bytes are not an image the service can classify."""


@dataclass(frozen=True)
class Source:
    """What the bytes were before decoding: the format and the photo's own width and height."""

    format: str
    size: tuple[int, int]


@dataclass
class Photo:
    """A photo decoded once per request: the models and the kept copy all start from `image`."""

    image: Image.Image  # oriented, RGB or L (turned RGB after resizing)
    source: Source
    _resized: dict = field(default_factory=dict, repr=False)

    def pixels(self, size: tuple[int, int], method: str = "bilinear") -> np.ndarray:
        """The (height, width, 3) uint8 pixels at `size`, resized once per size and method."""
        if (size, method) not in self._resized:
            self._resized[size, method] = resize(self.image, size, method)
        return self._resized[size, method]

    def compact(self, size: tuple[int, int], method: str = "bilinear") -> "Photo":
        """This photo with only its pixels at `size` left: what a batch can hold 16 of."""
        pixels = self.pixels(size, method)
        return Photo(Image.fromarray(pixels), self.source, {(size, method): pixels})


def load_rgb(data: bytes, size: tuple[int, int], method: str = "bilinear") -> np.ndarray:
    """Decode, orient, convert to RGB and resize; return a (height, width, 3) uint8 array."""
    return resize(decode(data, size), size, method)


def decode(data: bytes, size: tuple[int, int]) -> Image.Image:
    """Decode the bytes (big JPEGs at the smallest scale still >= `size`, other modes than RGB
    and grey shrunk as far before converting), orient, make RGB or grey."""
    return decode_photo(data, size).image


def decode_with_source(data: bytes, size: tuple[int, int]) -> tuple[Image.Image, Source]:
    """`decode`, and the format and size of the photo as sent (after EXIF orientation)."""
    photo = decode_photo(data, size)
    return photo.image, photo.source


def decode_photo(data: bytes, size: tuple[int, int]) -> Photo:
    """`decode` as a Photo that every user of this request's pixels shares."""
    image, full_size = _open(data, size)
    cost = image.width * image.height * _bytes_per_pixel(image)
    # One large decode at a time: several at once would add their peaks.
    with LARGE_DECODES if cost > LARGE_DECODE_BYTES else nullcontext():
        try:
            image.load()
        except Exception:
            raise ImageError("not_an_image", "The image is truncated or corrupt.") from None
        drafted = image.size
        try:
            ImageOps.exif_transpose(image, in_place=True)  # no copy when there is nothing to turn
        except Exception:  # a broken EXIF block must not cost the user a prediction
            pass
        if image.size != drafted:  # turned a quarter: width and height swap
            full_size = full_size[::-1]
        return Photo(_to_rgb_or_grey(image, size), Source(image.format or "", full_size))


def resize(image: Image.Image, size: tuple[int, int], method: str = "bilinear") -> np.ndarray:
    """Resize to `size` (width, height) without keeping the aspect ratio, as in training."""
    if image.size != size:
        image = image.resize(size, RESAMPLING[method])
    # Grey resized, then made RGB: the same pixels as made RGB, then resized, at a third.
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"), dtype=np.uint8)


def _open(data: bytes, size: tuple[int, int]) -> tuple[Image.Image, tuple[int, int]]:
    if not data:
        raise ImageError("empty_file", "The uploaded file is empty.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise _too_large() from None
        except Exception:
            raise ImageError("not_an_image", "The file is not an image we can read.") from None
    if image.width * image.height > MAX_PIXELS:
        raise _too_large()
    full_size = image.size  # before draft() scales a JPEG down
    if image.format == "JPEG":
        # Decode big JPEGs at a reduced scale: far cheaper, and the model sees `size` anyway.
        image.draft("RGB", size)  # the size is then the drafted one: the one to budget
    if image.width * image.height * _bytes_per_pixel(image) > MAX_DECODE_BYTES:
        raise ImageError(
            "image_too_large_to_decode",
            f"The image would take more than {MAX_DECODE_BYTES // MB} MB to decode "
            f"({image.width}x{image.height} pixels of mode {image.mode}): send a smaller "
            "photo, or a JPEG.",
        )
    return image, full_size


def _bytes_per_pixel(image: Image.Image) -> int:
    held = BYTES_PER_PIXEL.get(image.mode, OTHER_MODES_BYTES)
    # libtiff may read the whole image into one strip before Pillow copies it out.
    return held + 4 if image.format == "TIFF" else held


def _too_large() -> ImageError:
    limit = MAX_PIXELS // 1_000_000
    return ImageError("image_too_large", f"The image has more than {limit} million pixels.")


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB, compositing transparency on white."""
    return _to_rgb_or_grey(image, image.size).convert("RGB")


def _to_rgb_or_grey(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """RGB and grey stay as they are; other modes become RGB, or grey, at the smallest
    whole fraction of their size still >= `size`: shrunk first, then converted."""
    if image.mode in ("RGB", "L"):
        return image
    factor = max(1, min(image.width // size[0], image.height // size[1]))
    if image.mode.startswith("I;16"):  # Pillow's reduce() does not take 16-bit modes
        small = (-(-image.width // factor), -(-image.height // factor))
        return _to_8bit(image.resize(small, Image.Resampling.BOX) if factor > 1 else image)
    if image.mode in ("I", "F"):
        return _to_8bit(image.reduce(factor))
    if image.mode == "1":
        image = image.convert("L")
    elif image.mode in ("P", "PA"):
        alpha = image.mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if alpha else "RGB")
    if factor > 1:
        image = image.reduce(factor)  # in a premultiplied copy when there is alpha
    if image.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image if image.mode in ("RGB", "L") else image.convert("RGB")


def _to_8bit(image: Image.Image) -> Image.Image:
    """16- and 32-bit integers (0-65535) or floats (0-255) as 8-bit grey, in integers."""
    pixels = np.array(image)  # already shrunk: a small copy
    if image.mode == "F":
        np.nan_to_num(pixels, copy=False, nan=0.0)
        return Image.fromarray(np.clip(pixels, 0, 255, out=pixels).astype(np.uint8), mode="L")
    return Image.fromarray((np.clip(pixels, 0, 65535) // 257).astype(np.uint8), mode="L")
