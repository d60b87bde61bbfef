"""Training settings: everything that decides the trained weights (no TensorFlow import)."""

from dataclasses import asdict, dataclass


@dataclass
class Settings:
    """Everything that decides the trained weights; recorded in the model card."""

    image_size: int = 224
    seed: int = 1337
    fine_tune_from: str = "block_12_add"
    head_epochs: int = 8
    head_learning_rate: float = 1e-3
    fine_tune_epochs: int = 3
    fine_tune_learning_rate: float = 5e-5
    fine_tune_schedule: str = "constant"  # or "cosine": decays to 0 over the fine-tune epochs
    # Copies of the top blocks and head, each fine-tuned from its own seed; the model averages them.
    ensemble: int = 2
    batch_size: int = 64
    dropout: float = 0.2
    augmented_views: int = 0
    max_images_per_class: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)
