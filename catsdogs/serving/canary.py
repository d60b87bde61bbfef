"""The canary as this app routes it: which clients the challenger answers.

A client's share is a stable hash of how the app already knows it (its API token's name, or
its address as the rate limiter sees it), so one client always meets one model, in every
replica. A guard that trips (canary_guard.py) stops routing here at once, then writes 0% to the
registry; the other replicas follow at their next poll.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Protocol

from catsdogs.registry.canary import CanarySetting

BUCKETS = 10_000  # a percent to two decimals


def bucket(client: str) -> int:
    """The client's place in 0..9999: the same for the same client, in every process."""
    digest = hashlib.sha256(client.encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def routed(client: str, percent: float) -> bool:
    """Whether the canary answers `client` when it answers `percent`% of clients."""
    return bool(client) and bucket(client) < round(percent * BUCKETS / 100)


class Loaded(Protocol):
    """A loaded model as Serving keeps it (a Served)."""

    @property
    def registry_version(self) -> str | None: ...


class Canary:
    """The registry's canary setting, unless a guard of this app stopped it."""

    def __init__(self) -> None:
        self.setting: CanarySetting | None = None
        self.stopped: CanarySetting | None = None  # the setting a guard here took back
        self.why: str | None = None  # the guards that tripped, with their figures
        self.owed: CanarySetting | None = None  # a trip not yet written to the registry
        self._lock = threading.Lock()

    @property
    def percent(self) -> float:
        """The share of clients the canary answers here now."""
        setting = self.setting
        return 0.0 if setting is None or setting == self.stopped else setting.percent

    def active(self, challenger: Loaded | None) -> bool:
        """Whether `challenger`, the loaded one, answers a share of clients now."""
        setting = self.setting
        if setting is None or challenger is None:
            return False
        return setting.version == challenger.registry_version and self.percent > 0

    def routes(self, client: str, challenger: Loaded | None) -> bool:
        """Whether `challenger` answers `client` now."""
        return self.active(challenger) and routed(client, self.percent)

    def follow(self, setting: CanarySetting | None, challenger: Loaded | None) -> bool:
        """Take the registry's setting, which a challenger not loaded (refused, or the alias
        moved on) cannot play; True when what this app routes changed."""
        if setting and (challenger is None or challenger.registry_version != setting.version):
            setting = None
        before = (self.setting, self.percent)
        self.setting = setting
        if setting is not None and setting != self.stopped and setting.percent > 0:
            self.stopped, self.why = None, None  # a person set a new canary: judge it afresh
        return before != (self.setting, self.percent)

    def trip(self, why: str) -> CanarySetting | None:
        """Stop routing now; the setting that was stopped (None when already stopped)."""
        with self._lock:
            setting = self.setting
            if setting is None or self.percent == 0:
                return None
            self.stopped, self.owed, self.why = setting, setting, why
            return setting

    def describe(self) -> dict | None:
        setting = self.setting or self.stopped
        if setting is None:
            return None
        return {
            "registry_version": setting.version,
            "percent": self.percent,
            "set_percent": setting.percent,
            "by": setting.by,
            "at": setting.at,
            "reason": setting.reason,
            "tripped": self.why,
        }
