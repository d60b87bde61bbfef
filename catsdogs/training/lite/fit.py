"""Fine-tune one top (blocks after the cut, head convolution, head) on cached features."""

from __future__ import annotations

import logging
import time

import numpy as np
import torch

from catsdogs.training.lite.network import Top
from catsdogs.training.lite.settings import LiteSettings

log = logging.getLogger(__name__)
EVALUATION_BATCH = 256


def probabilities(top: Top, features: np.ndarray) -> np.ndarray:
    """P(dog) of each cached feature map, in evaluation mode (no dropout, running statistics)."""
    top.eval()
    with torch.no_grad():
        out = [
            torch.sigmoid(top(_tensor(features[i : i + EVALUATION_BATCH])))[:, 0]
            for i in range(0, len(features), EVALUATION_BATCH)
        ]
    return torch.cat(out).numpy()


def fit(
    top: Top,
    views: list[np.ndarray],
    labels: np.ndarray,
    validation: tuple[np.ndarray, np.ndarray],
    settings: LiteSettings,
    seed: int,
) -> dict:
    """Train `top` in place; each epoch shows every photo once, in one of its views drawn at
    random. One-cycle learning rate, the head's ten times the blocks'; targets smoothed if asked."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    rate = settings.fine_tune_learning_rate
    head = [top.weight, top.bias]
    body = [p for p in top.parameters() if all(p is not h for h in head)]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": rate}, {"params": head, "lr": rate * 10}], weight_decay=1e-4
    )
    batch, count = settings.batch_size, len(labels)
    steps = settings.fine_tune_epochs * (count // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=[rate, rate * 10], total_steps=steps, pct_start=0.1
    )
    targets = torch.from_numpy(labels.astype(np.float32)) * (1 - settings.label_smoothing)
    targets += settings.label_smoothing / 2
    history: dict[str, list[float]] = {"loss": [], "val_accuracy": [], "seconds": []}
    started = time.monotonic()
    for epoch in range(settings.fine_tune_epochs):
        top.train()
        order = torch.randperm(count, generator=generator).numpy()
        view = torch.randint(0, len(views), (count,), generator=generator).numpy()
        losses = []
        for start in range(0, count - batch + 1, batch):
            rows = order[start : start + batch]
            x = np.stack([views[v][r] for v, r in zip(view[rows], rows, strict=True)])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                top(_tensor(x))[:, 0], targets[rows]
            )
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            schedule.step()
            losses.append(loss.item())
        p_dog = probabilities(top, validation[0])
        accuracy = float(np.mean((p_dog >= 0.5) == validation[1]))
        history["loss"].append(round(float(np.mean(losses)), 5))
        history["val_accuracy"].append(round(accuracy, 5))
        history["seconds"].append(round(time.monotonic() - started, 1))
        log.info("epoch %d: loss %.4f, validation accuracy %.4f", epoch + 1, losses[-1], accuracy)
    return history


def _tensor(features: np.ndarray) -> torch.Tensor:
    # channels-last: the layout PyTorch's CPU kernels for depthwise and 1x1 convolutions prefer
    return torch.from_numpy(features).float().contiguous(memory_format=torch.channels_last)
