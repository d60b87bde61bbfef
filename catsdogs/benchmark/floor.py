"""The floor: bare ONNX Runtime inference, and the in-process bytes -> prediction pipeline."""

import io
import os
import statistics
import time
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from catsdogs.card import ModelCard
from catsdogs.inference import Classifier

SHARED_DATASET = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "PetImages-180.zip"


def small_photo() -> bytes:
    """A 180 px photo like the training data (from ../shared when present, else generated)."""
    if SHARED_DATASET.exists():
        with zipfile.ZipFile(SHARED_DATASET) as archive:
            return archive.read("PetImages/Cat/1.jpg")
    return _jpeg(_textured(180, 180), quality=90)


def twelve_megapixel_jpeg() -> bytes:
    """A 4032x3024 JPEG with camera-like noise, about 3 MB."""
    return _jpeg(_textured(4032, 3024), quality=90)


def _textured(width: int, height: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack(
        [(x * 255 // width), (y * 255 // height), ((x + y) * 127 // (width + height))], axis=-1
    ).astype(np.float32)
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


def _jpeg(pixels: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _timings(call, runs: int, warmup: int = 10) -> dict:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "runs": runs,
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[int(0.95 * (runs - 1))], 3),
        "mean_ms": round(statistics.fmean(samples), 3),
    }


def bare_inference(model: str, runs: int = 300) -> dict:
    """Batch-1 session.run on one thread and on all cores; throughput = 1000 / mean."""
    card = ModelCard.for_model(model)
    batch = (
        np.random.default_rng(0)
        .integers(0, 256, (1, card.input_size[1], card.input_size[0], 3))
        .astype(np.float32)
    )
    results = {}
    for name, threads in (("one_thread", 1), ("all_cores", len(os.sched_getaffinity(0)))):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        timing = _timings(lambda s=session: s.run(None, {card.input_name: batch}), runs)
        results[name] = {
            **timing,
            "threads": threads,
            "throughput_per_s": round(1000 / timing["mean_ms"], 1),
        }
    return results


def pipeline(model: str, photos: dict[str, bytes], runs: int = 100) -> dict:
    """Classifier.predict(bytes) in process, as the service calls it."""
    classifier = Classifier(ModelCard.for_model(model), threads=1)
    return {
        name: _timings(lambda data=data: classifier.predict(data), runs)
        for name, data in photos.items()
    }
