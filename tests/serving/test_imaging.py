"""Decoding: every Pillow mode becomes RGB of the card's size; bad bytes raise ImageError."""

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from catsdogs.serving.imaging import MAX_PIXELS, ImageError, decode, load_rgb, to_rgb
from tests.helpers import image_bytes

SIZE = (224, 224)


@pytest.mark.parametrize(
    "mode, fmt, save",
    [
        ("RGB", "JPEG", {}),
        ("L", "PNG", {}),
        ("1", "PNG", {}),
        ("P", "GIF", {}),
        ("RGBA", "PNG", {}),
        ("LA", "PNG", {}),
        ("CMYK", "JPEG", {}),
        ("I;16", "PNG", {}),
        ("I", "TIFF", {}),
        ("RGB", "WEBP", {}),
        ("RGB", "BMP", {}),
        ("RGB", "TIFF", {}),
        ("F", "TIFF", {}),
    ],
)
def test_every_mode_becomes_rgb_of_the_card_size(mode, fmt, save):
    pixels = load_rgb(image_bytes(mode, (31, 17), fmt, **save), SIZE)
    assert pixels.shape == (224, 224, 3) and pixels.dtype == np.uint8


def test_transparency_is_composited_on_white():
    transparent = image_bytes("RGBA", (8, 8), "PNG", color=(255, 0, 0, 0))
    assert (load_rgb(transparent, SIZE) == 255).all()


def test_palette_transparency_is_composited_on_white():
    image = Image.new("P", (8, 8), 0)
    image.putpalette([0, 0, 0] * 256)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0)
    assert (load_rgb(buffer.getvalue(), SIZE) == 255).all()


def test_sixteen_bit_grey_keeps_its_brightness():
    image = Image.fromarray(np.full((8, 8), 65535 // 2, dtype=np.uint16))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    assert abs(int(load_rgb(buffer.getvalue(), SIZE).mean()) - 127) <= 1


def test_exif_orientation_is_applied():
    # A 40x20 image tagged "rotate 90" must come out 20 wide and 40 high.
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    assert decode(buffer.getvalue(), SIZE).size == (20, 40)


def test_big_jpeg_is_decoded_at_reduced_scale():
    big = image_bytes("RGB", (4032, 3024), "JPEG")
    assert decode(big, SIZE).size[0] < 1008  # draft mode: 1/8 scale is 504 px wide


@pytest.mark.parametrize(
    "data, code",
    [
        (b"", "empty_file"),
        (b"hello, this is text", "not_an_image"),
        (b"%PDF-1.4\n1 0 obj<<>>endobj", "not_an_image"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "not_an_image",
        ),
        (image_bytes("RGB", (300, 300), "JPEG")[:400], "not_an_image"),
        (image_bytes("RGB", (64, 64), "PNG")[:60] + b"\0" * 40, "not_an_image"),
    ],
)
def test_bad_bytes_raise_image_error(data, code):
    with pytest.raises(ImageError) as raised:
        load_rgb(data, SIZE)
    assert raised.value.code == code


def test_decompression_bomb_is_refused_before_decoding():
    side = int(MAX_PIXELS**0.5) + 100
    bomb = image_bytes("1", (side, side), "PNG")  # tiny file, huge declared size
    assert len(bomb) < 1_000_000
    with pytest.raises(ImageError) as raised:
        load_rgb(bomb, SIZE)
    assert raised.value.code == "image_too_large"


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 300),
    height=st.integers(1, 300),
    mode=st.sampled_from(["RGB", "L", "RGBA", "P", "1", "CMYK", "I;16", "LA"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_image_yields_valid_pixels(width, height, mode, seed):
    noise = np.random.default_rng(seed).integers(0, 256, (height, width, 4), dtype=np.uint8)
    image = to_rgb(Image.fromarray(noise, "RGBA").convert(mode))
    assert image.mode == "RGB" and image.size == (width, height)


MAGIC = [
    b"\xff\xd8\xff\xe0",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
]
FORMATS = ["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"]


def decoded_or_refused(data: bytes) -> None:
    """The only acceptable outcomes: the card's pixels, or ImageError."""
    try:
        pixels = load_rgb(data, SIZE)
    except ImageError as error:
        assert error.code in ("empty_file", "not_an_image", "image_too_large")
        return
    assert pixels.shape == (224, 224, 3) and pixels.dtype == np.uint8


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_raise_nothing_but_image_error(data):
    decoded_or_refused(data)


@settings(max_examples=150, deadline=None)
@given(magic=st.sampled_from(MAGIC), rest=st.binary(max_size=2048))
def test_bytes_behind_a_real_magic_number_raise_nothing_but_image_error(magic, rest):
    decoded_or_refused(magic + rest)


@settings(max_examples=200, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
)
def test_damaged_images_raise_nothing_but_image_error(fmt, cut, flips):
    data = bytearray(image_bytes("RGB", (40, 30), fmt))
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    decoded_or_refused(bytes(data[: max(1, int(cut * len(data)))]))


@settings(max_examples=60, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS),
    width=st.integers(1, 120),
    height=st.integers(1, 120),
    mode=st.sampled_from(
        [
            "RGB",
            "L",
            "RGBA",
            "P",
            "1",
            "CMYK",
            "LA",
            "I;16",
            "I;16B",
            "I",
            "F",
            "LAB",
            "YCbCr",
            "RGBX",
        ]
    ),
)
def test_every_encodable_image_decodes_to_the_card_size(fmt, width, height, mode):
    try:
        data = image_bytes(mode, (width, height), fmt)
    except (OSError, ValueError, KeyError):
        return  # this format cannot store this mode: nothing to decode
    pixels = load_rgb(data, SIZE)
    assert pixels.shape == (224, 224, 3) and pixels.dtype == np.uint8
