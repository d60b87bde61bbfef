"""Model health without labels: each prediction's signals as metrics, and its model's window.

Every prediction carries the card of the model that made it, so a model swapped in at run time
is compared with its own reference profile and labelled with its own version. The drift scores
are gauges computed here, at scrape time, from a window of the last predictions (docs/
monitoring.md, "Model health", says why here rather than in Prometheus recording rules).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.exc import SQLAlchemyError

from catsdogs.card import ModelCard
from catsdogs.monitoring import feedback_accuracy, reference, signals
from catsdogs.monitoring.drift import Window, merge, summarize
from catsdogs.monitoring.exporter import forget_series
from catsdogs.monitoring.health_gauges import HealthGauges
from catsdogs.monitoring.shared_windows import SharedWindows

if TYPE_CHECKING:  # annotations only: the classifier imports monitoring's signals
    from catsdogs.monitoring.metrics import Telemetry
    from catsdogs.serving.classifier import Answer

log = logging.getLogger(__name__)
MAX_VERSIONS = 4  # models kept per process: a bound on the `version` label's values
# One grouped query per half minute, however often the scrape, unless this process took a vote.
FEEDBACK_CACHE_SECONDS = 30


class ModelHealth:
    """The signals' metrics, one window per model version, and the scrape-time gauges."""

    def __init__(
        self,
        registry: CollectorRegistry,
        window: int,
        feedback_days: float,
        app: Flask | None = None,
        telemetry: Telemetry | None = None,
        shared: Path | None = None,
        workers: int = 1,
    ):
        self.window_size, self.feedback_days, self.app = window, feedback_days, app
        self.telemetry = telemetry
        # With several workers, each keeps its share of the window and /metrics merges them.
        self.own_size = math.ceil(window / workers)
        self.shared = SharedWindows(shared, self._snapshots) if shared else None
        self._models: OrderedDict[str, tuple[ModelCard | None, Window]] = OrderedDict()
        # Each version's metric children, looked up once: labels() per signal per request costs.
        self._children: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._feedback: tuple[float, int, dict] = (-FEEDBACK_CACHE_SECONDS, 0, {})
        self.metrics: dict[str, Histogram | Counter] = {}
        for signal in signals.ALL_SIGNALS:
            name = f"cv_health_{signal.name}"
            if signal.edges:
                self.metrics[signal.name] = Histogram(
                    name, f"Per prediction: {signal.name}", ["version"],
                    buckets=signal.edges, registry=registry,
                )  # fmt: skip
            else:
                self.metrics[signal.name] = Counter(
                    name, f"Predictions by {signal.name}", ["version", "value"], registry=registry
                )
        gauges = HealthGauges(self)
        if telemetry is not None:
            telemetry.add_scrape_time(gauges)
        else:
            registry.register(gauges)

    def track(self, card: ModelCard | None, model_version: str) -> Window:
        """The window of `version`, created (with all its series) on first use."""
        with self._lock:
            if model_version not in self._models:
                self._models[model_version] = (card, Window(self.own_size))
                self._children[model_version] = self._children_of(card, model_version)
                while len(self._models) > MAX_VERSIONS:
                    self._forget(self._models.popitem(last=False)[0])
            self._models.move_to_end(model_version)  # the least recently used version goes first
            return self._models[model_version][1]

    def _children_of(self, card: ModelCard | None, model_version: str) -> dict[str, Any]:
        # A model without a detector gets no "not a cat or a dog" series, not series stuck at 0.
        detector = card is not None and card.neither_output is not None
        children: dict[str, Any] = {}
        for signal in signals.SIGNALS + (signals.DETECTOR if detector else ()):
            metric = self.metrics[signal.name]
            if signal.edges:
                children[signal.name] = metric.labels(model_version)
            else:
                children[signal.name] = [
                    metric.labels(model_version, value) for value in signal.bins
                ]
        return children

    def _forget(self, model_version: str) -> None:
        self._children.pop(model_version, None)
        for signal in signals.ALL_SIGNALS:
            metric = self.metrics[signal.name]
            for values in [()] if signal.edges else [(value,) for value in signal.bins]:
                forget_series(metric, model_version, *values)

    def observe(self, prediction: Answer) -> None:
        """Count one prediction's signals, for the version and card that made it."""
        card = prediction.card
        values = {
            **prediction.inputs,
            **signals.describe_answer(prediction.probabilities, prediction.label),
            **signals.describe_detector(
                prediction.neither, prediction.neither_score, card.neither_above if card else 0
            ),
        }
        model_version = prediction.model_version
        self.track(card, model_version).add(values)
        if self.shared:
            self.shared.changed.set()
        children = self._children.get(model_version)
        if children is None:  # forgotten meanwhile: newer versions arrived from other threads
            return
        for name, value in values.items():
            signal, child = signals.BY_NAME[name], children.get(name)
            if child is None:  # a detector's signal, for a version first seen without its card
                continue
            if signal.edges:
                child.observe(value)
            else:
                child[signal.bin(value)].inc()

    def status(self, model_version: str) -> dict | None:
        """The window of `version` against its reference: what the page and the gauges show."""
        with self._lock:
            if model_version not in self._models:
                return None
            card, window = self._models[model_version]
        snapshot = window.snapshot()
        if self.shared:
            snapshot = merge([snapshot, *self.shared.others(model_version)])
        summary = summarize(snapshot, reference.signals_of(card))
        confidence, neither = summary.get("confidence"), summary.get("neither")
        expected = reference.expected_neither_share(card)
        return {
            "version": model_version,
            "predictions": snapshot["rows"],
            "size": self.window_size,
            "full": snapshot["rows"] >= self.window_size,
            "reference": card.data.get("reference_profile") if card else None,
            "signals": summary,
            "card_accuracy": reference.card_figure(card, "accuracy"),
            "card_ece": reference.card_figure(card, "expected_calibration_error"),
            "estimate_allowed": reference.estimate_allowed(card),
            "estimated_accuracy": confidence["mean"] if confidence else None,
            # None for a model without a detector; a share once its answers reach the window
            "neither": None
            if expected is None
            else {"expected": expected, "share": neither["shares"][1] if neither else None},
        }

    def _snapshots(self) -> dict[str, dict]:
        with self._lock:
            windows = {version: window for version, (_, window) in self._models.items()}
        return {version: window.snapshot() for version, window in windows.items()}

    def versions(self) -> list[str]:
        """The model versions with a window, least recently used first."""
        with self._lock:
            return list(self._models)

    def feedback(self) -> dict[str, dict]:
        """Feedback accuracy per version from the database, cached; {} when it does not answer."""
        checked, seen, figures = self._feedback
        votes = self.telemetry.votes_recorded if self.telemetry else 0
        if time.monotonic() - checked < FEEDBACK_CACHE_SECONDS and votes == seen:
            return figures
        if self.app is None:  # no app, no database (ops/bench measures the signals alone)
            return {}
        try:
            with self.app.app_context():
                figures = feedback_accuracy.by_version(self.feedback_days)
        except SQLAlchemyError:
            log.warning("model health: the database does not answer, no feedback accuracy")
            figures = {}
        self._feedback = (time.monotonic(), votes, figures)
        return figures
