"""Contact sheets: every image of the set as a numbered thumbnail, so a person can look for
cats and dogs and name them in excluded.txt by the manifest entry the number points to."""

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw

COLUMNS = ROWS = 10
CELL = 112
LABEL = 12


def write_sheets(entries: Sequence[dict], root: Path, out: Path, name: str) -> list[Path]:
    """Sheets of 10x10 thumbnails of `entries` (manifest rows, numbered by their `index`) as
    out/<name>-NN.png."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    per_sheet = COLUMNS * ROWS
    for number, start in enumerate(range(0, len(entries), per_sheet)):
        sheet = Image.new("RGB", (COLUMNS * CELL, ROWS * (CELL + LABEL)), (40, 40, 40))
        draw = ImageDraw.Draw(sheet)
        for offset, entry in enumerate(entries[start : start + per_sheet]):
            x, y = (offset % COLUMNS) * CELL, (offset // COLUMNS) * (CELL + LABEL)
            with Image.open(root / entry["file"]) as image:
                image.thumbnail((CELL - 4, CELL - 4))
                sheet.paste(image, (x + (CELL - image.width) // 2, y + LABEL + 2))
            draw.text((x + 2, y), str(entry["index"]), fill=(255, 255, 0))
        path = out / f"{name}-{number:02d}.png"
        sheet.save(path)
        written.append(path)
    return written
