"""The canary in the registry: the `challenger` alias names the version, the registered model's
`canary` tag says which share of live predictions it answers, who set it, when and why.

A challenger with no canary tag (or one at 0%) only shadows. The service itself sets the
percent to 0 when a guard trips (`trip`); a person decides what comes next.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass, field

from catsdogs.registry import lifecycle
from catsdogs.registry.client import Registry

TAG = "canary"  # registered-model tag: a CanarySetting as JSON
SERVICE = "catsdogs service"  # who turns a canary off when a guard trips


@dataclass(frozen=True)
class CanarySetting:
    """Which registry version answers which share of live predictions, as last set."""

    version: str
    percent: float
    by: str
    reason: str
    at: str = field(default_factory=lambda: datetime.datetime.now(datetime.UTC).isoformat())

    @classmethod
    def from_tag(cls, text: str | None) -> CanarySetting | None:
        """The setting a tag holds; None for no tag, or one no version of this code wrote."""
        try:
            data = json.loads(text or "")
            setting = cls(str(data["version"]), float(data["percent"]), str(data["by"]),
                          str(data.get("reason", "")), str(data["at"]))  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None
        return setting if 0 <= setting.percent <= 100 else None

    def to_tag(self) -> str:
        return json.dumps(asdict(self))


def current(registry: Registry) -> CanarySetting | None:
    """The canary set in the registry, if any (at 0% when turned off)."""
    return CanarySetting.from_tag(registry.model_tags().get(TAG))


def start(
    registry: Registry, version: str, percent: float, by: str, reason: str, force: bool = False
) -> lifecycle.Change:
    """Make `version` the challenger (as `shadow` checks it) answering `percent`% of clients."""
    if not 0 < percent <= 100:
        raise lifecycle.Refused([f"--percent must be above 0 and at most 100, not {percent:g}"])
    candidate = registry.get(version)
    number = candidate.registry_version
    problems = lifecycle.erasure_problems(registry, candidate)
    if problems and not force:
        raise lifecycle.Refused(problems)
    previous = current(registry)
    challenger = registry.by_alias(lifecycle.CHALLENGER)
    if challenger is None or challenger.registry_version != number:
        lifecycle.shadow(registry, number, by, reason)  # the champion and the files are checked
    setting = CanarySetting(number, percent, by, reason)
    registry.set_model_tag(TAG, setting.to_tag())
    was = previous.version if previous and previous.percent > 0 else None
    why = f"{percent:g}% of clients" + (f": {reason}" if reason else "")
    change = lifecycle.Change("canary", TAG, number, was, by, why, overruled=tuple(problems))
    return lifecycle.record(registry, change)


def stop(registry: Registry, by: str, reason: str) -> lifecycle.Change:
    """Set the canary's share to 0%: its version stays the challenger and keeps shadowing."""
    previous = current(registry)
    if previous is None or previous.percent == 0:
        return lifecycle.Change("canary-off", TAG, None, None, by, reason)
    registry.set_model_tag(TAG, CanarySetting(previous.version, 0, by, reason).to_tag())
    change = lifecycle.Change("canary-off", TAG, None, previous.version, by, reason)
    return lifecycle.record(registry, change)


def trip(registry: Registry, tripped: CanarySetting, reason: str) -> bool:
    """The service's rollback: 0% for the canary set as `tripped`, unless someone (another
    replica, a person) changed the setting since; True when this call wrote it."""
    if current(registry) != tripped:
        return False
    registry.set_model_tag(TAG, CanarySetting(tripped.version, 0, SERVICE, reason).to_tag())
    change = lifecycle.Change("canary-trip", TAG, None, tripped.version, SERVICE, reason)
    lifecycle.record(registry, change)
    return True
