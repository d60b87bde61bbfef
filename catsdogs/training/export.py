"""Export the Keras model to ONNX, prove parity with ONNX Runtime, write the model cards."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort

from catsdogs.registry.client import file_sha256
from catsdogs.training.report import render_markdown

if TYPE_CHECKING:  # annotations only: TensorFlow loads with catsdogs.training.train
    import keras

log = logging.getLogger(__name__)
PARITY_TOLERANCE = 1e-4


class ParityError(RuntimeError):
    """ONNX Runtime and Keras disagree on the exported model."""


def export_onnx(model: keras.Model, path: Path) -> None:
    """Write the model as ONNX with a dynamic batch dimension."""
    model.predict(np.zeros((1, *model.input_shape[1:]), np.float32), verbose=0)
    model.export(str(path), format="onnx", verbose=False)


def session(path: Path, threads: int = 0) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def predict(path: Path, pixels: np.ndarray, batch: int = 64) -> np.ndarray:
    """Run ONNX Runtime over uint8 pixels; return the (n, classes) probabilities."""
    runner = session(path)
    name = runner.get_inputs()[0].name
    return np.concatenate(
        [
            runner.run(None, {name: pixels[i : i + batch].astype(np.float32)})[0]
            for i in range(0, len(pixels), batch)
        ]
    )


def check_parity(model: keras.Model, path: Path, pixels: np.ndarray) -> dict:
    """Compare Keras and ONNX Runtime outputs; raise ParityError above the tolerance."""
    expected = model.predict(pixels.astype(np.float32), batch_size=64, verbose=0)
    difference = float(np.max(np.abs(predict(path, pixels) - expected)))
    log.info("parity on %d images: max abs difference %.2e", len(pixels), difference)
    if not difference <= PARITY_TOLERANCE:
        raise ParityError(
            f"ONNX export differs from Keras by {difference:.2e} "
            f"(> {PARITY_TOLERANCE:.0e}) on {len(pixels)} images"
        )
    return {
        "images": int(len(pixels)),
        "max_abs_difference": difference,
        "tolerance": PARITY_TOLERANCE,
    }


def version(semantic: str, path: Path) -> str:
    """A model's version: its semantic version, then its file's hash, e.g. 1.0.0+3081f9d1."""
    return f"{semantic}+{file_sha256(path)[:8]}"


def next_minor(model_version: str) -> str:
    """The semantic version after `model_version` for the same weights with more outputs:
    existing clients read the same first output, so only the minor number moves."""
    major, minor, _ = model_version.split("+")[0].split(".")
    return f"{major}.{int(minor) + 1}.0"


def io_description(path: Path) -> tuple[dict, list[dict]]:
    """The input, and every output in the graph's order (the probabilities first), with their
    names, shapes and types as ONNX Runtime reports them."""
    runner = session(path)
    (tensor_in,) = runner.get_inputs()

    def describe(t):
        return {
            "name": t.name,
            "shape": [d if isinstance(d, int) else None for d in t.shape],
            "dtype": t.type.removeprefix("tensor(").removesuffix(")").replace("float", "float32"),
        }

    return describe(tensor_in), [describe(t) for t in runner.get_outputs()]


def write_cards(card: dict, model_path: Path) -> None:
    """Write `<model>.json` (read by serving) and `<model>.md` (read by people) beside it."""
    model_path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    model_path.with_suffix(".md").write_text(render_markdown(card))
