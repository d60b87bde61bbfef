"""The cost of model health per request: the photo's statistics and their recording.

Both run on every prediction (catsdogs/serving/classifier.py and
catsdogs/monitoring/model_health.py); the drift
scores are computed at scrape time, once per scrape, and measured apart.
"""

import time

from prometheus_client import CollectorRegistry, generate_latest

from bench.floor import _timings
from catsdogs.serving import imaging
from catsdogs.monitoring import signals
from catsdogs.card import ModelCard
from catsdogs.serving.classifier import Classifier
from catsdogs.monitoring.model_health import ModelHealth


def _cpu_ms(call, runs: int) -> float:
    """Mean CPU time of the calling thread per call: on a shared machine, what a request costs
    without the time other processes held the core."""
    started = time.thread_time()
    for _ in range(runs):
        call()
    return round((time.thread_time() - started) * 1000 / runs, 4)


def measure(model: str, photo: bytes, runs: int = 3000) -> dict:
    """Timings of describe_image, of observe (metrics and window) and of both, per request."""
    classifier = Classifier(ModelCard.for_model(model), threads=1)
    size, method = classifier.card.input_size, classifier.card.resize_method
    image, source = imaging.decode_with_source(photo, size)
    pixels = imaging.resize(image, size, method)
    prediction = classifier.predict(photo)
    registry = CollectorRegistry()
    health = ModelHealth(registry, window=1000, feedback_days=7)

    def both():
        signals.describe_image(pixels, source.format, source.size)
        health.observe(prediction)

    def describe():
        signals.describe_image(pixels, source.format, source.size)

    def observe():
        health.observe(prediction)

    def scrape():
        generate_latest(registry)

    steps = {"describe_image": describe, "observe": observe, "per_request": both}
    results = {
        name: {**_timings(call, runs), "cpu_mean_ms": _cpu_ms(call, runs)}
        for name, call in steps.items()
    }
    results["per_scrape"] = {**_timings(scrape, 200), "cpu_mean_ms": _cpu_ms(scrape, 200)}
    return results
