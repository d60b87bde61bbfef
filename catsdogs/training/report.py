"""Render the JSON model card as Markdown for people."""

from catsdogs.training.metrics import SURE_ACCURACY
from catsdogs.training.trust.card_text import other_outputs, trust_section


def render_markdown(card: dict) -> str:
    """Return the readable model card."""
    ev = card["evaluation"]["test"]
    split = card["dataset"]["split"]
    pre = card["preprocessing"]
    lines = [
        f"# Model card: {card['name']} {card['version']}",
        "",
        f"{card['architecture']}. Trained on {card['training']['date']} in "
        f"{card['training']['duration_s'] / 60:.1f} minutes on {card['training']['machine']}"
        + (
            " (the frozen part's outputs were loaded from an earlier run's cache)."
            if card["training"].get("frozen_features_reused")
            else "."
        ),
        "",
        "## Contract",
        "",
        f"- input `{card['input']['name']}`: {card['input']['dtype']} "
        f"{card['input']['shape']} ({pre['layout']}, {pre['channel_order']}, "
        f"values {pre['value_range'][0]}-{pre['value_range'][1]})",
        f"- preprocessing: EXIF orientation applied, converted to RGB, resized to "
        f"{pre['resize']['size'][0]}x{pre['resize']['size'][1]} with {pre['resize']['method']} "
        f"interpolation, aspect ratio not kept (as the training photos)",
        f"- output `{card['output']['name']}`: probabilities of {', '.join(card['classes'])}",
        *other_outputs(card),
        f"- decision: dog when P(dog) >= {card['threshold']}",
        f"- not sure below a confidence of {card['unsure_below']} (the page and the API say so): "
        f"from there up, every validation confidence bin is right at least {SURE_ACCURACY:.0%} "
        "of the time",
        "",
        "## Data",
        "",
        f"- {card['dataset']['name']}, sha256 `{card['dataset']['sha256'][:16]}...`",
        f"- {card['dataset']['readable']} readable images, {card['dataset']['skipped']} skipped",
        f"- stratified split, seed {split['seed']}: train {split['train']}, "
        f"validation {split['validation']}, test {split['test']}",
        *_feedback_line(card.get("feedback_dataset")),
        "",
        f"## Test results ({ev['images']} held-out images)",
        "",
        f"- accuracy **{ev['accuracy']:.2%}**, ROC AUC {ev['roc_auc']:.4f}, "
        f"expected calibration error {ev['expected_calibration_error']:.4f}",
        f"- validation accuracy {card['evaluation']['validation']['accuracy']:.2%}",
        "",
        "| class | precision | recall | support |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {c['precision']:.4f} | {c['recall']:.4f} | {c['support']} |"
        for name, c in ev["per_class"].items()
    ]
    (cc, cd), (dc, dd) = ev["confusion_matrix"]["counts"]
    lines += [
        "",
        "Confusion matrix (rows: true class):",
        "",
        "| | predicted cat | predicted dog |",
        "|---|---|---|",
        f"| cat | {cc} | {cd} |",
        f"| dog | {dc} | {dd} |",
        "",
        "Reliability (confidence of the predicted class):",
        "",
        "| confidence | images | mean confidence | accuracy |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {b['bin'][0]:.2f}-{b['bin'][1]:.2f} | {b['count']} | "
        f"{b['mean_confidence']:.4f} | {b['accuracy']:.4f} |"
        for b in ev["reliability"]
    ]
    lines += [
        "",
        "Most confident mistakes:",
        "",
        "| file | true | predicted | confidence |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {m['file']} | {m['true']} | {m['predicted']} | {m['confidence']:.4f} |"
        for m in ev["worst_mistakes"]
    ]
    lines += trust_section(card)
    lines += _profile_section(card.get("reference_profile"))
    lines += ["", "## Training settings", "", "```text"]
    lines += [f"  {k}: {v}" for k, v in card["training"]["settings"].items()]
    lines += [
        "```",
        "",
        f"Parity with {card['parity'].get('against', 'Keras')}: max abs difference "
        f"{card['parity']['max_abs_difference']:.1e} on {card['parity']['images']} images.",
        *_quantization(card),
        "",
        "## Limits",
        "",
        *_limits(card),
        "",
    ]
    return "\n".join(lines)


def _limits(card: dict) -> list[str]:
    if "neither" in card:
        return [
            "Trained on 180 px photos of single cats and dogs. Pictures that are neither are "
            'mostly answered "not a cat or a dog" (above), but not all: photo cut-outs of '
            "other animals get through more often than drawings or photos, and a drawing of a "
            "cat or a dog is refused like any drawing. Several animals in one photo get one "
            "answer. A few labels in the original collection are known to be wrong."
        ]
    return [
        "Trained on 180 px photos of single cats and dogs. Anything else (other animals, "
        "people, drawings, several animals) still gets a cat or dog answer: read the "
        "confidence. A few labels in the original collection are known to be wrong."
    ]


def _feedback_line(feedback: dict | None) -> list[str]:
    """A retrained model's reviewed feedback photos (catsdogs/training/retrain.py)."""
    if not feedback:
        return []
    held = feedback["counts"]["holdout"]
    return [
        f"- plus {feedback['trained_on']} reviewed feedback photos in training, from "
        f"{feedback['name']} (content hash `{feedback['content_hash'][:16]}...`); "
        f"{held['cat']} cats and {held['dog']} dogs of it held out for the comparison"
    ]


def _profile_section(profile: dict | None) -> list[str]:
    """The reference profile, in short: what monitoring compares served photos with."""
    if not profile:
        return []
    signals = profile["signals"]
    lines = [
        "",
        f"## Reference profile ({profile['images']} {profile['split']} images, {profile['date']})",
        "",
        "What the service's model-health monitoring compares its last predictions with "
        "(docs/monitoring.md). Means, and the share of each bin:",
        "",
        "| signal | mean | shares by bin |",
        "|---|---|---|",
    ]
    for name, entry in signals.items():
        mean = f"{entry['mean']:.4g}" if "mean" in entry else ""
        shares = ", ".join(
            f"{bin_} {share:.1%}"
            for bin_, share in zip(entry["bins"], entry["shares"], strict=True)
            if share
        )
        lines.append(f"| {name} | {mean} | {shares} |")
    return lines


def _quantization(card: dict) -> list[str]:
    """How an INT8 copy was made, and its test accuracy beside its FP32 source's."""
    if "quantization" not in card:
        return []
    q, gate = card["quantization"], card["quantization"]["gate"]
    settings = q["settings"]
    weights = "per channel" if settings["per_channel"] else "per tensor"
    return [
        "",
        "## Quantization",
        "",
        f"INT8 copy of {q['source']['version']} made with ONNX Runtime "
        f"{q['versions']['onnxruntime']} on {q['date']}: static quantization, "
        f"{settings['format']}, {settings['weights']} weights ({weights}), "
        f"{settings['activations']} activations, operators {', '.join(settings['operators'])}; "
        f"ranges from {q['calibration']['images']} training photos ({settings['calibration']}).",
        "",
        f"- test accuracy {gate['int8_accuracy']:.2%} against {gate['fp32_accuracy']:.2%} for FP32 "
        f"on the same {gate['test_images']} photos ({gate['change_points']:+.2f} points; "
        f"the limit is -{gate['limit_points']}: {'within' if gate['within'] else 'OUTSIDE'})",
        f"- same answer as FP32 on {card['parity']['same_answer']:.2%} of them",
    ]
