"""`flask models canary`: the challenger answers a share of clients (catsdogs/registry/canary.py);
the service's guards take it back by itself (catsdogs/serving/canary_guard.py)."""

import click
from flask.cli import with_appcontext

from catsdogs.registry import canary as registry_canary
from catsdogs.registry.cli import (
    _announce,
    _call,
    by_option,
    reason_option,
    registry,
    registry_version,
    who,
)


@click.command("canary")
@with_appcontext  # as the `models` group's own commands
@click.argument("version", required=False, callback=registry_version)
@click.option(
    "--percent",
    type=click.FloatRange(0, 100, min_open=True),
    help="Share of clients (by a hash of their token or address) the canary answers.",
)
@click.option("--off", is_flag=True, help="Back to 0%: the version stays challenger (shadow).")
@click.option(
    "--force", is_flag=True, help="Start despite erased training photos (needs --reason)."
)
@reason_option
@by_option
def canary(
    version: str | None, percent: float | None, off: bool, force: bool, reason: str, by: str | None
) -> None:
    """Let VERSION, as the challenger, answer PERCENT% of clients; the service takes it back to
    0% by itself if its guards trip (docs/registry.md, Canary)."""
    if off == (version is not None) or (version is not None) == (percent is None):
        raise click.UsageError("give a VERSION and --percent, or --off")
    if force and not reason.strip():
        raise click.UsageError("--force needs --reason: say why the checks are overruled")
    reg = registry()
    if version is None:
        _announce(_call(lambda: registry_canary.stop(reg, who(by), reason)))
        return
    assert percent is not None  # refused above
    start = registry_canary.start
    _announce(_call(lambda: start(reg, version, percent, who(by), reason, force)))
