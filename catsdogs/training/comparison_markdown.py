"""comparison.md: what a person reads of a comparison (catsdogs/training/comparison.py)."""

from catsdogs.training.significance import conclusion

NAMES = {"test": "base test split", "holdout": "feedback hold-out"}


def render(comparison: dict) -> str:
    """The comparison for people: figures, McNemar's test, confusion matrices, changed answers,
    and the gate's verdict when it was judged."""
    figures = comparison["figures"]
    names = {part: NAMES[part] for part in figures["champion"]}
    lines = [
        *_heading(comparison),
        "",
        "| set | photos | champion accuracy | candidate accuracy | champion errors "
        "| candidate errors | champion ECE | candidate ECE |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for part, name in names.items():
        both = [figures[model][part] for model in ("champion", "candidate")]
        cells = [
            *map(_percent, (f["accuracy"] for f in both)),
            *map(errors, both),
            *map(_ece, both),
        ]
        lines.append(f"| {name} | {both[1]['images']} | {' | '.join(cells)} |")
    if comparison["mcnemar"]:
        lines.append("")
    for part, test in comparison["mcnemar"].items():
        lines.append(
            f"- McNemar's exact test on the {names[part]}: the candidate alone is right on "
            f"{test['candidate_only_right']} photos, the champion alone on "
            f"{test['champion_only_right']}; p = {test['p_value']:.3g}: {conclusion(test)}."
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


def _heading(comparison: dict) -> list[str]:
    """The title, the verdict if any, and the data both models were run on."""
    versions = (
        f"candidate {comparison['candidate']['version']} against champion "
        f"{comparison['champion']['version']}"
    )
    base = comparison["base_dataset"]
    data = f"Base data {base['name']} (sha256 `{base['sha256'][:16]}...`)"
    if "verdict" not in comparison:
        return [
            f"# Comparison: {versions}",
            "",
            f"{data}: the champion's test split alone, no feedback photos and no gate.",
        ]
    verdict, feedback = comparison["verdict"], comparison["feedback_dataset"]
    counts = feedback["counts"]
    return [
        f"# Retrain: {versions}",
        "",
        f"**Gate: {'PASSED' if verdict['passed'] else 'REFUSED'}**",
        "",
        *[f"- {reason}" for reason in verdict["reasons"]],
        *[f"- warning: {warning}" for warning in verdict["warnings"]],
        "",
        f"{data}; feedback dataset {feedback['name']} (content hash "
        f"`{feedback['content_hash'][:16]}...`): training {counts['train']['cat']} cats and "
        f"{counts['train']['dog']} dogs, held out {counts['holdout']['cat']} cats and "
        f"{counts['holdout']['dog']} dogs.",
    ]


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def errors(figures: dict) -> str:
    """The photos a model got wrong: the confusion matrix off its diagonal."""
    if "confusion_matrix" not in figures:
        return "-"
    (_, cat_as_dog), (dog_as_cat, _) = figures["confusion_matrix"]["counts"]
    return str(cat_as_dog + dog_as_cat)


def _ece(figures: dict) -> str:
    value = figures.get("expected_calibration_error")
    return "-" if value is None else f"{value:.4f}"
