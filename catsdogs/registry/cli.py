"""`flask models ...`: the registry's versions, and which one serves (registry/lifecycle.py).

Every change is recorded in MLflow (who, when, why), logged, and posted to Discord.
"""

import getpass
import logging
import os
from collections.abc import Callable

from pathlib import Path
from typing import TypeVar

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale, gettext

from catsdogs.registry import lifecycle, lineage
from catsdogs.card import SHIPPED_MODEL
from catsdogs.registry.check_photos import PER_CLASS, write_check_photos
from catsdogs.registry.mlflow_rest import MISSING, shown
from catsdogs.registry.model_run import AlreadyRegistered, log_model, refuse_if_registered
from catsdogs.registry.versions import NUMBER
from catsdogs.monitoring.notifier import DiscordNotifier, Event
from catsdogs.registry.client import NAME, RegisteredVersion, Registry, RegistryError

# Named after the command group, not the module: `flask models` lines read "catsdogs.models".
log = logging.getLogger("catsdogs.models")
T = TypeVar("T")
models = AppGroup("models", help="The MLflow model registry: list, promote, roll back, shadow.")
TIMEOUT = 60.0  # seconds per MLflow call: a download of the model is one
NOTIFY_WAIT = 15.0  # seconds to let the Discord message leave before the command exits


def registry() -> Registry:
    """The registry of MLFLOW_TRACKING_URI, and the model MLFLOW_MODEL_NAME (catsdogs)."""
    uri = setting("MLFLOW_TRACKING_URI")
    if not uri:
        raise click.ClickException("set MLFLOW_TRACKING_URI to the MLflow tracking server")
    return Registry(uri, setting("MLFLOW_MODEL_NAME") or NAME, timeout=TIMEOUT)


def setting(name: str) -> str | None:
    """The app's configuration first (tests set it there), then the environment."""
    return current_app.config.get(name) or os.environ.get(name)


def who(by: str | None) -> str:
    return by or os.environ.get("USER") or getpass.getuser()


by_option = click.option("--by", help="Who makes the change (default: $USER).")
reason_option = click.option("--reason", default="", help="Why: recorded with the change.")


@models.command("list")
def list_versions() -> None:
    """Versions, newest first, with their aliases, test figures and erasure marks."""
    reg = registry()
    versions = _call(reg.versions)
    if not versions:
        click.echo(f"No version of {reg.name} is registered.")
        return
    header = f"{'version':>7}  {'aliases':<20} {'card':<20} {'test acc.':>9} {'AUC':>7}  "
    click.echo(header + f"{'created':<16}  erasure")
    for version in versions:
        test = _test_figures(reg, version)
        accuracy = f"{test['accuracy']:.2%}" if "accuracy" in test else "?"
        auc = f"{test['roc_auc']:.4f}" if "roc_auc" in test else "?"
        created = version.created.strftime("%Y-%m-%d %H:%M") if version.created else "?"
        click.echo(
            f"{version.registry_version:>7}  {','.join(version.aliases) or '-':<20} "
            f"{version.model_version or '?':<20} {accuracy:>9} {auc:>7}  {created:<16}  "
            f"{_erasure(version)}"
        )


def registry_version(
    context: click.Context, parameter: click.Parameter, value: str | None
) -> str | None:
    """A registry version is a number: 'v2' or '1.1.0' (a model version) is refused here."""
    if value is not None and not NUMBER.fullmatch(value):
        raise click.BadParameter(
            f"{value!r} is not a registry version (a number: `flask models list` shows them)"
        )
    return value


@models.command("promote")
@click.argument("version", callback=registry_version)
@click.option("--force", is_flag=True, help="Promote despite the checks (needs --reason).")
@reason_option
@by_option
def promote(version: str, force: bool, reason: str, by: str | None) -> None:
    """Make VERSION the champion, the version the service serves."""
    if force and not reason.strip():
        raise click.UsageError("--force needs --reason: say why the checks are overruled")
    reg = registry()
    _announce(_call(lambda: lifecycle.promote(reg, version, who(by), reason, force)))


@models.command("rollback")
@reason_option
@by_option
def rollback(reason: str, by: str | None) -> None:
    """Make the previous champion the champion again."""
    reg = registry()
    _announce(_call(lambda: lifecycle.rollback(reg, who(by), reason)))


@models.command("shadow")
@click.argument("version", required=False, callback=registry_version)
@click.option("--off", is_flag=True, help="Remove the challenger.")
@reason_option
@by_option
def shadow(version: str | None, off: bool, reason: str, by: str | None) -> None:
    """Make VERSION the challenger, which classifies a sample of the traffic in the shadows."""
    if off == (version is not None):
        raise click.UsageError("give a VERSION, or --off")
    reg = registry()
    _announce(_call(lambda: lifecycle.shadow(reg, version, who(by), reason)))


@models.command("register-packaged")
@click.option(
    "--checks",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="a folder of cat/ and dog/ photos every version must classify right",
)
@click.option(
    "--data",
    type=click.Path(exists=True, path_type=Path),
    help="the PetImages zip or folder to draw those photos from (its test split) instead",
)
def register_packaged(checks: Path | None, data: Path | None) -> None:
    """Register the model shipped in the package as a new version (a run with its figures),
    with photos of known class that serving checks every version on."""
    if checks is None and data is None:
        raise click.UsageError("give --checks FOLDER or --data PETIMAGES (photos of known class)")
    reg = registry()
    try:  # before the photos are drawn: the slow part
        refuse_if_registered(reg, SHIPPED_MODEL)
    except AlreadyRegistered as already:
        click.echo(f"{already}.")
        return
    except RegistryError as error:
        raise click.ClickException(str(error)) from None
    if checks is None:
        assert data is not None  # refused above
        click.echo(f"Writing {2 * PER_CLASS} check photos from the test split of {data}...")
        checks = write_check_photos(data, SHIPPED_MODEL)
    size = f"{SHIPPED_MODEL.stat().st_size / 1e6:.0f} MB"
    click.echo(f"Uploading {SHIPPED_MODEL.name} ({size}) to {shown(reg.tracking_uri)}...")
    version = _call(lambda: log_model(reg, SHIPPED_MODEL, "packaged", checks=checks))
    click.echo(
        f"Registered {reg.name} version {version.registry_version} ({version.model_version}), "
        f"ready; promote it: .venv/bin/flask --app catsdogs models promote "
        f"{version.registry_version}"
    )


def _erasure(version: RegisteredVersion) -> str:
    """'-', or the mark of a version trained on photos erased since (registry/lineage.py)."""
    mark = lineage.Mark.of(version)
    if mark is None:
        return "-"
    return f"MARKED: trained on {mark.count} erased photo(s) since {mark.since[:16]}"


def _test_figures(reg: Registry, version: RegisteredVersion) -> dict:
    try:
        return reg.card(version).get("evaluation", {}).get("test", {})
    except RegistryError as error:
        log.warning("version %s: card unreadable: %s", version.registry_version, error)
        return {}


def _call(action: Callable[[], T]) -> T:
    """Run `action`; a refusal or a registry failure ends the command with a clear message."""
    try:
        return action()
    except lifecycle.Refused as refused:
        lines = "\n".join(f"  - {p}" for p in refused.problems)
        hint = '\nOverrule with --force --reason "...".' if "promote" in _command() else ""
        raise click.ClickException(f"refused:\n{lines}{hint}") from None
    except AlreadyRegistered as error:
        raise click.ClickException(str(error)) from None
    except RegistryError as error:
        hint = "; `flask models list` shows them" if error.code == MISSING else ""
        raise click.ClickException(f"{error}{hint}") from None


def _command() -> str:
    context = click.get_current_context(silent=True)
    return (context.info_name if context else None) or ""


def _announce(change: lifecycle.Change) -> None:
    """Print, log and post the change to Discord; say so when nothing changed."""
    if change.unchanged:
        state = f"the {change.alias} is already version {change.version}"
        click.echo(f"Nothing to do: {state if change.version else f'no {change.alias} is set'}.")
        return
    click.echo(f"{change.action}: {change.describe()}")
    log.info("model %s: %s", change.action, change.describe())
    poll = current_app.config["MODEL_POLL_SECONDS"]
    click.echo(
        f"The service follows within MODEL_POLL_SECONDS ({poll:g} s), "
        "or at once with POST /api/model/reload."
    )
    # A notifier of its own: the command's process ends here, the app's notifier lives on.
    alerts = DiscordNotifier(current_app.config["DISCORD_WEBHOOK_URL"], retries=2, cooldown=0)
    alerts.notify(change_event(change, current_app.config["NOTIFY_LANGUAGE"]))
    if alerts.url and not alerts.flush(NOTIFY_WAIT):
        click.echo("The Discord message could not be sent in time.", err=True)
    alerts.close(timeout=0)


def change_event(change: lifecycle.Change, language: str = "en") -> Event:
    """The Discord message for a change of alias, in `language` (forced promotion: warning)."""
    with force_locale(language):
        titles = {
            "promote": gettext("New champion model"),
            "rollback": gettext("Champion model rolled back"),
            "shadow": gettext("New challenger model"),
            "shadow-off": gettext("Challenger model removed"),
            "canary": gettext("Canary started"),
            "canary-off": gettext("Canary stopped"),
            "canary-trip": gettext("Canary taken back to 0%"),
        }
        description = gettext(
            "%(alias)s: version %(version)s (was %(previous)s), by %(by)s. Reason: %(reason)s",
            alias=change.alias,
            version=change.version or "-",
            previous=change.previous or "-",
            by=change.by,
            reason=change.reason or "-",
        )
        if change.overruled:
            description += "\n" + gettext(
                "Checks overruled: %(problems)s", problems="; ".join(change.overruled)
            )
        severity = "warning" if change.overruled else "info"
        field = (gettext("Severity"), gettext("warning") if change.overruled else gettext("info"))
    state_ = f"{change.action}:{change.version}:{change.at}"
    return Event("model-registry", state_, severity, titles[change.action], description, field)
