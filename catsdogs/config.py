"""Configuration: defaults here, the environment (and `.env`) read only inside create_app."""

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import click
from dotenv import dotenv_values, find_dotenv, load_dotenv
from flask import Flask
from sqlalchemy.engine import make_url

from catsdogs import logs
from catsdogs.store import database
from catsdogs.card import SHIPPED_MODEL
from catsdogs.monitoring.canary_guards import CANARY_SETTINGS  # checked by serving's init_app

log = logging.getLogger("catsdogs")  # the start-up lines' logger, as the factory's
TOKEN_FILE = "api_token"  # in the instance folder: the token `flask api-token` generates
SCOPES = ("predict", "read", "admin")  # what an API token may do (docs/api.md lists by endpoint)
LANGUAGES = ("en", "fr")  # of the pages and the Discord messages; catsdogs/translations/<code>
DEFAULTS: dict[str, object] = {
    "MODEL_PATH": str(SHIPPED_MODEL),
    "MODEL_PRECISION": "auto",  # auto, fp32 or int8: who answers (catsdogs/serving/precision.py)
    "MAX_UPLOAD_MB": 10,
    "ENABLE_PROMETHEUS": True,
    "DISCORD_WEBHOOK_URL": None,
    "NOTIFY_LANGUAGE": "en",  # of the app's Discord messages
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "text",  # or "json": one JSON object per line
    "INFERENCE_THREADS": 1,
    "RETENTION_DAYS": 30,
    "TRAINING_PHOTO_RETENTION_DAYS": 365,  # photos kept with training consent; the same purge
    "TRAINING_PHOTOS_PER_ADDRESS_PER_DAY": 50,  # kept photos per client (address or token)
    "REVIEW_QUEUE_MAX": 2000,  # kept photos waiting for review; past it no photo is kept
    "PURGE_INTERVAL_SECONDS": 3600,  # how often the service purges past RETENTION_DAYS; 0: never
    "DATABASE_CHECK_SECONDS": 10,
    "PREDICTION_ROWS_WAIT_FOR_DISK": False,  # PostgreSQL only: see docs/configuration.md
    # Links on the monitoring page, shown only when set: a link to nothing helps nobody.
    "GRAFANA_URL": None,
    "PROMETHEUS_URL": None,
    # No ping per checkout: a dropped connection fails one write, spooled (docs/performance.md).
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "API_SPEC_OPTIONS": {},
    "API_TOKEN_SCOPES": {},  # token name -> its scopes; a name missing here has them all
    "RATE_LIMIT_PER_TOKEN": "120/minute",
    "RATE_LIMIT_PER_ADDRESS": "300/minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_ENABLED": True,
    "TRUSTED_PROXY_HOPS": 0,  # proxies in front that append to X-Forwarded-For (docs/deploy.md)
    "SESSION_COOKIE_SECURE": False,
    "OIP_MAX_BATCH": 16,
    # The model registry (MLflow): unset, the packaged model serves and nothing is polled.
    "MLFLOW_TRACKING_URI": None,
    "MLFLOW_MODEL_NAME": "catsdogs",  # the registered model whose `champion` alias serves
    "MODEL_POLL_SECONDS": 30.0,
    "MODEL_CHECK_PHOTOS": None,  # a folder of cat/ and dog/ photos; else each version's own
    "SHADOW_SAMPLE": 0.1,  # share of photos the `challenger` also classifies
    **CANARY_SETTINGS,  # the canary's guards (docs/registry.md, Canary)
    "MODEL_HEALTH_WINDOW": 1000,  # predictions per drift window (docs/monitoring.md)
    "FEEDBACK_ACCURACY_DAYS": 7,  # votes counted in the feedback accuracy
    "REVIEWER_PASSWORD": None,  # the label review page's login; unset: review is disabled
}


def flag(value: str) -> bool:
    """Read an on/off environment value."""
    return value.strip().lower() in ("1", "true", "yes", "on")


# Environment variable -> parser. DATABASE_URL, API_TOKEN(S) and SECRET_KEY are handled below.
ENVIRONMENT: dict[str, Callable[[str], object]] = {
    "MODEL_PATH": str,
    "MODEL_PRECISION": str.lower,
    "MAX_UPLOAD_MB": float,
    "ENABLE_PROMETHEUS": flag,
    "DISCORD_WEBHOOK_URL": str,
    "NOTIFY_LANGUAGE": str.lower,
    "LOG_LEVEL": str.upper,
    "LOG_FORMAT": str.lower,
    "INFERENCE_THREADS": int,
    "RETENTION_DAYS": int,
    "TRAINING_PHOTO_RETENTION_DAYS": int,
    "TRAINING_PHOTOS_PER_ADDRESS_PER_DAY": int,
    "REVIEW_QUEUE_MAX": int,
    "PURGE_INTERVAL_SECONDS": float,
    "DATABASE_CHECK_SECONDS": float,
    "PREDICTION_ROWS_WAIT_FOR_DISK": flag,
    "GRAFANA_URL": str,
    "PROMETHEUS_URL": str,
    "RATE_LIMIT_PER_TOKEN": str,
    "RATE_LIMIT_PER_ADDRESS": str,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_ENABLED": flag,
    "TRUSTED_PROXY_HOPS": int,
    "SESSION_COOKIE_SECURE": flag,
    "OIP_MAX_BATCH": int,
    "MLFLOW_TRACKING_URI": str,
    "MLFLOW_MODEL_NAME": str,
    "MODEL_POLL_SECONDS": float,
    "MODEL_CHECK_PHOTOS": str,
    "SHADOW_SAMPLE": float,
    **{name: type(value) for name, value in CANARY_SETTINGS.items()},
    "MODEL_HEALTH_WINDOW": int,
    "FEEDBACK_ACCURACY_DAYS": float,
    "REVIEWER_PASSWORD": str,
    "WORKERS": int,
}


def dotenv_file() -> str:
    """The .env of the working directory, the one the `flask` command reads too; none when
    FLASK_SKIP_DOTENV is set, as Flask's own command line does (the tests set it)."""
    if os.environ.get("FLASK_SKIP_DOTENV", "").lower() not in ("", "0", "false", "no"):
        return ""
    return find_dotenv(usecwd=True)


def load(app: Flask, test_config: dict | None) -> None:
    """Fill app.config from defaults, then the environment, then `test_config`."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        dotenv = dotenv_file()
        if dotenv:
            load_dotenv(dotenv, override=False)
        for name, parse in ENVIRONMENT.items():
            if os.environ.get(name):
                app.config[name] = parse(os.environ[name])
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL")
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY")
        app.config["WORKER_INDEX"] = int(os.environ.get("WORKER_INDEX") or 0)
        app.config["API_TOKENS"] = parse_tokens(
            os.environ.get("API_TOKENS", ""), os.environ.get("API_TOKEN")
        )
        app.config["API_TOKEN_SCOPES"] = parse_scopes(os.environ.get("API_TOKENS", ""))
        app.config["API_TOKEN_SOURCE"] = token_source(dotenv_values(dotenv) if dotenv else {})
    else:
        app.config.from_mapping(test_config)
        app.config.setdefault("API_TOKEN_SOURCE", "the app's configuration")
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or f"sqlite:///{instance / 'catsdogs.sqlite'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = url = database.normalise_url(url)
    if in_memory(url):
        raise ValueError(
            "DATABASE_URL is an in-memory SQLite database, which loses every prediction on "
            "restart: use a file (sqlite:////absolute/path.sqlite) or PostgreSQL"
        )
    if app.config["LOG_FORMAT"] not in logs.FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(logs.FORMATS)}")
    if app.config["MODEL_HEALTH_WINDOW"] < 1:
        raise ValueError("MODEL_HEALTH_WINDOW must be at least 1 prediction")
    if app.config["NOTIFY_LANGUAGE"] not in LANGUAGES:
        raise ValueError(f"NOTIFY_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    if not 0 <= app.config["SHADOW_SAMPLE"] <= 1:
        raise ValueError("SHADOW_SAMPLE must be between 0 and 1")
    if app.config["MODEL_POLL_SECONDS"] <= 0:
        raise ValueError("MODEL_POLL_SECONDS must be above 0")
    if app.config["TRUSTED_PROXY_HOPS"] < 0:
        raise ValueError("TRUSTED_PROXY_HOPS must be 0 (no proxy in front) or more")
    if app.config["TRAINING_PHOTO_RETENTION_DAYS"] < 1:
        raise ValueError("TRAINING_PHOTO_RETENTION_DAYS must be at least 1 day")
    if 0 < len(app.config["REVIEWER_PASSWORD"] or "") < 12:
        raise ValueError("REVIEWER_PASSWORD must be 12 characters or more (unset: no review)")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(instance / "secret_key")
    if not app.config.get("API_TOKENS"):
        token_file = instance / TOKEN_FILE
        app.config["API_TOKENS"] = (
            {"default": token_file.read_text().strip()} if token_file.exists() else {}
        )
        app.config["API_TOKEN_SOURCE"] = str(token_file) if token_file.exists() else None
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_MB"] * 1024 * 1024)


def in_memory(url: str) -> bool:
    parts = make_url(url)
    return parts.get_backend_name() == "sqlite" and parts.database in (None, "", ":memory:")


def instance_path(test_config: dict | None) -> str | None:
    """The instance folder: INSTANCE_PATH from the test config or environment, else Flask's."""
    if test_config is not None:
        return test_config.get("INSTANCE_PATH")
    return os.environ.get("INSTANCE_PATH") or None


def parse_tokens(named: str, single: str | None) -> dict[str, str]:
    """Read `API_TOKENS=name:token,name[scopes]:token` and/or `API_TOKEN=token`: {name: token}."""
    tokens = {}
    for item in filter(None, (part.strip() for part in named.split(","))):
        name, _, token = item.partition(":")
        if not token:
            raise ValueError("API_TOKENS entries must look like name:token")
        tokens[split_name(name)[0]] = token.strip()
    if single:
        tokens["default"] = single.strip()
    return tokens


def parse_scopes(named: str) -> dict[str, tuple[str, ...]]:
    """{name: scopes} of the API_TOKENS entries `name[read+predict]:token` (the others: all)."""
    # Scopes go with the name, which ends at the first colon: a token may hold any character.
    labels = (split_name(item.partition(":")[0]) for item in named.split(","))
    return {name: scopes for name, scopes in labels if scopes is not None}


def split_name(label: str) -> tuple[str, tuple[str, ...] | None]:
    """`ci[read+predict]` -> ("ci", ("read", "predict")); `ci` -> ("ci", None)."""
    name, bracket, listed = label.strip().partition("[")
    scopes = tuple(scope.strip() for scope in listed.removesuffix("]").split("+"))
    if bracket and (not listed.endswith("]") or not set(scopes) <= set(SCOPES)):
        raise ValueError(f"API_TOKENS scopes look like name[{'+'.join(SCOPES)}]:token")
    return name.strip(), scopes if bracket else None


def token_source(dotenv: dict) -> str | None:
    """Where API_TOKEN(S) came from, named for the start-up log: `.env` or the environment."""
    names = [name for name in ("API_TOKEN", "API_TOKENS") if os.environ.get(name)]
    if not names:
        return None
    # load_dotenv never overrides: a value equal to the file's came from the file.
    from_file = all(dotenv.get(name) == os.environ[name] for name in names)
    return f"{'.env' if from_file else 'the environment'} ({', '.join(names)})"


def instance_secret(path: Path) -> str:
    """Return the secret kept in `path`, creating it (mode 600) on first use."""
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def serves_requests(app: Flask) -> bool:
    """Whether this process serves requests: not under tests, not in a `flask` command but `run`
    (`flask init-db` creates the app before the table it would purge exists)."""
    command = click.get_current_context(silent=True)
    return not app.config.get("TESTING") and (command is None or command.command.name == "run")


def tell_token_source(app: Flask) -> None:
    """Name where the API token comes from, never the token, when this process serves."""
    if not serves_requests(app):
        return
    if app.config["API_TOKEN_SOURCE"]:
        log.info("API token from %s", app.config["API_TOKEN_SOURCE"])
    else:
        log.warning("API token: none configured, the API answers 401 (flask api-token makes one)")
