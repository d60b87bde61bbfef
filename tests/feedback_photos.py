"""Reviewed training photos written straight into the database, as the review page leaves them;
a tiny base dataset and a tiny champion trained on it, for the retrain tests."""

import datetime
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from catsdogs.extensions import db
from catsdogs.models import Prediction, TrainingPhoto
from catsdogs.training.__main__ import main
from tests import model_versions
from tests.helpers import DATASET
from tests.test_training import WEIGHTS


def add_photo(app, jpeg: bytes, review: str | None, label: str | None, reviewer="reviewer-1"):
    """A prediction with both consents and its kept photo, reviewed as given; the photo's id."""
    with app.app_context():
        prediction = Prediction(
            inference_time_ms=12.0,
            prediction_result=label or "cat",
            proba_cat=0.5,
            proba_dog=0.5,
            model_version="test",
            rgpd_consent=True,
            training_consent=True,
            user_feedback=1,
        )
        db.session.add(prediction)
        db.session.flush()
        photo = TrainingPhoto(
            prediction_id=prediction.id,
            jpeg=jpeg,
            sha256=hashlib.sha256(jpeg).hexdigest(),
            width=64,
            height=48,
            review=review,
            label=label,
            reviewer=reviewer if review else None,
            reviewed_at=datetime.datetime.now(datetime.UTC) if review else None,
        )
        db.session.add(photo)
        db.session.commit()
        return photo.id


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
