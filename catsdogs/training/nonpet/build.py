"""Build the non-pet set: collect, split by group, compose and write the two parts, the
manifest and the contact sheets.

The set is written beside its destination and moved into place whole, READY included, so a
reader of the destination never finds half a set.
"""

import json
import logging
import random
import shutil
from collections import Counter
from pathlib import Path

from PIL import Image

from catsdogs.registry.client import file_sha256
from catsdogs.training.nonpet import collect, compose, sheets
from catsdogs.training.nonpet.collect import Candidate
from catsdogs.training.nonpet.sources import CUTOUT, DRAWING, KINDS, PHOTO, SOURCES, Source
from catsdogs.training.nonpet.split import CALIBRATION_SHARE, PARTS, split

JPEG_QUALITY = 90
log = logging.getLogger(__name__)


def build(
    out: Path,
    cache: Path,
    seed: int = 0,
    max_side: int = compose.MAX_SIDE,
    sources: tuple[Source, ...] = SOURCES,
) -> dict:
    """Write the set into `out` (calibration/, test/, sheets/, manifest.json, READY) from the
    packages in `cache` (fetched there when missing); return the manifest."""
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    dropped: Counter[str] = Counter()
    packages, candidates = collect.collect(sources, cache, collect.excluded(), dropped)
    candidates = collect.deduplicate(candidates, dropped)
    parts = split(
        ((c.group, c.kind, c.source.package, 1 + _crop_count(c)) for c in candidates), seed
    )
    entries: list[dict] = []
    for part in PARTS:
        (partial / part).mkdir(parents=True)
        mine = [c for c in candidates if parts[c.group] == part]
        entries += _write_part(part, mine, partial, seed, max_side, len(entries))
    for part in PARTS:
        for kind in KINDS:
            chosen = [e for e in entries if e["part"] == part and e["kind"] == kind]
            sheets.write_sheets(chosen, partial, partial / "sheets", f"{part}-{kind}")
    manifest = {
        "seed": seed,
        "max_side": max_side,
        "calibration_share": CALIBRATION_SHARE,
        "counts": _counts(entries),
        "dropped": dict(sorted(dropped.items())),
        "packages": packages,
        "images": entries,
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (partial / "READY").write_text(f"{len(entries)} images\n")
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    return manifest


def _crop_count(candidate: Candidate) -> int:
    large = min(candidate.size) >= compose.CROP_FROM_SIDE
    return compose.CROPS if candidate.kind == PHOTO and large else 0


def _write_part(
    part: str, candidates: list[Candidate], root: Path, seed: int, max_side: int, start: int
) -> list[dict]:
    """Write one part's images, photos first so that their pixels can be the backgrounds of
    the part's cut-outs and drawings (never another part's)."""
    entries: list[dict] = []
    backgrounds: list[Image.Image] = []
    ordered = sorted(candidates, key=lambda c: (c.kind != PHOTO, c.source.package, c.path))
    for candidate in ordered:
        rng = random.Random(f"{seed}:{candidate.source.package}:{candidate.path}")
        image, _ = compose.read(candidate.file)
        views: list[tuple[Image.Image, list[int] | None, str | None]] = []
        if candidate.kind == PHOTO:
            views.append((image, None, None))
            scale = max(candidate.size) / max(image.size)
            for box in compose.crops(image, candidate.size, rng):
                views.append((image.crop(box), [round(v * scale) for v in box], None))
        elif compose.transparent_share(image) >= compose.TRANSPARENT_SHARE:
            kind = CUTOUT if candidate.kind == CUTOUT else DRAWING
            cut = compose.shrink(image, round(max_side * 0.95))
            wanted = (round(cut.width / 0.75), round(cut.height / 0.75))
            backdrop, chosen = compose.background(kind, wanted, backgrounds, rng)
            views.append((compose.place(cut, backdrop, rng), None, chosen))
        else:
            views.append((image, None, None))
        for view, crop, what in views:
            picture = compose.shrink(view.convert("RGB"), max_side)
            if candidate.kind == PHOTO:
                backgrounds.append(picture)
            index = start + len(entries)
            name = f"{part}/{candidate.kind}-{index:05d}.jpg"
            picture.save(root / name, quality=JPEG_QUALITY)
            entries.append(
                {
                    "index": index,
                    "file": name,
                    "part": part,
                    "kind": candidate.kind,
                    "group": candidate.group,
                    "package": candidate.source.package,
                    "version": candidate.source.version,
                    "path": candidate.path,
                    "source_sha256": candidate.sha256,
                    "sha256": file_sha256(root / name),
                    "size": list(picture.size),
                    "crop": crop,
                    "background": what,
                }
            )
    log.info("%s: %d images", part, len(entries))
    return entries


def _counts(entries: list[dict]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for part in PARTS:
        mine = Counter(e["kind"] for e in entries if e["part"] == part)
        counts[part] = {kind: mine[kind] for kind in KINDS} | {"all": sum(mine.values())}
    return counts
