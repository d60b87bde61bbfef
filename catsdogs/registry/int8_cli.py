"""`flask models add-int8`: store a version's INT8 copy with it (catsdogs/registry/int8.py)."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from catsdogs.card import SHIPPED_MODEL
from catsdogs.registry import int8
from catsdogs.registry.cli import _call, log, registry, registry_version


@click.command("add-int8")
@with_appcontext  # as the `models` group's own commands
@click.argument("version", callback=registry_version)
@click.option(
    "--file",
    "onnx",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=SHIPPED_MODEL.with_name(int8.INT8_ONNX),
    show_default=True,
    help="the INT8 copy (`make quantize`), its .json card beside it",
)
def add_int8(version: str, onnx: Path) -> None:
    """Store the INT8 copy of VERSION's model with it; services with MODEL_PRECISION=auto on a
    VNNI CPU, or int8, then answer with the copy if it passed its accuracy gate."""
    reg = registry()
    tagged, card = _call(lambda: int8.attach(reg, version, onnx))
    gate = card["quantization"]["gate"]
    verdict = tagged.tags[int8.GATE_TAG]
    log.info("version %s: INT8 copy %s added, gate %s", version, card["version"], verdict)
    click.echo(
        f"Version {version} now holds its INT8 copy {card['version']}: test accuracy "
        f"{gate['int8_accuracy']:.2%} against {gate['fp32_accuracy']:.2%} for FP32, gate {verdict}"
        + ("" if verdict == int8.PASSED else "; services will not pick it")
    )
