"""Flask extensions, created unbound here and bound to the app by `init_app`.

flask-smorest's `Api` lives with the rest of the OpenAPI plumbing, in `catsdogs.api.openapi`.
"""

import sqlite3
from collections.abc import Callable

from flask import Flask
from flask_babel import Babel
from flask_httpauth import HTTPTokenAuth
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
auth = HTTPTokenAuth(scheme="Bearer")
csrf = CSRFProtect()
babel = Babel()


def init_app(app: Flask, locale_selector: Callable[[], str]) -> None:
    """Bind the extensions to `app`; Babel picks each message's language with `locale_selector`.

    CSRFProtect is bound by catsdogs.security, after the rate limiter."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"connect_timeout": 3},
        }
    db.init_app(app)
    babel.init_app(app, locale_selector=locale_selector)


@event.listens_for(Engine, "connect")
def enforce_sqlite_foreign_keys(connection: object, _record: object) -> None:
    """SQLite ignores foreign keys unless asked per connection; training_photos relies on them."""
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA foreign_keys=ON")
