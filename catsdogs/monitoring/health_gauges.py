"""Model health's scrape-time gauges, computed from the windows when /metrics is read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily


class Health(Protocol):
    """What the gauges read of catsdogs.monitoring.model_health.ModelHealth, which builds them."""

    @property
    def window_size(self) -> int: ...
    @property
    def app(self) -> object | None: ...

    def versions(self) -> list[str]: ...
    def status(self, model_version: str) -> dict | None: ...
    def feedback(self) -> dict[str, dict]: ...


class HealthGauges:
    """The scrape-time gauges: drift, window, estimated and feedback accuracy, per version."""

    def __init__(self, health: Health):
        self.health = health

    def describe(self) -> list[GaugeMetricFamily]:
        # Names only: the registry must not query the database here.
        return list(self._families().values())

    def _families(self) -> dict[str, GaugeMetricFamily]:
        def gauge(name: str, doc: str, labels: Sequence[str] = ()) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"cv_health_{name}", doc, labels=list(labels))

        return {
            "psi": gauge("drift_psi", "PSI: window against reference", ["version", "signal"]),
            "count": gauge("window_predictions", "Predictions in the window", ["version"]),
            "full": gauge("window_full", "1 once the window holds its size", ["version"]),
            "size": gauge("window_size", "Predictions a full window holds"),
            "estimate": gauge("estimated_accuracy", "Mean confidence of the window", ["version"]),
            "card": gauge("card_accuracy", "Test accuracy stated by the card", ["version"]),
            "ece": gauge("card_ece", "Expected calibration error stated by the card", ["version"]),
            "neither": gauge("neither_share", "Share of the window answered neither", ["version"]),
            "expected": gauge(
                "neither_expected_share", "Share of neither answers the card expects", ["version"]
            ),
            "votes": gauge("feedback_votes", "Votes counted for feedback accuracy", ["version"]),
            "feedback": gauge(
                "feedback_accuracy", "Share of votes that say right", ["version", "bound"]
            ),
        }  # fmt: skip

    def collect(self) -> list[GaugeMetricFamily]:
        families = self._families()
        families["size"].add_metric([], self.health.window_size)
        for model_version in self.health.versions():
            status = self.health.status(model_version)
            if status is None:
                continue
            families["count"].add_metric([model_version], status["predictions"])
            families["full"].add_metric([model_version], int(status["full"]))
            for name, entry in status["signals"].items():
                if "psi" in entry:
                    families["psi"].add_metric([model_version, name], entry["psi"])
            if status["estimate_allowed"] and status["estimated_accuracy"] is not None:
                families["estimate"].add_metric([model_version], status["estimated_accuracy"])
            for key, family in (("card_accuracy", "card"), ("card_ece", "ece")):
                if status[key] is not None:
                    families[family].add_metric([model_version], status[key])
            if status["neither"] is not None:
                families["expected"].add_metric([model_version], status["neither"]["expected"])
                if status["neither"]["share"] is not None:
                    families["neither"].add_metric([model_version], status["neither"]["share"])
        if self.health.app is not None:
            for model_version, figures in self.health.feedback().items():
                families["votes"].add_metric([model_version], figures["votes"])
                for bound in ("accuracy", "lower", "upper"):
                    families["feedback"].add_metric([model_version, bound], figures[bound])
        return list(families.values())
