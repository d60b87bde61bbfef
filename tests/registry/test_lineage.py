"""Which versions an erasure reaches: the manifest's photos, the mark's tag, the refusal."""

import datetime
import hashlib
import json
from dataclasses import replace
from types import SimpleNamespace

import pytest

from catsdogs.extensions import db
from catsdogs.registry import lineage
from catsdogs.registry.client import Registry
from catsdogs.registry.lifecycle import erasure_problems
from catsdogs.registry.versions import RegisteredVersion
from catsdogs.serving.erasure_marks import ErasureMarks, marks_of
from catsdogs.serving.served_models import RegistryState
from catsdogs.store import records
from catsdogs.store.tables import TrainingPhoto
from tests.store.feedback_photos import keep_photo, small_jpeg

RUN = "0123456789abcdef0123456789abcdef"
MARK = lineage.MARK_TAG
NOW = datetime.datetime(2026, 12, 7, 13, 30, tzinfo=datetime.UTC)


def version(number="3", run_id=RUN, aliases=(), **tags) -> RegisteredVersion:
    return RegisteredVersion(number, run_id, "src", dict(tags), tuple(aliases), None)


def manifest(train=("a1",), holdout=("b2",), neither=("c3",)) -> dict:
    photos = [{"sha256": s, "part": "train"} for s in train]
    photos += [{"sha256": s, "part": "holdout"} for s in holdout]
    return {"photos": photos, "neither": {"photos": [{"sha256": s} for s in neither]}}


def test_every_photo_the_export_listed_counts_trained_held_out_and_neither():
    assert lineage.photos_in(manifest()) == {"a1", "b2", "c3"}
    assert lineage.photos_in({"photos": [{"sha256": "a1"}]}) == {"a1"}  # a /1 export
    assert lineage.erased_count(lineage.photos_in(manifest()), {"b2", "zz"}) == 1
    assert lineage.erased_count(lineage.photos_in(manifest()), set()) == 0


@pytest.mark.parametrize(
    ("tags", "run_id", "expected"),
    [
        ({"training_manifest": "manifest.json", "origin": "retrain"}, RUN, "manifest.json"),
        ({"origin": "retrain"}, RUN, "manifest.json"),  # registered before the tag existed
        ({"origin": "packaged"}, RUN, None),
        ({}, RUN, None),
        ({"training_manifest": "manifest.json"}, None, None),  # no run, nothing to read
    ],
)
def test_only_versions_trained_on_kept_photos_have_a_manifest(tags, run_id, expected):
    assert lineage.manifest_path(version(run_id=run_id, **tags)) == expected


def test_a_mark_is_written_when_the_count_changes_and_keeps_its_first_time():
    unmarked = version()
    first = lineage.marked(unmarked, 1, NOW)
    assert first == lineage.Mark(1, "2026-12-07T13:30:00+00:00")
    assert lineage.marked(unmarked, 0, NOW) is None
    tagged = version(erased_training_photos=first.tag_value())
    assert lineage.Mark.of(tagged) == first
    assert lineage.marked(tagged, 1, NOW + datetime.timedelta(days=1)) is None  # said already
    later = lineage.marked(tagged, 2, NOW + datetime.timedelta(days=1))
    assert later == lineage.Mark(2, first.since)


@pytest.mark.parametrize("value", ["", "3", "{}", '{"count": "x", "since": 1}', "[1]"])
def test_an_unreadable_mark_is_no_mark(value):
    assert lineage.Mark.of(version(erased_training_photos=value)) is None


def test_promotion_is_refused_for_a_marked_version_only():
    registry = Registry("http://127.0.0.1:9")  # never asked: the version is given
    mark = lineage.Mark(2, "2026-12-07T13:30:00+00:00")
    problems = erasure_problems(registry, version(erased_training_photos=mark.tag_value()))
    assert problems == [
        "version 3 was trained on 2 erased photo(s) (marked 2026-12-07T13:30:00+00:00): "
        "retrain without them (docs/personal-data.md)"
    ]
    assert erasure_problems(registry, version()) == []


def test_manifests_are_read_once_per_run_then_from_the_cache(tmp_path):
    registry = Registry("http://127.0.0.1:9", timeout=0.5)  # nothing listens: a call fails
    (tmp_path / f"{RUN}.json").write_text(json.dumps(["a1", "b2"]))
    manifests = lineage.Manifests(registry, tmp_path)
    tagged = version(training_manifest="manifest.json")
    assert manifests.photos(tagged) == {"a1", "b2"}
    (tmp_path / f"{RUN}.json").write_text("null")  # a run that had no manifest
    assert manifests.photos(tagged) is None
    assert manifests.photos(version(origin="packaged")) is None
    assert manifests.photos(version(run_id="../../etc", origin="retrain")) is None


def test_the_state_lists_marked_versions_with_their_aliases():
    mark = lineage.Mark(1, "2026-12-07T13:30:00+00:00")
    versions = [
        version("4", aliases=("champion",), erased_training_photos=mark.tag_value()),
        version("3"),
        version("2", aliases=("challenger",)),
    ]
    fresh = {"2": lineage.Mark(3, "2026-12-07T14:00:00+00:00")}
    assert marks_of(versions, fresh) == {
        "4": {"count": 1, "since": mark.since, "champion": True, "challenger": False},
        "2": {"count": 3, "since": fresh["2"].since, "champion": False, "challenger": True},
    }


class StubRegistry:
    """The registry calls the marks make: the versions, and the tags they write."""

    def __init__(self, versions):
        self.listed, self.tags = versions, []

    def versions(self):
        return self.listed

    def set_tag(self, number, key, value):
        self.tags.append((number, key, json.loads(value)["count"]))
        self.listed = [
            replace(v, tags=v.tags | {key: value}) if v.registry_version == number else v
            for v in self.listed
        ]


class CountingManifests:
    """Manifests whose photos are given, counting the versions asked about."""

    def __init__(self, registry, photos):
        self.registry, self.photos_of, self.asked = registry, photos, []

    def photos(self, version):
        self.asked.append(version.registry_version)
        return self.photos_of.get(version.registry_version)


def test_the_poll_compares_only_new_erasures_and_new_versions(app, tmp_path):
    first, second = small_jpeg((1, 1, 1)), small_jpeg((2, 2, 2))
    registry = StubRegistry([version("2", origin="retrain"), version("1", origin="packaged")])
    models = SimpleNamespace(
        registry=registry, state=RegistryState(True), champion=SimpleNamespace(registry_version="2")
    )
    told = []
    marks = ErasureMarks(app, models, tmp_path, told.append)
    marks.manifests = manifests = CountingManifests(
        registry, {"2": {hashlib.sha256(first).hexdigest(), "x"}, "3": {"y"}}
    )

    def erase(jpeg):
        with app.app_context():
            photo = db.session.get(TrainingPhoto, keep_photo(jpeg=jpeg))
            records.erase(photo.prediction_id)

    marks.check()
    assert manifests.asked == ["2", "1"] and registry.tags == []  # every version, once
    marks.check()
    assert manifests.asked == ["2", "1"]  # nothing new: no manifest is asked for
    erase(first)
    marks.check()  # a new erasure: every version compared again
    assert manifests.asked[2:] == ["2", "1"] and registry.tags == [("2", MARK, 1)]
    assert told == [{"registry_version": "2", "count": 1, "since": told[0]["since"]}]
    assert models.state.marked["2"]["count"] == 1
    registry.listed = [version("3", origin="retrain"), *registry.listed]
    marks.check()  # a new version: it alone
    assert manifests.asked[4:] == ["3"]
    erase(second)  # a photo no version was trained on
    marks.check()
    assert registry.tags == [("2", MARK, 1)] and len(told) == 1
    models.state.reachable = False  # the aliases' check just failed: no second call to fail
    registry.versions = None
    marks.check()
