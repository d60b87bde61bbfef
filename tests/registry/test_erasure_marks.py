"""Erasure reaches trained models (issue 29): a version trained on a kept photo is marked within
one registry poll of the photo's erasure, its promotion is refused unless forced with a reason,
Discord hears that the serving champion is marked, and the mark outlives a restart. A real
MLflow server, the app's own poll, SQLite and PostgreSQL."""

import io
import json
import time

from sqlalchemy import select

from catsdogs import serving
from catsdogs.card import SHIPPED_MODEL
from catsdogs.extensions import db
from catsdogs.monitoring import HEALTH_CACHE_SECONDS
from catsdogs.registry import lineage
from catsdogs.registry.model_run import log_model
from catsdogs.store import feedback_manifest
from catsdogs.store.tables import ErasedPhoto, TrainingPhoto
from tests.helpers import ApiClient, photos_of_known_class

OTHER_PHOTO = "ab" * 32  # a reviewed photo nobody erases


def keep(api, photo: bytes) -> tuple[int, str]:
    """A prediction whose photo is kept for training: its id and the photo's sha256."""
    answer = api.post(
        "/api/predict",
        data={"file": (io.BytesIO(photo), "cat.jpg"), "rgpd_consent": "true",
              "training_consent": "true"},
        content_type="multipart/form-data",
    ).get_json()  # fmt: skip
    assert answer["training_photo_kept"] is True, answer
    photo_sha256 = db.session.scalar(
        select(TrainingPhoto.sha256).where(TrainingPhoto.prediction_id == answer["id"])
    )
    return answer["id"], photo_sha256


def export_manifest(folder, sha256s: list[str]):
    """The manifest a feedback export writes for these photos, all cats."""
    photos = [
        {"photo_id": i, "sha256": s, "label": "cat", "part": feedback_manifest.part_of(s),
         "file": f"PetImages/Cat/{s[:16]}.jpg"}
        for i, s in enumerate(sha256s, start=1)
    ]  # fmt: skip
    manifest = {
        "format": feedback_manifest.FORMAT,
        "name": feedback_manifest.NAME,
        "content_hash": feedback_manifest.content_hash(photos),
        "counts": feedback_manifest.counts(photos),
        "photos": photos,
        "neither": {"photos": []},
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / feedback_manifest.MANIFEST).write_text(json.dumps(manifest))
    return folder / feedback_manifest.MANIFEST


def erasure_app(make_app, registry, discord, tmp_path):
    """The service with the registry; its API client sends a token that may read and erase."""
    app = make_app(
        MLFLOW_TRACKING_URI=registry.tracking_uri,
        MLFLOW_MODEL_NAME=registry.name,
        MODEL_CHECK_PHOTOS=str(photos_of_known_class(tmp_path / "checks")),
        DISCORD_WEBHOOK_URL=discord.url,
        RATELIMIT_ENABLED=False,
    )
    app.test_client_class = ApiClient
    return app


def poll(app) -> dict:
    """One round of the registry watch, as the service runs it every MODEL_POLL_SECONDS; what
    /health then says of the registry's versions marked."""
    serving.parts(app).model_watch.run_once()
    time.sleep(HEALTH_CACHE_SECONDS)  # /health answers from its cache that long
    return app.test_client().get("/health").get_json()["registry"]["marked_versions"]


def models(app, *args) -> tuple[int, str]:
    """`flask models ARGS` on this app: its exit code and output."""
    result = app.test_cli_runner().invoke(args=["models", *args])
    return result.exit_code, result.output


def erasure_posts(discord) -> list[dict]:
    return [
        body["embeds"][0]
        for _, body in discord.posts
        if body["embeds"][0]["title"] == "Champion trained on an erased photo"
    ]


def test_an_erased_photo_marks_the_versions_trained_on_it_until_after_a_restart(
    make_app, registry, discord, tmp_path, cat_photo
):
    app = erasure_app(make_app, registry, discord, tmp_path)
    api = app.test_client()
    with app.app_context():
        prediction_id, photo = keep(api, cat_photo)
    manifest = export_manifest(tmp_path / "export", [photo, OTHER_PHOTO])
    trained = log_model(
        registry, SHIPPED_MODEL, lineage.RETRAIN, (manifest,), version_tags=lineage.manifest_tags()
    ).registry_version  # as a retrain registers its candidate, the export's manifest included
    untouched = registry.register(SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
    assert models(app, "promote", trained)[0] == 0
    assert poll(app) == {}  # nothing erased yet
    assert serving.parts(app).models.champion.registry_version == trained

    assert api.delete(f"/api/predictions/{prediction_id}").status_code == 204
    marked = poll(app)  # one poll

    assert list(marked) == [trained] and marked[trained]["count"] == 1
    assert marked[trained]["champion"] is True
    mark = lineage.Mark.of(registry.get(trained))
    assert mark is not None and mark.count == 1 and mark.since == marked[trained]["since"]
    assert lineage.MARK_TAG not in registry.get(untouched.registry_version).tags
    code, listing = models(app, "list")
    rows = {line.split()[0]: line for line in listing.splitlines()[1:]}
    assert "MARKED: trained on 1 erased photo(s)" in rows[trained]
    assert rows[untouched.registry_version].rstrip().endswith("-")
    discord.wait_for(1, timeout=10)
    [alert] = erasure_posts(discord)  # the serving champion is marked: said once
    assert f"Registry version {trained} was trained on 1 photo(s)" in alert["description"]
    page = api.get("/monitoring").get_data(as_text=True)
    assert f"registry version {trained}" in page and "1 erased photo" in page
    with app.app_context():
        assert db.session.get(ErasedPhoto, photo).marked_at is not None

    assert models(app, "promote", untouched.registry_version)[0] == 0
    code, output = models(app, "promote", trained)
    assert code == 1 and f"version {trained} was trained on 1 erased photo(s)" in output
    assert "Overrule with --force --reason" in output
    assert registry.by_alias("champion").registry_version == untouched.registry_version
    poll(app)
    assert len(erasure_posts(discord)) == 1  # no second alert for the same mark

    restarted = erasure_app(make_app, registry, discord, tmp_path)  # same database, registry
    assert poll(restarted)[trained]["count"] == 1
    assert lineage.Mark.of(registry.get(trained)) == mark  # not marked anew
    assert models(restarted, "promote", trained)[0] == 1
    code, output = models(
        restarted, "promote", trained, "--force", "--reason", "legal hold: kept for an audit"
    )
    assert code == 0 and "forced past: version" in output
    assert registry.by_alias("champion").registry_version == trained
