"""The Markdown model card's "How far to trust it": the detector, "not sure", the heatmap.

Every figure comes from the JSON card; a card without a section gets no lines for it.
"""

KINDS = {"photo": "photos", "drawing": "drawings", "cutout": "cut-outs on backgrounds"}
# What the outputs `trust` adds hold (catsdogs/training/trust/graph.py).
OUTPUTS = {
    "features": "each head's pooled features, side by side (the detector reads them)",
    "head_logits": "each head's logit for dog, before its sigmoid",
}


def other_outputs(card: dict) -> list[str]:
    """The contract's lines for the outputs after the probabilities, from the same run."""
    said = dict(OUTPUTS)
    if "neither" in card:
        said[card["neither"]["output"]] = (
            f"the 'not a cat or a dog' score: above {card['neither']['threshold']:.1f}, neither"
        )
    if "cam" in card:
        said[card["cam"]["output"]] = "the class activation maps: where each class was seen"
    return [
        f"- output `{o['name']}` {o['shape']}: {said.get(o['name'], 'not read by the service')}"
        for o in card.get("outputs", [])[1:]
    ]


def trust_section(card: dict) -> list[str]:
    """The section's lines, or none when the card has none of its figures."""
    neither, cam = card.get("neither"), card.get("cam")
    risk = card["evaluation"]["test"].get("risk_coverage")
    if not (neither or cam or risk):
        return []
    lines = ["", "## How far to trust it"]
    if neither:
        lines += _neither(neither)
    if risk:
        lines += _not_sure(card, risk)
    if cam:
        lines += _heatmap(cam)
    return lines


def _neither(neither: dict) -> list[str]:
    test, calibration, accuracy = neither["test"], neither["calibration"], neither["accuracy"]
    shares = test["refused_pets_by_class"].items()
    by_class = ", ".join(f"{name}s {share:.2%}" for name, share in shares)
    lines = [
        "",
        "### Not a cat or a dog",
        "",
        f"The model scores how unlike its training photos a picture is ({neither['detector']}; "
        f"fitted on the {neither['fitted_on']}; output `{neither['output']}`). Above "
        f'**{neither["threshold"]:.1f}** the answer is "not a cat or a dog"; the prediction '
        "and the probabilities stay the two classes' answer.",
        "",
        f"- threshold: {neither['threshold_rule']} ({calibration['refused_pets']:.2%} of "
        f"{calibration['pets']}): {neither['threshold_why']}",
        f"- detector: {neither['why']}",
        f"- test-split pets wrongly refused: **{test['refused_pets']:.2%}** of {test['pets']} "
        f"({by_class})",
        f"- accuracy on the test photos still answered: {accuracy['answered']:.2%} on "
        f"{accuracy['answered_photos']} of {accuracy['test_photos']}, against "
        f"{accuracy['all']:.2%} on all of them",
        "",
        "Non-pet images from Debian packages and wheels, never seen in training; the threshold "
        "was set without the test part:",
        "",
        "| part | images | AUROC against pets | refused at the threshold |",
        "|---|---|---|---|",
    ]
    for name, part in (("calibration", calibration), ("test", test)):
        lines.append(
            f"| {name}, all non-pets | {part['nonpets']} | {part['auroc']:.4f} | "
            f"{part['refused_nonpets']:.1%} |"
        )
        lines += [
            f"| {name}, {KINDS.get(kind, kind)} | {row['images']} | {row['auroc']:.4f} | "
            f"{row['refused']:.1%} |"
            for kind, row in part["kinds"].items()
        ]
    real = neither.get("real_photos")
    if real:
        lines += [
            "",
            "Pet pictures from outside the dataset, at their own sizes:",
            "",
            "| picture | package | pixels | shows | score | answer |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['file']} | {r['package']} | {r['size'][0]}x{r['size'][1]} | {r['class']} | "
            f"{r['score']:.0f} | {r['predicted'] if r['answered'] else 'not a cat or a dog'} |"
            for r in real
        ]
    return lines


def _not_sure(card: dict, risk: list[dict]) -> list[str]:
    chosen = card.get("unsure_below")
    lines = [
        "",
        "### Not sure",
        "",
        f"Below a confidence of **{chosen}** the page and the API say the model is not sure. "
        "The value is read off the validation photos' reliability bins; on the test photos, "
        "what each choice would answer and how often it would be wrong:",
        "",
        "| answers from a confidence of | photos answered | errors | error rate |",
        "|---|---|---|---|",
    ]
    for row in risk:
        mark = " (this card)" if row["confidence_at_least"] == chosen else ""
        rate = "-" if row["error_rate"] is None else f"{row['error_rate']:.2%}"
        lines.append(
            f"| {row['confidence_at_least']}{mark} | {row['answered']} "
            f"({row['coverage']:.1%}) | {row['errors']} | {rate} |"
        )
    return lines


def _heatmap(cam: dict) -> list[str]:
    check = cam["faithfulness"]
    cells = check["window_cells"]
    hottest, random = check["mean_logit_drop"]["hottest"], check["mean_logit_drop"]["random"]
    return [
        "",
        "### Why it answered",
        "",
        f"Output `{cam['output']}` {cam['shape'][1:]}: {cam['meaning']}. Each cell covers "
        f"{cam['cell_pixels']} pixels a side of the {_input_side(cam)} input.",
        "",
        f"- faithful: on {check['photos']} test photos, hiding the hottest {cells}x{cells} cells "
        f"({check['window_share_of_image']:.0%} of the photo) lowers the class logit by "
        f"{hottest:.2f} on average, a random window of the same size by {random:.2f}; the "
        f"hottest costs more on {check['hottest_drops_more']:.0%} of the photos",
    ]


def _input_side(cam: dict) -> str:
    side = cam["cell_pixels"] * cam["shape"][-1]
    return f"{side}x{side}"
