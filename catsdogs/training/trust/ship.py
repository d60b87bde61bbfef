"""`trust --ship`: the extended model becomes the packaged one, with both its cards.

Its card is the source model's (data, training, evaluation, reference profile: the weights and
the first output are the same) with a new version and hash, every output, and the sections
serving reads: `neither` (the detector) and `cam` (the heatmap). The packaged model it replaces
stays loadable in catsdogs/model/previous/.
"""

import datetime
import json
import shutil
from pathlib import Path

import onnx
import onnxruntime

from catsdogs.card import SHIPPED_MODEL
from catsdogs.training import export
from catsdogs.training.commands import CARD_SUFFIXES

PREVIOUS = "previous"  # beside the packaged model: the one it replaced, files unchanged


def card_for(model: Path, source: Path, report: dict, risk: dict[str, list]) -> dict:
    """The card of `model`, extended from `source` by `trust` (whose `report` it quotes);
    `risk` is each evaluated part's table of answered share and errors by confidence."""
    before = json.loads(source.with_suffix(".json").read_text())
    tensor_in, outputs = export.io_description(model)
    added = ", ".join(o["name"] for o in outputs[1:])
    changed = {
        "version": export.version(export.next_minor(before["version"]), model),
        "architecture": f"{before['architecture']}; outputs added from the same run: {added}",
        "file": SHIPPED_MODEL.name,
        "sha256": export.file_sha256(model),
        "input": tensor_in,
        "output": outputs[0],
    }
    card = {key: changed.get(key, value) for key, value in before.items()}
    card = _after(card, "output", "outputs", outputs)
    for part, rows in risk.items():
        card["evaluation"][part]["risk_coverage"] = rows
    card["neither"] = report["card"]["neither"]
    card["cam"] = report["card"]["cam"]
    card["extension"] = {
        "from": {key: before[key] for key in ("version", "sha256")},
        "date": datetime.date.today().isoformat(),
        "command": "python -m catsdogs.training trust --ship",
        "output0_bit_identical": report["checks"]["output0_bit_identical"],
        "extra_ms": report["latency"]["extra_ms"],
        "versions": {"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__},
    }
    return card


def ship(model: Path, source: Path, card: dict, target: Path = SHIPPED_MODEL) -> Path | None:
    """Write `model` and `card` as the packaged model; the one replaced goes to previous/ (its
    path returned), unless `source` already lies there: a model made again from it replaces
    its predecessor, and the model before both stays."""
    kept = None
    keep = target.parent / PREVIOUS
    replaced = target.exists() and export.file_sha256(target) != card["sha256"]
    if replaced and keep.resolve() not in source.resolve().parents:
        keep.mkdir(exist_ok=True)
        for suffix in CARD_SUFFIXES:
            shutil.copyfile(target.with_suffix(suffix), keep / f"{target.stem}{suffix}")
        kept = keep / target.name
    shutil.copyfile(model, target)
    export.write_cards(card, target)
    return kept


def _after(card: dict, key: str, new: str, value: object) -> dict:
    """`card` with `new` placed right after `key`, so the JSON reads in order."""
    result = {}
    for name, item in card.items():
        if name != new:
            result[name] = item
        if name == key:
            result[new] = value
    return result
