"""What the app does when its models change or the challenger answers: count it, follow the new
model's drift, tell Discord, store the shadow answer. Wired to Serving and ShadowWorker by
serving's `init_app`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask

from catsdogs.registry import canary as registry_canary
from catsdogs.registry.client import RegistryError
from catsdogs.store import records

if TYPE_CHECKING:  # annotations only
    from catsdogs.monitoring.canary import CanaryRecorder
    from catsdogs.monitoring.metrics import Telemetry
    from catsdogs.monitoring.model_health import ModelHealth
    from catsdogs.monitoring.notifications import Alerts
    from catsdogs.serving.classifier import Classifier, Answer
    from catsdogs.serving.served_models import Serving
    from catsdogs.serving.shadow import ShadowJob

log = logging.getLogger(__name__)


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
            self.telemetry.answers_in("champion", details["to"]["precision"])
            champion = self.models.champion.classifier  # drift against its own profile
            self.model_health.track(champion.card, champion.model_version)
            if details.get("at_start"):  # the first model loaded: no change to tell anyone
                return
            self.telemetry.model_swaps.inc()
        elif kind == "refused":
            self.telemetry.record_refusal(details["reason"])
        elif kind == "shadow_on":
            self.telemetry.serving(details["version"], role="challenger")
            self.telemetry.answers_in("challenger", details["precision"])
        elif kind == "shadow_off":
            self.telemetry.no_challenger(details["version"])
        self.alerts.model(kind, details)


class CanaryEvents:
    """Serving's `on_event` with a canary: every event goes on to `events`; after each check
    that reached the registry, the canary's setting is read and followed (a new one starts a
    fresh window; the CLI already told Discord); a trip here is counted and told, as it
    happened nowhere else."""

    def __init__(
        self,
        events: Callable[[str, dict], None],
        models: Serving,
        recorder: CanaryRecorder,
        alerts: Alerts,
    ):
        self.events, self.models, self.recorder, self.alerts = events, models, recorder, alerts

    def __call__(self, kind: str, details: dict) -> None:
        if kind == "canary_tripped":
            self.recorder.percent.set(0)
            self.recorder.tripped(details["guards"])
            self.alerts.model(kind, details)
            return
        self.events(kind, details)
        if kind == "checked" and details["reachable"]:
            self.follow()

    def follow(self) -> None:
        """Read the registry's canary setting and route as it says (Serving's lock is held)."""
        models = self.models
        assert models.registry is not None  # checks reach a registry only when there is one
        try:
            setting = registry_canary.current(models.registry)
        except RegistryError as error:  # kept as it was; the next check reads it again
            log.warning("the canary setting could not be read: %s", error)
            return
        if models.canary.follow(setting, models.challenger):
            percent = models.canary.percent
            version = setting.version if setting else "-"
            log.info("canary: %g%% of clients to registry version %s", percent, version)
            self.recorder.percent.set(percent)
            if percent > 0:
                self.recorder.figures.clear()

    def vote(self, model_version: str, satisfied: bool) -> None:
        """A user's vote on an answer of `model_version`, counted for its role while a canary
        is on (a canary with the champion's model version cannot be told apart: champion)."""
        challenger, champion = self.models.challenger, self.models.champion
        if challenger is None or not self.models.canary.active(challenger):
            return
        canary = model_version == challenger.model_version != champion.model_version
        self.recorder.voted("canary" if canary else "champion", wrong=not satisfied)


class ShadowAnswers:
    """ShadowWorker's collaborators: which model shadows, and where its answers go."""

    def __init__(self, app: Flask, models: Serving, telemetry: Telemetry, canary: CanaryRecorder):
        self.app, self.models, self.telemetry, self.canary = app, models, telemetry, canary

    def challenger(self) -> Classifier | None:
        """The model that shadows now, or None: shadow traffic is off."""
        served = self.models.challenger
        return served.classifier if served else None

    def record(self, job: ShadowJob, prediction: Answer, seconds: float) -> None:
        """Count the challenger's answer and store it beside the champion's."""
        self.telemetry.record_shadow(job.champion, prediction, seconds)
        models = self.models
        if models.canary.active(models.challenger):  # the canary shadowing: the same comparison
            self.canary.compare(job.champion.label != prediction.label)
        with self.app.app_context():
            if not records.save_shadow(job.prediction_id, prediction, seconds):
                self.telemetry.record_shadow_dropped("not_stored")

    def dropped(self) -> None:
        """Count a photo the full queue had no room for."""
        self.telemetry.record_shadow_dropped("queue_full")

    def champion(self) -> Classifier | None:
        """The model that checks the canary's answers: the champion, while a canary is on."""
        models = self.models
        return models.champion.classifier if models.canary.active(models.challenger) else None

    def checked(self, job: ShadowJob, prediction: Answer, seconds: float) -> None:
        """The champion's answer on a canary's photo: only the guards need it."""
        self.canary.compare(job.champion.label != prediction.label)
