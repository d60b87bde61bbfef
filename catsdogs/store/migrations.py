"""The schema's migrations (Flask-Migrate over Alembic), loaded only by what migrates.

Serving processes never migrate, and importing Alembic with Flask-Migrate would cost each of them
memory (docs/performance.md): `flask init-db`, `flask db ...` and tests bind it when they run.
"""

from pathlib import Path

import click
from flask import Flask
from flask.cli import ScriptInfo

from catsdogs.extensions import db

DIRECTORY = str(Path(__file__).resolve().parents[2] / "migrations")


def bind(app: Flask) -> None:
    """Flask-Migrate bound to `app` (once), as its commands and env.py expect."""
    from flask_migrate import Migrate

    if "migrate" not in app.extensions:
        Migrate(app, db, directory=DIRECTORY)


def upgrade(app: Flask, revision: str = "head") -> None:
    """Upgrade `app`'s database schema to `revision`, in its app context."""
    from flask_migrate import upgrade as upgrade_schema

    bind(app)
    upgrade_schema(directory=DIRECTORY, revision=revision)


def downgrade(app: Flask, revision: str) -> None:
    """Downgrade `app`'s database schema to `revision`, in its app context."""
    from flask_migrate import downgrade as downgrade_schema

    bind(app)
    downgrade_schema(directory=DIRECTORY, revision=revision)


@click.command(
    "db",
    help="Database migrations (Flask-Migrate, Alembic).",
    add_help_option=False,  # --help is the real group's, with its commands
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.pass_context
def commands(ctx: click.Context) -> None:
    """Hand the arguments to Flask-Migrate's `db` group, imported only now."""
    from flask_migrate.cli import db as group

    bind(ctx.ensure_object(ScriptInfo).load_app())
    with group.make_context(ctx.info_name, ctx.args, parent=ctx.parent) as context:
        group.invoke(context)
