"""The classifier: bytes -> pixels -> ONNX Runtime -> probabilities. Knows nothing of Flask."""

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort

from catsdogs.serving import heap, imaging, optimized

from catsdogs.monitoring import signals
from catsdogs.card import CardError, ModelCard


@dataclass(frozen=True)
class Answer:
    """What the model says about one image, and how long each stage took (the stored row is
    catsdogs.store.tables.Prediction)."""

    label: str
    probabilities: dict[str, float]
    model_version: str
    decode_ms: float
    preprocess_ms: float
    inference_ms: float
    # The photo's statistics (signals.describe_image) and the card of the model that answered:
    # model health compares them with that card's reference profile.
    inputs: dict = field(default_factory=dict, compare=False)
    card: ModelCard | None = field(default=None, compare=False, repr=False)
    # "Not a cat or a dog": the detector's score (None: the model has none) and its verdict.
    # `label` and `probabilities` stay the two classes' answer, as clients have always read it.
    neither_score: float | None = None
    neither: bool = False
    # Where the model saw each class, (2, rows, columns) on the model's own grid (7x7 for
    # MobileNetV2), in the classes' order (None: no such output).
    activation: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def confidence(self) -> float:
        return self.probabilities[self.label]

    @property
    def verdict(self) -> str:
        """What the person is told: "neither", or the class."""
        return "neither" if self.neither else self.label

    @property
    def total_ms(self) -> float:
        return self.decode_ms + self.preprocess_ms + self.inference_ms


class Classifier:
    """An ONNX Runtime session configured from its model card.

    One per app, shared by waitress' threads: ORT sessions may run concurrently.
    """

    def __init__(self, card: ModelCard, threads: int = 1, saved_graphs: Path | None = None):
        """`saved_graphs`: the folder of optimized graphs (catsdogs.serving.optimized), if any."""
        self.card = card
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Threads waiting on a busy core must not spin: waitress runs several requests at once.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # One arena for every session of the process: the champion and a challenger take turns
        # with it instead of each keeping its own (docs/performance.md).
        shared_arena()
        options.add_session_config_entry("session.use_env_allocators", "1")
        try:
            self.session = optimized.session(card.model_path, options, saved_graphs)
        except Exception as error:
            raise CardError(f"cannot load model {card.model_path}: {error}") from None
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if [i.name for i in inputs] != [card.input_name]:
            raise CardError(f"model input {[i.name for i in inputs]} != card {card.input_name}")
        if outputs[0].shape[-1] != len(card.classes):
            raise CardError(f"model output {outputs[0].shape} != {len(card.classes)} classes")
        # The probabilities first, then what the card says the model also computes.
        self.outputs = [outputs[0].name, *filter(None, (card.neither_output, card.cam_output))]
        missing = set(self.outputs) - {output.name for output in outputs}
        if missing:
            raise CardError(f"model has no output {sorted(missing)} that its card names")
        self.predict_pixels(np.zeros((card.input_size[1], card.input_size[0], 3), np.uint8))
        heap.release_freed_memory()  # what loading freed: the parsed file, the unrewritten graph

    @property
    def model_version(self) -> str:
        """The model version: its card's, e.g. 1.0.0+3081f9d1."""
        return self.card.model_version

    def predict_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """Return the class probabilities for one (height, width, 3) image, values 0-255."""
        return self.run(pixels)[self.outputs[0]]

    def run(self, pixels: np.ndarray) -> dict[str, np.ndarray]:
        """Every output the card names, for one (height, width, 3) image, values 0-255."""
        batch = pixels[np.newaxis].astype(np.float32)
        results = self.session.run(self.outputs, {self.card.input_name: batch})
        return {name: result[0] for name, result in zip(self.outputs, results, strict=True)}

    def predict(self, data: bytes) -> Answer:
        """Classify image bytes; raise imaging.ImageError when they are not a usable image."""
        return self.predict_photo(data)[0]

    def predict_photo(self, data: bytes) -> tuple[Answer, imaging.Photo]:
        """`predict`, and the decoded photo, for the kept copy and the challenger to reuse."""
        started = time.perf_counter()
        photo = imaging.decode_photo(data, self.card.input_size)
        decoded = time.perf_counter()
        pixels = photo.pixels(self.card.input_size, self.card.resize_method)
        resized = time.perf_counter()
        answer = self.predict_resized(
            pixels, (decoded - started) * 1000, (resized - decoded) * 1000, photo.source
        )
        return answer, photo

    def predict_resized(
        self,
        pixels: np.ndarray,
        decode_ms: float = 0.0,
        preprocess_ms: float = 0.0,
        source: imaging.Source | None = None,
    ) -> Answer:
        """Classify one (height, width, 3) image already at the card's size, values 0-255."""
        started = time.perf_counter()
        results = self.run(pixels)
        inference_ms = (time.perf_counter() - started) * 1000
        card = self.card
        probabilities = dict(zip(card.classes, map(float, results[self.outputs[0]]), strict=True))
        label = card.classes[int(probabilities[card.classes[1]] >= card.threshold)]
        score = float(results[card.neither_output]) if card.neither_output else None
        inputs = signals.describe_image(
            pixels, source.format if source else "pixels", source.size if source else None
        )
        return Answer(
            label,
            probabilities,
            self.model_version,
            decode_ms,
            preprocess_ms,
            inference_ms,
            inputs,
            card,
            score,
            card.neither(score),
            results[card.cam_output] if card.cam_output else None,
        )


@functools.cache
def shared_arena() -> None:
    """Register the process's CPU arena with ONNX Runtime, once."""
    memory = ort.OrtMemoryInfo(
        "Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT
    )
    ort.create_and_register_allocator(memory, None)


def load_classifier(
    model_path: str, threads: int = 1, saved_graphs: Path | None = None
) -> Classifier:
    """Read the model's card, load the model and check that they agree."""
    return Classifier(ModelCard.for_model(model_path), threads, saved_graphs)
