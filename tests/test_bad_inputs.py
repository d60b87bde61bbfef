"""Whatever arrives, the API answers a prediction or its documented 4xx, never a 5xx.

Every input is generated here; one app per backend serves the whole module, and once the
module's tests are done (in whatever order) it must still be healthy and still classify.
"""

import io
import json
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from catsdogs.serving.imaging import MAX_PIXELS
from catsdogs.store.tables import COMMENT_MAX_LENGTH
from tests.helpers import (
    AUTH,
    BACKENDS,
    close_app,
    database_url_for,
    image_bytes,
    migrated_app,
    settings_for,
)

ATTACKS = [
    "'; DROP TABLE predictions_feedback; --",
    "1 OR 1=1",
    '" OR ""="',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}}",
]


@pytest.fixture(scope="module", params=BACKENDS)
def shared_app(request, tmp_path_factory, classifier):
    """One app per backend for the module; rate limits off, they are tested elsewhere.

    Its teardown checks that the module's inputs, whichever ran, left the service healthy.
    """
    tmp = tmp_path_factory.mktemp("bad-inputs")
    settings = settings_for(tmp, database_url_for(request.param, tmp), RATELIMIT_ENABLED=False)
    app = migrated_app(settings, classifier)
    try:
        yield app
        assert_still_healthy(app.test_client())
    finally:
        close_app(app)


@pytest.fixture(scope="module")
def shared_api(shared_app):
    return shared_app.test_client()


def assert_still_healthy(client) -> None:
    """Healthy, no prediction failed on the model, and a new photo is still classified."""
    health = client.get("/health")
    assert health.status_code == 200 and health.get_json()["status"] == "healthy"
    stats = client.get("/api/statistics", headers=AUTH).get_json()
    assert stats["predictions_by_class"]["error"] == 0
    response = predict(client, image_bytes(), rgpd_consent="true")
    assert response.status_code == 200 and response.get_json()["prediction"] in ("cat", "dog")
    stats = client.get("/api/statistics", headers=AUTH).get_json()
    assert stats["total_predictions"] > 0 and stats["predictions_by_class"]["error"] == 0


def encode(image: Image.Image, fmt: str, **save) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def noise(width: int, height: int) -> Image.Image:
    pixels = np.random.default_rng(3).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def frames(mode: str, count: int = 3) -> list[Image.Image]:
    return [
        Image.new(mode, (32, 24), (40 * i, 90, 200 - 40 * i)).convert(mode) for i in range(count)
    ]


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares a huge size, with no pixel data at all."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def corrupt_png() -> bytes:
    data = bytearray(image_bytes("RGB", (64, 64), "PNG"))
    data[40:60] = b"\x00" * 20  # inside IDAT: the checksum no longer matches
    return bytes(data)


def palette_with_transparency() -> bytes:
    image = Image.new("P", (16, 16), 1)
    image.putpalette([0, 0, 0, 255, 128, 0] + [0] * 762)
    return encode(image, "PNG", transparency=0)


def sixteen_bit_png() -> bytes:
    return encode(Image.fromarray(np.full((16, 16), 40_000, dtype=np.uint16)), "PNG")


def exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees when shown
    return encode(noise(40, 20), "JPEG", exif=exif)


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("cat.jpg", image_bytes("RGB", fmt="JPEG"))
    return buffer.getvalue()


def animated(fmt: str) -> bytes:
    first, *rest = frames("RGB" if fmt == "TIFF" else "P")
    return encode(
        first,
        fmt,
        save_all=True,
        append_images=rest,
        **({"duration": 100, "loop": 0} if fmt == "GIF" else {}),
    )


def multipart(disposition: bytes, data: bytes) -> bytes:
    return (
        b'--B\r\nContent-Disposition: form-data; name="file"; '
        + disposition
        + b"\r\nContent-Type: image/png\r\n\r\n"
        + data
        + b"\r\n--B\r\nContent-Disposition:"
        b' form-data; name="rgpd_consent"\r\n\r\ntrue\r\n--B--\r\n'
    )


VALID = {
    "1x1 png": lambda: image_bytes("RGB", (1, 1), "PNG"),
    "1x1 jpeg": lambda: image_bytes("RGB", (1, 1), "JPEG"),
    "20000x2 strip": lambda: image_bytes("RGB", (20000, 2), "PNG"),
    "2x20000 strip": lambda: image_bytes("L", (2, 20000), "PNG"),
    "animated gif": lambda: animated("GIF"),
    "multi-page tiff": lambda: animated("TIFF"),
    "cmyk jpeg": lambda: image_bytes("CMYK", fmt="JPEG"),
    "16-bit png": sixteen_bit_png,
    "grayscale jpeg": lambda: image_bytes("L", fmt="JPEG"),
    "1-bit png": lambda: image_bytes("1", fmt="PNG"),
    "1-bit bmp": lambda: image_bytes("1", fmt="BMP"),
    "rgba png": lambda: image_bytes("RGBA", fmt="PNG", color=(200, 0, 0, 100)),
    "palette with transparency": palette_with_transparency,
    "webp": lambda: image_bytes("RGB", fmt="WEBP"),
    "bmp": lambda: image_bytes("RGB", fmt="BMP"),
    "exif-rotated jpeg": exif_rotated,
    "jpeg named .png": lambda: image_bytes("RGB", fmt="JPEG"),
}

INVALID = {
    "zero bytes": (lambda: b"", 400, "empty_file"),
    "text named .jpg": (lambda: b"just some text, honest", 415, "not_an_image"),
    "truncated jpeg": (lambda: encode(noise(300, 300), "JPEG")[:3000], 415, "not_an_image"),
    "jpeg header only": (lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", 415, "not_an_image"),
    "corrupt png": (corrupt_png, 415, "not_an_image"),
    "gif header only": (lambda: b"GIF89a", 415, "not_an_image"),
    "bomb: png of many pixels": (
        lambda: image_bytes("1", (int(MAX_PIXELS**0.5) + 100,) * 2, "PNG"),
        413,
        "image_too_large",
    ),
    "bomb: png declaring 100000x100000": (
        lambda: png_declaring(100_000, 100_000),
        413,
        "image_too_large",
    ),
    "svg with script": (
        lambda: (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
            b"<script>alert(1)</script></svg>"
        ),
        415,
        "not_an_image",
    ),
    "html": (
        lambda: b"<!doctype html><html><body><script>alert(1)</script></body></html>",
        415,
        "not_an_image",
    ),
    "pdf": (
        lambda: b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF",
        415,
        "not_an_image",
    ),
    "zip": (zip_archive, 415, "not_an_image"),
    "ico (not an accepted format)": (
        lambda: image_bytes("RGB", (16, 16), "ICO"),
        415,
        "not_an_image",
    ),
    "null bytes": (lambda: b"\x00" * 4096, 415, "not_an_image"),
}


def predict(client, data: bytes, name: str = "photo.jpg", **form):
    return client.post(
        "/api/predict",
        headers=AUTH,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), name), **form},
    )


def consented_id(client) -> int:
    return predict(client, image_bytes(), rgpd_consent="true").get_json()["id"]


@pytest.mark.parametrize("name", VALID)
def test_every_kind_of_real_image_gets_a_prediction(shared_api, name):
    response = predict(shared_api, VALID[name]())
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["prediction"] in ("cat", "dog")


@pytest.mark.parametrize("name", INVALID)
def test_what_is_not_a_usable_image_gets_its_documented_error(shared_api, name):
    make, status, code = INVALID[name]
    response = predict(shared_api, make())
    assert (response.status_code, response.get_json()["error"]) == (status, code)
    assert response.get_json()["message"]


@pytest.mark.parametrize(
    "request_kwargs, status, code",
    [
        # Raw bytes: the test client would spool a dict this big to a file it never closes.
        (
            {
                "data": multipart(b'filename="big.jpg"', b"\xff" * (10 * 2**20 + 1)),
                "content_type": "multipart/form-data; boundary=B",
            },
            413,
            "file_too_large",
        ),
        ({"data": {}}, 400, "invalid_request"),
        ({"data": lambda: {"photo": (io.BytesIO(image_bytes()), "a.png")}}, 400, "invalid_request"),
        (
            {"data": lambda: {"file": [(io.BytesIO(image_bytes()), "a.png")] * 2}},
            400,
            "too_many_files",
        ),
        ({"data": {"file": "not a file, a text field"}}, 400, "missing_file"),
        ({"json": {"file": "cat.jpg", "rgpd_consent": True}}, 400, "invalid_request"),
        ({"data": b"--B\r\nabc", "content_type": "multipart/form-data"}, 400, "invalid_request"),
        (
            {"data": b"garbage", "content_type": "multipart/form-data; boundary=B"},
            400,
            "invalid_request",
        ),
        ({"data": image_bytes(), "content_type": "image/png"}, 400, "invalid_request"),
        (
            {"data": "file=cat.jpg", "content_type": "application/x-www-form-urlencoded"},
            400,
            "missing_file",
        ),
        # Werkzeug drops a multipart body whose headers are not UTF-8: the file is then missing.
        (
            {
                "data": multipart(b'filename="\xff\xfe\x80.png"', image_bytes()),
                "content_type": "multipart/form-data; boundary=B",
            },
            400,
            "invalid_request",
        ),
    ],
)
def test_malformed_uploads_are_4xx(shared_api, request_kwargs, status, code):
    request_kwargs = dict(request_kwargs)  # each backend runs the case: files made fresh
    if callable(request_kwargs.get("data")):
        request_kwargs["data"] = request_kwargs["data"]()
    request_kwargs.setdefault("content_type", "multipart/form-data")
    if "json" in request_kwargs:
        request_kwargs.pop("content_type")
    response = shared_api.post("/api/predict", headers=AUTH, **request_kwargs)
    assert (response.status_code, response.get_json()["error"]) == (status, code)
    assert response.get_json()["message"]


@pytest.mark.parametrize(
    "name, kept",
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("/absolute/path/cat.jpg", "cat.jpg"),
        ("cat\x00\x07\x1b.jpg", "cat.jpg"),
        ("x" * 400 + ".jpg", "x" * 255),
        ("chat-noir-été-🐈.jpg", "chat-noir-été-🐈.jpg"),
        ("..", ".."),
    ],
)
def test_odd_file_names_are_reduced_to_a_printable_base_name(shared_api, name, kept):
    response = predict(shared_api, image_bytes(), name=name, rgpd_consent="true")
    assert response.status_code == 200 and response.get_json()["filename"] == kept


def test_a_percent_encoded_non_utf8_file_name_is_replaced_not_refused(shared_api):
    body = multipart(b"filename*=UTF-8''%FF%FEcat.png", image_bytes())
    response = shared_api.post(
        "/api/predict", headers=AUTH, data=body, content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 200 and response.get_json()["filename"].endswith("cat.png")


@pytest.mark.parametrize(
    "consent",
    ["maybe", "2", "-1", "null", "[]", "yes please", "tru\x00e", "✓", "x" * 10_000, *ATTACKS],
)
def test_invalid_consent_values_are_400(shared_api, consent):
    response = predict(shared_api, image_bytes(), rgpd_consent=consent)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
    assert response.get_json()["message"]


@pytest.mark.parametrize(
    "consent", ["maybe", "2", "null", "yes please", "✓", "x" * 10_000, *ATTACKS]
)
def test_invalid_training_consent_values_are_400(shared_api, consent):
    response = predict(shared_api, image_bytes(), rgpd_consent="true", training_consent=consent)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
    assert "training_consent" in response.get_json()["message"]


def test_training_consent_without_consent_is_400(shared_api):
    response = predict(shared_api, image_bytes(), training_consent="true")
    assert response.status_code == 400
    assert response.get_json()["error"] == "training_consent_without_consent"


def test_a_windows_path_keeps_only_the_base_name(shared_api):
    body = multipart(b'filename="C:\\\\Users\\\\me\\\\cat.png"', image_bytes())
    response = shared_api.post(
        "/api/predict", headers=AUTH, data=body, content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 200 and response.get_json()["filename"] == "cat.png"


@pytest.mark.parametrize(
    "text", [*ATTACKS, "\ud800 lone surrogate", "nul\x00byte", "línea\r\nnueva 🐕"]
)
def test_any_text_is_stored_as_plain_text(shared_api, text):
    name = f"{text}.jpg" if text in ATTACKS else "photo.jpg"  # the client cannot send the rest
    prediction_id = predict(shared_api, image_bytes(), name=name, rgpd_consent="true").get_json()[
        "id"
    ]
    response = shared_api.post(
        "/api/update-feedback",
        headers=AUTH,
        json={"feedback_id": prediction_id, "user_feedback": 1, "user_comment": text},
    )
    assert response.status_code == 200
    stored = shared_api.get("/api/predictions?limit=1", headers=AUTH).get_json()["items"][0]
    assert (
        stored["id"] == prediction_id
        and stored["user_comment"] == response.get_json()["user_comment"]
    )
    assert "\x00" not in stored["user_comment"] and "\ud800" not in stored["user_comment"]


def test_a_100_kb_comment_is_400(shared_api):
    response = shared_api.post(
        "/api/update-feedback",
        headers=AUTH,
        json={
            "feedback_id": consented_id(shared_api),
            "user_feedback": 1,
            "user_comment": "x" * 100_000,
        },
    )
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


# "$ID" stands for the id of a consented prediction: only the odd value can be refused.
INVALID_ONLY, INVALID_OR_BAD = ("invalid_request",), ("invalid_request", "bad_request")
INVALID_FEEDBACK = [
    *(
        (f'{{"feedback_id": {value}, "user_feedback": 1}}', INVALID_OR_BAD)
        for value in (
            2**31,
            10**100,
            1.5,
            "true",
            "null",
            "[]",
            "{}",
            '""',
            "NaN",
            "Infinity",
            "-Infinity",
            "1e400",
            '"1e3"',
            '"0x10"',
            '"½"',
            '"' + "9" * 5000 + '"',
            *(json.dumps(a) for a in ATTACKS),
        )
    ),
    *(
        (f'{{"feedback_id": $ID, "user_feedback": {value}}}', INVALID_OR_BAD)
        for value in ("-1", "1.5", "true", "NaN", '"1 OR 1=1"', "null")
    ),
    *((body, INVALID_OR_BAD) for body in ("[1, 2]", '"text"', "null", "{not json")),
    *(
        (f'{{"feedback_id": {value}, "user_feedback": 1}}', INVALID_ONLY)
        for value in (-1, 0, 2**64, '"1.5"', '"abc"')
    ),
    ('{"feedback_id": $ID, "user_feedback": 2}', INVALID_ONLY),
    ('{"feedback_id": $ID, "user_feedback": "yes"}', INVALID_ONLY),
    ('{"feedback_id": $ID}', INVALID_ONLY),
    ('{"user_feedback": 1}', INVALID_ONLY),
    (
        '{"feedback_id": $ID, "user_feedback": 1, "user_comment": "%s"}'
        % ("x" * (COMMENT_MAX_LENGTH + 1)),
        INVALID_ONLY,
    ),
    ('{"feedback_id": $ID, "user_feedback": 1, "user_comment": 12}', INVALID_ONLY),
]


@pytest.mark.parametrize("body, codes", INVALID_FEEDBACK)
def test_invalid_feedback_is_400(shared_api, body, codes):
    body = body.replace("$ID", str(consented_id(shared_api)))
    response = shared_api.post(
        "/api/update-feedback", headers=AUTH, data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["error"] in codes


@pytest.mark.parametrize(
    "path",
    [
        "/api/predictions/" + "9" * 5000,
        "/api/predictions/-0",
        "/api/predictions/1%20OR%201=1",
        "/api/predictions/%00",
        "/api/predictions/1;DROP%20TABLE%20x",
        "/api/predictions/%D9%A1",
        "/api/predictions/%F0%9E%A5%91",
        "/api/predictions/0",
        "/api/predictions/-3",
        f"/api/predictions/{2**70}",
        "/api/predictions/abc",
        "/api/predictions/1.5",
    ],
)
def test_erasing_odd_ids_is_404(shared_api, path):
    response = shared_api.delete(path, headers=AUTH)
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


@pytest.mark.parametrize(
    "query",
    [
        "limit=" + "9" * 5000,
        "offset=inf",
        "limit=1.0",
        "offset=1%20OR%201=1",
        "limit=%00",
        "offset=2147483649",
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=abc",
        "offset=-5",
        "offset=1e3",
        "limit=99999999999999999999",
        "limt=5",
    ],
)
def test_odd_pagination_is_400(shared_api, query):
    response = shared_api.get(f"/api/predictions?{query}", headers=AUTH)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize("token", [*ATTACKS, "é" * 40, "x" * 10_000, ""])
def test_odd_tokens_are_401(shared_api, token):
    response = shared_api.get("/api/statistics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


@pytest.mark.parametrize("path", ["/feedback/" + "9" * 5000, "/feedback/-1", "/feedback/abc"])
def test_odd_ids_on_the_page_are_404_or_400(shared_api, path):
    assert shared_api.post(path, data={"satisfied": "1"}).status_code in (400, 404)


def test_the_page_escapes_what_it_shows(shared_app, shared_api):
    shared_app.config["WTF_CSRF_ENABLED"] = False  # the CSRF checks have their own tests
    try:
        page = shared_api.post(
            "/classify",
            content_type="multipart/form-data",
            data={
                "file": (io.BytesIO(image_bytes()), "<img src=x onerror=alert(1)>.jpg"),
                "consent": "yes",
            },
        )
    finally:
        shared_app.config["WTF_CSRF_ENABLED"] = True
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;.jpg" in html
