"""The store: tables, the one write path, spool, retention, training photos (and what is let
in), review, datasets.

`init_app` builds the app's spool, writer, retention purge, database watch and photo intake
once and starts those that run on their own; `parts(app)` reads them back.
"""

from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from catsdogs import config, monitoring
from catsdogs.store.database_watch import DatabaseWatch
from catsdogs.store.photo_intake import PhotoIntake
from catsdogs.store.records import Writer
from catsdogs.store.retention import RetentionPurge
from catsdogs.store.spool import Spool

KEY = "catsdogs.store"


@dataclass(frozen=True)
class StoreParts:
    """The write path's spool and writer, and the store's two background rounds."""

    spool: Spool
    writer: Writer
    purge: RetentionPurge
    database_watch: DatabaseWatch
    intake: PhotoIntake


def init_app(app: Flask) -> StoreParts:
    """Build the store's objects for `app` (after monitoring's: they count and alert), keep them
    on `app`, and start the purge and the database watch where they should run."""
    telemetry, alerts = monitoring.parts(app).telemetry, monitoring.parts(app).alerts
    spool = Spool(Path(app.instance_path) / "spool.jsonl")
    interval, checks = app.config["PURGE_INTERVAL_SECONDS"], app.config["DATABASE_CHECK_SECONDS"]
    purge = RetentionPurge(
        app,
        telemetry,
        interval,
        app.config["RETENTION_DAYS"],
        app.config["TRAINING_PHOTO_RETENTION_DAYS"],
    )
    watch = DatabaseWatch(app, checks, spool, telemetry, on_change=alerts.database)
    intake = PhotoIntake(
        app.config["RATELIMIT_STORAGE_URI"],
        app.config["TRAINING_PHOTOS_PER_ADDRESS_PER_DAY"],
        app.config["REVIEW_QUEUE_MAX"],
    )
    app.extensions[KEY] = StoreParts(
        spool,
        Writer(spool, telemetry, app.config["PREDICTION_ROWS_WAIT_FOR_DISK"]),
        purge,
        watch,
        intake,
    )
    if checks > 0 and not app.config.get("TESTING"):
        watch.start()
    if interval > 0 and config.serves_requests(app):
        purge.start()
    return app.extensions[KEY]


def parts(app: Flask) -> StoreParts:
    """The store objects `init_app` built for `app`."""
    return app.extensions[KEY]
