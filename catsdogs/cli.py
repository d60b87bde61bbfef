"""Flask CLI commands: database setup, the API token, and the retention purge."""

import datetime
import re
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import exc

from catsdogs.store import database, migrations

from catsdogs.store import records
from catsdogs.config import TOKEN_FILE, instance_secret
from catsdogs.extensions import db

SHOW_TOKEN = ".venv/bin/flask --app catsdogs api-token --show"


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (idempotent)."""
    require_database()
    migrations.upgrade(current_app)
    click.echo("Database schema is up to date.")


@click.command("api-token")
@click.option("--show", is_flag=True, help="Print only the active token, whatever its source.")
@with_appcontext
def api_token(show: bool) -> None:
    """Create an API token in the instance folder if none is configured; say where it is."""
    config, path = current_app.config, Path(current_app.instance_path) / TOKEN_FILE
    generated = not config["API_TOKENS"]
    if generated:
        config["API_TOKENS"] = {"default": instance_secret(path)}
        config["API_TOKEN_SOURCE"] = str(path)
    source = config["API_TOKEN_SOURCE"]
    if show:
        click.echo(active_token(config["API_TOKENS"]))
    elif generated:
        token = config["API_TOKENS"]["default"]
        click.echo(f"Generated an API token, kept in {path} ({SHOW_TOKEN} prints it):\n  {token}")
    else:
        click.echo(f"API token from {source}; {SHOW_TOKEN} prints it.")
        if source != str(path) and path.exists():
            click.echo(f"{path} is not used: {source} comes first.")


def active_token(tokens: dict[str, str]) -> str:
    """The token clients are told to use: the default one, or the only one."""
    if "default" in tokens or len(tokens) == 1:
        return tokens.get("default") or next(iter(tokens.values()))
    raise click.ClickException(
        f"API_TOKENS names {', '.join(sorted(tokens))} and no API_TOKEN: each client has its own"
    )


@click.command("purge")
@click.option(
    "--older-than",
    "older_than",
    help="Retention period: a number of days (30d), hours (12h) or minutes (90m). "
    "Default: RETENTION_DAYS days.",
)
@with_appcontext
def purge(older_than: str | None) -> None:
    """Clear file names and comments of predictions older than the retention period, and
    delete photos kept for training past TRAINING_PHOTO_RETENTION_DAYS.

    The running service does this on its own every PURGE_INTERVAL_SECONDS; this is for cron.
    """
    if older_than is None:
        older_than = f"{current_app.config['RETENTION_DAYS']}d"
    match = re.fullmatch(r"(\d+)([dhm])", older_than.strip())
    if not match:
        raise click.BadParameter(
            "use a number followed by d, h or m, e.g. 30d", param_hint="--older-than"
        )
    unit = {"d": "days", "h": "hours", "m": "minutes"}[match[2]]
    require_database()
    cleared = records.purge_personal_data(datetime.timedelta(**{unit: int(match[1])}))
    click.echo(f"Cleared personal data from {cleared} predictions older than {older_than}.")
    photo_days = current_app.config["TRAINING_PHOTO_RETENTION_DAYS"]
    photos = records.purge_training_photos(datetime.timedelta(days=photo_days))
    click.echo(f"Deleted {photos} training photos older than {photo_days}d.")


def require_database() -> None:
    """Stop the command with one line, not a driver's traceback, if the database does not answer."""
    try:
        with db.engine.connect():
            pass
    except (exc.OperationalError, exc.InterfaceError) as error:
        raise click.ClickException(
            f"cannot connect to the database at {database.shown(str(db.engine.url))}: "
            f"{database.reason(error)}"
        ) from None


def init_app(app: Flask) -> None:
    """Add the `flask` commands: init-db, api-token, purge, models, dataset and db."""
    from catsdogs.store.dataset_cli import dataset  # the groups live in their own modules
    from catsdogs.registry.cli import models
    from catsdogs.registry.canary_cli import canary
    from catsdogs.registry.int8_cli import add_int8

    models.add_command(canary)
    models.add_command(add_int8)
    for command in (init_db, api_token, purge, models, dataset, migrations.commands):
        app.cli.add_command(command)
