"""Why the model answered: the predicted class's activation map as a grid, a place and a picture."""

import base64
import dataclasses
import io

import numpy as np
import pytest
from PIL import Image

from catsdogs.serving import explain
from catsdogs.serving.classifier import load_classifier
from tests.small_model import served


def decoded(uri: str) -> Image.Image:
    header, data = uri.split(",", 1)
    assert header == "data:image/jpeg;base64"
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    assert image.format == "JPEG"
    return image


def test_a_cat_photo_is_explained_by_its_cat_map(classifier, cat_photo):
    answer, photo = classifier.predict_photo(cat_photo)
    pixels = photo.pixels(classifier.card.input_size, classifier.card.resize_method)
    found = explain.explanation(answer, pixels)
    grid, logits = np.array(found["grid"]), np.array(found["logits"])
    assert found["class"] == answer.label == "cat"
    assert grid.shape == logits.shape == (7, 7)
    assert grid.min() == 0 and grid.max() == 1
    assert np.argmax(grid) == np.argmax(logits)
    assert logits.mean() > 0  # the map's mean is the class's logit: a sure cat is far above 0
    assert found["where"] in {place for row in explain.PLACES for place in row}
    assert decoded(found["overlay"]).size == (224, 224) and found["size"] == [224, 224]


def test_the_overlay_is_the_photo_under_the_map():
    """Black photo: the overlay is the colour map at half strength, brightest at the hot cell."""
    grid = np.zeros((7, 7))
    grid[0, 6] = 1
    image = np.asarray(decoded(explain.overlay(np.zeros((224, 224, 3), np.uint8), grid)), float)
    assert image[16, 208].sum() > 2 * image[208, 16].sum()
    # viridis' yellow (fd e7 25) and dark purple (44 01 54), halved, up to JPEG's rounding
    assert np.abs(image[16, 208] - np.array([253, 231, 37]) / 2).max() < 12
    assert np.abs(image[208, 16] - np.array([68, 1, 84]) / 2).max() < 12


@pytest.mark.parametrize("side, cells", [(240, 8), (48, 6), (250, 8)])
def test_an_overlay_of_another_grid_colours_each_cell_s_own_pixels(side, cells):
    """The map's hottest cell lies over its own share of the photo, whatever the grid."""
    grid = np.zeros((cells, cells))
    grid[1, cells - 2] = 1
    image = np.asarray(decoded(explain.overlay(np.zeros((side, side, 3), np.uint8), grid)), float)
    assert image.shape == (side, side, 3)
    cell = side / cells
    brightest = np.unravel_index(np.argmax(image.sum(axis=2)), (side, side))
    assert (int(brightest[0] // cell), int(brightest[1] // cell)) == (1, cells - 2)
    hot = image[int(1.5 * cell), int((cells - 1.5) * cell)].sum()  # the hot cell's centre
    for row, column in ((0.5, cells - 0.5), (2.5, cells - 2.5), (1.5, cells - 3.5)):
        assert hot > 2 * image[int(row * cell), int(column * cell)].sum()  # its neighbours'


def test_a_model_of_another_geometry_is_explained_on_its_grid(tmp_path, cat_photo):
    model = load_classifier(str(served(tmp_path, 240, 8)))
    answer, photo = model.predict_photo(cat_photo)
    found = explain.explanation(answer, photo.pixels(model.card.input_size))
    grid, logits = np.array(found["grid"]), np.array(found["logits"])
    assert grid.shape == logits.shape == (8, 8) and found["class"] == answer.label
    assert grid.min() == 0 and grid.max() == 1 and np.argmax(grid) == np.argmax(logits)
    assert decoded(found["overlay"]).size == (240, 240) and found["size"] == [240, 240]


@pytest.mark.parametrize(
    "cell, place",
    [((0, 0), "top_left"), ((1, 3), "top"), ((3, 3), "centre"), ((4, 6), "right")]
    + [((5, 0), "bottom_left"), ((6, 4), "bottom"), ((2, 5), "right")],
)
def test_the_hottest_cell_names_its_third_of_the_photo(cell, place):
    grid = np.zeros((7, 7))
    grid[cell] = 1
    assert explain.where(grid) == place


def test_a_flat_map_says_the_model_looked_evenly(classifier):
    answer = classifier.predict_resized(np.zeros((224, 224, 3), np.uint8))
    flat = dataclasses.replace(answer, activation=np.ones((2, 7, 7), np.float32))
    found = explain.explanation(flat, np.zeros((224, 224, 3), np.uint8))
    assert found["where"] == "evenly" and np.array(found["grid"]).max() == 0


def test_a_model_without_maps_cannot_explain(classifier):
    answer = classifier.predict_resized(np.zeros((224, 224, 3), np.uint8))
    blind = dataclasses.replace(answer, activation=None)
    assert explain.explanation(blind, np.zeros((224, 224, 3), np.uint8)) is None


def test_the_palette_runs_from_viridis_first_stop_to_its_last():
    assert len(explain.PALETTE) == 256 * 3
    assert explain.PALETTE[:3] == [0x44, 0x01, 0x54] and explain.PALETTE[-3:] == [0xFD, 0xE7, 0x25]
