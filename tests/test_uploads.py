"""The upload parser must read every multipart body exactly as werkzeug's own parser does."""

import io

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from werkzeug.formparser import FormDataParser

from catsdogs.uploads import PROCESS_BOUNDARY, SMALL_BODY, UploadParser

BOUNDARY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=?"
boundaries = st.text(BOUNDARY_CHARS, min_size=1, max_size=70)
contents = st.binary(max_size=300) | st.sampled_from(
    [b"", b"\r\n", b"--", b"\r\n--\r\n", b"\n\r\n", b"--\r\n--x", PROCESS_BOUNDARY]
)
part = st.tuples(
    st.text("abcxyz_", min_size=1, max_size=8),
    st.none() | st.text("abc. _-", min_size=1, max_size=12),
    st.lists(contents, max_size=3).map(b"".join),
)


def multipart(boundary: bytes, parts, newline: bytes, preamble: bytes, epilogue: bytes) -> bytes:
    body = [preamble]
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += [b"--", boundary, newline, f"Content-Disposition: {disposition}".encode()]
        body += [newline, newline, content, newline]
    body += [b"--", boundary, b"--", newline, epilogue]
    return b"".join(body)


def parsed(parser: FormDataParser, body: bytes, boundary: bytes):
    _, form, files = parser.parse(
        io.BytesIO(body), "multipart/form-data", len(body), {"boundary": boundary.decode()}
    )
    uploads = []
    for key, upload in files.items(multi=True):
        uploads.append((key, upload.filename, upload.read(), list(upload.headers)))
        upload.close()
    return list(form.items(multi=True)), uploads


@settings(max_examples=300, deadline=None)
@given(
    boundaries,
    st.lists(part, max_size=4),
    st.sampled_from([b"\r\n", b"\n"]),
    st.sampled_from([b"", b"preamble\r\n", b"\r\n"]),
    st.sampled_from([b"", b"epilogue", b"\r\n"]),
)
def test_same_fields_and_files_as_werkzeug(boundary, parts, newline, preamble, epilogue):
    boundary = boundary.encode()
    body = multipart(boundary, parts, newline, preamble, epilogue)
    # A sender never puts its boundary inside a part (RFC 2046); everything else goes.
    assume(all(b"--" + boundary not in content for _, _, content in parts))
    assume(b"--" + boundary not in preamble + epilogue)
    assert parsed(UploadParser(), body, boundary) == parsed(FormDataParser(), body, boundary)


@given(boundaries, st.binary(max_size=200))
def test_malformed_bodies_fail_or_pass_as_in_werkzeug(boundary, body):
    boundary = boundary.encode()
    assume(b"--" + boundary not in body[1:])  # only the delimiters may move
    assert parsed(UploadParser(), body, boundary) == parsed(FormDataParser(), body, boundary)


def test_large_bodies_and_bodies_holding_the_process_boundary_take_werkzeugs_path():
    for content in (b"x" * (SMALL_BODY + 1), b"a" + PROCESS_BOUNDARY + b"z"):
        body = multipart(b"abc", [("file", "photo.jpg", content)], b"\r\n", b"", b"")
        assert parsed(UploadParser(), body, b"abc") == parsed(FormDataParser(), body, b"abc")
        assert parsed(UploadParser(), body, b"abc")[1][0][2] == content
