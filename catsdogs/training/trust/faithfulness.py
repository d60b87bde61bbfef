"""Is the heatmap faithful? Hide the region it points at, and a random one of the same size.

A map that shows what the model used must cost the predicted class more confidence when its
hottest region is hidden than when any region of that size is. Regions are squares of whole
cells of the map, whatever its grid (7x7 cells of 32 pixels for MobileNetV2 at 224), hidden with
flat grey.
"""

import numpy as np
import onnxruntime as ort

from catsdogs.training.trust import extract
from catsdogs.training.trust.graph import CAM

GREY = 128


def hottest(cam: np.ndarray, size: int) -> tuple[int, int]:
    """The (row, column) of the size x size window of cells with the largest summed map."""
    rows, columns = cam.shape[0] - size + 1, cam.shape[1] - size + 1
    sums = np.array(
        [[cam[r : r + size, c : c + size].sum() for c in range(columns)] for r in range(rows)]
    )
    row, column = np.unravel_index(np.argmax(sums), sums.shape)
    return int(row), int(column)


def hide(
    pixels: np.ndarray, corner: tuple[int, int], size: int, grid: tuple[int, int]
) -> np.ndarray:
    """A copy of (h, w, 3) pixels with the window of cells at `corner` of a map of `grid`
    (rows, columns) cells painted grey."""
    hidden = pixels.copy()
    step_y, step_x = pixels.shape[0] / grid[0], pixels.shape[1] / grid[1]
    top, left = round(corner[0] * step_y), round(corner[1] * step_x)
    bottom, right = round((corner[0] + size) * step_y), round((corner[1] + size) * step_x)
    hidden[top:bottom, left:right] = GREY
    return hidden


def confidence_and_logit(probabilities: np.ndarray, predicted: np.ndarray) -> tuple:
    """P(predicted class) and its log-odds, which still moves when P is close to 1."""
    p = np.clip(probabilities[np.arange(len(predicted)), predicted], 1e-7, 1 - 1e-7)
    return p, np.log(p / (1 - p))


def check(
    runner: ort.InferenceSession, pixels: np.ndarray, size: int = 2, draws: int = 4, seed: int = 0
) -> dict:
    """Drops in the predicted class's confidence when the hottest window of its map, or a
    random window of the same size (`draws` per photo), is hidden; paired per photo."""
    names = [o.name for o in runner.get_outputs()]
    before = extract.run(runner, pixels)
    predicted = before[names[0]].argmax(axis=1)
    maps = before[CAM][np.arange(len(pixels)), predicted]
    rng = np.random.default_rng(seed)
    grid = maps.shape[1:]  # the map's own: a window hides the pixels its cells stand for
    cells = np.array(grid) - size + 1
    hot = np.stack(
        [hide(p, hottest(m, size), size, grid) for p, m in zip(pixels, maps, strict=True)]
    )
    corners = rng.integers(0, cells, size=(len(pixels), draws, 2))
    random = np.stack(
        [hide(p, tuple(c), size, grid) for p, row in zip(pixels, corners, strict=True) for c in row]
    )
    p0, z0 = confidence_and_logit(before[names[0]], predicted)
    p_hot, z_hot = confidence_and_logit(extract.run(runner, hot)[names[0]], predicted)
    repeated = np.repeat(predicted, draws)
    p_rand, z_rand = confidence_and_logit(extract.run(runner, random)[names[0]], repeated)
    flipped_rand = float(np.mean(p_rand < 0.5))
    p_rand, z_rand = p_rand.reshape(-1, draws).mean(1), z_rand.reshape(-1, draws).mean(1)
    drop_hot, drop_rand = p0 - p_hot, p0 - p_rand
    logit_hot, logit_rand = z0 - z_hot, z0 - z_rand
    return {
        "photos": int(len(pixels)),
        "window_cells": size,
        "window_share_of_image": round(size**2 / (grid[0] * grid[1]), 4),
        "fill": f"grey {GREY}",
        "random_windows_per_photo": draws,
        "seed": seed,
        "mean_confidence_drop": {"hottest": _r(drop_hot.mean()), "random": _r(drop_rand.mean())},
        "mean_logit_drop": {"hottest": _r(logit_hot.mean()), "random": _r(logit_rand.mean())},
        "median_logit_drop": {
            "hottest": _r(np.median(logit_hot)),
            "random": _r(np.median(logit_rand)),
        },
        "answer_flipped": {
            "hottest": _r(np.mean(p_hot < 0.5)),
            "random": _r(flipped_rand),
        },
        "hottest_drops_more": _r(np.mean(logit_hot > logit_rand)),
    }


def _r(value: float) -> float:
    return round(float(value), 5)
