"""The INT8 copy stored with its FP32 version, and the services that pick it: real MLflow."""

import io
import json
import shutil

import pytest

from catsdogs.card import SHIPPED_MODEL
from catsdogs.registry import int8
from catsdogs.registry.client import RegistryError
from catsdogs.registry.lifecycle import CHALLENGER, CHAMPION
from catsdogs.serving.classifier import load_classifier
from catsdogs.serving.served_models import Serving
from tests.helpers import AUTH, metric_samples, photos_of_known_class
from tests.registry import model_versions

COPY = SHIPPED_MODEL.with_name(int8.INT8_ONNX)
COPY_CARD = json.loads(COPY.with_suffix(".json").read_text())
COPY_VERSION = COPY_CARD["version"]


@pytest.fixture(scope="module")
def known_photos(tmp_path_factory):
    return photos_of_known_class(tmp_path_factory.mktemp("checks"), per_class=3)


@pytest.fixture(scope="module")
def packaged():
    return load_classifier(SHIPPED_MODEL)


def copy_judged(folder, within: bool):
    """The shipped INT8 copy with its card, whose gate says `within`: the copy's file and
    figures are real, the verdict is the test's choice (the service reads only the verdict)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(COPY, folder / COPY.name)
    card = json.loads(json.dumps(COPY_CARD))
    card["quantization"]["gate"]["within"] = within
    (folder / COPY.name).with_suffix(".json").write_text(json.dumps(card))
    return folder / COPY.name


@pytest.fixture
def offered(registry, tmp_path):
    """The shipped FP32 model registered as a version that holds an INT8 copy that passed."""
    version = model_versions.register(registry, model_versions.shipped(tmp_path / "v"))
    tagged, _ = int8.attach(registry, version.registry_version, copy_judged(tmp_path / "c", True))
    return tagged


def serving_with(registry, packaged, known_photos, cache, setting, vnni):
    return Serving(
        packaged,
        registry,
        cache=cache,
        check_folder=known_photos,
        precision_setting=setting,
        vnni=vnni,
    )


def test_add_int8_stores_the_copy_with_its_version_and_tags_the_verdict(
    make_app, registry, mlflow_server, tmp_path
):
    version = model_versions.register(registry, model_versions.shipped(tmp_path / "v"))
    app = make_app(MLFLOW_TRACKING_URI=mlflow_server.url, MLFLOW_MODEL_NAME=registry.name)
    result = app.test_cli_runner().invoke(args=["models", "add-int8", version.registry_version])
    assert result.exit_code == 0, result.output
    assert f"Version {version.registry_version} now holds its INT8 copy {COPY_VERSION}" in (
        result.output
    )
    verdict = "passed" if COPY_CARD["quantization"]["gate"]["within"] else "failed"
    assert f"gate {verdict}" in result.output
    tags = registry.get(version.registry_version).tags
    assert (tags[int8.GATE_TAG], tags[int8.SHA256_TAG]) == (verdict, COPY_CARD["sha256"])
    listed = registry.rest.list_artifacts(registry.artifact_location(version))
    assert set(int8.INT8_FILES) <= set(listed)


def test_a_copy_of_another_model_is_refused(registry, tmp_path):
    other = model_versions.register(registry, model_versions.damped(tmp_path / "v"))
    with pytest.raises(RegistryError, match="was quantized from a file with sha256"):
        int8.attach(registry, other.registry_version, COPY)
    assert int8.GATE_TAG not in registry.get(other.registry_version).tags


@pytest.mark.parametrize(
    "setting, vnni, answers",
    [
        ("auto", True, "int8"),
        ("auto", False, "fp32"),
        ("fp32", True, "fp32"),
        ("int8", False, "int8"),
    ],
)
def test_the_champion_answers_in_the_precision_the_setting_and_cpu_allow(
    registry, packaged, known_photos, tmp_path, offered, setting, vnni, answers
):
    registry.set_alias(CHAMPION, offered.registry_version)
    serving = serving_with(registry, packaged, known_photos, tmp_path / "m", setting, vnni)
    status = serving.check()["serving"]
    assert (status["precision"], status["registry_version"]) == (answers, offered.registry_version)
    assert status["version"] == (COPY_VERSION if answers == "int8" else packaged.model_version)


def test_a_copy_that_failed_its_gate_is_never_picked(registry, packaged, known_photos, tmp_path):
    version = model_versions.register(registry, model_versions.shipped(tmp_path / "v"))
    failed = copy_judged(tmp_path / "failed", False)
    tagged, _ = int8.attach(registry, version.registry_version, failed)
    assert tagged.tags[int8.GATE_TAG] == "failed"
    registry.set_alias(CHAMPION, version.registry_version)
    serving = serving_with(registry, packaged, known_photos, tmp_path / "m", "int8", True)
    assert serving.check()["serving"]["precision"] == "fp32"


def test_a_copy_whose_file_is_not_the_tagged_one_gives_way_to_fp32(
    registry, packaged, known_photos, tmp_path, offered
):
    registry.set_tag(offered.registry_version, int8.SHA256_TAG, "0" * 64)
    registry.set_alias(CHAMPION, offered.registry_version)
    serving = serving_with(registry, packaged, known_photos, tmp_path / "m", "auto", True)
    status = serving.check()
    assert status["serving"]["precision"] == "fp32"
    assert status["registry"]["refused_versions"] == {}  # the version itself serves


def test_the_challenger_shadows_in_its_own_precision(
    registry, packaged, known_photos, tmp_path, offered
):
    registry.set_alias(CHALLENGER, offered.registry_version)
    serving = serving_with(registry, packaged, known_photos, tmp_path / "m", "auto", True)
    assert serving.check()["shadow"]["precision"] == "int8"


def test_health_metrics_and_answers_name_the_precision_that_answers(
    make_app, registry, mlflow_server, offered, known_photos, dog_photo
):
    registry.set_alias(CHAMPION, offered.registry_version)
    app = make_app(
        MLFLOW_TRACKING_URI=mlflow_server.url,
        MLFLOW_MODEL_NAME=registry.name,
        MODEL_CHECK_PHOTOS=str(known_photos),
        MODEL_PRECISION="int8",
    )
    client = app.test_client()
    assert client.post("/api/model/reload", headers=AUTH).status_code == 200
    health = client.get("/health", headers=AUTH).get_json()
    assert health["serving"]["precision"] == "int8" and health["serving"]["version"] == COPY_VERSION
    formats = metric_samples(client, "cv_model_precision")
    assert formats[(("precision", "int8"), ("role", "champion"))] == 1
    assert formats[(("precision", "fp32"), ("role", "champion"))] == 0
    info = metric_samples(client, "cv_model_info")
    assert info[(("role", "champion"), ("version", COPY_VERSION))] == 1
    answer = client.post(
        "/api/predict", headers=AUTH, data={"file": (io.BytesIO(dog_photo), "dog.png")}
    ).get_json()
    assert answer["model_version"] == COPY_VERSION and answer["prediction"] == "dog"
