"""Read the files inside a Qt resource bundle (.rcc), as GCompris ships its activities' images.

The format (Qt's rcc, versions 1 to 3): a "qres" header with the offsets of a tree of 14- or
22-byte nodes, of their UTF-16 names and of their data; each file's data is a 32-bit size and
the bytes, zlib-compressed when its flag says so (an image already compressed is usually not).
"""

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

COMPRESSED, DIRECTORY, COMPRESSED_ZSTD = 1, 2, 4


class RccError(ValueError):
    pass


def files(path: Path) -> Iterator[tuple[str, bytes]]:
    """(path inside the bundle, contents) of every file in the bundle that can be read without
    zstd, which the standard library lacks."""
    blob = path.read_bytes()
    if blob[:4] != b"qres":
        raise RccError(f"{path} is not a Qt resource bundle")
    version, tree, data, names = struct.unpack(">IIII", blob[4:20])
    node_size = 14 if version == 1 else 22

    def name(node: int) -> str:
        offset = names + struct.unpack(">I", blob[tree + node * node_size :][:4])[0]
        length = struct.unpack(">H", blob[offset : offset + 2])[0]
        return blob[offset + 6 : offset + 6 + 2 * length].decode("utf-16-be")

    def walk(node: int, prefix: str) -> Iterator[tuple[str, bytes]]:
        start = tree + node * node_size
        flags = struct.unpack(">H", blob[start + 4 : start + 6])[0]
        if flags & DIRECTORY:
            count, first = struct.unpack(">II", blob[start + 6 : start + 14])
            for child in range(first, first + count):
                yield from walk(child, f"{prefix}{name(child)}/")
            return
        offset = data + struct.unpack(">I", blob[start + 10 : start + 14])[0]
        size = struct.unpack(">I", blob[offset : offset + 4])[0]
        content = blob[offset + 4 : offset + 4 + size]
        if flags & COMPRESSED_ZSTD:
            return
        if flags & COMPRESSED:
            content = zlib.decompress(content[4:])  # after the uncompressed size
        yield prefix.rstrip("/"), content

    yield from walk(0, "")
