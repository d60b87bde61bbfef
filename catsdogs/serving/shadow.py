"""Shadow traffic: the challenger classifies a sample of the champion's photos, off the request
path, and its answer is stored beside the champion's. A full queue drops work, never waits."""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from catsdogs.serving.classifier import Answer, Classifier
from catsdogs.serving.imaging import Photo, Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShadowJob:
    prediction_id: int
    # Resized for the challenger on the request's thread from the pixels the champion used:
    # a queued photo is 150 KB, not the upload, and it is not decoded a second time.
    pixels: np.ndarray
    source: Source
    champion: Answer


class ShadowWorker:
    """A bounded queue and one daemon thread that runs the challenger on queued photos.

    `challenger()` returns the model to run (or None: shadow is off); `record(job, prediction,
    seconds)` stores and counts the answer; `dropped()` counts a photo the queue had no room for.
    """

    def __init__(
        self,
        sample: float,
        challenger: Callable[[], Classifier | None],
        record: Callable[[ShadowJob, Answer, float], None],
        dropped: Callable[[], None],
        capacity: int = 64,
    ):
        self.sample, self.challenger = sample, challenger
        self.record, self.dropped = record, dropped
        self.jobs: queue.Queue[ShadowJob | None] = queue.Queue(capacity)
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def offer(self, prediction_id: int, photo: Photo, champion: Answer) -> bool:
        """Queue the photo for the challenger if shadow is on and it is drawn; never blocks."""
        model = self.challenger()
        if model is None or random.random() >= self.sample:
            return False
        pixels = photo.pixels(model.card.input_size, model.card.resize_method)
        try:
            self.jobs.put_nowait(ShadowJob(prediction_id, pixels, photo.source, champion))
        except queue.Full:
            self.dropped()
            return False
        self._start_once()
        return True

    def stop(self) -> None:
        if self._thread is not None:
            self.jobs.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def drain(self, timeout: float = 10) -> None:
        """Wait until every queued photo has been handled (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while self.jobs.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def _start_once(self) -> None:
        with self._starting:  # the first photos may arrive on several threads at once
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="shadow", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            try:
                self._handle(job)
            except Exception:  # one bad round must not end shadow traffic
                log.exception("shadow prediction failed for prediction %s", job.prediction_id)
            finally:
                self.jobs.task_done()
        self.jobs.task_done()

    def _handle(self, job: ShadowJob) -> None:
        model = self.challenger()
        width, height = model.card.input_size if model else (0, 0)
        if model is None or job.pixels.shape[:2] != (height, width):  # shadow off, or swapped
            return
        started = time.perf_counter()
        prediction = model.predict_resized(job.pixels, source=job.source)
        self.record(job, prediction, time.perf_counter() - started)
