"""The non-pet set's filters: pet names, picture groups, duplicates, kinds, flattening, split."""

import random
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from catsdogs.training.nonpet import collect, compose
from catsdogs.training.nonpet.filters import group_key, names_a_pet
from catsdogs.training.nonpet.sources import CUTOUT, DRAWING, PHOTO, Source
from catsdogs.training.nonpet.split import CALIBRATION, TEST, split

SOURCE = Source("pkg", "1.0", "wheel", ("*",))


@pytest.mark.parametrize(
    "path",
    [
        "stamps/animals/mammals/BlackCat.png",
        "words/dog.webp",
        "babyshapes/resource/dog1/dog1.webp",
        "kitten_2.jpg",
        "wild/bobcat.png",
        "Katze.png",
        "chien-et-chat.jpg",
        "gatto_nero.png",
        "perrito.jpg",
        "kočka.jpg",
        "кошка.png",
        "猫.png",
        "golden_retriever.jpg",
        "erase/resource/cheetah.webp",
        "grey_wolf.png",
        "candy_cane.png",
    ],
)
def test_a_name_that_speaks_of_a_cat_or_a_dog_is_refused(path):
    assert names_a_pet(path)


@pytest.mark.parametrize(
    "path",
    [
        "caterpillar.png",
        "catalog.png",
        "cathedral.jpg",
        "hotdog.png",
        "dogwood_tree.jpg",
        "panther-chameleon-female.jpg",
        "education/scissors.png",
        "concatenate.png",
    ],
)
def test_a_name_that_merely_contains_the_letters_is_kept(path):
    assert not names_a_pet(path)


def test_variants_of_one_picture_share_a_group_key():
    assert group_key("m/Elephants.jpg") == group_key("m/Elephants_5640x3172.jpg")
    assert group_key("g/adwaita-d.webp") == group_key("g/adwaita-l.webp")
    assert group_key("s/Blue_1366x768.png") == group_key("s/Blue_2048x1536_Portrait.png")
    assert group_key("w/Flow/contents/images/5120x2880.jpg") == "flow"
    assert group_key("w/Flow/contents/images/5120x2880.jpg") != group_key("w/Kite/contents/a.jpg")
    rules = ((r"data/(?:left|right)\d*\.jpg$", "stereo"),)
    assert group_key("data/left01.jpg", rules) == group_key("data/right13.jpg", rules) == "stereo"


def photo(seed: int, size=(300, 200)) -> Image.Image:
    """A photo-like picture: smooth random shapes with fine noise, many colours."""
    generator = np.random.default_rng(seed)
    cells = generator.integers(0, 256, (6, 9, 3), np.uint8)
    image = np.asarray(Image.fromarray(cells).resize(size, Image.Resampling.BICUBIC), np.int16)
    image = image + generator.integers(-12, 13, image.shape)
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "RGB")


def cutout(size=(120, 160)) -> Image.Image:
    """A photo-like object on a see-through canvas."""
    image = photo(7, size).convert("RGBA")
    alpha = Image.new("L", size, 0)
    alpha.paste(255, (20, 20, size[0] - 20, size[1] - 20))
    image.putalpha(alpha)
    return image


def candidate(path: str, image: Image.Image, sha: str | None = None) -> collect.Candidate:
    return collect.Candidate(
        source=SOURCE,
        path=path,
        file=None,  # type: ignore[arg-type]
        sha256=sha or path,
        kind=PHOTO,
        size=image.size,
        fingerprint=compose.thumbnail(image),
        group=f"pkg:{group_key(path)}",
    )


def test_duplicates_go_and_the_largest_copy_stays():
    dropped: Counter[str] = Counter()
    big = photo(1, (600, 400))
    kept = collect.deduplicate(
        [
            candidate("a.png", photo(1)),
            candidate("copy/b.png", photo(1), sha="a.png"),  # the same file twice
            candidate("c.jpg", big),  # the same picture, larger
            candidate("d.png", photo(2)),  # another picture
        ],
        dropped,
    )
    assert sorted(c.path for c in kept) == ["c.jpg", "d.png"]
    assert dropped == {"duplicate": 1, "near duplicate": 1}


def test_a_retouched_variant_is_kept_but_joins_the_original_group():
    original = photo(3)
    brighter = Image.fromarray(np.clip(np.asarray(original, np.int16) + 6, 0, 255).astype(np.uint8))
    kept = collect.deduplicate(
        [candidate("x/sunset.jpg", original), candidate("y/other.jpg", brighter)], Counter()
    )
    assert len(kept) == 2
    assert kept[0].group == kept[1].group


def test_the_kind_follows_the_patterns_then_the_pixels():
    drawn = Image.new("RGB", (200, 200), (200, 30, 30))
    source = Source("pkg", "1.0", "deb", ("*",), drawings=("*/cartoon/*",), photos=("*/real/*",))
    assert collect.kind_of(source, "a/cartoon/x.png", photo(1)) == DRAWING
    assert collect.kind_of(source, "a/x.png", photo(1)) == PHOTO
    assert collect.kind_of(source, "a/x.png", drawn) == DRAWING  # few colours: a sign, a flag
    assert collect.kind_of(source, "a/x.png", cutout()) == CUTOUT
    drawings = Source("pkg", "1.0", "deb", ("*",), kind=DRAWING, photos=("*/real/*",))
    assert collect.kind_of(drawings, "a/x.png", photo(1)) == DRAWING
    assert collect.kind_of(drawings, "a/real/x.png", photo(1)) == PHOTO


def test_a_flattened_cut_out_is_opaque_rgb_on_a_background_that_is_rarely_plain_white():
    backgrounds = [photo(seed, (320, 240)) for seed in range(5)]
    white, kinds = 0, Counter()
    for seed in range(60):
        rng = random.Random(seed)
        backdrop, what = compose.background(CUTOUT, (160, 210), backgrounds, rng)
        flat = compose.place(cutout(), backdrop, rng)
        kinds[what] += 1
        assert flat.mode == "RGB"
        assert flat.width >= 120 and flat.height >= 160
        corner = np.asarray(flat)[:15, :15].reshape(-1, 3)
        white += bool((corner >= 250).all())
    assert white <= 6
    assert kinds["photo"] >= 20 and {"solid", "gradient", "noise"} <= set(kinds)


def test_crops_come_only_from_photos_large_in_their_file():
    image = photo(4, (960, 640))
    assert compose.crops(image, (800, 600), random.Random(0)) == []
    boxes = compose.crops(image, (3000, 2000), random.Random(0))
    assert len(boxes) == compose.CROPS
    for left, top, right, bottom in boxes:
        assert 0 <= left < right <= 960 and 0 <= top < bottom <= 640
        assert min(right - left, bottom - top) >= 0.35 * 640 - 1


ROWS = [
    (f"group{n}", ("photo", "drawing", "cutout")[n % 3], f"src{n % 4}", 1 + n % 3)
    for n in range(90)
]


def test_the_split_is_deterministic_and_keeps_each_group_whole():
    parts = split(ROWS, seed=0)
    assert parts == split(list(reversed(ROWS)), seed=0)
    assert set(parts) == {row[0] for row in ROWS}  # one part per group, so no group leaks
    assert set(parts.values()) == {CALIBRATION, TEST}
    assert parts != split(ROWS, seed=1)


def test_each_kind_is_shared_out_about_evenly():
    parts = split(ROWS, seed=0)
    for kind in ("photo", "drawing", "cutout"):
        images = Counter()
        for group, row_kind, _, count in ROWS:
            if row_kind == kind:
                images[parts[group]] += count
        share = images[CALIBRATION] / (images[CALIBRATION] + images[TEST])
        assert 0.4 <= share <= 0.6, (kind, images)
