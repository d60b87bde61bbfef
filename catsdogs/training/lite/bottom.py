"""The frozen bottom, exported to ONNX and run by ONNX Runtime over every photo once."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from catsdogs.training import export
from catsdogs.training.lite.network import Bottom

log = logging.getLogger(__name__)
CHUNK = 64


def export_onnx(module: torch.nn.Module, side: int, path: Path) -> None:
    """Write `module` (uint8-range NHWC pixels in) as ONNX with a dynamic batch dimension.

    The TorchScript exporter (dynamo=False) needs no onnxscript and keeps the graph's node
    pattern plain: average pool, flatten, matrix product, bias, sigmoid."""
    module.eval()
    torch.onnx.export(
        module,
        (torch.zeros(1, side, side, 3),),
        str(path),
        input_names=["pixels"],
        output_names=["output"],
        dynamic_axes={"pixels": {0: "batch"}, "output": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )


def features(
    bottom: Bottom, side: int, pixels: np.ndarray, folder: Path, mirror: bool = False
) -> np.ndarray:
    """The bottom's output for every photo (mirrored if asked), as float16 to halve memory."""
    path = folder / "bottom.onnx"
    if not path.exists():
        export_onnx(bottom, side, path)
    runner = export.session(path)
    chunks = []
    for start in range(0, len(pixels), CHUNK):
        block = pixels[start : start + CHUNK]
        if mirror:
            block = block[:, :, ::-1]
        chunks.append(runner.run(None, {"pixels": block.astype(np.float32)})[0].astype(np.float16))
        if start // CHUNK % 40 == 0:
            log.info(
                "features: %d/%d photos%s", start, len(pixels), " (mirrored)" if mirror else ""
            )
    return np.concatenate(chunks)
