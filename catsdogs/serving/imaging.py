"""Turn image bytes into the RGB pixel array that the model card prescribes.

Shared by serving and training so that both resize photos in exactly the same way.
"""

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from catsdogs.errors import ServiceError

# Formats are sniffed from the bytes by Pillow; anything else (SVG, PDF, HTML...) is refused.
ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
MAX_PIXELS = 40_000_000
RESAMPLING = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}


class ImageError(ServiceError):
    """The bytes are not an image the service can classify."""


@dataclass(frozen=True)
class Source:
    """What the bytes were before decoding: the format and the photo's own width and height."""

    format: str
    size: tuple[int, int]


def load_rgb(data: bytes, size: tuple[int, int], method: str = "bilinear") -> np.ndarray:
    """Decode, orient, convert to RGB and resize; return a (height, width, 3) uint8 array."""
    return resize(decode(data, size), size, method)


def decode(data: bytes, size: tuple[int, int]) -> Image.Image:
    """Decode the bytes (JPEGs at the smallest scale still >= `size`), orient, make RGB."""
    return decode_with_source(data, size)[0]


def decode_with_source(data: bytes, size: tuple[int, int]) -> tuple[Image.Image, Source]:
    """`decode`, and the format and size of the photo as sent (after EXIF orientation)."""
    image, full_size = _open(data, size)
    drafted = image.size
    try:
        ImageOps.exif_transpose(image, in_place=True)  # no copy when there is nothing to turn
    except Exception:  # a broken EXIF block must not cost the user a prediction
        pass
    if image.size != drafted:  # turned a quarter: width and height swap
        full_size = full_size[::-1]
    return to_rgb(image), Source(image.format or "", full_size)


def resize(image: Image.Image, size: tuple[int, int], method: str = "bilinear") -> np.ndarray:
    """Resize to `size` (width, height) without keeping the aspect ratio, as in training."""
    if image.size != size:
        image = image.resize(size, RESAMPLING[method])
    return np.asarray(image, dtype=np.uint8)


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
        # Decode big JPEGs at a reduced scale: far cheaper, and the model sees 224 px anyway.
        image.draft("RGB", size)
    try:
        image.load()
    except Exception:
        raise ImageError("not_an_image", "The image is truncated or corrupt.") from None
    return image, full_size


def _too_large() -> ImageError:
    limit = MAX_PIXELS // 1_000_000
    return ImageError("image_too_large", f"The image has more than {limit} million pixels.")


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB, compositing transparency on white."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        image = _to_8bit(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _to_8bit(image: Image.Image) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float64)
    # 16-bit and 32-bit integer images use the 0-65535 range; float images are taken as 0-255.
    scale = 1.0 if image.mode == "F" else 257.0
    return Image.fromarray(np.clip(pixels / scale, 0, 255).astype(np.uint8), mode="L")
