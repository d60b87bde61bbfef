"""What the app does when its models change or the challenger answers: count it, follow the new
model's drift, tell Discord, store the shadow answer. Wired to Serving and ShadowWorker by
serving's `init_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from catsdogs.store import records

if TYPE_CHECKING:  # annotations only
    from catsdogs.monitoring.metrics import Telemetry
    from catsdogs.monitoring.model_health import ModelHealth
    from catsdogs.monitoring.notifications import Alerts
    from catsdogs.serving.classifier import Classifier, Answer
    from catsdogs.serving.served_models import Serving
    from catsdogs.serving.shadow import ShadowJob


class ModelEvents:
    """Serving's `on_event`: metrics for every event, a Discord message for every change."""

    def __init__(
        self,
        models: Serving,
        telemetry: Telemetry,
        model_health: ModelHealth,
        alerts: Alerts,
        model_name: str,
    ):
        self.models, self.telemetry, self.model_health = models, telemetry, model_health
        self.alerts, self.model_name = alerts, model_name

    def __call__(self, kind: str, details: dict) -> None:
        if kind == "checked":
            state = self.models.state  # the time as a number: the metric is Unix seconds
            self.telemetry.record_registry_check(
                self.model_name, details["reachable"], state.last_success
            )
            return
        if kind == "swapped":
            self.telemetry.serving(details["to"]["version"], previous=details["from"]["version"])
            champion = self.models.champion.classifier  # drift against its own profile
            self.model_health.track(champion.card, champion.model_version)
            if details.get("at_start"):  # the first model loaded: no change to tell anyone
                return
            self.telemetry.model_swaps.inc()
        elif kind == "refused":
            self.telemetry.record_refusal(details["reason"])
        elif kind == "shadow_on":
            self.telemetry.serving(details["version"], role="challenger")
        elif kind == "shadow_off":
            self.telemetry.no_challenger(details["version"])
        self.alerts.model(kind, details)


class ShadowAnswers:
    """ShadowWorker's collaborators: which model shadows, and where its answers go."""

    def __init__(self, app: Flask, models: Serving, telemetry: Telemetry):
        self.app, self.models, self.telemetry = app, models, telemetry

    def challenger(self) -> Classifier | None:
        """The model that shadows now, or None: shadow traffic is off."""
        served = self.models.challenger
        return served.classifier if served else None

    def record(self, job: ShadowJob, prediction: Answer, seconds: float) -> None:
        """Count the challenger's answer and store it beside the champion's."""
        self.telemetry.record_shadow(job.champion, prediction, seconds)
        with self.app.app_context():
            if not records.save_shadow(job.prediction_id, prediction, seconds):
                self.telemetry.record_shadow_dropped("not_stored")

    def dropped(self) -> None:
        """Count a photo the full queue had no room for."""
        self.telemetry.record_shadow_dropped("queue_full")
