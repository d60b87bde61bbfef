"""cv_training_photos{state}: kept photos by review state, counted at scrape time.

One grouped query per half minute at most, however often Prometheus scrapes.
"""

import logging
import time

from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.exc import SQLAlchemyError

from catsdogs.store import review

log = logging.getLogger(__name__)
CACHE_SECONDS = 30
STATES = ("kept", "reviewed", "rejected", "waiting", "neither")


class TrainingPhotoGauges:
    """A collector of the label review's counts, read from the database of `app`."""

    def __init__(self, app: Flask):
        self.app = app
        self._cache: tuple[float, dict | None] = (-CACHE_SECONDS, None)

    def describe(self) -> list[GaugeMetricFamily]:
        return [self._family()]  # names only: the registry must not query the database here

    def collect(self) -> list[GaugeMetricFamily]:
        family = self._family()
        for name, count in (self.counts() or {}).items():
            family.add_metric([name], count)
        return [family]

    def counts(self) -> dict | None:
        """The counts, cached; None when the database does not answer."""
        checked, figures = self._cache
        if time.monotonic() - checked < CACHE_SECONDS:
            return figures
        try:
            with self.app.app_context():
                figures = review.counts()
        except SQLAlchemyError:
            log.warning("training photos: the database does not answer, no counts")
            figures = None
        self._cache = (time.monotonic(), figures)
        return figures

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "cv_training_photos",
            "Photos kept for training: kept, reviewed (confirmed or corrected), rejected, waiting; "
            "neither: the reviewed ones labelled neither a cat nor a dog",
            labels=["state"],
        )
