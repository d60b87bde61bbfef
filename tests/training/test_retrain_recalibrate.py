"""A retrain's candidate learns "not a cat or a dog" too: the trust step on its own graph, with
the reviewed neither photos among the calibration images. A tiny two-head ONNX model of the
exported shape stands in for a trained candidate: no TensorFlow, seconds."""

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.store.feedback_manifest import NEITHER, content_hash, part_of
from catsdogs.store.petimages import Dataset, card_split
from catsdogs.training import recalibrate
from catsdogs.training.retrain import RetrainError, nonpet_set
from catsdogs.training.trust import command, detectors, extract, graph

PETS_PER_CLASS = 30
CHANNELS = 136  # two heads of 136: 272 features, more than the largest detector's 256 directions


def tiny_model(path: Path) -> None:
    """NHWC 224x224 pixels -> one 32x32 convolution (a 7x7 map) -> two sigmoid heads, averaged
    into (cat, dog) as `Identity:0`: the chain `graph.find_heads` looks for."""
    rng = np.random.default_rng(0)
    weights = [
        numpy_helper.from_array(rng.normal(0, 0.02, (CHANNELS, 3, 32, 32)).astype("f4"), "w"),
        numpy_helper.from_array(np.zeros(CHANNELS, "f4"), "b"),
        numpy_helper.from_array(np.array([2, 3], "i8"), "hw"),
        numpy_helper.from_array(np.array([0.5], "f4"), "half"),
        numpy_helper.from_array(np.array([1.0], "f4"), "one"),
    ]
    nodes = [
        helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "w", "b"], ["conv"], strides=[32, 32]),
        helper.make_node("Relu", ["conv"], ["out_relu"]),
    ]
    for head in range(2):
        weights += [
            numpy_helper.from_array(rng.normal(0, 1, (CHANNELS, 1)).astype("f4"), f"k{head}"),
            numpy_helper.from_array(np.zeros(1, "f4"), f"c{head}"),
        ]
        nodes += [
            helper.make_node("GlobalAveragePool", ["out_relu"], [f"pool{head}"]),
            helper.make_node("Squeeze", [f"pool{head}", "hw"], [f"pooled{head}"]),
            helper.make_node("MatMul", [f"pooled{head}", f"k{head}"], [f"z{head}"]),
            helper.make_node("Add", [f"z{head}", f"c{head}"], [f"logit{head}"]),
            helper.make_node("Sigmoid", [f"logit{head}"], [f"p{head}"]),
        ]
    nodes += [
        helper.make_node("Sum", ["p0", "p1"], ["sum"]),
        helper.make_node("Mul", ["sum", "half"], ["dog"]),
        helper.make_node("Sub", ["one", "dog"], ["cat"]),
        helper.make_node("Concat", ["cat", "dog"], ["Identity:0"], axis=1),
    ]
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [None, 224, 224, 3])
    answer = helper.make_tensor_value_info("Identity:0", TensorProto.FLOAT, [None, 2])
    model = helper.make_model(
        helper.make_graph(nodes, "tiny", [image], [answer], weights),
        opset_imports=[helper.make_opsetid("", 15)],
    )
    onnx.checker.check_model(model)
    onnx.save(model, path)


def jpeg(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(out, "JPEG")
    return out.getvalue()


def pet(rng: np.random.Generator, tint: tuple) -> bytes:
    """A noisy photo-like picture, tinted by class."""
    return jpeg(np.clip(rng.normal(128, 50, (96, 96, 3)) + tint, 0, 255))


def drawing(rng: np.random.Generator) -> bytes:
    """Flat colour with a few stripes: nothing like the noisy pets."""
    pixels = np.full((96, 96, 3), rng.integers(0, 256, 3))
    pixels[:, :: rng.integers(6, 20)] = rng.integers(0, 256, 3)
    return jpeg(pixels)


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def retrain(tmp_path_factory):
    """A candidate with its card, its base PetImages, a non-pet set and a feedback export with
    neither photos in both parts."""
    folder = tmp_path_factory.mktemp("recalibrate")
    rng = np.random.default_rng(1)
    for label, tint in (("Cat", (40, -20, -20)), ("Dog", (-20, -20, 40))):
        for number in range(PETS_PER_CLASS):
            write(folder / "base" / "PetImages" / label / f"{number}.jpg", pet(rng, tint))
    images = []
    for part, count in (("calibration", 12), ("test", 6)):
        for number in range(count):
            images.append({"file": f"{part}/{number}.jpg", "part": part, "kind": "drawing"})
            write(folder / "nonpet" / images[-1]["file"], drawing(rng))
    (folder / "nonpet" / "manifest.json").write_text(json.dumps({"images": images}))
    (folder / "nonpet" / "READY").write_text(f"{len(images)} images\n")

    feedback = folder / "feedback"
    photos, neither = [], []
    for label, tint in (("cat", (40, -20, -20)), ("dog", (-20, -20, 40))):
        data = pet(rng, tint)
        sha = hashlib.sha256(data).hexdigest()
        photos.append({"sha256": sha, "label": label, "part": "train",
                       "file": f"PetImages/{label.title()}/{sha[:16]}.jpg"})  # fmt: skip
        write(feedback / photos[-1]["file"], data)
    while sum(p["part"] == "holdout" for p in neither) < 2 or len(neither) < 6:
        data = drawing(rng)
        sha = hashlib.sha256(data).hexdigest()
        neither.append({"sha256": sha, "label": NEITHER, "part": part_of(sha),
                        "file": f"neither/{sha[:16]}.jpg"})  # fmt: skip
        write(feedback / neither[-1]["file"], data)
    manifest = {
        "content_hash": content_hash(photos + neither),
        "photos": photos,
        NEITHER: {"photos": neither},
    }
    (feedback / "manifest.json").write_text(json.dumps(manifest))

    model = folder / "candidate" / "catsdogs.onnx"
    model.parent.mkdir()
    tiny_model(model)
    # The shipped card's sections, so that the Markdown card renders; this model's own split.
    card = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    for section in ("neither", "cam", "outputs", "extension"):
        card.pop(section, None)
    card["dataset"]["split"] = {"seed": 0, "train": 48, "validation": 6, "test": 6}
    card["training"]["settings"]["max_images_per_class"] = None
    counts = {"train": {"cat": 1, "dog": 1}, "holdout": {"cat": 0, "dog": 0}, "total": 2}
    trained = {"name": "catsdogs-feedback", "content_hash": manifest["content_hash"],
               "counts": counts, "trained_on": 2}  # fmt: skip
    card |= {"version": "1.0.0+tiny", "sha256": "0" * 64, "feedback_dataset": trained}
    model.with_suffix(".json").write_text(json.dumps(card))
    return {"folder": folder, "model": model, "manifest": manifest, "neither": neither}


@pytest.fixture(scope="module")
def recalibrated(retrain):
    """The candidate after the recalibration, and what it ran on."""
    original = extract.session(retrain["model"])
    pixels = np.random.default_rng(2).integers(0, 256, (3, 224, 224, 3), dtype=np.uint8)
    before = extract.run(original, pixels)["Identity:0"]
    del original
    with pytest.MonkeyPatch.context() as patch:
        # The latency budget is judged on the real model; a busy runner must not fail this one.
        patch.setattr(command, "BUDGET_MS", 1e9)
        card = recalibrate.recalibrate(
            retrain["model"], retrain["folder"] / "base", retrain["folder"] / "feedback",
            retrain["manifest"], retrain["folder"] / "nonpet",
        )  # fmt: skip
    return card, pixels, before


def test_the_candidate_gets_the_detector_and_heatmap_with_output_zero_unchanged(
    retrain, recalibrated
):
    card, pixels, before = recalibrated
    runner = extract.session(retrain["model"])
    names = [o.name for o in runner.get_outputs()]
    assert names == ["Identity:0", graph.FEATURES, graph.HEAD_LOGITS, graph.CAM, graph.SCORE]
    assert np.array_equal(extract.run(runner, pixels)["Identity:0"], before)
    served = ModelCard.for_model(retrain["model"])  # what serving reads back
    assert served.neither_output == graph.SCORE and served.cam_output == graph.CAM
    assert served.neither_above == card["neither"]["threshold"]
    assert card["sha256"] != "0" * 64 and card["feedback_dataset"]["trained_on"] == 2
    assert card["extension"]["command"] == recalibrate.COMMAND
    assert (retrain["model"].parent / "recalibration.json").is_file()
    assert not (retrain["model"].parent / "trust").exists()  # the scratch outputs are gone


def test_the_neither_photos_join_the_calibration_images_and_are_counted(retrain, recalibrated):
    card, _, _ = recalibrated
    neither = retrain["neither"]
    train = sum(p["part"] == "train" for p in neither)
    said = card["neither"]
    assert said["feedback"]["calibration_photos"] == train
    assert said["feedback"]["holdout_photos"] == len(neither) - train
    assert said["feedback"]["content_hash"] == retrain["manifest"]["content_hash"]
    assert said["calibration"]["nonpets"] == 12 + train  # the set's part and the reviewed
    assert said["calibration"]["kinds"]["reviewed"]["images"] == train
    assert said["calibration"]["kinds"]["drawing"]["images"] == 12
    assert said["test"]["nonpets"] == 6  # the test part stays the set's alone
    for share in (said["feedback"]["refused_calibration"], said["feedback"]["refused_holdout"]):
        assert 0 <= share <= 1
    assert f"{train} reviewed neither photos among them" in said["why"]


def test_validation_pets_alone_set_the_threshold_at_the_same_share(retrain, recalibrated):
    card, _, _ = recalibrated
    dataset = Dataset(retrain["folder"] / "base")
    validation = card_split(dataset, card)["validation"]
    pixels, _ = dataset.load(validation, 224)
    scores = extract.run(extract.session(retrain["model"]), pixels)[graph.SCORE]
    expected = detectors.threshold_for(scores, detectors.REFUSED_PETS)
    assert card["neither"]["threshold"] == pytest.approx(expected, abs=1e-4)
    assert "0.8% of validation pets" in card["neither"]["threshold_rule"]


def test_reviewed_outputs_are_appended_with_their_kind():
    calibration = {"features": np.zeros((3, 2)), "files": np.array(list("abc")),
                   "kinds": np.array(["photo"] * 3)}  # fmt: skip
    reviewed = {"features": np.ones((2, 2)), "files": np.array(["d", "e"])}
    joined = recalibrate.with_reviewed(calibration, reviewed)
    assert joined["features"].shape == (5, 2) and list(joined["files"]) == list("abcde")
    assert list(joined["kinds"]) == ["photo"] * 3 + ["reviewed"] * 2
    assert recalibrate.with_reviewed(calibration, {"files": np.array([])}) is calibration


def test_without_a_non_pet_set_a_champion_with_a_detector_stops_the_retrain(tmp_path, caplog):
    with pytest.raises(RetrainError, match="make nonpet"):
        nonpet_set({"neither": {"threshold": 1.0}}, tmp_path)
    assert nonpet_set({}, tmp_path) is None  # a champion without one: nor has the candidate
    assert "has no detector" in caplog.text
    (tmp_path / "READY").write_text("1 images\n")
    assert nonpet_set({"neither": {}}, tmp_path) == tmp_path
