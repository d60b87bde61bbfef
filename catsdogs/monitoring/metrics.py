"""Prometheus metrics, all on the app's own registry, with bounded label values only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from flask import Flask
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from catsdogs.errors import ERRORS
from catsdogs.monitoring.exporter import ServiceMetrics, forget_series

if TYPE_CHECKING:  # annotations only: the classifier imports monitoring's signals
    from catsdogs.serving.classifier import Answer

# "neither": not a cat or a dog (a model without a detector never says so); "error": the model
# failed on an upload
RESULTS = ("cat", "dog", "neither", "error")
STAGES = ("decode", "preprocess", "inference", "database")
ERROR_CODES = (*ERRORS, "other")  # a label per code of the table; "other" for a stray one
# Resolve a 2-50 ms model and the 2 s latency objective.
LATENCY_BUCKETS = (0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1,
                   0.25, 0.5, 1.0, 2.0, 5.0)  # fmt: skip
SHADOW_DROPS = ("queue_full", "not_stored")
REFUSALS = ("card", "sha256", "load", "check_photos", "other")
PRECISIONS = ("fp32", "int8")  # of cv_model_precision: the FP32 model or its INT8 copy
CONFIDENCE_BUCKETS = (0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99, 1.0)
UPLOAD_BUCKETS = (1e4, 5e4, 1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7, 2e7)


class Telemetry:
    """The service's own metrics; call the record_* methods, never the metrics directly."""

    def __init__(
        self,
        registry: CollectorRegistry,
        model_version: str | None,
        scrape_time: list[Any] | None = None,
    ):
        self.registry = registry  # model health adds its metrics to it
        self._precision_roles: set[str] = set()  # roles with cv_model_precision series
        # Collectors that compute their figures when scraped: with several workers, /metrics
        # runs them beside the workers' merged files (ServiceMetrics).
        self.scrape_time = scrape_time if scrape_time is not None else []
        self.votes_recorded = 0  # tells model health its cached feedback accuracy is stale
        # Told each vote's model version: the canary's guards count votes by role.
        self.on_vote: Callable[[str, bool], None] = lambda model_version, satisfied: None

        def counter(name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
            return Counter(name, doc, labels, registry=registry)

        def histogram(
            name: str, doc: str, buckets: Sequence[float], labels: Sequence[str] = ()
        ) -> Histogram:
            return Histogram(name, doc, labels, buckets=buckets, registry=registry)

        self.predictions = counter(
            "cv_predictions_total", "Predictions by result and model version", ["result", "version"]
        )
        self.feedback = counter("cv_user_feedback_total", "User feedback", ["satisfaction"])
        self.errors = counter("cv_errors_total", "Failed requests by error code", ["code"])
        self.inference_time = histogram(
            "cv_inference_time_seconds", "Time from image bytes to probabilities", LATENCY_BUCKETS
        )
        self.stage_time = histogram(
            "cv_stage_duration_seconds", "Time per prediction stage", LATENCY_BUCKETS, ["stage"]
        )
        self.confidence = histogram(
            "cv_model_confidence", "Confidence of the predicted class", CONFIDENCE_BUCKETS
        )
        self.upload_size = histogram(
            "cv_upload_size_bytes", "Size of uploaded images", UPLOAD_BUCKETS
        )
        # With several workers (docs/monitoring.md): the latest check of any worker counts.
        self.database = Gauge(
            "cv_database_connected",
            "1 when the database answers",
            registry=registry,
            multiprocess_mode="livemostrecent",
        )
        self.model_info = Gauge(
            "cv_model_info",
            "Loaded models: 1 per version and role",
            ["version", "role"],
            registry=registry,
            multiprocess_mode="livemax",  # 1 while a worker serves it
        )
        self.model_precision = Gauge(
            "cv_model_precision",
            "Numeric format each role's model answers in: 1 for the one in use",
            ["role", "precision"],
            registry=registry,
            multiprocess_mode="livemax",  # 1 while a worker answers in it
        )
        self.model_refused = counter(
            "cv_model_refused_total", "Registry versions refused by a check", ["reason"]
        )
        self.model_swaps = counter("cv_model_swaps_total", "Serving model changes without restart")
        # Labelled by registered model, so that without a registry there is no series at all
        # (an unlabelled gauge would read 0, "unreachable", and page someone for nothing).
        self.registry_up = Gauge(
            "cv_registry_up",
            "1 when the model registry answered the last check",
            ["model"],
            registry=registry,
            multiprocess_mode="livemostrecent",
        )
        self.registry_success = Gauge(
            "cv_registry_last_success_timestamp_seconds",
            "When a check last reached the model registry",
            ["model"],
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.shadow = counter(
            "cv_shadow_predictions_total",
            "Challenger answers on the champion's photos, by agreement",
            ["champion", "challenger", "agreement"],
        )
        self.shadow_time = histogram(
            "cv_shadow_inference_time_seconds",
            "Challenger time from image bytes to probabilities",
            LATENCY_BUCKETS,
            ["version"],
        )
        self.shadow_dropped = counter(
            "cv_shadow_dropped_total", "Photos shadow traffic skipped", ["reason"]
        )
        self.purged = counter(
            "cv_purged_predictions_total", "Predictions whose personal data retention cleared"
        )
        self.purged_photos = counter(
            "cv_purged_training_photos_total", "Photos kept for training that retention deleted"
        )
        # Expose every series from the start, so rates and absent() behave from the first scrape.
        for satisfaction in ("satisfied", "unsatisfied"):
            self.feedback.labels(satisfaction)
        for code in ERROR_CODES:
            self.errors.labels(code)
        for stage in STAGES:
            self.stage_time.labels(stage)
        for reason in SHADOW_DROPS:
            self.shadow_dropped.labels(reason)
        for reason in REFUSALS:
            self.model_refused.labels(reason)
        if model_version:
            self.serving(model_version)

    def serving(
        self, model_version: str, role: str = "champion", previous: str | None = None
    ) -> None:
        """Say which model version now plays `role` (and that `previous` no longer does)."""
        if previous and previous != model_version:
            self._unserved(previous, role)
        self.model_info.labels(model_version, role).set(1)
        for result in RESULTS:
            self.predictions.labels(result, model_version)

    def no_challenger(self, model_version: str) -> None:
        self._unserved(model_version, "challenger")
        self.answers_in("challenger", None)

    def _unserved(self, model_version: str, role: str) -> None:
        # 0 first: a worker's metric file keeps a removed series at its last value.
        self.model_info.labels(model_version, role).set(0)
        forget_series(self.model_info, model_version, role)

    def answers_in(self, role: str, precision: str | None) -> None:
        """Say in which format ("fp32", "int8") `role`'s model answers; None: no model plays it."""
        if precision is None:
            if role in self._precision_roles:
                for each in PRECISIONS:
                    self.model_precision.labels(role, each).set(0)  # as in _unserved
                    forget_series(self.model_precision, role, each)
                self._precision_roles.discard(role)
            return
        for each in PRECISIONS:
            self.model_precision.labels(role, each).set(float(each == precision))
        self._precision_roles.add(role)

    def add_scrape_time(self, collector: Any) -> None:
        """Register a collector that computes its figures when /metrics is read."""
        self.registry.register(collector)
        self.scrape_time.append(collector)

    def record_prediction(self, prediction: Answer, upload_bytes: int) -> None:
        self.predictions.labels(prediction.verdict, prediction.model_version).inc()
        self.inference_time.observe(prediction.total_ms / 1000)
        self.confidence.observe(prediction.confidence)
        self.upload_size.observe(upload_bytes)
        for stage in ("decode", "preprocess", "inference"):
            self.stage_time.labels(stage).observe(getattr(prediction, f"{stage}_ms") / 1000)

    def record_database_write(self, seconds: float) -> None:
        self.stage_time.labels("database").observe(seconds)

    def record_error(self, code: str) -> None:
        self.errors.labels(code if code in ERROR_CODES else "other").inc()

    def record_failed_prediction(self, model_version: str) -> None:
        self.predictions.labels("error", model_version).inc()

    def record_shadow(self, champion: Answer, challenger: Answer, seconds: float) -> None:
        agreement = "agree" if champion.label == challenger.label else "disagree"
        self.shadow.labels(champion.model_version, challenger.model_version, agreement).inc()
        self.shadow_time.labels(challenger.model_version).observe(seconds)

    def record_shadow_dropped(self, reason: str) -> None:
        self.shadow_dropped.labels(reason).inc()

    def record_registry_check(self, model: str, reachable: bool, when: float | None) -> None:
        self.registry_up.labels(model).set(int(reachable))
        if when:
            self.registry_success.labels(model).set(when)

    def record_refusal(self, reason: str) -> None:
        self.model_refused.labels(reason if reason in REFUSALS else "other").inc()

    def record_feedback(self, satisfied: bool, model_version: str | None = None) -> None:
        self.feedback.labels("satisfied" if satisfied else "unsatisfied").inc()
        self.votes_recorded += 1
        if model_version:
            self.on_vote(model_version, satisfied)

    def record_purge(self, cleared: int, photos: int = 0) -> None:
        self.purged.inc(cleared)
        self.purged_photos.inc(photos)


def init_app(app: Flask, model_version: str | None) -> Telemetry:
    """Create the app's registry, HTTP metrics (if enabled) and custom metrics."""
    registry = CollectorRegistry(auto_describe=True)
    scrape_time: list[Any] = []
    if app.config["ENABLE_PROMETHEUS"]:
        exporter = ServiceMetrics(app, registry, scrape_time)
        exporter.info("catsdogs_app_info", "Application info", version="1.0.0")
    return Telemetry(registry, model_version, scrape_time)
