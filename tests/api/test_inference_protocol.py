"""/v2, the Open Inference Protocol, driven by Triton's own HTTP client against waitress."""

import base64
import gc
import io
import json

import numpy as np
import pytest
import tritonclient.http as triton
from prometheus_client.parser import text_string_to_metric_families
from tritonclient.utils import InferenceServerException

from catsdogs.card import SHIPPED_MODEL
from catsdogs.serving.imaging import load_rgb
from tests.helpers import AUTH, BrokenClassifier, image_bytes, shared_photos, serve_model
from tests.pictures import drawing
from tests.serve_helpers import serve

INFER = "/v2/models/catsdogs/infer"


@pytest.fixture(scope="module")
def photos() -> list[bytes]:
    """Two cats and two dogs from the shared dataset."""
    return [data for label in ("Cat", "Dog") for _, data in shared_photos(label, 2)]


@pytest.fixture
def client_v2(app):
    """tritonclient's InferenceServerClient on the app served by waitress."""
    with serve(app) as url:
        client = triton.InferenceServerClient(url.removeprefix("http://"))
        yield client
        client.close()
        # Finalize the client's gevent sockets here, in this thread, while the server runs.
        gc.collect()


def api_answers(api, photos) -> list[dict]:
    """/api/predict's answer for each photo."""
    return [
        api.post(
            "/api/predict",
            data={"file": (io.BytesIO(photo), "photo.jpg")},
            content_type="multipart/form-data",
        ).get_json()
        for photo in photos
    ]


def infer(client_v2, tensor: triton.InferInput, binary: bool, **options):
    """Infer with the token; binary outputs by default, as tritonclient does, or JSON ones."""
    outputs = None
    if not binary:
        outputs = [
            triton.InferRequestedOutput(n, binary_data=False) for n in ("probabilities", "label")
        ]
    # A copy: tritonclient adds Inference-Header-Content-Length to the headers it is given.
    return client_v2.infer("catsdogs", [tensor], outputs=outputs, headers=dict(AUTH), **options)


def assert_same_answers(result: triton.InferResult, answers: list[dict]) -> None:
    probabilities, labels = result.as_numpy("probabilities"), result.as_numpy("label")
    assert probabilities.shape == (len(answers), 2) and labels.shape == (len(answers),)
    for row, label, answer in zip(probabilities, labels, answers, strict=True):
        expected = [answer["probabilities"]["cat"], answer["probabilities"]["dog"]]
        assert row.tolist() == pytest.approx(expected, abs=1e-5)
        verdict = "neither" if answer["neither"] else answer["prediction"]
        assert (label.decode() if isinstance(label, bytes) else label) == verdict


def bytes_input(photos: list[bytes], binary: bool) -> triton.InferInput:
    """Encoded photos: raw bytes as binary data, base64 strings in JSON."""
    tensor = triton.InferInput("image_bytes", [len(photos)], "BYTES")
    elements = photos if binary else [base64.b64encode(p).decode() for p in photos]
    return tensor.set_data_from_numpy(np.array(elements, dtype=np.object_), binary_data=binary)


def counted_predictions(client) -> float:
    """cv_predictions_total for cat and dog, as /metrics shows it."""
    families = text_string_to_metric_families(client.get("/metrics").text)
    return sum(
        s.value
        for f in families
        for s in f.samples
        if s.name == "cv_predictions_total" and s.labels["result"] in ("cat", "dog")
    )


def test_live_ready_and_server_metadata(client_v2, classifier):
    assert client_v2.is_server_live() and client_v2.is_server_ready()
    assert client_v2.is_model_ready("catsdogs")
    assert client_v2.is_model_ready("catsdogs", classifier.model_version)
    assert client_v2.get_server_metadata() == {
        "name": "catsdogs",
        "version": "1.0.0",
        "extensions": ["binary_tensor_data"],
    }


@pytest.mark.parametrize("versioned", [False, True])
def test_model_metadata_names_the_inputs_and_outputs(client_v2, classifier, versioned):
    version = classifier.model_version if versioned else ""
    metadata = client_v2.get_model_metadata("catsdogs", version)
    assert metadata == {
        "name": "catsdogs",
        "versions": [classifier.model_version],
        "platform": "onnx_onnxv1",
        "inputs": [
            {
                "name": "image_bytes",
                "datatype": "BYTES",
                "shape": [-1],
                "parameters": {"content_type": "base64"},
            },
            {"name": "image", "datatype": "FP32", "shape": [-1, 224, 224, 3]},
        ],
        "outputs": [
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, 2]},
            {"name": "label", "datatype": "BYTES", "shape": [-1]},
            {"name": "neither_score", "datatype": "FP32", "shape": [-1]},
        ],
    }


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_a_batch_of_photos_answers_as_api_predict(client_v2, api, photos, classifier, binary):
    result = infer(client_v2, bytes_input(photos, binary), binary, request_id="batch-1")
    assert_same_answers(result, api_answers(api, photos))
    response = result.get_response()
    assert response["model_version"] == classifier.model_version and response["id"] == "batch-1"


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_resized_pixels_answer_as_api_predict(client_v2, api, photos, classifier, binary):
    pixels = np.stack(
        [load_rgb(p, classifier.card.input_size, classifier.card.resize_method) for p in photos]
    ).astype(np.float32)
    tensor = triton.InferInput("image", list(pixels.shape), "FP32")
    result = infer(client_v2, tensor.set_data_from_numpy(pixels, binary_data=binary), binary)
    assert_same_answers(result, api_answers(api, photos))


def test_the_served_version_in_the_path_is_accepted(client_v2, api, photos, classifier):
    tensor = bytes_input(photos[:1], binary=True)
    result = infer(client_v2, tensor, binary=True, model_version=classifier.model_version)
    assert_same_answers(result, api_answers(api, photos[:1]))


def test_predictions_are_stored_anonymously_and_counted(client_v2, api, photos):
    before = counted_predictions(api)
    infer(client_v2, bytes_input(photos, binary=True), binary=True)
    rows = api.get("/api/predictions").get_json()["items"]
    assert len(rows) == len(photos)
    assert {(row["rgpd_consent"], row["filename"]) for row in rows} == {(False, None)}
    assert counted_predictions(api) == before + len(photos)


def test_the_client_reads_the_protocols_errors(client_v2, photos):
    with pytest.raises(InferenceServerException) as raised:
        client_v2.infer("catsdogs", [bytes_input(photos[:1], binary=True)])  # no token
    assert raised.value.status() == "401" and "token" in raised.value.message()
    with pytest.raises(InferenceServerException) as raised:
        client_v2.get_model_metadata("mouse")
    assert raised.value.status() == "404" and "mouse" in raised.value.message()
    assert not client_v2.is_model_ready("catsdogs", "0.0.1")


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_a_drawing_is_labelled_neither_with_its_score(client_v2, api, photos, classifier, binary):
    batch = [drawing(), photos[0]]
    result = client_v2.infer(
        "catsdogs",
        [bytes_input(batch, binary)],
        outputs=[triton.InferRequestedOutput("neither_score", binary_data=binary)]
        + [triton.InferRequestedOutput("label", binary_data=binary)],
        headers=dict(AUTH),
    )
    labels = [x.decode() if isinstance(x, bytes) else x for x in result.as_numpy("label")]
    scores = result.as_numpy("neither_score")
    assert labels == ["neither", "cat"] and scores.dtype == np.float32 and scores.shape == (2,)
    assert scores[0] > classifier.card.neither_above > scores[1]
    answers = api_answers(api, batch)
    assert scores.tolist() == pytest.approx([a["neither_score"] for a in answers], abs=1e-2)


def test_a_model_without_the_detector_has_no_neither_score(make_app, tmp_path):
    card = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())
    card.pop("neither", None)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "catsdogs.onnx").symlink_to(SHIPPED_MODEL.resolve())
    (tmp_path / "model" / "catsdogs.json").write_text(json.dumps(card))
    api = make_app(MODEL_PATH=str(tmp_path / "model" / "catsdogs.onnx")).test_client()
    outputs = api.get("/v2/models/catsdogs").get_json()["outputs"]
    assert [o["name"] for o in outputs] == ["probabilities", "label"]
    body = api.post(INFER, json=image_bytes_input([b64(drawing())]), headers=AUTH).get_json()
    assert [o["name"] for o in body["outputs"]] == ["probabilities", "label"]
    assert body["outputs"][1]["data"][0] in ("cat", "dog")  # never neither without a detector
    asked = {**image_bytes_input([PNG]), "outputs": [{"name": "neither_score"}]}
    assert_protocol_error(api.post(INFER, json=asked, headers=AUTH), 400)


def test_a_model_that_does_not_answer_is_not_ready(app, client_v2, photos):
    serve_model(app, BrokenClassifier())
    assert client_v2.is_server_live()
    assert not client_v2.is_server_ready() and not client_v2.is_model_ready("catsdogs")
    with pytest.raises(InferenceServerException) as raised:
        infer(client_v2, bytes_input(photos[:1], binary=True), binary=True)
    assert raised.value.status() == "503"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def image_bytes_input(data, shape=None, **fields) -> dict:
    """A JSON inference request with one image_bytes input."""
    tensor = {"name": "image_bytes", "datatype": "BYTES", "shape": shape or [len(data)]}
    return {"inputs": [{**tensor, "data": data, **fields}]}


def pixels_input(values, shape=(1, 224, 224, 3)) -> dict:
    return {"inputs": [{"name": "image", "datatype": "FP32", "shape": list(shape), "data": values}]}


PNG = b64(image_bytes())
BAD_REQUESTS = {
    "not json": b"{inputs",
    "json array": [],
    "no inputs": {"inputs": []},
    "two inputs": {"inputs": [image_bytes_input([PNG])["inputs"][0]] * 2},
    "unknown input": {"inputs": [{"name": "photo", "datatype": "BYTES", "shape": [1]}]},
    "wrong datatype": image_bytes_input([PNG], datatype="FP32"),
    "int32 pixels": {"inputs": [{**pixels_input([0])["inputs"][0], "datatype": "INT32"}]},
    "wrong shape": image_bytes_input([PNG], shape=[1, 2]),
    "pixels of the wrong size": pixels_input([0] * 12, shape=(1, 2, 2, 3)),
    "too few pixels": pixels_input([0.0] * 10),
    "pixels out of range": pixels_input([300.0] * (224 * 224 * 3)),
    "pixels as strings": pixels_input(["1"] * (224 * 224 * 3)),
    "negative dimension": image_bytes_input([PNG], shape=[-1]),
    "shape not a list": image_bytes_input([PNG], shape="1"),
    "bad base64": image_bytes_input(["not base64!"]),
    "base64 of a number": image_bytes_input([12]),
    "other content type": image_bytes_input([PNG], parameters={"content_type": "str"}),
    "fewer elements than the shape": image_bytes_input([PNG], shape=[2]),
    "empty batch": image_bytes_input([], shape=[0]),
    "batch over the limit": image_bytes_input([PNG] * 17),
    "undecodable image": image_bytes_input([b64(b"just some text")]),
    "empty image": image_bytes_input([""]),
    "unknown output": {**image_bytes_input([PNG]), "outputs": [{"name": "logits"}]},
    "output without a name": {**image_bytes_input([PNG]), "outputs": [{}]},
    "id not a string": {**image_bytes_input([PNG]), "id": 7},
    "parameters not an object": {**image_bytes_input([PNG]), "parameters": []},
    "binary flag not a boolean": {
        **image_bytes_input([PNG]),
        "parameters": {"binary_data_output": "yes"},
    },
}


def assert_protocol_error(response, status: int) -> None:
    assert response.status_code == status
    body = response.get_json()
    assert list(body) == ["error"] and isinstance(body["error"], str) and body["error"]


@pytest.mark.parametrize("body", BAD_REQUESTS.values(), ids=BAD_REQUESTS)
def test_a_bad_request_is_400_in_the_protocols_format_and_stores_nothing(api, body):
    data = body if isinstance(body, bytes) else json.dumps(body)
    assert_protocol_error(api.post(INFER, data=data), 400)
    assert api.get("/api/predictions").get_json()["items"] == []


def test_the_batch_limit_is_a_setting(make_app):
    api = make_app(OIP_MAX_BATCH=2).test_client()
    response = api.post(INFER, json=image_bytes_input([PNG] * 3), headers=AUTH)
    assert_protocol_error(response, 400)
    assert "At most 2 images" in response.get_json()["error"]
    assert api.post(INFER, json=image_bytes_input([PNG] * 2), headers=AUTH).status_code == 200


def binary_request(header: dict, binary: bytes, header_length=None):
    """A body with the binary tensor data extension: the JSON header, then the raw data."""
    encoded = json.dumps(header).encode()
    length = len(encoded) if header_length is None else header_length
    return {"data": encoded + binary, "headers": {"Inference-Header-Content-Length": str(length)}}


def with_size(size: int) -> dict:
    tensor = {"name": "image_bytes", "datatype": "BYTES", "shape": [1]}
    return {"inputs": [{**tensor, "parameters": {"binary_data_size": size}}]}


@pytest.mark.parametrize(
    "request_parts",
    [
        binary_request(with_size(10), b"\x05\x00\x00\x00abc"),  # size != bytes sent
        binary_request(with_size(7), b"\x09\x00\x00\x00abc"),  # element longer than the data
        binary_request(image_bytes_input([PNG]), b"extra"),  # no input says binary
        binary_request(with_size(0), b"", header_length=10**6),
        binary_request(with_size(0), b"", header_length="-1"),
    ],
    ids=["size mismatch", "element overrun", "undeclared binary", "header too long", "negative"],
)
def test_bad_binary_tensor_data_is_400(api, request_parts):
    assert_protocol_error(api.post(INFER, **request_parts), 400)


def test_json_bytes_may_declare_base64_and_come_nested(api, cat_photo):
    request = image_bytes_input([[b64(cat_photo)]], shape=[1, 1])
    request["inputs"][0]["parameters"] = {"content_type": "base64"}
    request["outputs"] = [{"name": "label"}]
    body = api.post(INFER, json=request).get_json()
    assert body["outputs"] == [
        {"name": "label", "datatype": "BYTES", "shape": [1], "data": ["cat"]}
    ]


def test_a_body_over_the_upload_limit_is_413(make_app):
    api = make_app(MAX_UPLOAD_MB=0.01).test_client()
    response = api.post(INFER, json=image_bytes_input(["A" * 20_000]), headers=AUTH)
    assert_protocol_error(response, 413)


@pytest.mark.parametrize(
    "method, path, headers, status",
    [
        ("post", INFER, {}, 401),
        ("post", INFER, {"Authorization": "Bearer wrong"}, 401),
        ("post", "/v2/models/mouse/infer", AUTH, 404),
        ("post", "/v2/models/catsdogs/versions/0.0.1/infer", AUTH, 404),
        ("get", "/v2/models/catsdogs/versions/0.0.1", {}, 404),
        ("get", "/v2/models/mouse/ready", {}, 404),
        ("get", "/v2/nothing", {}, 404),
        ("get", INFER, AUTH, 405),
    ],
)
def test_other_failures_answer_in_the_protocols_format(client, method, path, headers, status):
    response = getattr(client, method)(path, json=image_bytes_input([PNG]), headers=headers)
    assert_protocol_error(response, status)


def test_probes_and_metadata_need_no_token_but_infer_does(client):
    for path in ("/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/catsdogs/ready"):
        assert client.get(path).status_code == 200
    assert client.get("/v2/models/catsdogs").status_code == 200
    assert client.post(INFER, json=image_bytes_input([PNG])).status_code == 401
    assert client.post(INFER, json=image_bytes_input([PNG]), headers=AUTH).status_code == 200


def test_a_broken_model_is_503_on_ready_and_infer(app, api):
    serve_model(app, BrokenClassifier())
    assert_protocol_error(api.get("/v2/health/ready"), 503)
    assert_protocol_error(api.get("/v2/models/catsdogs/ready"), 503)
    assert_protocol_error(api.post(INFER, json=image_bytes_input([PNG])), 503)
    assert_protocol_error(api.post(INFER, json=pixels_input([0.0] * (224 * 224 * 3))), 503)
    assert api.get("/v2/health/live").status_code == 200


def test_probes_are_not_rate_limited_but_the_rest_is(make_app):
    client = make_app(RATE_LIMIT_PER_ADDRESS="2/minute").test_client()
    assert {client.get("/v2/health/ready").status_code for _ in range(5)} == {200}
    statuses = [client.get("/v2").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert_protocol_error(client.get("/v2"), 429)


def test_openapi_documents_the_protocol(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert {
        "/v2",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/{model_name}",
        "/v2/models/{model_name}/versions/{model_version}",
        "/v2/models/{model_name}/ready",
        "/v2/models/{model_name}/versions/{model_version}/ready",
        "/v2/models/{model_name}/infer",
        "/v2/models/{model_name}/versions/{model_version}/infer",
    } <= set(paths)
    infer_doc = paths["/v2/models/{model_name}/infer"]["post"]
    assert {"200", "400", "401", "404", "413", "503"} <= set(infer_doc["responses"])
