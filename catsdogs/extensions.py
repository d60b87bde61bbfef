"""Flask extensions, created unbound here and bound to the app in the factory.

flask-smorest's `Api` lives with the rest of the OpenAPI plumbing, in `catsdogs.api.openapi`.
"""

import sqlite3

from flask_babel import Babel
from flask_httpauth import HTTPTokenAuth
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
auth = HTTPTokenAuth(scheme="Bearer")
csrf = CSRFProtect()
babel = Babel()


@event.listens_for(Engine, "connect")
def enforce_sqlite_foreign_keys(connection, _record) -> None:
    """SQLite ignores foreign keys unless asked per connection; training_photos relies on them."""
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA foreign_keys=ON")
