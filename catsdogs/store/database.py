"""Database URLs and failures as people write and read them: one line, never the password."""

import re

from sqlalchemy.engine import make_url

# Heroku, Render, Fly and `psql` write postgres:// or postgresql:// without a driver.
BARE_POSTGRES = re.compile(r"^postgres(?:ql)?://")


def normalise_url(url: str) -> str:
    """The URL SQLAlchemy needs: a driverless PostgreSQL URL gets psycopg2, the installed one."""
    return BARE_POSTGRES.sub("postgresql+psycopg2://", url)


def shown(url: str) -> str:
    """The URL with its password masked, fit for a log line."""
    return make_url(url).render_as_string(hide_password=True)


def reason(error: Exception) -> str:
    """The driver's own words for a failed connection, on one line.

    psycopg2 says `connection to server at "host", port 5432 failed: Connection refused`, then a
    hint on further lines: the part after "failed:" is the reason.
    """
    words = str(getattr(error, "orig", None) or error).strip()
    first = words.splitlines()[0] if words else type(error).__name__
    said = first.rpartition(" failed: ")[2].removeprefix("FATAL:")
    return " ".join(said.split()) or first
