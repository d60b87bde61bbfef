"""Transfer learning from ImageNet MobileNetV2, fine-tuning its top blocks.

The frozen lower part of the network is run once per image (and once per mirrored image) and
its output cached, so each epoch only pays for the blocks being trained: this is what lets a
fine-tuned model train in well under an hour on two CPU cores.
"""

from __future__ import annotations

import logging
import os
import random

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
from keras.optimizers.schedules import LearningRateSchedule  # noqa: E402

from catsdogs.training.settings import Settings  # noqa: E402

log = logging.getLogger(__name__)


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


def cached_features(
    bottom: keras.Model, pixels: np.ndarray, batch: int, mirror: bool = False
) -> np.ndarray:
    """Run the frozen bottom over all images in chunks; keep float16 to halve memory."""
    chunks = []
    for start in range(0, len(pixels), 512):
        block = pixels[start : start + 512]
        if mirror:
            block = block[:, :, ::-1]
        chunks.append(bottom.predict(scale(block), batch_size=batch, verbose=0).astype(np.float16))
        log.info(
            "features: %d/%d images%s",
            start + len(block),
            len(pixels),
            " (mirrored)" if mirror else "",
        )
    return np.concatenate(chunks)


def augment(pixels: np.ndarray, seed: int) -> np.ndarray:
    """A random crop (80-100% of each side), a random mirror, resized back to full size."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    size = pixels.shape[1]
    out = np.empty_like(pixels)
    for index, image in enumerate(pixels):
        width, height = (rng.uniform(0.8, 1.0, 2) * size).astype(int)
        left, top = rng.integers(0, size - width + 1), rng.integers(0, size - height + 1)
        crop = Image.fromarray(image).crop((left, top, left + width, top + height))
        if rng.random() < 0.5:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        out[index] = np.asarray(crop.resize((size, size), Image.Resampling.BILINEAR))
    return out


def build_head(dropout: float, suffix: str = "") -> list[keras.layers.Layer]:
    """The classifier head: global pooling, dropout, one sigmoid unit for P(dog)."""
    return [
        keras.layers.GlobalAveragePooling2D(name=f"pool{suffix}"),
        keras.layers.Dropout(dropout, name=f"dropout{suffix}"),
        keras.layers.Dense(1, activation="sigmoid", name=f"p_dog{suffix}"),
    ]


def copy_top(top: keras.Model, weights: list, name: str) -> keras.Model:
    """A separate copy of the top blocks, with the given (ImageNet) weights."""
    copy = keras.Model.from_config({**top.get_config(), "name": name})
    copy.set_weights(weights)
    return copy


def apply(layers, tensor):
    for layer in layers:
        tensor = layer(tensor)
    return tensor


def train_top(
    top: keras.Model,
    head: list,
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    settings: Settings,
    seed: int,
) -> dict:
    """Fit the head on pooled frozen features, then fine-tune the top blocks with it."""
    pool, *classifier = head
    pooled = keras.Model(top.input, pool(top.output))
    train_pooled = _predict_in_chunks(pooled, train_x)
    val_pooled = _predict_in_chunks(pooled, val_x)
    vector = keras.Input(train_pooled.shape[1:])
    history = {
        "head": _fit(
            keras.Model(vector, apply(classifier, vector)),
            train_pooled,
            train_y,
            (val_pooled, val_y),
            settings.head_epochs,
            settings.head_learning_rate,
            settings,
        )
    }
    _set_trainable(top, True)
    inputs = keras.Input(train_x.shape[1:])
    batches = Batches(train_x, train_y, settings.batch_size, seed)
    history["fine_tune"] = _fit(
        keras.Model(inputs, apply(head, top(inputs))),
        batches,
        None,
        (val_x.astype(np.float32), val_y),
        settings.fine_tune_epochs,
        _schedule(
            settings.fine_tune_learning_rate,
            settings.fine_tune_schedule,
            settings.fine_tune_epochs * len(batches),
        ),
        settings,
    )
    return history


def _schedule(rate: float, kind: str, steps: int) -> float | LearningRateSchedule:
    if kind == "constant":
        return rate
    if kind == "cosine":
        return keras.optimizers.schedules.CosineDecay(rate, decay_steps=steps)
    raise ValueError(f"unknown learning rate schedule {kind!r}")


class Batches(keras.utils.PyDataset):
    """Shuffled float32 batches cut from float16 features, so no full float32 copy is made."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(x))

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
        return self.x[rows].astype(np.float32), self.y[rows]

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.x))


def _predict_in_chunks(model: keras.Model, x: np.ndarray, chunk: int = 2048) -> np.ndarray:
    return np.concatenate(
        [
            model.predict(x[i : i + chunk].astype(np.float32), batch_size=256, verbose=0)
            for i in range(0, len(x), chunk)
        ]
    )


def _fit(
    model: keras.Model,
    x: np.ndarray | keras.utils.PyDataset,
    y: np.ndarray | None,
    validation: tuple[np.ndarray, np.ndarray],
    epochs: int,
    rate: float | LearningRateSchedule,
    settings: Settings,
) -> dict:
    model.compile(
        optimizer=keras.optimizers.Adam(rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    log.info(
        "training %d weights for %d epochs at learning rate %s",
        sum(int(np.prod(w.shape)) for w in model.trainable_weights),
        epochs,
        rate if isinstance(rate, float) else f"{rate.initial_learning_rate:g}, cosine decay",
    )
    batching = {} if y is None else {"batch_size": settings.batch_size, "shuffle": True}
    fit = model.fit(
        x,
        y,
        validation_data=validation,
        epochs=epochs,
        verbose=2,
        **batching,
        callbacks=[
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
        ],
    )
    return {k: [round(float(v), 5) for v in vs] for k, vs in fit.history.items()}


def _set_trainable(top: keras.Model, enabled: bool) -> None:
    # Batch normalisation stays frozen (inference mode), as Keras advises when fine-tuning.
    for layer in top.layers:
        layer.trainable = enabled and not isinstance(layer, keras.layers.BatchNormalization)


def assemble(bottom: keras.Model, members: list, size: int) -> keras.Model:
    """The served model: raw 0-255 RGB in, [P(cat), P(dog)] out, preprocessing inside.

    `members` are (top, head) pairs sharing the frozen bottom; their P(dog) are averaged.
    """
    pixels = keras.Input((size, size, 3), name="image")
    scaled = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="to_minus1_1")(pixels)
    features = bottom(scaled)
    votes = [apply(head, top(features)) for top, head in members]
    p_dog = votes[0] if len(votes) == 1 else keras.layers.Average(name="p_dog_mean")(votes)
    probabilities = keras.layers.Concatenate(name="probabilities")([1.0 - p_dog, p_dog])
    return keras.Model(pixels, probabilities, name="catsdogs_mobilenetv2")
