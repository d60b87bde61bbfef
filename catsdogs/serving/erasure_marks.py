"""Marks the registered versions trained on an erased photo, once per registry poll.

The work is done only when there is some: erasures not compared yet with the registry, or
versions this process has not compared yet with the erasures (each manifest is cached on disk,
catsdogs/registry/lineage.py). The marks found are kept in the registry state, for /health and
the monitoring page; Discord hears once when the serving champion gets marked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import exc

from catsdogs.registry import lineage
from catsdogs.registry.client import RegistryError
from catsdogs.registry.lifecycle import CHALLENGER, CHAMPION
from catsdogs.store import erased_photos, records
from catsdogs.serving.served_models import ModelWatch
from catsdogs.store.tables import utc_now

if TYPE_CHECKING:  # annotations only
    from catsdogs.registry.versions import RegisteredVersion
    from catsdogs.serving.served_models import Serving

log = logging.getLogger(__name__)


class ErasureMarks:
    """Compares the registry's versions with the erased photos of `app`'s database; `on_marked`
    gets the details of a champion that has just been marked."""

    def __init__(
        self,
        app: Flask,
        models: Serving,
        cache: Path,
        on_marked: Callable[[dict], None] = lambda details: None,
    ):
        self.app, self.models, self.on_marked = app, models, on_marked
        registry = models.registry
        self.manifests = lineage.Manifests(registry, cache) if registry else None
        self.compared: set[str] = set()  # versions compared with every erasure known then

    def check(self) -> None:
        """One pass; an unreachable database or registry waits for the next poll."""
        if self.manifests is None or self.models.state.reachable is False:
            return  # the registry's outage is told once, by the check of the aliases
        try:
            with self.app.app_context():
                self._check()
        except (exc.OperationalError, exc.InterfaceError) as error:
            with self.app.app_context():
                records.discard_session()
            log.warning("erasure marks postponed to the next poll: %s", type(error).__name__)
        except RegistryError as error:
            log.warning("erasure marks postponed to the next poll: %s", error)

    def _check(self) -> None:
        assert self.manifests is not None  # check() returns first without a registry
        versions = self.manifests.registry.versions()
        pending = erased_photos.unmarked()
        due = [v for v in versions if pending or v.registry_version not in self.compared]
        erased = erased_photos.every_sha256() if due else frozenset()
        now, fresh = utc_now(), {}
        for version in due:
            photos = self.manifests.photos(version)
            count = lineage.erased_count(photos, erased) if photos else 0
            new = lineage.marked(version, count, now)
            if new is not None:
                lineage.mark(self.manifests.registry, version, new)
                self._tell(version, new)
                fresh[version.registry_version] = new
            self.compared.add(version.registry_version)
        erased_photos.settle(pending, now)
        self.models.state.marked = marks_of(versions, fresh)

    def _tell(self, version: RegisteredVersion, new: lineage.Mark) -> None:
        serving = self.models.champion.registry_version == version.registry_version
        first = lineage.Mark.of(version) is None
        if first and (serving or CHAMPION in version.aliases):
            self.on_marked({"registry_version": version.registry_version, **vars(new)})


class MarkingWatch(ModelWatch):
    """The registry watch that, after each check of the aliases, marks the versions trained on
    erased photos: "within one poll" of an erasure."""

    def __init__(self, serving: Serving, interval: float, marks: ErasureMarks):
        super().__init__(serving, interval)
        self.marks = marks

    def run_once(self) -> None:
        super().run_once()
        self.marks.check()


def marks_of(
    versions: list[RegisteredVersion], fresh: dict[str, lineage.Mark] | None = None
) -> dict[str, dict]:
    """{registry version: its mark and aliases} of the versions that carry a mark (`fresh`:
    the marks just written, newer than the versions' tags)."""
    found = {}
    for version in versions:
        mark = (fresh or {}).get(version.registry_version) or lineage.Mark.of(version)
        if mark is not None:
            found[version.registry_version] = {
                "count": mark.count,
                "since": mark.since,
                "champion": CHAMPION in version.aliases,
                "challenger": CHALLENGER in version.aliases,
            }
    return found
