"""The guard that takes a canary back to 0% by itself: the app's own figures, judged every few
seconds (catsdogs/monitoring/canary_guards.py holds the guards)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from catsdogs.monitoring.canary_guards import CanaryFigures, evaluate
from catsdogs.periodic import Periodic
from catsdogs.registry import canary as registry_canary
from catsdogs.registry.client import RegistryError
from catsdogs.serving.canary import Canary

if TYPE_CHECKING:  # annotations only
    from catsdogs.serving.served_models import Serving

log = logging.getLogger(__name__)


class CanaryGuard(Periodic):
    """Every `interval` seconds, judge the canary on the app's own figures; if a guard trips,
    stop it here, tell (`on_event`) and write 0% to the registry (retried until it lands)."""

    name = "canary-guard"

    def __init__(
        self,
        models: Serving,
        figures: CanaryFigures,
        interval: float,
        on_event: Callable[[str, dict], None],
    ):
        super().__init__(interval)
        self.models, self.figures, self.on_event = models, figures, on_event

    def run_once(self) -> None:
        canary = self.models.canary
        if canary.active(self.models.challenger):
            trips = evaluate(self.figures.summary(), self.figures.limits)
            if trips:
                why = "; ".join(f"{trip.guard}: {trip.detail}" for trip in trips)
                stopped = canary.trip(why)
                if stopped is not None:
                    log.warning("canary %s taken back to 0%%: %s", stopped.version, why)
                    guards = [trip.guard for trip in trips]
                    details = (canary.describe() or {}) | {"guards": guards}
                    self.on_event("canary_tripped", details)
        if canary.owed is not None:
            self._write(canary)

    def _write(self, canary: Canary) -> None:
        owed, registry = canary.owed, self.models.registry
        if owed is None or registry is None:
            return
        try:
            registry_canary.trip(registry, owed, canary.why or "")
        except RegistryError as error:  # routing stopped already; the record waits a round
            log.warning("canary rollback not recorded in the registry yet: %s", error)
            return
        canary.owed = None
