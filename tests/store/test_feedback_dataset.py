"""`flask dataset export`: the reviewed photos as PetImages, those labelled neither a cat nor a
dog in neither/, with a manifest (SQLite and PostgreSQL)."""

import datetime
import hashlib
import json
import random

import pytest

from catsdogs.store.feedback_manifest import ManifestError, content_hash, part_of, read
from catsdogs.store.tables import utc_now
from tests.store.feedback_photos import add_photo, keep_photo
from tests.helpers import image_bytes


def jpeg(number: int) -> bytes:
    """A distinct small JPEG for each number."""
    return image_bytes(fmt="JPEG", color=(number % 256, number // 256 % 256, 77))


def add_neither(app, jpeg: bytes) -> int:
    """A kept photo (the model said cat, 👍) a reviewer labelled neither a cat nor a dog."""
    with app.app_context():
        decided = {"review": "corrected", "reviewer": "ann", "reviewed_at": utc_now()}
        return keep_photo("cat", 1, jpeg=jpeg, label="neither", **decided)


def export(runner, out):
    result = runner.invoke(args=["dataset", "export", "--out", str(out)])
    manifest = json.loads((out / "manifest.json").read_text()) if result.exit_code == 0 else None
    return result, manifest


def test_export_writes_only_reviewed_photos_in_the_petimages_layout(app, runner, tmp_path):
    cat, dog, rejected, waiting = jpeg(1), jpeg(2), jpeg(3), jpeg(4)
    cat_id = add_photo(app, cat, "confirmed", "cat", reviewer="ann")
    dog_id = add_photo(app, dog, "corrected", "dog", reviewer="bob")
    add_photo(app, rejected, "rejected", None)
    add_photo(app, waiting, None, None)

    result, manifest = export(runner, tmp_path / "out")

    assert result.exit_code == 0, result.output
    assert "Exported 2 reviewed photos" in result.output
    files = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.jpg")
    )
    sha = {name: hashlib.sha256(data).hexdigest() for name, data in (("cat", cat), ("dog", dog))}
    assert files == [f"PetImages/Cat/{sha['cat'][:16]}.jpg", f"PetImages/Dog/{sha['dog'][:16]}.jpg"]
    assert (tmp_path / "out" / files[0]).read_bytes() == cat
    by_label = {p["label"]: p for p in manifest["photos"]}
    assert by_label["cat"]["photo_id"] == cat_id and by_label["dog"]["photo_id"] == dog_id
    assert by_label["cat"]["label_source"] == "feedback confirmed"
    assert by_label["dog"]["label_source"] == "reviewer corrected"
    assert (by_label["cat"]["reviewer"], by_label["dog"]["reviewer"]) == ("ann", "bob")
    assert by_label["cat"]["sha256"] == sha["cat"]
    reviewed = datetime.datetime.fromisoformat(by_label["cat"]["reviewed_at"])
    assert reviewed.utcoffset() == datetime.timedelta(0)  # in UTC and saying so, on SQLite too
    assert manifest["exported_at"].endswith("+00:00")
    assert by_label["cat"]["prediction_id"] and by_label["cat"]["part"] == part_of(sha["cat"])
    counts = manifest["counts"]
    assert counts["total"] == 2
    assert (
        sum(counts[part][label] for part in ("train", "holdout") for label in ("cat", "dog")) == 2
    )
    assert manifest["content_hash"] == content_hash(manifest["photos"])


def test_the_hold_out_is_a_fifth_by_hash_and_never_moves(app, runner, tmp_path):
    for number in range(40):
        add_photo(app, jpeg(number), "confirmed", ("cat", "dog")[number % 2])
    _, first = export(runner, tmp_path / "first")
    for number in range(40, 60):
        add_photo(app, jpeg(number), "corrected", ("cat", "dog")[number % 2])
    _, second = export(runner, tmp_path / "second")

    parts = {p["sha256"]: p["part"] for p in second["photos"]}
    assert all(parts[p["sha256"]] == p["part"] for p in first["photos"])
    assert all(p["part"] == ("holdout" if int(p["sha256"][:8], 16) % 5 == 0 else "train")
               for p in second["photos"])  # fmt: skip
    held = [p for p in second["photos"] if p["part"] == "holdout"]
    assert 0 < len(held) < 30  # about one in five of 60
    assert second["counts"]["holdout"]["cat"] + second["counts"]["holdout"]["dog"] == len(held)
    assert second["content_hash"] != first["content_hash"]


def test_the_content_hash_depends_on_the_photos_only(app, runner, tmp_path):
    for number in range(6):
        add_photo(app, jpeg(number), "confirmed", "dog")
    _, first = export(runner, tmp_path / "first")
    add_photo(app, jpeg(99), "rejected", None)  # neither rejected nor waiting photos count
    add_photo(app, jpeg(98), None, None)
    _, second = export(runner, tmp_path / "second")

    assert second["content_hash"] == first["content_hash"]
    assert second["exported_at"] != first["exported_at"]
    shuffled = list(first["photos"])
    random.Random(3).shuffle(shuffled)
    assert content_hash(shuffled) == first["content_hash"]
    relabelled = [dict(shuffled[0], label="cat"), *shuffled[1:]]
    assert content_hash(relabelled) != first["content_hash"]


def test_a_photo_sent_twice_is_exported_once(app, runner, tmp_path):
    add_photo(app, jpeg(5), "confirmed", "cat")
    add_photo(app, jpeg(5), "confirmed", "cat")

    result, manifest = export(runner, tmp_path / "out")

    assert manifest["counts"]["total"] == 1 and manifest["duplicates_skipped"] == 1
    assert len(list((tmp_path / "out").rglob("*.jpg"))) == 1
    assert "1 duplicates skipped" in result.output


def test_an_export_replaces_an_earlier_one_but_no_other_folder(app, runner, tmp_path):
    add_photo(app, jpeg(1), "confirmed", "cat")
    out = tmp_path / "out"
    export(runner, out)
    with app.app_context():
        from catsdogs.extensions import db
        from catsdogs.store.tables import TrainingPhoto

        db.session.query(TrainingPhoto).update({"review": "rejected", "label": None})
        db.session.commit()
    add_photo(app, jpeg(2), "confirmed", "dog")

    result, manifest = export(runner, out)

    assert result.exit_code == 0, result.output
    assert [p.parent.name for p in out.rglob("*.jpg")] == ["Dog"]  # the rejected cat is gone
    assert manifest["counts"]["total"] == 1

    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    refused = runner.invoke(args=["dataset", "export", "--out", str(other)])
    assert refused.exit_code == 1
    assert "is not empty and holds no earlier export" in refused.output
    assert "Traceback" not in refused.output
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


def test_an_empty_export_is_refused_unless_allowed_and_then_valid(app, runner, tmp_path):
    refused, _ = export(runner, tmp_path / "out")
    assert refused.exit_code == 1
    assert "0 reviewed photos: review some on /review first" in refused.output

    result = runner.invoke(
        args=["dataset", "export", "--out", str(tmp_path / "out"), "--allow-empty"]
    )
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert result.exit_code == 0
    assert manifest["counts"] == {
        "train": {"cat": 0, "dog": 0},
        "holdout": {"cat": 0, "dog": 0},
        "total": 0,
    }


def test_neither_photos_go_apart_and_leave_the_cats_and_dogs_as_they_were(app, runner, tmp_path):
    for number in range(4):  # colours far apart: JPEG gives near ones the same bytes
        add_photo(app, jpeg(23 * number), "confirmed", ("cat", "dog")[number % 2])
    _, before = export(runner, tmp_path / "before")
    nothing = [jpeg(23 * number + 100) for number in range(10)]
    for photo in nothing:
        add_neither(app, photo)

    result, manifest = export(runner, tmp_path / "out")

    assert result.exit_code == 0, result.output
    assert "Exported 4 reviewed photos" in result.output
    assert "and 10 neither a cat nor a dog in neither/" in result.output
    assert manifest["format"] == "catsdogs-feedback-dataset/2"
    assert manifest["photos"] == before["photos"] and manifest["counts"] == before["counts"]
    apart = manifest["neither"]
    shas = sorted(hashlib.sha256(photo).hexdigest() for photo in nothing)
    assert sorted(p["sha256"] for p in apart["photos"]) == shas
    assert {p["file"] for p in apart["photos"]} == {f"neither/{sha[:16]}.jpg" for sha in shas}
    assert all(p["label"] == "neither" and p["part"] == part_of(p["sha256"])
               for p in apart["photos"])  # fmt: skip
    held = sum(part_of(sha) == "holdout" for sha in shas)
    assert apart["counts"] == {"train": 10 - held, "holdout": held, "total": 10}
    assert apart["folder"] == "neither/" and "calibration" in apart["use"]
    files = {p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.jpg")}
    assert {p["file"] for p in apart["photos"]} <= files
    assert not any(f.startswith("PetImages/") and "neither" in f for f in files)
    # The hash covers them: a retrain calibrating on other neither photos is another dataset.
    assert manifest["content_hash"] == content_hash(manifest["photos"] + apart["photos"])
    assert manifest["content_hash"] != before["content_hash"]
    assert read(tmp_path / "out")["neither"]["counts"]["total"] == 10


def test_a_neither_photo_missing_from_its_folder_is_found(app, runner, tmp_path):
    add_neither(app, jpeg(1))
    _, manifest = export(runner, tmp_path / "out")
    (tmp_path / "out" / manifest["neither"]["photos"][0]["file"]).unlink()
    with pytest.raises(ManifestError, match="1 photos are missing, e.g. neither/"):
        read(tmp_path / "out")


def test_an_export_replaces_an_earlier_neither_folder(app, runner, tmp_path):
    photo_id = add_neither(app, jpeg(1))
    out = tmp_path / "out"
    export(runner, out)
    with app.app_context():
        from catsdogs.store import review

        review.review(photo_id, "cat", "ann")

    result, manifest = export(runner, out)

    assert result.exit_code == 0, result.output
    assert not (out / "neither").exists() and manifest["neither"]["counts"]["total"] == 0
    assert [p.parent.name for p in out.rglob("*.jpg")] == ["Cat"]


def test_an_export_of_the_first_format_is_still_read(app, runner, tmp_path):
    add_photo(app, jpeg(1), "confirmed", "cat")
    _, manifest = export(runner, tmp_path / "out")
    del manifest["neither"]
    manifest["format"] = "catsdogs-feedback-dataset/1"
    (tmp_path / "out" / "manifest.json").write_text(json.dumps(manifest))
    assert read(tmp_path / "out")["counts"]["total"] == 1
    assert export(runner, tmp_path / "out")[0].exit_code == 0  # and replaced
