"""The copy of an upload kept for training, with the person's permission: small and anonymous.

Made only when the person ticked "Keep my photo to help improve the model"; without that
consent nothing here runs. The copy is re-encoded from pixels, so no metadata of the upload
(EXIF, GPS position, ICC profile, comments) can survive into it.
"""

import base64
import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps

from catsdogs.serving.imaging import decode

MAX_SIDE = 320  # enough to review and retrain on (the model sees 224 px), small to keep
JPEG_QUALITY = 85


@dataclass(frozen=True)
class KeptPhoto:
    """The stored JPEG, its sha256 and its size, as the training_photos row takes them."""

    jpeg: bytes
    sha256: str
    width: int
    height: int

    def to_spool(self) -> dict:
        """Plain JSON for the spool: the bytes as base64."""
        return {
            "jpeg": base64.b64encode(self.jpeg).decode("ascii"),
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
        }

    @classmethod
    def from_spool(cls, values: dict) -> "KeptPhoto":
        return cls(
            base64.b64decode(values["jpeg"]), values["sha256"], values["width"], values["height"]
        )


def downscale(data: bytes) -> KeptPhoto:
    """Decode the photo (oriented as EXIF says) and keep it: see `keep`."""
    return keep(decode(data, (MAX_SIDE, MAX_SIDE)))  # big JPEGs decoded at a scale


def keep(image: Image.Image) -> KeptPhoto:
    """Shrink a decoded photo's longest side to MAX_SIDE (never enlarge), and encode it as an
    RGB JPEG that carries no metadata. `image` itself is left as it is: the request reuses it."""
    if max(image.size) > MAX_SIDE:
        image = ImageOps.contain(image, (MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # A fresh image from the pixels alone: `info` (comments, ICC, EXIF) stays behind.
    clean = Image.frombytes("RGB", image.size, image.convert("RGB").tobytes())
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    jpeg = buffer.getvalue()
    return KeptPhoto(jpeg, hashlib.sha256(jpeg).hexdigest(), clean.width, clean.height)
