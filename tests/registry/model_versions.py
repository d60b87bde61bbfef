"""Model versions made for tests from the shipped model: another real model, and broken ones.

Each is written as a folder holding catsdogs.onnx, catsdogs.json and catsdogs.md, the layout the
registry stores and serving loads.
"""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from catsdogs.card import SHIPPED_MODEL

CARD = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())


def write(folder: Path, model: bytes, version: str, **card_changes) -> Path:
    """A version folder: `model` as the ONNX file, the shipped card with its sha256, `version`
    and `card_changes` (a dotted key such as "input.name" reaches inside)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catsdogs.onnx").write_bytes(model)
    card = json.loads(json.dumps(CARD)) | {
        "version": version,
        "sha256": hashlib.sha256(model).hexdigest(),
    }
    for dotted, value in card_changes.items():
        *parents, key = dotted.split(".")
        place = card
        for parent in parents:
            place = place[parent]
        place[key] = value
    (folder / "catsdogs.json").write_text(json.dumps(card, indent=2))
    (folder / "catsdogs.md").write_text(f"# catsdogs {version}\n\nA test version.\n")
    return folder


def rescaled(scale: float, offset: float, source: Path = SHIPPED_MODEL) -> bytes:
    """The shipped model (or `source`) with its probabilities mapped to scale * p + offset.

    0.8 and 0.1 give another valid model (same answers, other probabilities); -1 and 1 swap the
    two classes' probabilities: a model that calls every cat a dog.
    """
    model = onnx.load(str(source))
    graph = model.graph
    output = graph.output[0].name
    raw = f"{output}/raw"
    for node in graph.node:
        node.output[:] = [raw if name == output else name for name in node.output]
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.array(scale, np.float32), "test/scale"),
            numpy_helper.from_array(np.array(offset, np.float32), "test/offset"),
        ]
    )
    graph.node.extend(
        [
            helper.make_node("Mul", [raw, "test/scale"], ["test/scaled"]),
            helper.make_node("Add", ["test/scaled", "test/offset"], [output]),
        ]
    )
    return model.SerializeToString()


def shipped(folder: Path) -> Path:
    """The shipped model's own files, as a version folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".onnx", ".json", ".md"):
        shutil.copy(SHIPPED_MODEL.with_suffix(suffix), folder / f"catsdogs{suffix}")
    return folder


def damped(folder: Path) -> Path:
    """Another working model: the same answers with other probabilities, version 2.0.0-damped."""
    return write(folder, rescaled(0.8, 0.1), "2.0.0-damped")


def broken(folder: Path, kind: str) -> Path:
    """A version that must be refused: wrong_sha256, wrong_input, not_onnx or wrong_answers."""
    model = SHIPPED_MODEL.read_bytes()
    if kind == "wrong_sha256":
        write(folder, model, "9.0.0-sha")
        card = json.loads((folder / "catsdogs.json").read_text())
        card["sha256"] = "0" * 64
        (folder / "catsdogs.json").write_text(json.dumps(card))
        return folder
    if kind == "wrong_input":
        return write(folder, model, "9.0.0-input", **{"input.name": "pixels"})
    if kind == "not_onnx":
        return write(folder, b"this is not an ONNX model\n" * 100, "9.0.0-junk")
    if kind == "wrong_answers":
        return write(folder, rescaled(-1.0, 1.0), "9.0.0-swapped")
    raise ValueError(kind)


def register(registry, folder: Path, checks: Path | None = None):
    """Register the version folder (with its photos of known class); return what the registry
    says of it (a RegisteredVersion)."""
    return registry.register(
        folder / "catsdogs.onnx", folder / "catsdogs.json", folder / "catsdogs.md", checks=checks
    )
