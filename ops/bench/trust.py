"""What "not a cat or a dog" and the heatmap cost (issue 28, docs/trust.md).

The detector and the class activation maps are outputs of the same model run: their cost is the
extended model's one-thread time minus that of the model it extends (the same weights with one
output), measured in alternating rounds so that a busy second on a shared machine hits both.
The heatmap asked for with `explain=true` is built in Python from the maps: timed apart.
"""

import statistics
import time

import numpy as np

from bench.floor import _session, _timings
from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.serving.classifier import Classifier
from catsdogs.serving.explain import explanation

# The model the shipped one extends, kept loadable beside it (catsdogs/model/previous/).
PREVIOUS = SHIPPED_MODEL.parent / "previous" / SHIPPED_MODEL.name


def measure(model: str, base: str, photo: bytes, rounds: int = 9, runs: int = 60) -> dict:
    """The extra one-thread milliseconds of `model`'s added outputs over `base`, and the p50 of
    building an explanation (grid, place, overlay) from one answer."""
    card = ModelCard.for_model(model)
    pixels = np.zeros((1, card.input_size[1], card.input_size[0], 3), np.float32)
    pixels += np.random.default_rng(0).uniform(0, 255, pixels.shape).astype(np.float32)
    sessions = {"extended": _session(model, 1), "base": _session(base, 1)}
    medians: dict[str, list[float]] = {name: [] for name in sessions}
    for _ in range(rounds):
        for name, session in sessions.items():
            medians[name].append(_median_ms(session, card.input_name, pixels, runs))
    extended, base_ms = statistics.median(medians["extended"]), statistics.median(medians["base"])
    classifier = Classifier(card, threads=1)
    answer, decoded = classifier.predict_photo(photo)
    resized = decoded.pixels(card.input_size, card.resize_method)
    return {
        "model": card.model_version,
        "base": ModelCard.for_model(base).model_version,
        "rounds": rounds,
        "runs_per_round": runs,
        "extended_p50_ms": round(extended, 3),
        "base_p50_ms": round(base_ms, 3),
        "detector_extra_ms": round(extended - base_ms, 3),
        "explanation": _timings(lambda: explanation(answer, resized), 200),
    }


def _median_ms(session, input_name: str, pixels: np.ndarray, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        session.run(None, {input_name: pixels})
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def markdown(trust: dict | None) -> list[str]:
    if not trust:
        return []
    return [
        "",
        "## Not a cat or a dog, and the heatmap",
        "",
        f"One thread, {trust['rounds']} alternating rounds of {trust['runs_per_round']} runs: "
        f"{trust['model']} (detector and maps in the graph) against {trust['base']} (the same "
        "weights, probabilities only).",
        "",
        "| measure | ms |",
        "|---|---|",
        f"| model with detector and maps, p50 | {trust['extended_p50_ms']} |",
        f"| model it extends, p50 | {trust['base_p50_ms']} |",
        f"| extra per request (detector and maps) | {trust['detector_extra_ms']} |",
        f"| heatmap for explain=true (grid, place, overlay JPEG), p50 | "
        f"{trust['explanation']['p50_ms']} |",
    ]
