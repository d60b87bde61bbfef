"""Flask extensions, created unbound here and bound to the app in the factory.

flask-smorest's `Api` lives with the rest of the OpenAPI plumbing, in `catsdogs.api.openapi`.
"""

from flask_babel import Babel
from flask_httpauth import HTTPTokenAuth
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
auth = HTTPTokenAuth(scheme="Bearer")
csrf = CSRFProtect()
babel = Babel()
