"""The PetImages dataset (zip or folder) and the card's split of it.

Read by training, by the registry's check photos and by the benchmarks; `card_split` is the one
place the train, validation and test photos of a model's card are drawn.
"""

import hashlib
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from catsdogs.serving.imaging import ImageError, load_rgb

log = logging.getLogger(__name__)

FOLDERS = {"Cat": 0, "Dog": 1}
FRACTIONS = (0.8, 0.1, 0.1)  # train, validation, test


@dataclass
class Split:
    """File names and labels of one part of the dataset."""

    files: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.files)


class Dataset:
    """A PetImages collection: `PetImages/Cat/*` and `PetImages/Dog/*`, zipped or not."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            root = self.path / "PetImages" if (self.path / "PetImages").is_dir() else self.path
            self._files = {
                str(p.relative_to(root.parent)): p for p in sorted(root.glob("*/*")) if p.is_file()
            }
            self._zip = None
        else:
            self._zip = zipfile.ZipFile(self.path)
            names = sorted(self._zip.namelist())
            self._files = {n: Path(n) for n in names if not n.endswith("/")}

    def labelled_files(self) -> tuple[list[str], list[int]]:
        """Return every file under a Cat or Dog folder with its label, sorted by name."""
        files, labels = [], []
        for name in self._files:
            parts = Path(name).parts
            if len(parts) >= 2 and parts[-2] in FOLDERS and not parts[-1].startswith("."):
                files.append(name)
                labels.append(FOLDERS[parts[-2]])
        return files, labels

    def read(self, name: str) -> bytes:
        """Return the raw bytes of one file."""
        if self._zip is not None:
            return self._zip.read(name)
        return self._files[name].read_bytes()

    def sha256(self) -> str:
        """Hash the dataset: the archive's bytes, or each file's name and bytes for a folder."""
        digest = hashlib.sha256()
        if self._zip is not None:
            with open(self.path, "rb") as archive:
                for chunk in iter(lambda: archive.read(1 << 20), b""):
                    digest.update(chunk)
        else:
            for name in self._files:
                digest.update(name.encode() + b"\0" + self.read(name))
        return digest.hexdigest()

    def load(self, split: Split, size: int) -> tuple[np.ndarray, Split]:
        """Decode a split into (n, size, size, 3) uint8 pixels, dropping unreadable files."""
        pixels = np.empty((len(split), size, size, 3), dtype=np.uint8)
        kept = Split()
        for name, label in zip(split.files, split.labels, strict=True):
            try:
                pixels[len(kept)] = load_rgb(self.read(name), (size, size))
            except ImageError as error:
                log.warning("skipping %s: %s", name, error.message)
                continue
            kept.files.append(name)
            kept.labels.append(label)
        return pixels[: len(kept)], kept


def _stratified_split(
    files: list[str], labels: list[int], seed: int, fractions: tuple[float, ...] = FRACTIONS
) -> dict[str, Split]:
    """Shuffle each class with a fixed seed and cut it into train, validation and test."""
    parts = {"train": Split(), "validation": Split(), "test": Split()}
    rng = np.random.default_rng(seed)
    for label in sorted(set(labels)):
        members = [f for f, y in zip(files, labels, strict=True) if y == label]
        order = rng.permutation(len(members))
        n_train = round(len(members) * fractions[0])
        n_val = round(len(members) * fractions[1])
        bounds = {
            "train": (0, n_train),
            "validation": (n_train, n_train + n_val),
            "test": (n_train + n_val, len(members)),
        }
        for part, (start, stop) in bounds.items():
            for index in order[start:stop]:
                parts[part].files.append(members[index])
                parts[part].labels.append(label)
    return parts


def _first_per_class(
    files: list[str], labels: list[int], limit: int
) -> tuple[list[str], list[int]]:
    """The first `limit` files of each class, in order (a smaller dataset for quick runs)."""
    kept = [
        (f, y)
        for y in (0, 1)
        for f in [f for f, z in zip(files, labels, strict=True) if z == y][:limit]
    ]
    return [f for f, _ in kept], [y for _, y in kept]


def card_split(dataset: Dataset, card: dict) -> dict[str, Split]:
    """The train, validation and test photos of `dataset` that `card` was trained and judged on:
    its recorded seed and fractions, over the first N photos of each class when it was cut."""
    recorded = card["dataset"]["split"]
    # An INT8 copy evaluated on a cut records it in its split; a trained model, in its settings.
    per_class = recorded.get("max_images_per_class") or card.get("training", {}).get(
        "settings", {}
    ).get("max_images_per_class")
    files, labels = dataset.labelled_files()
    if per_class:
        files, labels = _first_per_class(files, labels, per_class)
    return _stratified_split(
        files, labels, recorded["seed"], tuple(recorded.get("fractions", FRACTIONS))
    )
