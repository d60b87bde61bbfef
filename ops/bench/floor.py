"""The floor: bare ONNX Runtime inference, and the in-process bytes -> prediction pipeline.

On shared virtual machines speed moves by 10-40% from one second to the next, a session that
uses every core most of all, so its throughput is also measured in short windows.
"""

import io
import os
import statistics
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from catsdogs.card import ModelCard
from catsdogs.serving.classifier import Classifier

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


class Floor:
    """Bare ONNX Runtime inference of one model, batch 1, with no service around it."""

    def __init__(self, model: str):
        self.card = ModelCard.for_model(model)
        self.cores = len(os.sched_getaffinity(0))
        self.feed = {
            self.card.input_name: np.random.default_rng(0)
            .integers(0, 256, (1, self.card.input_size[1], self.card.input_size[0], 3))
            .astype(np.float32)
        }
        self.one_thread = _session(model, 1)
        self.all_cores = _session(model, self.cores)

    def all_cores_window(self, runs: int = 100) -> float:
        """Inferences per second of one session using every core, over `runs` runs."""
        started = time.perf_counter()
        for _ in range(runs):
            self.all_cores.run(None, self.feed)
        return runs / (time.perf_counter() - started)

    def window(self) -> dict:
        """A short measure of the floors, taken just before each window of service load.

        All cores serve batch-1 inference in two ways: one session with a thread per core, or
        one-thread runs side by side. Whichever does more is the floor: the throughput the
        model alone reaches on these cores.
        """
        one = _timings(lambda: self.one_thread.run(None, self.feed), runs=40, warmup=3)
        intra_op, side = self.all_cores_window(), self.side_by_side(seconds=1.0)
        return {
            "one_thread_p50_ms": one["p50_ms"],
            "intra_op_per_s": round(intra_op, 1),
            "side_by_side_per_s": round(side, 1),
            "all_cores_per_s": round(max(intra_op, side), 1),
        }

    def side_by_side(self, seconds: float = 2.0) -> float:
        """Inferences per second of one-thread runs on every core at once, as the service runs."""
        counts = [0] * self.cores
        deadline = time.perf_counter() + seconds

        def loop(slot: int) -> None:
            while time.perf_counter() < deadline:
                self.one_thread.run(None, self.feed)
                counts[slot] += 1

        workers = [threading.Thread(target=loop, args=(slot,)) for slot in range(self.cores)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return sum(counts) / (time.perf_counter() - started)

    def measure(self, runs: int = 300) -> dict:
        """Latency and throughput on one thread, on all cores, and side by side."""
        one = _timings(lambda: self.one_thread.run(None, self.feed), runs)
        every = _timings(lambda: self.all_cores.run(None, self.feed), runs)
        return {
            "one_thread": {
                **one,
                "threads": 1,
                "throughput_per_s": round(1000 / one["mean_ms"], 1),
            },
            "all_cores": {
                **every,
                "threads": self.cores,
                "throughput_per_s": round(1000 / every["mean_ms"], 1),
            },
            "side_by_side": {
                "threads": self.cores,
                "throughput_per_s": round(self.side_by_side(), 1),
            },
        }


def _session(model: str, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def pipeline(model: str, photos: dict[str, bytes], runs: int = 100) -> dict:
    """Classifier.predict(bytes) in process, as the service calls it."""
    classifier = Classifier(ModelCard.for_model(model), threads=1)
    return {
        name: _timings(lambda data=data: classifier.predict(data), runs)
        for name, data in photos.items()
    }
