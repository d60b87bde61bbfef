"""Discord notifications, sent from a background thread: the transport (the messages are in
notifications.py)."""

import datetime
import logging
import threading
import time
from dataclasses import dataclass

import requests

log = logging.getLogger(__name__)
COLORS = {"critical": 0xE74C3C, "warning": 0xF1C40F, "info": 0x3498DB}


@dataclass(frozen=True)
class Event:
    """One state of one topic, e.g. topic "database" in state "down"."""

    topic: str
    state: str
    severity: str
    title: str
    description: str
    severity_field: tuple[str, str] | None = None  # (name, value) in the message's language


def embed_payload(event: Event, username: str = "catsdogs") -> dict:
    """The Discord webhook body: one embed coloured by severity."""
    name, value = event.severity_field or ("Severity", event.severity)
    return {
        "username": username,
        "embeds": [
            {
                "title": event.title,
                "description": event.description[:4000],  # Discord rejects more than 4096
                "color": COLORS.get(event.severity, COLORS["info"]),
                "fields": [{"name": name, "value": value, "inline": True}],
                "timestamp": datetime.datetime.now(datetime.UTC).isoformat(),
            }
        ],
    }


class DiscordNotifier:
    """Send events from a worker thread, with retries, deduplication and a cooldown per topic.

    A state equal to the last one sent is dropped. Within `cooldown` seconds of a message,
    further changes of its topic are held and collapse to the latest state: a flapping
    database cannot flood the channel, and an outage and its recovery send two messages.
    """

    def __init__(
        self,
        url: str | None,
        timeout: float = 5.0,
        retries: int = 4,
        backoff: float = 1.0,
        cooldown: float = 60.0,
        max_wait: float = 60.0,
    ):
        self.url, self.timeout, self.retries = url, timeout, retries
        self.backoff, self.cooldown, self.max_wait = backoff, cooldown, max_wait
        self._outbox: list[Event] = []  # to send now, in order
        self._held: dict[str, Event] = {}  # topic -> latest event waiting for its cooldown
        self._sent: dict[str, tuple[str, float]] = {}  # topic -> (state, monotonic time)
        self._busy = False
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def notify(self, event: Event) -> None:
        """Queue an event and return at once; without a webhook URL, only log it."""
        if not self.url:
            log.info("no DISCORD_WEBHOOK_URL: not sending %r", event.title)
            return
        with self._wake:
            if event.topic in self._held or self._cooling(event.topic):
                self._held[event.topic] = event
            else:
                self._accept(event)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="discord", daemon=True)
                self._thread.start()
            self._wake.notify_all()  # the worker, and any flush() waiting on it

    def flush(self, timeout: float) -> bool:
        """Wait until the messages due now are sent (or given up); True if in time."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._busy or self._outbox:
                if not self._wake.wait(deadline - time.monotonic()):
                    return False
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Send what is due, then stop the worker."""
        if self._thread is not None:
            self.flush(timeout)
        self._stop.set()
        with self._wake:
            self._wake.notify_all()

    def _cooling(self, topic: str) -> bool:
        return time.monotonic() < self._sent.get(topic, ("", -float("inf")))[1] + self.cooldown

    def _accept(self, event: Event) -> None:
        if self._sent.get(event.topic, ("",))[0] != event.state:
            self._sent[event.topic] = (event.state, time.monotonic())
            self._outbox.append(event)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._wake:
                for topic in [t for t in self._held if not self._cooling(t)]:
                    self._accept(self._held.pop(topic))
                if not self._outbox:
                    waits = [
                        self._sent[t][1] + self.cooldown - time.monotonic() for t in self._held
                    ]
                    self._wake.wait(max(min(waits), 0.01) if waits else None)
                    continue
                batch, self._outbox, self._busy = self._outbox, [], True
            for event in batch:
                try:
                    self._send(embed_payload(event))
                except Exception:  # the worker must outlive a bad message
                    log.exception("cannot send %r to Discord", event.title)
            with self._wake:
                self._busy = False
                self._wake.notify_all()

    def _send(self, payload: dict) -> bool:
        """POST with a timeout; retry connection errors and 5xx with backoff, 429 as told."""
        if not self.url:  # notify() queues nothing without one
            return False
        for attempt in range(self.retries + 1):
            wait = self.backoff * 2**attempt
            try:
                response = requests.post(self.url, json=payload, timeout=self.timeout)
                if response.status_code < 300:
                    return True
                if response.status_code == 429:
                    wait = _retry_after(response, wait)
                elif response.status_code < 500:
                    log.error("Discord refused the notification: HTTP %s", response.status_code)
                    return False
            except requests.RequestException as error:
                log.warning("Discord notification failed: %s", type(error).__name__)
            if attempt < self.retries and self._stop.wait(min(wait, self.max_wait)):
                return False
        log.error("Discord notification dropped after %d attempts", self.retries + 1)
        return False


def _retry_after(response: requests.Response, default: float) -> float:
    """Seconds to wait, from the Retry-After header or Discord's JSON `retry_after`."""
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        pass
    try:
        return float(response.json()["retry_after"])
    except (ValueError, KeyError, TypeError):
        return default
