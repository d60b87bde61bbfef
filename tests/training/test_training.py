"""A fast end-to-end training run: a few dozen photos, one epoch, 64 px input."""

import json

import pytest

from catsdogs.card import ModelCard
from tests.helpers import SHARED, petimages_folder

WEIGHTS = SHARED / "weights" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
# TensorFlow and tf2onnx emit their own deprecation warnings; ours stay errors elsewhere.
pytestmark = [
    pytest.mark.training,
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Train on a PetImages folder of 40 real photos (and one corrupt file) per class."""
    pytest.importorskip("tensorflow", reason="the training smoke test needs the train extra")
    from catsdogs.training.__main__ import main

    root = petimages_folder(tmp_path_factory.mktemp("data"), 40)
    model = tmp_path_factory.mktemp("model") / "tiny.onnx"
    if not WEIGHTS.exists():
        pytest.skip(f"{WEIGHTS} is absent")
    status = main(
        [
            "train",
            "--data",
            str(root),
            "--weights",
            str(WEIGHTS),
            "--model",
            str(model),
            "--image-size",
            "64",
            "--head-epochs",
            "1",
            "--fine-tune-epochs",
            "1",
        ]
    )
    assert status == 0
    return root, model


def test_training_writes_a_model_whose_card_validates(trained):
    _, model = trained
    card = ModelCard.for_model(model)
    assert card.input_size == (64, 64) and card.classes == ("cat", "dog")
    data = card.data
    assert data["dataset"]["skipped"] == 2 and data["dataset"]["readable"] == 80
    split = data["dataset"]["split"]
    assert (split["train"], split["validation"], split["test"]) == (64, 8, 8)
    assert data["parity"]["max_abs_difference"] <= 1e-4 and data["parity"]["images"] == 8
    assert 0.5 <= card.unsure_below <= 1
    assert set(data["evaluation"]["test"]) >= {
        "accuracy",
        "per_class",
        "confusion_matrix",
        "roc_auc",
        "expected_calibration_error",
        "reliability",
        "worst_mistakes",
    }
    assert model.with_suffix(".md").read_text().startswith("# Model card")
    # the reference profile model health compares served photos with: the validation split's
    profile = data["reference_profile"]
    assert profile["split"] == "validation" and profile["images"] == 8
    assert profile["signals"]["format"]["shares"][0] == 1.0  # JPEGs, all of them
    assert "## Reference profile (8 validation images" in model.with_suffix(".md").read_text()


def test_evaluate_reproduces_the_card(trained, tmp_path, capsys):
    from catsdogs.training.__main__ import main

    root, model = trained
    measured = tmp_path / "measured.json"
    assert (
        main(["evaluate", "--data", str(root), "--model", str(model), "--json", str(measured)]) == 0
    )
    card = json.loads(model.with_suffix(".json").read_text())
    assert (
        json.loads(measured.read_text())["test"]["accuracy"]
        == card["evaluation"]["test"]["accuracy"]
    )
    assert "DIFFERS" not in capsys.readouterr().out
