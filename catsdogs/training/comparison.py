"""Champion and candidate on the same photos: the champion's base test split and the held-out
feedback photos; the gate's verdict (catsdogs/training/gate.py), comparison.json and .md. Or
the test split alone, without feedback photos or gate (`python -m catsdogs.training compare`)."""

import json
from pathlib import Path

from catsdogs.card import CLASSES
from catsdogs.store import feedback_manifest
from catsdogs.store.petimages import Dataset, Split, card_split
from catsdogs.training import export, metrics
from catsdogs.training.gate import Verdict, judge
from catsdogs.training.retrain import RetrainError, check_same_data, feedback_part
from catsdogs.training.comparison_markdown import render
from catsdogs.training.significance import mcnemar

COMPARISON = "comparison"  # comparison.md and comparison.json, beside the candidate
# `compare` alone: not the gate's comparison.md, which a retrain's folder keeps and MLflow holds
TEST_SPLIT_COMPARISON = "comparison-test-split"


def compare(candidate: Path, champion: Path, data: Path, feedback: Path) -> dict:
    """Both models on the champion's base test split and on the held-out feedback photos."""
    manifest = feedback_manifest.read(feedback)  # a broken export fails before the zip is hashed
    cards, test = _base_test_split(candidate, champion, data)
    sets = {"test": test, "holdout": (Dataset(feedback), feedback_part(manifest, "holdout"))}
    measured = measure({"champion": champion, "candidate": candidate}, cards, sets)
    verdict = judge(measured["figures"]["champion"], measured["figures"]["candidate"])
    return {
        **_about(candidate, champion, cards),
        "feedback_dataset": {
            "name": manifest["name"],
            "content_hash": manifest["content_hash"],
            "counts": manifest["counts"],
        },
        **measured,
        "verdict": {
            "passed": verdict.passed,
            "reasons": list(verdict.reasons),
            "warnings": list(verdict.warnings),
        },
    }


def compare_on_test_split(candidate: Path, champion: Path, data: Path) -> dict:
    """Both models on the champion's base test split alone: no feedback photos, no gate."""
    cards, test = _base_test_split(candidate, champion, data)
    measured = measure({"champion": champion, "candidate": candidate}, cards, {"test": test})
    return {**_about(candidate, champion, cards), **measured}


def _base_test_split(
    candidate: Path, champion: Path, data: Path
) -> tuple[dict[str, dict], tuple[Dataset, Split]]:
    """Both cards, and the champion's base data with its test split; RetrainError when the
    candidate was not split from the same data, or `data` is not it."""
    cards = {
        name: json.loads(path.with_suffix(".json").read_text())
        for name, path in (("champion", champion), ("candidate", candidate))
    }
    for key in ("sha256", "split"):
        if cards["candidate"]["dataset"].get(key) != cards["champion"]["dataset"].get(key):
            raise RetrainError(
                f"the candidate's base dataset {key} is not the champion's: "
                "their test figures cannot be compared"
            )
    dataset = Dataset(data)
    check_same_data(dataset, cards["champion"])
    return cards, (dataset, card_split(dataset, cards["champion"])["test"])


def _about(candidate: Path, champion: Path, cards: dict) -> dict:
    return {
        "champion": {"version": cards["champion"].get("version"), "file": str(champion)},
        "candidate": {"version": cards["candidate"].get("version"), "file": str(candidate)},
        "base_dataset": {k: cards["champion"]["dataset"].get(k) for k in ("name", "sha256")},
    }


def measure(
    models: dict[str, Path], cards: dict[str, dict], sets: dict[str, tuple[Dataset, Split]]
) -> dict:
    """Each model's figures on each set of (source, split), the photos whose answer changed,
    and McNemar's test on each set with photos."""
    figures: dict[str, dict] = {}
    answers: dict[str, dict] = {}
    kept, decoded = {}, {}
    for name, path in models.items():
        size = int(cards[name]["preprocessing"]["resize"]["size"][0])
        figures[name], answers[name] = {}, {}
        for part, (source, split) in sets.items():
            if (part, size) not in decoded:  # both models usually share the size: decode once
                decoded[part, size] = source.load(split, size) if len(split) else (None, split)
            pixels, kept[part] = decoded[part, size]
            if pixels is None or not len(kept[part]):  # None: an empty split
                figures[name][part] = {"images": 0, "accuracy": None}
                answers[name][part] = []
                continue
            p_dog = export.predict(path, pixels)[:, CLASSES.index("dog")]
            figures[name][part] = metrics.evaluate(kept[part].labels, p_dog, kept[part].files)
            answers[name][part] = [CLASSES[int(p >= 0.5)] for p in p_dog]
    truth = {part: [CLASSES[y] for y in kept[part].labels] for part in sets}
    changed = {
        part: [
            {"file": f, "truth": t, "champion": a, "candidate": b}
            for f, t, a, b in zip(
                kept[part].files,
                truth[part],
                answers["champion"][part],
                answers["candidate"][part],
                strict=True,
            )  # fmt: skip
            if a != b
        ]
        for part in sets
    }
    tests = {
        part: mcnemar(truth[part], answers["champion"][part], answers["candidate"][part])
        for part in sets
        if truth[part]
    }
    return {"figures": figures, "changed": changed, "mcnemar": tests}


def write_comparison(comparison: dict, folder: Path, name: str = COMPARISON) -> tuple[Path, Path]:
    """`name`.json and `name`.md in `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    as_json, as_markdown = folder / f"{name}.json", folder / f"{name}.md"
    as_json.write_text(json.dumps(comparison, indent=2) + "\n")
    as_markdown.write_text(render(comparison))
    return as_json, as_markdown


def verdict_of(comparison: dict) -> Verdict:
    v = comparison["verdict"]
    return Verdict(v["passed"], tuple(v["reasons"]), tuple(v["warnings"]))
