"""Token scopes: `predict`, `read`, `admin`; a `name:token` entry or API_TOKEN keeps all three."""

import io

import pytest

from catsdogs import config

ENTRIES = "old:old-token-abcdef,reader[read]:reader-token-abc,caller[predict]:caller-token:x"
PHOTO_FORM = "multipart/form-data"


@pytest.fixture
def scoped(make_app):
    """An app whose API_TOKENS come from ENTRIES, as the environment would give them."""
    tokens, scopes = config.parse_tokens(ENTRIES, "single-token"), config.parse_scopes(ENTRIES)
    return make_app(API_TOKENS=tokens, API_TOKEN_SCOPES=scopes).test_client()


def call(client, token: str, method: str, path: str, **kwargs):
    return client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def stored(client, photo: bytes) -> int:
    """The id of a new prediction, made with the all-scopes token."""
    form = {"file": (io.BytesIO(photo), "cat.jpg"), "rgpd_consent": "on"}
    answer = call(client, "old-token-abcdef", "POST", "/api/predict", data=form)
    return answer.get_json()["id"]


def test_the_scopes_are_read_with_the_name_and_the_token_keeps_its_colons():
    assert config.parse_tokens(ENTRIES, None)["caller"] == "caller-token:x"
    assert config.parse_scopes(ENTRIES) == {"reader": ("read",), "caller": ("predict",)}
    assert config.parse_scopes("ops[read+admin]:t") == {"ops": ("read", "admin")}


@pytest.mark.parametrize("entry", ["ci[]:t", "ci[write]:t", "ci[read:t", "ci[read,admin]:t"])
def test_an_unknown_or_malformed_scope_is_refused(entry):
    with pytest.raises(ValueError, match=r"name\[predict\+read\+admin\]:token"):
        config.parse_scopes(entry)


def test_a_read_only_token_cannot_erase_and_the_row_stays(scoped, cat_photo):
    prediction_id = stored(scoped, cat_photo)
    answer = call(scoped, "reader-token-abc", "DELETE", f"/api/predictions/{prediction_id}")
    assert answer.status_code == 403 and answer.get_json()["error"] == "insufficient_scope"
    row = call(scoped, "reader-token-abc", "GET", f"/api/predictions/{prediction_id}")
    assert row.status_code == 200 and row.get_json()["id"] == prediction_id


@pytest.mark.parametrize("token", ["old-token-abcdef", "single-token"])
def test_an_old_name_token_entry_and_api_token_can_still_erase(scoped, cat_photo, token):
    prediction_id = stored(scoped, cat_photo)
    assert call(scoped, token, "DELETE", f"/api/predictions/{prediction_id}").status_code == 204
    assert call(scoped, token, "GET", f"/api/predictions/{prediction_id}").status_code == 404


@pytest.mark.parametrize("path", ["/api/statistics", "/api/predictions", "/api/predictions/1"])
def test_a_predict_only_token_cannot_read(scoped, path):
    answer = call(scoped, "caller-token:x", "GET", path)
    assert answer.status_code == 403 and answer.get_json()["error"] == "insufficient_scope"


def test_a_predict_only_token_classifies_and_votes_but_cannot_reload(scoped, cat_photo):
    form = {"file": (io.BytesIO(cat_photo), "cat.jpg"), "rgpd_consent": "on"}
    answer = call(scoped, "caller-token:x", "POST", "/api/predict", data=form)
    assert answer.status_code == 200
    vote = {"feedback_id": answer.get_json()["id"], "user_feedback": 1}
    assert (
        call(scoped, "caller-token:x", "POST", "/api/update-feedback", json=vote).status_code == 200
    )
    assert call(scoped, "caller-token:x", "POST", "/api/model/reload").status_code == 403


def test_a_read_only_token_cannot_classify_nor_infer(scoped):
    answer = call(
        scoped, "reader-token-abc", "POST", "/api/predict", data={}, content_type=PHOTO_FORM
    )
    assert answer.status_code == 403 and answer.get_json()["error"] == "insufficient_scope"
    infer = call(scoped, "reader-token-abc", "POST", "/v2/models/catsdogs/infer", json={})
    assert infer.status_code == 403 and "scope" in infer.get_json()["error"]  # the OIP's format


@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_health_detail_needs_the_read_scope(scoped, path):
    public = call(scoped, "caller-token:x", "GET", path).get_json()
    detail = call(scoped, "reader-token-abc", "GET", path).get_json()
    assert "registry" not in public and len(public) == 1
    assert detail["registry"]["configured"] is False and "serving" in detail
