"""The whole feedback loop on small data, end to end: photos kept with training consent through
the API and the page, votes, the label review in Chromium, the dataset export, a tiny retrain
gated against the registry's champion in a real MLflow server, the challenger promoted by a
person, then a deliberately worse candidate refused by the gate."""

import json
import shutil
from pathlib import Path

import pytest
import requests

from catsdogs.registry import lifecycle
from catsdogs.serving.classifier import load_classifier
from catsdogs.training.__main__ import main
from tests.registry import model_versions
from tests.web.browser_helpers import CHROMIUM, add_csp, serve
from tests.store.feedback_photos import swapped, tiny_base, tiny_champion
from tests.helpers import AUTH
from tests.web.test_browser import browser, page, step, violations  # noqa: F401 (fixtures)
from tests.training.test_training import WEIGHTS

pytestmark = [
    pytest.mark.training,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]
PASSWORD = "loop-reviewer-password"
BASE_PER_CLASS, API_PER_CLASS = 30, 9


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny base dataset, a champion trained on it, and photos outside it for the users."""
    folder = tmp_path_factory.mktemp("loop")
    base, photos = tiny_base(folder, BASE_PER_CLASS, API_PER_CLASS + 1)
    champion, cache = tiny_champion(base, folder)
    return {"base": base, "champion": champion, "cache": cache, "photos": photos}


@pytest.fixture
def loop(tiny, registry, make_app, monkeypatch, tmp_path):
    """The service serving the registry's champion: the tiny model with its answers swapped, so
    every user says it is wrong and the review confirms the other class."""
    champion = swapped(tiny["champion"], tmp_path / "champion")
    checks = own_answers(champion, tiny["base"], tmp_path / "checks")
    registered = model_versions.register(registry, champion.parent, checks)
    registry.set_alias(lifecycle.CHAMPION, registered.registry_version)
    for name, value in {
        "MLFLOW_TRACKING_URI": registry.tracking_uri,
        "MLFLOW_MODEL_NAME": registry.name,
        "USER": "loop-test",
    }.items():
        monkeypatch.setenv(name, value)
    app = make_app(
        MLFLOW_TRACKING_URI=registry.tracking_uri,
        MLFLOW_MODEL_NAME=registry.name,
        REVIEWER_PASSWORD=PASSWORD,
    )
    add_csp(app)
    with serve(app) as url:
        health = requests.post(f"{url}/api/model/reload", headers=AUTH, timeout=60).json()
        assert health["serving"]["source"] == "registry"
        yield app, url


def own_answers(model: Path, base: Path, folder: Path) -> Path:
    """Serving loads a version only if it classifies its photos of known class right: for this
    deliberately wrong model, base photos filed under the class it answers."""
    classifier = load_classifier(str(model))
    for photo in sorted(base.glob("PetImages/*/*.jpg"))[::10]:
        answer = classifier.predict(photo.read_bytes()).label
        (folder / answer).mkdir(parents=True, exist_ok=True)
        shutil.copy(photo, folder / answer / photo.name)
    return folder


def test_feedback_becomes_a_gated_challenger(tiny, loop, registry, page, violations, tmp_path):  # noqa: F811
    app, url = loop
    # Users: through the API, both consents and a vote on each answer.
    for label, photos in tiny["photos"].items():
        for index, photo in enumerate(photos[:API_PER_CLASS]):
            answer = requests.post(
                f"{url}/api/predict",
                headers=AUTH,
                files={"file": (f"{label}-{index}.jpg", photo, "image/jpeg")},
                data={"rgpd_consent": "true", "training_consent": "true"},
                timeout=30,
            ).json()
            assert answer["training_photo_kept"] is True
            right = int(answer["prediction"] == label)  # people tell the truth
            vote = {"feedback_id": answer["feedback_id"], "user_feedback": right}
            requests.post(f"{url}/api/update-feedback", headers=AUTH, json=vote, timeout=30)
    # And one through the page.
    page.goto(url + "/")
    page.set_input_files(
        "#file",
        files=[{"name": "dog.jpg", "mimeType": "image/jpeg", "buffer": tiny["photos"]["dog"][-1]}],
    )
    page.check("#consent")
    page.check("#training-consent")
    page.get_by_role("button", name="Classify").click()
    page.wait_for_selector("#result .outcome")
    assert "A small copy of your photo is kept" in page.inner_text("#result")
    said_cat = "cat" in page.inner_text("#result .outcome").lower()  # the photo is a dog
    page.get_by_role("button", name="No, wrong" if said_cat else "Yes, right").click()
    page.wait_for_selector("text=Thank you!")
    kept = 2 * API_PER_CLASS + 1

    # A reviewer: one photo rejected by click, every other one confirmed by key.
    page.goto(url + "/review")
    page.fill("#reviewer-name", "Grace")
    page.fill("#reviewer-password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    first = page.locator("article.review-card").first
    first.get_by_role("button", name="Reject this photo").click()
    page.wait_for_selector("article.review-card.reviewed")
    for reviewed in range(2, kept + 1):
        page.keyboard.press("c")
        page.wait_for_function(
            f"() => document.querySelectorAll('article.review-card.reviewed').length === {reviewed}"
        )
    counts = f"{kept} kept, {kept - 1} reviewed, 1 rejected, 0 waiting"
    assert counts in page.inner_text("#review-counts")
    step(page, "loop-01-reviewed", violations)

    # The maintainer: export, retrain, gate.
    export = tmp_path / "feedback"
    result = app.test_cli_runner().invoke(args=["dataset", "export", "--out", str(export)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["counts"]["total"] == kept - 1
    assert {p["label_source"] for p in manifest["photos"]} == {"feedback confirmed"}
    common = ["--feedback", str(export), "--data", str(tiny["base"])]
    out = tmp_path / "candidate"
    training = ["--weights", str(WEIGHTS), "--feature-cache", str(tiny["cache"]), "--out", str(out)]
    assert main(["retrain", *common, *training]) == 0

    challenger = registry.by_alias(lifecycle.CHALLENGER)
    assert challenger is not None
    card = registry.card(challenger)
    assert card["feedback_dataset"]["content_hash"] == manifest["content_hash"]
    artifacts = registry.rest.list_artifacts(registry.runs.artifacts(challenger.run_id))
    assert {"comparison.md", "manifest.json"} <= set(artifacts)
    assert "**Gate: PASSED**" in (out / "comparison.md").read_text()

    # A person promotes it after looking; then a worse candidate is refused.
    promote = ["models", "promote", challenger.registry_version, "--reason", "better on feedback"]
    result = app.test_cli_runner().invoke(args=promote)
    assert result.exit_code == 0, result.output
    assert registry.by_alias(lifecycle.CHAMPION).registry_version == challenger.registry_version
    versions = [v.registry_version for v in registry.versions()]
    aliases = {
        alias: registry.by_alias(alias) for alias in (lifecycle.CHAMPION, lifecycle.CHALLENGER)
    }
    worse = swapped(out / "catsdogs.onnx", tmp_path / "worse")
    assert main(["gate", "--candidate", str(worse), *common]) == 1
    assert [v.registry_version for v in registry.versions()] == versions
    assert {alias: registry.by_alias(alias) for alias in aliases} == aliases
    assert "**Gate: REFUSED**" in (worse.parent / "comparison.md").read_text()
