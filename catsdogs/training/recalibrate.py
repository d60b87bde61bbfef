"""A retrain's candidate says "not a cat or a dog" too: the trust step, run on its own graph.

The detector is fitted on the candidate's features of the card's train split (and the feedback
photos it trained on), chosen and judged as `python -m catsdogs.training trust` does
(catsdogs/training/trust/), with one difference: the reviewed photos labelled neither, from
the export's `neither/`, join the non-pet calibration images. Validation pets still set the
threshold, at the same share refused; the held-out neither photos and the test parts are only
measured at it.
"""

import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from catsdogs.card import CLASSES
from catsdogs.store.feedback_manifest import neither_photos
from catsdogs.store.petimages import Dataset, Split, card_split
from catsdogs.training import export
from catsdogs.training.trust import command, cost, detectors, extract, faithfulness, graph, ship
from catsdogs.training.trust import summary

log = logging.getLogger(__name__)
NONPET = Path(__file__).resolve().parents[2] / "build" / "nonpet"  # `make nonpet` writes it
REVIEWED = "reviewed"  # the kind the neither photos get among the calibration images
COMMAND = "python -m catsdogs.training retrain (catsdogs/training/recalibrate.py)"


def with_reviewed(calibration: dict, reviewed: dict) -> dict:
    """The non-pet calibration images' outputs followed by the reviewed neither photos', of
    kind `REVIEWED`; the calibration images alone when there are none."""
    if not len(reviewed.get("files", ())):
        return calibration
    kinds = np.full(len(reviewed["files"]), REVIEWED)
    joined = {key: np.concatenate([calibration[key], reviewed[key]]) for key in reviewed}
    return joined | {"kinds": np.concatenate([calibration["kinds"], kinds])}


def reviewed_files(feedback: Path, manifest: dict, part: str) -> list[Path]:
    """The export's neither photos of one part (train: calibration, holdout: measured)."""
    return [feedback / p["file"] for p in neither_photos(manifest) if p["part"] == part]


def feedback_figures(manifest: dict, calibration: int, held: np.ndarray, figures: dict) -> dict:
    """What the card says of the reviewed neither photos: how many calibrated, how many were
    held out (their `held` scores), and the share of each answered "not a cat or a dog"."""
    reviewed = figures["calibration"]["kinds"].get(REVIEWED, {})
    threshold = figures["threshold"]["value"]
    return {
        "content_hash": manifest["content_hash"],
        "calibration_photos": calibration,
        "holdout_photos": int(len(held)),
        "refused_calibration": reviewed.get("refused"),
        "refused_holdout": round(detectors.refused(held, threshold), 4) if len(held) else None,
        "rule": "the train part joins the non-pet calibration images (kind reviewed), which "
        "choose the detector; validation pets alone set the threshold",
    }


def why(row: dict, reviewed: int) -> str:
    """Why this detector: `trust`'s rule, on calibration images that include the reviewed."""
    return (
        f"the smallest of the detectors within {command.BUDGET_MS} ms that refuse, at the "
        f"threshold set on validation pets, within {command.TIE:.1%} of the most calibration "
        f"non-pets, {reviewed} reviewed neither photos among them: {row['refused_nonpets']:.1%} "
        f"refused, AUROC {row['auroc']}, {row['extra_ms']} ms measured"
    )


def recalibrate(
    model: Path,
    data: Path,
    feedback: Path,
    manifest: dict,
    nonpet: Path,
    refused: float = detectors.REFUSED_PETS,
) -> dict:
    """Replace the candidate `model` (cards beside it) by its graph extended with a detector
    calibrated as above, write its cards and recalibration.json beside it; return the card."""
    card = json.loads(model.with_suffix(".json").read_text())
    work = model.parent / "trust"
    work.mkdir(exist_ok=True)
    original = onnx.load(model)
    probe = work / "probe.onnx"
    onnx.save(graph.extend(original), probe)
    runner = extract.session(probe, os.cpu_count() or 1)
    size = runner.get_inputs()[0].shape[1]
    dataset = Dataset(data)
    parts = card_split(dataset, card)
    pets, nonpets, digest = _outputs(runner, dataset, parts, nonpet, work / "features")
    pets["train"] = _with_feedback(pets["train"], runner, feedback, manifest, work / "features")
    calibration = reviewed_files(feedback, manifest, "train")
    chunks = extract.image_chunks(calibration, size)
    found = extract.outputs_of(runner, chunks, len(calibration), "reviewed neither")
    nonpets["calibration"] = with_reviewed(nonpets["calibration"], found)
    photo = dataset.load(Split(parts["test"].files[:1], parts["test"].labels[:1]), size)[0][0]
    table, chosen = command.choose(original, pets, nonpets, refused, photo, work)
    extended = work / model.name
    onnx.save(graph.extend(original, chosen.graph), extended)
    figures, outputs = summary.final_figures(extended, dataset, parts, nonpets, refused)
    report = {
        "nonpet_set": {"folder": str(nonpet), "manifest_sha256": digest},
        "comparison_on_calibration": table,
        "chosen": {"detector": chosen.name, "why": why(table[chosen.name], len(calibration))},
        **figures,
        "latency": cost.latency(model, extended, photo),
        "checks": {
            **summary.checks(model, extended, dataset, parts["test"], outputs),
            "graph_vs_numpy_score_max_relative": summary.score_agreement(chosen, outputs),
        },
        "faithfulness": {f"{summary.WINDOW}x{summary.WINDOW}": _faithful(probe, dataset, parts)},
        "geometry": summary.geometry(original, size),
    }
    held = reviewed_files(feedback, manifest, "holdout")
    chunks = extract.image_chunks(held, size)
    scores = extract.outputs_of(extract.session(extended), chunks, len(held), "held out")
    held_scores = np.asarray(scores.get(graph.SCORE, []))
    report["feedback"] = feedback_figures(manifest, len(calibration), held_scores, figures)
    report["card"] = summary.card_fields(chosen, report)
    report["card"]["neither"]["feedback"] = report["feedback"]
    new_card = ship.card_for(extended, model, report, {})
    new_card["extension"]["command"] = COMMAND
    new_card["file"] = model.name
    shutil.copyfile(extended, model)
    export.write_cards(new_card, model)
    (model.parent / "recalibration.json").write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(work)  # the outputs of every photo: hundreds of megabytes
    return new_card


def _outputs(
    runner: ort.InferenceSession, dataset: Dataset, parts: dict, nonpet: Path, folder: Path
) -> tuple[dict, dict, str]:
    """The probe's outputs on the pets that fit and threshold the detectors (train and
    validation parts) and on the non-pet set's parts, with the digest of its manifest."""
    fitted = {part: parts[part] for part in ("train", "validation")}
    pets = extract.pet_outputs(runner, dataset, fitted, folder)
    nonpets, digest = extract.nonpet_outputs(runner, nonpet, folder)
    return pets, nonpets, digest


def _with_feedback(
    train: dict, runner: ort.InferenceSession, feedback: Path, manifest: dict, folder: Path
) -> dict:
    """The train split's outputs plus those of the feedback photos the candidate trained on."""
    trained = [p for p in manifest["photos"] if p["part"] == "train"]
    if not trained:
        return train
    split = Split([p["file"] for p in trained], [CLASSES.index(p["label"]) for p in trained])
    extra = extract.pet_outputs(runner, Dataset(feedback), {"feedback": split}, folder)["feedback"]
    return {key: np.concatenate([train[key], extra[key]]) for key in train}


def _faithful(probe: Path, dataset: Dataset, parts: dict) -> dict:
    """The heatmap's faithfulness on test photos, at the window the card quotes."""
    test, runner = parts["test"], extract.session(probe)
    drawn = np.random.default_rng(0).permutation(len(test))[: command.FAITHFULNESS_PHOTOS]
    chosen = Split([test.files[i] for i in sorted(drawn)], [0] * len(drawn))
    pixels, _ = dataset.load(chosen, runner.get_inputs()[0].shape[1])
    return faithfulness.check(runner, pixels, summary.WINDOW)
