"""Optimized graphs: saved at a model's first load, loaded as they are afterwards, same answers."""

import os
import shutil

import numpy as np
import onnxruntime as ort
import pytest

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.serving import optimized
from catsdogs.serving.classifier import Classifier


def options() -> ort.SessionOptions:
    chosen = ort.SessionOptions()
    chosen.intra_op_num_threads = 1
    return chosen


@pytest.fixture(scope="module")
def photos() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, (4, 224, 224, 3)).astype(np.float32)


def answers(session: ort.InferenceSession, photos: np.ndarray) -> list[np.ndarray]:
    """Every output of the model for each photo, one array per output."""
    name = session.get_inputs()[0].name
    runs = [session.run(None, {name: photo[None]}) for photo in photos]
    return [np.concatenate(outputs) for outputs in zip(*runs, strict=True)]


def assert_same(got: list[np.ndarray], expected: list[np.ndarray]) -> None:
    # Float32 kernels may round differently with the memory they are handed: 1e-5 is far
    # below a difference that could change an answer.
    for got_output, expected_output in zip(got, expected, strict=True):
        np.testing.assert_allclose(got_output, expected_output, rtol=1e-5, atol=1e-5)


def test_the_saved_graph_answers_as_the_model_file(tmp_path, photos):
    first = optimized.session(SHIPPED_MODEL, options(), tmp_path)
    [saved] = tmp_path.glob("*.onnx")
    assert saved.name == f"{optimized.name(SHIPPED_MODEL)}.onnx"
    again = optimized.session(SHIPPED_MODEL, options(), tmp_path)
    plain = optimized.session(SHIPPED_MODEL, options(), None)
    assert list(tmp_path.iterdir()) == [saved]  # loaded, not saved twice
    for session in (first, again):
        assert_same(answers(session, photos), answers(plain, photos))


def test_the_name_changes_with_the_model_file(tmp_path):
    copy = tmp_path / "copy.onnx"
    shutil.copyfile(SHIPPED_MODEL, copy)
    assert optimized.name(copy) == optimized.name(SHIPPED_MODEL)
    with copy.open("ab") as file:
        file.write(b"\0")
    assert optimized.name(copy) != optimized.name(SHIPPED_MODEL)


def test_a_damaged_saved_graph_is_saved_again(tmp_path, photos):
    optimized.session(SHIPPED_MODEL, options(), tmp_path)
    [saved] = tmp_path.glob("*.onnx")
    saved.write_bytes(b"not a graph")
    session = optimized.session(SHIPPED_MODEL, options(), tmp_path)
    plain = optimized.session(SHIPPED_MODEL, options(), None)
    assert_same(answers(session, photos), answers(plain, photos))
    assert saved.stat().st_size > 1_000_000


def test_a_folder_that_cannot_be_written_still_loads_the_model(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    classifier = Classifier(ModelCard.for_model(SHIPPED_MODEL), saved_graphs=blocked / "graphs")
    assert classifier.predict_pixels(np.zeros((224, 224, 3), np.uint8)).shape == (2,)


def test_a_broken_model_is_refused_not_hidden_by_the_saving(tmp_path):
    broken = tmp_path / "model.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(Exception, match="(?i)protobuf|parse|load"):
        optimized.session(broken, options(), tmp_path / "graphs")
    assert not any((tmp_path / "graphs").iterdir())


def test_only_the_graphs_used_last_are_kept(tmp_path):
    for index in range(optimized.KEPT + 2):
        old = tmp_path / f"{index:02}.onnx"
        old.write_bytes(b"")
        os.utime(old, (1_000 + index, 1_000 + index))
    optimized.session(SHIPPED_MODEL, options(), tmp_path)
    kept = sorted(path.name for path in tmp_path.glob("*.onnx"))
    expected = [f"{index:02}.onnx" for index in range(3, optimized.KEPT + 2)]
    assert kept == sorted([*expected, f"{optimized.name(SHIPPED_MODEL)}.onnx"])


def test_the_service_saves_its_model_s_graph_in_its_instance_folder(make_app):
    app = make_app(MODEL_PATH=str(SHIPPED_MODEL))  # its own load, not the tests' shared model
    folder = os.path.join(app.instance_path, optimized.FOLDER)
    assert os.listdir(folder) == [f"{optimized.name(SHIPPED_MODEL)}.onnx"]
