"""Champion and candidate on the same photos: the champion's base test split and the held-out
feedback photos; the gate's verdict (catsdogs/training/gate.py), comparison.json and .md."""

import json
from pathlib import Path

from catsdogs.card import CLASSES
from catsdogs.store import feedback_manifest
from catsdogs.store.petimages import Dataset, card_split
from catsdogs.training import export, metrics
from catsdogs.training.gate import Verdict, judge
from catsdogs.training.retrain import RetrainError, check_same_data, feedback_part

COMPARISON = "comparison"  # comparison.md and comparison.json, beside the candidate


def compare(candidate: Path, champion: Path, data: Path, feedback: Path) -> dict:
    """Both models on the champion's base test split and on the held-out feedback photos."""
    champion_card = json.loads(champion.with_suffix(".json").read_text())
    candidate_card = json.loads(candidate.with_suffix(".json").read_text())
    for key in ("sha256", "split"):
        if candidate_card["dataset"].get(key) != champion_card["dataset"].get(key):
            raise RetrainError(
                f"the candidate's base dataset {key} is not the champion's: "
                "their test figures cannot be compared"
            )
    manifest = feedback_manifest.read(feedback)
    dataset = Dataset(data)
    check_same_data(dataset, champion_card)
    sets = {
        "test": (dataset, card_split(dataset, champion_card)["test"]),
        "holdout": (Dataset(feedback), feedback_part(manifest, "holdout")),
    }
    models = {"champion": (champion, champion_card), "candidate": (candidate, candidate_card)}
    figures: dict[str, dict] = {}
    answers: dict[str, dict] = {}
    kept, decoded = {}, {}
    for name, (path, card) in models.items():
        size = int(card["preprocessing"]["resize"]["size"][0])
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
    changed = {
        part: [
            {"file": f, "truth": CLASSES[y], "champion": a, "candidate": b}
            for f, y, a, b in zip(
                kept[part].files,
                kept[part].labels,
                answers["champion"][part],
                answers["candidate"][part],
                strict=True,
            )  # fmt: skip
            if a != b
        ]
        for part in sets
    }
    verdict = judge(figures["champion"], figures["candidate"])
    return {
        "champion": {"version": champion_card.get("version"), "file": str(champion)},
        "candidate": {"version": candidate_card.get("version"), "file": str(candidate)},
        "base_dataset": {k: champion_card["dataset"].get(k) for k in ("name", "sha256")},
        "feedback_dataset": {
            "name": manifest["name"],
            "content_hash": manifest["content_hash"],
            "counts": manifest["counts"],
        },
        "figures": figures,
        "changed": changed,
        "verdict": {
            "passed": verdict.passed,
            "reasons": list(verdict.reasons),
            "warnings": list(verdict.warnings),
        },
    }


def write_comparison(comparison: dict, folder: Path) -> tuple[Path, Path]:
    """comparison.json and comparison.md in `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    as_json, as_markdown = folder / f"{COMPARISON}.json", folder / f"{COMPARISON}.md"
    as_json.write_text(json.dumps(comparison, indent=2) + "\n")
    as_markdown.write_text(render(comparison))
    return as_json, as_markdown


def verdict_of(comparison: dict) -> Verdict:
    v = comparison["verdict"]
    return Verdict(v["passed"], tuple(v["reasons"]), tuple(v["warnings"]))


def render(comparison: dict) -> str:
    """The comparison for people: figures, confusion matrices, changed answers, verdict."""
    verdict, feedback = comparison["verdict"], comparison["feedback_dataset"]
    names = {"test": "base test split", "holdout": "feedback hold-out"}
    lines = [
        f"# Retrain: candidate {comparison['candidate']['version']} against champion "
        f"{comparison['champion']['version']}",
        "",
        f"**Gate: {'PASSED' if verdict['passed'] else 'REFUSED'}**",
        "",
        *[f"- {reason}" for reason in verdict["reasons"]],
        *[f"- warning: {warning}" for warning in verdict["warnings"]],
        "",
        f"Base data {comparison['base_dataset']['name']} (sha256 "
        f"`{comparison['base_dataset']['sha256'][:16]}...`); feedback dataset {feedback['name']} "
        f"(content hash `{feedback['content_hash'][:16]}...`): training "
        f"{feedback['counts']['train']['cat']} cats and {feedback['counts']['train']['dog']} dogs, "
        f"held out {feedback['counts']['holdout']['cat']} cats and "
        f"{feedback['counts']['holdout']['dog']} dogs.",
        "",
        "| set | photos | champion accuracy | candidate accuracy |",
        "|---|---|---|---|",
    ]
    figures = comparison["figures"]
    for part, name in names.items():
        champion, candidate = figures["champion"][part], figures["candidate"][part]
        lines.append(
            f"| {name} | {candidate['images']} | {_percent(champion['accuracy'])} | "
            f"{_percent(candidate['accuracy'])} |"
        )
    for part, name in names.items():
        for model in ("champion", "candidate"):
            matrix = figures[model][part].get("confusion_matrix")
            if not matrix:
                continue
            (cc, cd), (dc, dd) = matrix["counts"]
            lines += [
                "",
                f"Confusion matrix, {model}, {name} (rows: true class):",
                "",
                "| | predicted cat | predicted dog |",
                "|---|---|---|",
                f"| cat | {cc} | {cd} |",
                f"| dog | {dc} | {dd} |",
            ]
    for part, name in names.items():
        changed = comparison["changed"][part]
        lines += ["", f"## Changed answers on the {name} ({len(changed)})", ""]
        if not changed:
            lines.append("None: both models give the same answers.")
            continue
        lines += ["| photo | truth | champion | candidate |", "|---|---|---|---|"]
        lines += [
            f"| {c['file']} | {c['truth']} | {c['champion']} | {c['candidate']} |" for c in changed
        ]
    return "\n".join(lines) + "\n"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"
