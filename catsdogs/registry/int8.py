"""The INT8 copy of a registered version, stored as extra files of that version.

The copy is not a version of its own: it has no training of its own, and promoting, rolling
back or shadowing the FP32 version must carry its copy along. Two version tags offer it to the
services, which pick it where MODEL_PRECISION allows (catsdogs/serving/precision.py).
"""

import json
from pathlib import Path

from catsdogs.registry.client import Registry, RegistryError, file_sha256
from catsdogs.registry.versions import RegisteredVersion

# Named as `make quantize` names them beside catsdogs.onnx.
INT8_ONNX, INT8_CARD, INT8_REPORT = "catsdogs-int8.onnx", "catsdogs-int8.json", "catsdogs-int8.md"
INT8_FILES = (INT8_ONNX, INT8_CARD, INT8_REPORT)
SHA256_TAG, GATE_TAG = "int8_sha256", "int8_gate"  # the copy's file, its gate's verdict
PASSED, FAILED = "passed", "failed"


def offered(version: RegisteredVersion) -> bool:
    """Whether `version` offers an INT8 copy that passed its accuracy gate."""
    return version.tags.get(GATE_TAG) == PASSED and bool(version.tags.get(SHA256_TAG))


def gate_passed(card: dict) -> bool:
    """Whether an INT8 card records that its copy passed the accuracy gate."""
    gate = card.get("quantization", {}).get("gate", {})
    return isinstance(gate, dict) and gate.get("within") is True


def attach(registry: Registry, number: str, onnx: Path) -> tuple[RegisteredVersion, dict]:
    """Store `onnx` (an INT8 copy, its cards beside it) with version `number` and tag it.

    Refused unless the copy was quantized from that version's very file.
    """
    version = registry.get(number)
    card = _card(onnx.with_suffix(".json"))
    source = card.get("quantization", {}).get("source", {}).get("sha256")
    if not version.sha256 or source != version.sha256:
        raise RegistryError(
            f"{onnx.name} was quantized from a file with sha256 {str(source)[:12]}, not from "
            f"version {number}'s ({str(version.sha256)[:12]})"
        )
    digest = file_sha256(onnx)
    if card.get("sha256") != digest:
        raise RegistryError(f"{onnx.name}'s card names another file (sha256 {digest[:12]})")
    location = registry.artifact_location(version)
    paths = (onnx, onnx.with_suffix(".json"), onnx.with_suffix(".md"))
    for name, path in zip(INT8_FILES, paths, strict=True):
        if path.is_file():
            registry.rest.upload(location, name, path)
    registry.set_tag(number, SHA256_TAG, digest)
    registry.set_tag(number, GATE_TAG, PASSED if gate_passed(card) else FAILED)
    return registry.get(number), card


def _card(path: Path) -> dict:
    try:
        card = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise RegistryError(f"cannot read the INT8 card {path}: {error}") from None
    if not isinstance(card, dict) or "quantization" not in card:
        raise RegistryError(f"{path} is not the card of an INT8 copy (no quantization section)")
    return card


def download(registry: Registry, version: RegisteredVersion, folder: Path) -> None:
    """Add the version's INT8 files to its downloaded `folder`, unless they are there."""
    if (folder / INT8_ONNX).is_file():
        return
    location = registry.artifact_location(version)
    present = set(registry.rest.list_artifacts(location))
    for name in reversed(INT8_FILES):  # the model file last: its presence says all are there
        if name in present:
            registry.rest.download(location, name, folder / name)
