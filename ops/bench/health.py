"""The cost of model health per request: the photo's statistics and their recording.

Both run on every prediction (catsdogs/inference.py and catsdogs/model_health.py); the drift
scores are computed at scrape time, once per scrape, and measured apart.
"""

from prometheus_client import CollectorRegistry, generate_latest

from bench.floor import _timings
from catsdogs import imaging, signals
from catsdogs.card import ModelCard
from catsdogs.inference import Classifier
from catsdogs.model_health import ModelHealth

TARGET_MS = 0.3  # per request, statistics and recording together (issue 17)


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

    return {
        "describe_image": _timings(
            lambda: signals.describe_image(pixels, source.format, source.size), runs
        ),
        "observe": _timings(lambda: health.observe(prediction), runs),
        "per_request": _timings(both, runs),
        "per_scrape": _timings(lambda: generate_latest(registry), 200),
    }
