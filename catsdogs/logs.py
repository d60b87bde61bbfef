"""The console: one line per request, the request's id on every line it causes, text or JSON.

A request line holds the method, the path without its query string (a token may be there), the
status, the duration and the request id: no address, no file name, no header. A client address
that another library logs (Flask-Limiter names the address over its limit) keeps only its
network: IPv4 to its /24, IPv6 to its /48; enough to see abuse, not to name a person.
"""

import datetime
import ipaddress
import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, g, has_request_context, request, request_started

log = logging.getLogger("catsdogs.requests")
FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # an incoming X-Request-ID this app repeats
# Polled every few seconds: their lines would drown the rest.
PROBES = ("/health", "/health/live", "/health/ready", "/metrics")
REQUEST_FIELDS = ("method", "path", "status", "duration_ms")
_plain_record = logging.getLogRecordFactory()


def init_app(app: Flask) -> None:
    """Set up the console at LOG_LEVEL in LOG_FORMAT, and log `app`'s requests."""
    configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    app.logger.setLevel(app.config["LOG_LEVEL"])
    # waitress logs one "Task queue depth" line for every request that waits for a thread: under
    # load, a line per request. Queueing shows in the latency metrics and alerts instead.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    register(app)


def configure(level: str, style: str) -> None:
    """Log to stderr at `level`, as text or JSON lines, unless the host process set logging up."""
    # Logging belongs to the process: the factory stamps records of every app's requests.
    logging.setLogRecordFactory(_record)
    root = logging.getLogger()
    if root.handlers:  # a WSGI server's or pytest's configuration, as logging.basicConfig keeps
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if style == "json" else TextFormatter(TEXT))
    root.addHandler(handler)
    root.setLevel(level)


def register(app: Flask) -> None:
    """Give each request an id (the X-Request-ID header, both ways) and log it when answered."""
    # A signal, not before_request: a before_request function that answers (a rate limit)
    # stops the ones after it, and every request needs its id and start time.
    request_started.connect(start, app)
    app.after_request(finish)


def start(sender: Flask, **extra: object) -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def finish(response):
    """Log the answered request in one line and return its id to the client."""
    response.headers["X-Request-ID"] = g.request_id
    fields = {
        "method": request.method,
        "path": printable(request.path),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
    }
    level = logging.DEBUG if request.path in PROBES else logging.INFO
    log.log(level, "%(method)s %(path)s %(status)s %(duration_ms)s ms", fields, extra=fields)
    return response


def printable(text: str, limit: int = 200) -> str:
    """`text` cut to `limit` characters, control characters escaped: one line, whatever it held."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[:limit])


def _record(*args: Any, **kwargs: Any) -> logging.LogRecord:  # LogRecord's own
    record = _plain_record(*args, **kwargs)
    record.request_id = g.get("request_id") if has_request_context() else None
    if isinstance(record.args, tuple):  # addresses are personal data: keep their network only
        record.args = tuple(truncated(arg) if isinstance(arg, str) else arg for arg in record.args)
    return record


def truncated(text: str) -> str:
    """An IP address with its host part zeroed (IPv4 /24, IPv6 /48); any other text as it is."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


class TextFormatter(logging.Formatter):
    """The usual text line, ending with the id of the request that caused it."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} request_id={request_id}" if request_id else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and request fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := getattr(record, "request_id", None):
            entry["request_id"] = request_id
        entry.update(
            {name: getattr(record, name) for name in REQUEST_FIELDS if hasattr(record, name)}
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
