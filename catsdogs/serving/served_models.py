"""Which model serves, over time: the packaged one, or the registry's champion and challenger.

A new registry version is downloaded, checked and warmed up before it replaces the serving
model in one reference assignment: a request that already holds the old model finishes on it.
Knows nothing of Flask; the app calls `check()` from a background loop and from the reload API.
"""

from __future__ import annotations

import datetime
import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from catsdogs.registry import int8
from catsdogs.serving import canary, precision, remembered
from catsdogs.serving.candidates import VersionRefused, fetch, load
from catsdogs.serving.classifier import Classifier
from catsdogs.periodic import Periodic
from catsdogs.registry.lifecycle import CHALLENGER, CHAMPION
from catsdogs.registry.client import RegisteredVersion, Registry, RegistryError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """A loaded model and where it came from: `registry_version` is None for the packaged one."""

    classifier: Classifier
    registry_version: str | None = None
    from_cache: bool = False  # the remembered champion, served while the registry is unreachable
    precision: str = "fp32"  # "int8": the version's INT8 copy answers

    @property
    def model_version(self) -> str:
        """How responses, rows and metrics name this model: its card's version."""
        return self.classifier.model_version

    def describe(self) -> dict:
        """As /health and the model events show it: "version" is the model version."""
        source = "packaged" if self.registry_version is None else "registry"
        source = "cache" if self.from_cache else source
        versions = {"version": self.model_version, "registry_version": self.registry_version}
        return {**versions, "source": source, "precision": self.precision}


@dataclass
class RegistryState:
    """What the last checks of the registry found, for /health and the monitoring page."""

    configured: bool
    reachable: bool | None = None
    last_success: float | None = None  # time.time() of the last check that reached the registry
    last_error: str | None = None
    refused: dict[str, str] = field(default_factory=dict)  # registry version -> why, for good
    marked: dict[str, dict] = field(default_factory=dict)  # trained on erased photos: the marks

    def describe(self) -> dict:
        found = ("configured", "reachable", "last_error")
        success = self.last_success  # ISO 8601 in UTC: people read /health; metrics keep Unix time
        when = None if success is None else datetime.datetime.fromtimestamp(success, datetime.UTC)
        return {key: getattr(self, key) for key in found} | {
            "last_success": when.isoformat(timespec="seconds") if when else None,
            "refused_versions": dict(self.refused),
            "marked_versions": dict(self.marked),
        }


class Serving:
    """The serving model (`champion`) and the shadow one (`challenger`), kept in step with the
    registry when there is one; without a registry, the packaged model serves and nothing moves.
    """

    def __init__(
        self,
        packaged: Classifier,
        registry: Registry | None = None,
        cache: Path | None = None,
        threads: int = 1,
        check_folder: Path | None = None,
        on_event: Callable[[str, dict], None] = lambda kind, details: None,
        precision_setting: str = "fp32",  # MODEL_PRECISION
        vnni: bool = False,  # whether this CPU multiplies 8-bit integers in one instruction
    ):
        self.champion = Served(packaged, precision=packaged.card.precision)
        self.challenger: Served | None = None
        self.registry, self.cache, self.threads = registry, cache, threads
        self.check_folder, self.on_event, self.canary = check_folder, on_event, canary.Canary()
        self.precision_setting, self.vnni = precision_setting, vnni
        self.state = RegistryState(configured=registry is not None)
        self._lock = threading.Lock()  # one check at a time: the poller's and the reload API's
        self._started = False  # after the first check: a new champion is then a change

    def check(self) -> dict:
        """Follow the registry's aliases now; return the status (see `describe`)."""
        if self.registry is None:
            return self.describe()
        with self._lock:
            try:
                champion = self.registry.by_alias(CHAMPION)
                challenger = self.registry.by_alias(CHALLENGER)
            except RegistryError as error:
                if not self._started:
                    self._start_offline(error)
                self._unreachable(error, told=not self._started)
            else:
                if self.state.reachable is False:
                    log.info("model registry reachable again")
                    self.on_event("registry_back", {})
                self.state.reachable, self.state.last_success = True, time.time()
                self.state.last_error = None
                if champion is not None:
                    self._follow(CHAMPION, champion)
                self._follow_challenger(challenger)
            self.on_event("checked", self.state.describe())
            self._started = True
        return self.describe()

    def describe(self) -> dict:
        challenger = self.challenger
        return {
            "serving": self.champion.describe(),
            "shadow": challenger.describe() if challenger else None,
            "canary": self.canary.describe(),
            "registry": self.state.describe(),
        }

    def _unreachable(self, error: Exception, told: bool = False) -> None:
        was_reachable = self.state.reachable
        self.state.reachable, self.state.last_error = False, str(error)
        if was_reachable is False:  # said once per outage; /health keeps the latest error
            log.debug("model registry still unreachable: %s", error)
            return
        if not told:  # at start, _start_offline has said what serves and why
            still = "still " if self._started else ""
            log.warning("model registry unreachable, %sserving %s: %s", still, self._name(), error)
        self.on_event("registry_unreachable", {"error": str(error)})

    def _start_offline(self, error: Exception) -> None:
        """At start with no registry: serve the champion remembered in the cache if its file
        still passes every check, else the packaged model; say which, and why."""
        assert self.cache is not None  # a registry comes with its cache
        found = remembered.load(self.cache, self.threads, self.check_folder)
        if found.classifier is not None:
            old = self.champion
            number, kind = found.registry_version, found.precision
            self.champion = Served(found.classifier, number, from_cache=True, precision=kind)
            details = {"alias": CHAMPION, "from": old.describe(), "to": self.champion.describe()}
            self.on_event("swapped", details | {"at_start": True})
        log.warning("model registry unreachable at start (%s): serving %s: %s", error,
                    self._name(), found.why)  # fmt: skip

    def _name(self) -> str:
        """The serving model as the log names it: its model version, and registry version."""
        served = self.champion
        if served.registry_version is None:
            return f"the packaged model {served.model_version}"
        return f"{served.model_version} (registry version {served.registry_version})"

    def _follow(self, alias: str, version: RegisteredVersion) -> None:
        number = version.registry_version
        if self.champion.registry_version == number:
            if self.champion.from_cache:  # the registry confirms the remembered champion
                self.champion = replace(self.champion, from_cache=False)
                log.info("the registry's champion is the cached one: %s", self._name())
            return
        served = self._load(version)
        if served is None:
            return
        old, self.champion = self.champion, served  # the swap: one assignment
        log.info("now serving %s (registry version %s)", served.model_version, number)
        assert self.cache is not None  # _load needs it
        digest = served.classifier.card.data["sha256"]  # the file's: verify() compared them
        remembered.remember(self.cache, number, served.model_version, digest, served.precision)
        details = {"alias": alias, "from": old.describe(), "to": served.describe()}
        self.on_event("swapped", details | {"at_start": not self._started})

    def _follow_challenger(self, version: RegisteredVersion | None) -> None:
        current = self.challenger
        if version is None:
            if current is not None:
                self.challenger = None
                log.info("shadow traffic off")
                self.on_event("shadow_off", current.describe())
            return
        number = version.registry_version
        if current is not None and current.registry_version == number:
            return
        served = self._load(version)
        if served is not None:
            self.challenger = served
            log.info("shadow traffic to %s (registry version %s)", served.model_version, number)
            self.on_event("shadow_on", served.describe())

    def _load(self, version: RegisteredVersion) -> Served | None:
        """Download, check and warm up `version`; None (and an event) if it is refused."""
        number, registry, cache = version.registry_version, self.registry, self.cache
        assert registry is not None and cache is not None  # check() calls none without both
        if number in self.state.refused:
            return None  # refused once, refused for good: no download loop every poll
        folder: Path | None = None  # known once it is checked to lie inside the cache
        try:
            folder = fetch(registry, version, cache)
            photos = self.check_folder or folder / "checks"
            wanted = precision.wanted(self.precision_setting, int8.offered(version), self.vnni)
            classifier, kind = load(registry, version, folder, self.threads, photos, wanted)
        except RegistryError as error:
            self._unreachable(error)
            return None
        except OSError as error:  # the cache's disk (full?): not the version's fault, retried
            self.state.last_error = f"cannot store registry version {number}: {error}"
            log.error("%s; still serving %s", self.state.last_error, self.champion.model_version)
            return None
        except Exception as error:  # a check failed, or something no check foresaw: never a 500
            refusal = error if isinstance(error, VersionRefused) else _unforeseen(number, error)
            self.state.refused[number] = f"{refusal.reason}: {refusal.detail}"
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            log.error("%s; still serving %s", refusal, self.champion.model_version)
            self.on_event(
                "refused",
                {"registry_version": number, "reason": refusal.reason, "detail": refusal.detail},
            )
            return None
        return Served(classifier, number, precision=kind)


def _unforeseen(number: str, error: Exception) -> VersionRefused:
    """A refusal (reason "other") for an error no check names; its traceback goes to the log."""
    log.exception("registry version %s could not be loaded", number)
    return VersionRefused(number, "other", f"{type(error).__name__}: {error}")


class ModelWatch(Periodic):
    """Checks the registry's aliases every `interval` seconds."""

    name = "model-watch"

    def __init__(self, serving: Serving, interval: float):
        super().__init__(interval)
        self.serving = serving

    def run_once(self) -> None:
        self.serving.check()
