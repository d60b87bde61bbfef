"""MODEL_PRECISION: which numeric format answers, from the setting, the CPU and what is offered."""

import io
import json
import shutil

import pytest

from catsdogs import serving
from catsdogs.card import SHIPPED_MODEL
from catsdogs.serving import precision
from tests.helpers import AUTH, metric_samples

INT8 = SHIPPED_MODEL.with_name("catsdogs-int8.onnx")


@pytest.mark.parametrize(
    "setting, offered, vnni, answers",
    [
        ("auto", True, True, "int8"),
        ("auto", True, False, "fp32"),  # no VNNI: INT8 is no faster, and a little less right
        ("auto", False, True, "fp32"),  # nothing offered (or a copy that failed its gate)
        ("fp32", True, True, "fp32"),
        ("int8", True, False, "int8"),  # asked for: to measure the copy on any CPU
        ("int8", False, True, "fp32"),
    ],
)
def test_the_precision_follows_the_setting_the_offer_and_the_cpu(setting, offered, vnni, answers):
    assert precision.wanted(setting, offered, vnni) == answers


@pytest.mark.parametrize(
    "flags, vnni",
    [
        ("fpu sse2 avx2 fma", False),
        ("fpu avx2 avx512f avx512_vnni", True),
        ("fpu avx2 avx_vnni", True),
        ("fpu avx512f amx_tile amx_int8", True),
    ],
)
def test_vnni_is_read_from_the_cpu_flags(tmp_path, flags, vnni):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: x\nflags\t\t: {flags}\n\nprocessor\t: 1\n")
    assert precision.has_vnni(precision.cpu_flags(cpuinfo)) is vnni


def test_an_unreadable_cpuinfo_means_no_vnni(tmp_path):
    assert precision.cpu_flags(tmp_path / "absent") == frozenset()


def test_a_packaged_copy_is_offered_only_if_its_card_says_it_passed(tmp_path):
    model, copy = tmp_path / "catsdogs.onnx", tmp_path / "catsdogs-int8.onnx"
    assert precision.packaged_copy(model) is None  # none packaged
    shutil.copy(INT8, copy)
    card = json.loads(INT8.with_suffix(".json").read_text())
    for within, offered in ((True, copy), (False, None)):
        card["quantization"]["gate"]["within"] = within
        copy.with_suffix(".json").write_text(json.dumps(card))
        assert precision.packaged_copy(model) == offered


def test_an_unknown_precision_stops_the_start_with_one_clear_line(make_app):
    with pytest.raises(ValueError, match="MODEL_PRECISION must be one of auto, fp32, int8"):
        make_app(MODEL_PRECISION="fp16")


def test_without_a_registry_the_packaged_copy_answers_only_when_asked(
    make_app, dog_photo, tmp_path
):
    model = tmp_path / "catsdogs.onnx"  # the shipped files, the copy's gate said passed
    for suffix in (".onnx", ".json"):
        shutil.copy(SHIPPED_MODEL.with_suffix(suffix), model.with_suffix(suffix))
    shutil.copy(INT8, tmp_path / INT8.name)
    copy = json.loads(INT8.with_suffix(".json").read_text())
    copy["quantization"]["gate"]["within"] = True
    (tmp_path / INT8.name).with_suffix(".json").write_text(json.dumps(copy))
    asked = make_app(MODEL_PATH=str(model), MODEL_PRECISION="int8").test_client()
    health = asked.get("/health", headers=AUTH).get_json()
    assert health["serving"]["precision"] == "int8"
    assert health["serving"]["version"] == copy["version"]
    answer = asked.post(
        "/api/predict", headers=AUTH, data={"file": (io.BytesIO(dog_photo), "d.png")}
    ).get_json()
    assert answer["model_version"] == copy["version"]
    formats = metric_samples(asked, "cv_model_precision")
    assert formats[(("precision", "int8"), ("role", "champion"))] == 1
    assert formats[(("precision", "fp32"), ("role", "champion"))] == 0
    auto = make_app(MODEL_PATH=str(model)).test_client()  # auto: only the registry's offer
    assert auto.get("/health", headers=AUTH).get_json()["serving"]["precision"] == "fp32"
    assert serving.parts(auto.application).classifier.card.precision == "fp32"
