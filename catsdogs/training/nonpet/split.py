"""The calibration and test parts: whole groups to one side, each kind shared out on its own.

A group is every image cut from one picture (its sizes, variants and crops), so no picture is
seen by the threshold's calibration and then again by its test.
"""

import random
from collections import Counter, defaultdict
from collections.abc import Iterable

CALIBRATION, TEST = "calibration", "test"
PARTS = (CALIBRATION, TEST)
CALIBRATION_SHARE = 0.5


def split(
    items: Iterable[tuple[str, str, str, int]], seed: int, share: float = CALIBRATION_SHARE
) -> dict[str, str]:
    """The part of each group, from (group, kind, source, images) rows: within each kind the
    groups go, source by source in a seeded random order, to the part furthest below its
    share of that kind's images. The same rows and seed always give the same parts."""
    sizes: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    sources: dict[str, str] = {}
    for group, kind, source, images in items:
        sizes[group] += images
        kinds[group][kind] += images
        sources.setdefault(group, source)
    strata: dict[str, list[str]] = defaultdict(list)
    for group in sorted(sizes):
        strata[kinds[group].most_common(1)[0][0]].append(group)
    parts = {}
    for kind, groups in sorted(strata.items()):
        rng = random.Random(f"{seed}:{kind}")
        rng.shuffle(groups)
        # Shuffled first, then stably sorted by source: each source is shared out in turn.
        groups.sort(key=lambda group: sources[group])
        counts = {CALIBRATION: 0.0, TEST: 0.0}
        for group in groups:
            total = sum(counts.values()) + sizes[group]
            deficit = {
                CALIBRATION: share * total - counts[CALIBRATION],
                TEST: (1 - share) * total - counts[TEST],
            }
            # Ties go by the seed, so neither part collects every single-image group.
            part = max(PARTS, key=lambda name: (deficit[name], rng.random()))
            parts[group] = part
            counts[part] += sizes[group]
    return parts
