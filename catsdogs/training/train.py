"""Transfer learning from ImageNet MobileNetV2, fine-tuning its top blocks.

The frozen lower part of the network is run once per image (and once per mirrored image) and
its output cached, so each epoch only pays for the blocks being trained: this is what lets a
fine-tuned model train in well under an hour on two CPU cores.
"""

import logging
import os
import random
from dataclasses import asdict, dataclass

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402

log = logging.getLogger(__name__)


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
    batch_size: int = 64
    dropout: float = 0.2
    max_images_per_class: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def set_seeds(seed: int) -> None:
    """Seed every random generator that training touches."""
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def build_backbone(size: int, weights: str) -> keras.Model:
    """MobileNetV2 without its ImageNet top, loaded from a local weights file."""
    return keras.applications.MobileNetV2(
        input_shape=(size, size, 3), include_top=False, weights=weights
    )


def split_backbone(backbone: keras.Model, cut: str) -> tuple[keras.Model, keras.Model]:
    """Cut the backbone in two models sharing its layers: frozen bottom, trainable top."""
    middle = backbone.get_layer(cut).output
    return keras.Model(backbone.input, middle), keras.Model(middle, backbone.output)


def scale(pixels: np.ndarray) -> np.ndarray:
    """Map 0-255 pixels to MobileNetV2's -1..1 range (as the exported model does inside)."""
    return pixels.astype(np.float32) / 127.5 - 1.0


def cached_features(bottom: keras.Model, pixels: np.ndarray, batch: int, mirror=False):
    """Run the frozen bottom over all images in chunks; keep float16 to halve memory."""
    chunks = []
    for start in range(0, len(pixels), 512):
        block = pixels[start : start + 512]
        if mirror:
            block = block[:, :, ::-1]
        chunks.append(bottom.predict(scale(block), batch_size=batch, verbose=0).astype(np.float16))
        log.info("features: %d/%d images%s", start + len(block), len(pixels),
                 " (mirrored)" if mirror else "")
    return np.concatenate(chunks)


def build_head(dropout: float) -> list[keras.layers.Layer]:
    """The classifier head: global pooling, dropout, one sigmoid unit for P(dog)."""
    return [
        keras.layers.GlobalAveragePooling2D(name="pool"),
        keras.layers.Dropout(dropout, name="dropout"),
        keras.layers.Dense(1, activation="sigmoid", name="p_dog"),
    ]


def apply(layers, tensor):
    for layer in layers:
        tensor = layer(tensor)
    return tensor


def train_top(top, head, train_x, train_y, val_x, val_y, settings: Settings) -> dict:
    """Fit the head on pooled frozen features, then fine-tune the top blocks with it."""
    pool, *classifier = head
    pooled = keras.Model(top.input, pool(top.output))
    train_pooled = pooled.predict(train_x, batch_size=256, verbose=0)
    val_pooled = pooled.predict(val_x, batch_size=256, verbose=0)
    vector = keras.Input(train_pooled.shape[1:])
    history = {"head": _fit(
        keras.Model(vector, apply(classifier, vector)), train_pooled, train_y,
        (val_pooled, val_y), settings.head_epochs, settings.head_learning_rate, settings)}
    _set_trainable(top, True)
    inputs = keras.Input(train_x.shape[1:])
    history["fine_tune"] = _fit(
        keras.Model(inputs, apply(head, top(inputs))), train_x, train_y, (val_x, val_y),
        settings.fine_tune_epochs, settings.fine_tune_learning_rate, settings)
    return history


def _fit(model, x, y, validation, epochs, rate, settings) -> dict:
    model.compile(optimizer=keras.optimizers.Adam(rate), loss="binary_crossentropy",
                  metrics=["accuracy"])
    log.info("training %d weights for %d epochs at learning rate %g",
             sum(int(np.prod(w.shape)) for w in model.trainable_weights), epochs, rate)
    fit = model.fit(
        x, y, validation_data=validation, epochs=epochs, batch_size=settings.batch_size,
        shuffle=True, verbose=2,
        callbacks=[keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=2, restore_best_weights=True)],
    )
    return {k: [round(float(v), 5) for v in vs] for k, vs in fit.history.items()}


def _set_trainable(top: keras.Model, enabled: bool) -> None:
    # Batch normalisation stays frozen (inference mode), as Keras advises when fine-tuning.
    for layer in top.layers:
        layer.trainable = enabled and not isinstance(layer, keras.layers.BatchNormalization)


def assemble(backbone: keras.Model, head, size: int) -> keras.Model:
    """The served model: raw 0-255 RGB in, [P(cat), P(dog)] out, preprocessing inside."""
    pixels = keras.Input((size, size, 3), name="image")
    scaled = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="to_minus1_1")(pixels)
    p_dog = apply(head, backbone(scaled))
    probabilities = keras.layers.Concatenate(name="probabilities")([1.0 - p_dog, p_dog])
    return keras.Model(pixels, probabilities, name="catsdogs_mobilenetv2")
