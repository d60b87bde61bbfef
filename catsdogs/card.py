"""The model card: the single description of the model that serving and training both read."""

import json
from dataclasses import dataclass
from pathlib import Path

SHIPPED_MODEL = Path(__file__).parent / "model" / "catsdogs.onnx"
# The classes every model answers, in the order of its output.
CLASSES = ("cat", "dog")
# A card written before `unsure_below` existed states no such confidence: never say unsure.
NEVER_UNSURE = 0.0
INF = float("inf")


class CardError(RuntimeError):
    """The model or its card is missing or inconsistent."""


@dataclass(frozen=True)
class ModelCard:
    """What serving needs to know about a model, read from `<model>.json` beside it."""

    model_path: Path
    model_version: str  # the card's "version", e.g. 1.0.0+3081f9d1
    input_name: str
    input_size: tuple[int, int]
    resize_method: str
    classes: tuple[str, ...]
    threshold: float
    unsure_below: float  # below this confidence, the page and the API say the model is not sure
    data: dict
    # The detector of photos that are neither class: the output holding its score, and the score
    # above which the answer is "not a cat or a dog" (None: a model without one, never says so).
    neither_output: str | None = None
    neither_above: float = INF
    # (N, 2, rows, columns) class activation maps, on the model's own grid: where each class was
    # seen (7x7 for MobileNetV2)
    cam_output: str | None = None

    @classmethod
    def for_model(cls, model_path: str | Path) -> "ModelCard":
        """Read and check the card that sits beside the model file."""
        model_path = Path(model_path)
        card_path = model_path.with_suffix(".json")
        if not model_path.is_file():
            raise CardError(f"model file not found: {model_path}")
        try:
            data = json.loads(card_path.read_text())
            shape = data["input"]["shape"]
            resize = data["preprocessing"]["resize"]
            card = cls(
                model_path=model_path,
                model_version=str(data["version"]),
                input_name=str(data["input"]["name"]),
                input_size=(int(resize["size"][0]), int(resize["size"][1])),
                resize_method=str(resize["method"]),
                classes=tuple(data["classes"]),
                threshold=float(data["threshold"]),
                unsure_below=float(data.get("unsure_below", NEVER_UNSURE)),
                data=data,
                neither_output=data["neither"]["output"] if "neither" in data else None,
                neither_above=float(data["neither"]["threshold"]) if "neither" in data else INF,
                cam_output=data["cam"]["output"] if "cam" in data else None,
            )
        except FileNotFoundError:
            raise CardError(f"model card not found: {card_path}") from None
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise CardError(f"model card {card_path} is invalid: {error!r}") from None
        if list(shape[1:3]) != [card.input_size[1], card.input_size[0]] or shape[3] != 3:
            raise CardError(f"model card {card_path}: input shape {shape} != resize size")
        if card.classes != CLASSES:
            raise CardError(f"model card {card_path}: classes must be cat, dog")
        if not 0 <= card.unsure_below <= 1:
            raise CardError(f"model card {card_path}: unsure_below must be between 0 and 1")
        if "reference_profile" in data:
            problem = profile_problem(data["reference_profile"])
            if problem:
                raise CardError(f"model card {card_path}: reference_profile {problem}")
        return card

    def neither(self, score: float | None) -> bool:
        """Whether the detector's `score` says the photo shows neither a cat nor a dog."""
        return score is not None and score > self.neither_above

    @property
    def precision(self) -> str:
        """int8 for a quantized copy (its card says how it was made), else fp32."""
        return "int8" if "quantization" in self.data else "fp32"

    def unsure(self, confidence: float) -> bool:
        """Whether `confidence` is too low for the model to be sure of its answer."""
        return confidence < self.unsure_below


def profile_problem(profile: dict) -> str | None:
    """What is wrong with a card's reference profile (optional: older cards have none), or None.

    Each signal's shares must match the bins serving counts it in, and sum to 1.
    """
    from catsdogs.monitoring.signals import BY_NAME  # numpy: not at the card's import

    try:
        if not profile["images"] > 0:
            return "has no images"
        for name, entry in profile["signals"].items():
            if name not in BY_NAME:
                return f"has an unknown signal {name!r}"
            if entry["bins"] != BY_NAME[name].bins:
                return f"{name}: bins {entry['bins']} differ from serving's {BY_NAME[name].bins}"
            if len(entry["shares"]) != len(entry["bins"]) or abs(sum(entry["shares"]) - 1) > 1e-3:
                return f"{name}: shares must be one per bin and sum to 1"
    except (KeyError, TypeError) as error:
        return f"is malformed: {error!r}"
    return None
