"""Tensor data of the Open Inference Protocol, as JSON or as binary data. No Flask here.

Triton's binary tensor data extension sends the JSON header first (its length in the
Inference-Header-Content-Length header), then each tensor's raw bytes, little-endian.
"""

import base64
import binascii
import struct

import numpy as np

from catsdogs.errors import ServiceError


def invalid(message: str) -> ServiceError:
    """The error for a request whose tensors cannot be read."""
    return ServiceError("invalid_tensor", message)


def is_count(value: object) -> bool:
    """True for a whole number >= 0 (JSON's true is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def split(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    """Split a body into its JSON header and the binary data after it."""
    if header_length is None:
        return body, b""
    if not (header_length.isascii() and header_length.isdigit()):
        raise invalid("Inference-Header-Content-Length must be a number of bytes.")
    if int(header_length) > len(body):
        raise invalid("Inference-Header-Content-Length is larger than the body.")
    return body[: int(header_length)], body[int(header_length) :]


def binary_part(tensor: dict, parameters: dict, binary: bytes) -> bytes | None:
    """The one input's binary data, or None when its data is in the JSON."""
    length = parameters.get("binary_data_size")
    if length is None:
        if binary:
            raise invalid("Binary data follows the JSON but no input has binary_data_size.")
        return None
    if not is_count(length) or length != len(binary) or "data" in tensor:
        raise invalid("binary_data_size must give the length of the binary data after the JSON.")
    return binary


def pixels(raw: bytes | None, data: object, shape: list[int]) -> np.ndarray:
    """An FP32 tensor of `shape`, its values pixels from 0 to 255."""
    count = int(np.prod(shape))
    if raw is not None:
        if len(raw) != 4 * count:
            raise invalid(f"Input image needs {count} FP32 values.")
        values = np.frombuffer(raw, dtype="<f4")
    else:
        try:
            values = np.asarray(data if isinstance(data, list) else None)
        except ValueError:  # ragged nested lists
            values = np.asarray(None)
        if values.dtype.kind not in "iuf" or values.size != count:
            raise invalid(f"Input image needs data: {count} numbers.")
    # Checked before the cast to FP32, which would turn 1e300 into inf with a warning.
    if not np.all((values >= 0) & (values <= 255)):  # NaN fails both comparisons
        raise invalid("Input image values must be pixels from 0 to 255, as the model card says.")
    return values.astype(np.float32).reshape(shape)


def unpack(raw: bytes, count: int) -> list[bytes]:
    """Split BYTES binary data: each element is a 4-byte length, then its bytes."""
    elements: list[bytes] = []
    offset = 0
    while offset + 4 <= len(raw) and len(elements) < count:
        (length,) = struct.unpack_from("<I", raw, offset)
        elements.append(raw[offset + 4 : offset + 4 + length])
        offset += 4 + length
    if len(elements) != count or offset != len(raw):
        raise invalid(f"The binary data of image_bytes does not hold {count} elements.")
    return elements


def from_base64(data: object, count: int, content_type: object) -> list[bytes]:
    """Decode BYTES elements sent in JSON, base64 as MLServer's `content_type: base64`."""
    if content_type != "base64":
        raise invalid("In JSON, image_bytes elements are base64: content_type must be base64.")
    if isinstance(data, list):  # [N, 1] may come nested, one element per row
        data = [e for row in data for e in (row if isinstance(row, list) else [row])]
    if not isinstance(data, list) or len(data) != count:
        raise invalid(f"Input image_bytes needs data: {count} base64 strings.")
    try:
        return [base64.b64decode(element, validate=True) for element in data]
    except (binascii.Error, TypeError, ValueError):
        raise invalid("An element of image_bytes is not a base64 string.") from None


def pack(tensor: np.ndarray | list[str]) -> bytes:
    """An FP32 array or a list of strings as binary tensor data."""
    if isinstance(tensor, np.ndarray):
        return tensor.astype("<f4").tobytes()
    return b"".join(struct.pack("<I", len(e.encode())) + e.encode() for e in tensor)
