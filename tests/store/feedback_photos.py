"""Kept training photos written straight into the database, reviewed or not, as the service and
the review page leave them; a tiny base dataset and a tiny champion for the retrain tests."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from catsdogs.extensions import db
from catsdogs.store.tables import Prediction, TrainingPhoto, utc_now
from catsdogs.training.__main__ import main
from tests.registry import model_versions
from tests.helpers import DATASET
from tests.training.test_training import WEIGHTS


def small_jpeg(color=(200, 120, 40), size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def keep_photo(predicted="cat", vote=None, comment=None, version="v-test", jpeg=None, **photo):
    """Store a consented prediction (with the vote, if any) and its kept photo (`photo`: review
    columns); return the photo's id. Needs an app context."""
    prediction = Prediction(
        inference_time_ms=5.0,
        prediction_result=predicted,
        proba_cat=0.9 if predicted == "cat" else 0.1,
        proba_dog=0.1 if predicted == "cat" else 0.9,
        model_version=version,
        rgpd_consent=True,
        training_consent=True,
        user_feedback=vote,
        user_comment=comment,
    )
    db.session.add(prediction)
    db.session.flush()
    jpeg = jpeg or small_jpeg()
    width, height = Image.open(io.BytesIO(jpeg)).size
    kept = TrainingPhoto(
        prediction_id=prediction.id,
        jpeg=jpeg,
        sha256=hashlib.sha256(jpeg).hexdigest(),
        width=width,
        height=height,
        **photo,
    )
    db.session.add(kept)
    db.session.commit()
    return kept.id


def add_photo(app, jpeg: bytes, review: str | None, label: str | None, reviewer="reviewer-1"):
    """A kept photo whose vote proposed `label`, reviewed as given; the photo's id."""
    decided = {"reviewer": reviewer, "reviewed_at": utc_now()} if review else {}
    with app.app_context():
        return keep_photo(label or "cat", 1, jpeg=jpeg, review=review, label=label, **decided)


def row(photo_id: int) -> tuple:
    """What the database holds of a photo's review, read afresh."""
    db.session.expire_all()
    photo = db.session.get(TrainingPhoto, photo_id)
    return photo.review, photo.label, photo.reviewer, photo.reviewed_at


def tiny_base(folder: Path, per_class: int, more: int) -> tuple[Path, dict[str, list[bytes]]]:
    """The first `per_class` photos of each class as a PetImages folder, and the `more` photos
    after them per class (never in that folder) as {"cat": [...], "dog": [...]}."""
    pytest.importorskip("tensorflow", reason="the retrain tests need the train extra")
    if not WEIGHTS.exists() or not DATASET.exists():
        pytest.skip("the retrain tests need ../shared (weights and photos)")
    base, others = folder / "base", {}
    with zipfile.ZipFile(DATASET) as archive:
        for label in ("Cat", "Dog"):
            names = sorted(
                n
                for n in archive.namelist()
                if n.startswith(f"PetImages/{label}/") and n.endswith(".jpg")
            )
            (base / "PetImages" / label).mkdir(parents=True)
            for name in names[:per_class]:
                (base / "PetImages" / label / Path(name).name).write_bytes(archive.read(name))
            others[label.lower()] = [archive.read(n) for n in names[per_class : per_class + more]]
    return base, others


def tiny_champion(base: Path, folder: Path) -> tuple[Path, Path]:
    """A 64-pixel model trained for one epoch on `base`; (its ONNX file, the feature cache)."""
    cache, champion = folder / "features", folder / "champion" / "catsdogs.onnx"
    tiny = ["--image-size", "64", "--head-epochs", "1", "--fine-tune-epochs", "1"]
    arguments = ["train", "--data", str(base), "--weights", str(WEIGHTS), "--model", str(champion)]
    status = main([*arguments, *tiny, "--ensemble", "1", "--feature-cache", str(cache)])
    assert status == 0
    return champion, cache


def swapped(model: Path, folder: Path) -> Path:
    """`model` answering the other class every time: a much worse model, same card otherwise."""
    card = json.loads(model.with_suffix(".json").read_text())
    version = model_versions.write(
        folder, model_versions.rescaled(-1.0, 1.0, model), "0.0.1-swapped"
    )
    written = json.loads((folder / "catsdogs.json").read_text())
    (folder / "catsdogs.json").write_text(
        json.dumps(card | {k: written[k] for k in ("version", "sha256")})
    )
    return version / "catsdogs.onnx"
