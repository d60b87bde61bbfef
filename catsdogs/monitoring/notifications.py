"""The Discord messages the app sends, in English or French: the catalogue of events, and the
alerts that send them for what the app itself sees (the transport is notifier.py)."""

from collections.abc import Callable

from flask import Flask
from flask_babel import force_locale, gettext

from catsdogs.monitoring.notifier import DiscordNotifier, Event


def database_event(connected: bool, language: str = "en") -> Event:
    """The message for a database lost (critical) or restored (info), in `language`."""
    with force_locale(language):
        if connected:
            return _event(
                "database",
                "up",
                "info",
                gettext("Database restored"),
                gettext("The database answers again; spooled predictions are being replayed."),
            )
        return _event(
            "database",
            "down",
            "critical",
            gettext("Database unreachable"),
            gettext("Predictions are still served and spooled until the database comes back."),
        )


def model_failed_event(error: Exception, language: str = "en") -> Event:
    """The message for a model that cannot be loaded at start-up, in `language`."""
    with force_locale(language):
        return _event(
            "model",
            "failed",
            "critical",
            gettext("Model failed to load"),
            gettext("The service cannot start: %(error)s", error=error),
        )


def _event(topic: str, state: str, severity: str, title: str, description: str) -> Event:
    # Called inside force_locale: outside an app context, gettext leaves the English words.
    severities = {
        "critical": gettext("critical"),
        "warning": gettext("warning"),
        "info": gettext("info"),
    }
    field = (gettext("Severity"), severities[severity])
    return Event(topic, state, severity, title, description, field)


def model_event(kind: str, details: dict, language: str = "en") -> Event:
    """The message for a change of the served model seen by the registry watch, in `language`.

    `kind` is one of Serving's events: swapped, refused, registry_unreachable, registry_back,
    shadow_on, shadow_off, canary_tripped.
    """
    with force_locale(language):
        if kind == "swapped":
            return _event(
                "model-serving",
                f"serving {details['to']['registry_version']}",
                "info",
                gettext("Model changed without restart"),
                gettext(
                    "Now serving %(to)s (registry version %(number)s), before: %(before)s.",
                    to=details["to"]["version"],
                    number=details["to"]["registry_version"],
                    before=details["from"]["version"],
                ),
            )
        if kind == "refused":
            return _event(
                "model-refused",
                f"refused {details['registry_version']}",
                "warning",
                gettext("Model version refused"),
                gettext(
                    "Registry version %(number)s failed its %(reason)s check and is not served: "
                    "%(detail)s",
                    number=details["registry_version"],
                    reason=details["reason"],
                    detail=details["detail"],
                ),
            )
        if kind in ("registry_unreachable", "registry_back"):
            down = kind == "registry_unreachable"
            return _event(
                "registry",
                "down" if down else "up",
                "warning" if down else "info",
                gettext("Model registry unreachable") if down else gettext("Model registry back"),
                gettext("The current model keeps serving.")
                if down
                else gettext("The registry answers again."),
            )
        if kind == "canary_tripped":
            share = "{:g}".format(details["set_percent"])
            return _event(
                "canary",
                f"tripped {details['registry_version']} {details['at']}",
                "warning",
                gettext("Canary taken back to 0%"),
                gettext(
                    "Registry version %(number)s answered %(percent)s%% of clients; the service "
                    "stopped it: %(why)s. It stays the challenger (shadow only): decide what "
                    "next with flask models canary or promote.",
                    number=details["registry_version"],
                    percent=share,
                    why=details["tripped"],
                ),
            )
        on = kind == "shadow_on"
        return _event(
            "shadow",
            f"on {details['version']}" if on else "off",
            "info",
            gettext("Shadow traffic on") if on else gettext("Shadow traffic off"),
            gettext(
                "Challenger %(version)s classifies a sample of photos.", version=details["version"]
            )
            if on
            else gettext("No challenger any more: %(version)s.", version=details["version"]),
        )


def erasure_event(details: dict, language: str = "en") -> Event:
    """The message for a serving champion found trained on an erased photo, in `language`."""
    with force_locale(language):
        return _event(
            "model-erasure",
            f"marked {details['registry_version']}",
            "warning",
            gettext("Champion trained on an erased photo"),
            gettext(
                "Registry version %(number)s was trained on %(count)s photo(s) whose prediction "
                "was erased. Retrain without them, promote the new version, then archive this "
                "one (docs/personal-data.md).",
                number=details["registry_version"],
                count=details["count"],
            ),
        )


class Alerts:
    """Send the catalogue's messages in NOTIFY_LANGUAGE through the app's notifier."""

    def __init__(self, app: Flask, notifier: DiscordNotifier):
        self.app, self.notifier = app, notifier
        self.language = app.config["NOTIFY_LANGUAGE"]
        # Every worker of `python wsgi.py` sees the database, the registry and the erasures
        # alike: the first tells Discord, so that one event is one message.
        self.first_worker = app.config.get("WORKER_INDEX", 0) == 0

    def database(self, connected: bool) -> None:
        """Tell that the database was lost or is back (the database watch's `on_change`)."""
        self._send(database_event, connected)

    def model(self, kind: str, details: dict) -> None:
        """Tell a change of the served models (one of Serving's events); a canary's guards
        trip in one worker, which tells it."""
        self._send(model_event, kind, details, everywhere=kind == "canary_tripped")

    def erasure(self, details: dict) -> None:
        """Tell that the serving champion was trained on an erased photo (said once)."""
        self._send(erasure_event, details)

    def model_failed(self, error: Exception) -> None:
        """Tell that the model cannot load, and wait for the message to leave: the process is
        about to exit."""
        self._send(model_failed_event, error)
        self.notifier.close(timeout=15)

    def _send(
        self, message: Callable[..., Event], *details: object, everywhere: bool = False
    ) -> None:
        if not (self.first_worker or everywhere):
            return
        with self.app.app_context():  # where the words of NOTIFY_LANGUAGE are found
            self.notifier.notify(message(*details, self.language))
