"""candidates: a registry version's folder lies directly inside the model cache, or nowhere."""

import multiprocessing

import pytest

from catsdogs.registry.client import RegistryError
from catsdogs.serving.candidates import cache_folder, fetch
from tests.registry import model_versions


def test_a_version_number_is_a_folder_of_the_cache(tmp_path):
    assert cache_folder(tmp_path, "12") == tmp_path / "12"


@pytest.mark.parametrize("number", ["..", ".", "", "../victim", "1/2", "/etc", "1/../.."])
def test_a_version_naming_another_place_is_refused(tmp_path, number):
    with pytest.raises(RegistryError, match="names no folder in the model cache"):
        cache_folder(tmp_path, number)


@pytest.mark.system  # a real MLflow server
def test_two_workers_fetching_one_version_into_one_cache_both_get_it_whole(registry, tmp_path):
    """The workers of one service share its instance folder: their downloads must not collide."""
    version = model_versions.register(registry, model_versions.shipped(tmp_path / "v"))
    cache = tmp_path / "cache"
    cache.mkdir()
    fork = multiprocessing.get_context("fork")
    with fork.Pool(2) as pool:  # two processes, as two workers of `python wsgi.py`
        folders = pool.starmap(fetch, [(registry, version, cache)] * 2)
    assert folders == [cache / version.registry_version] * 2
    for suffix in (".onnx", ".json", ".md"):
        fetched = (cache / version.registry_version / f"catsdogs{suffix}").read_bytes()
        assert fetched == (tmp_path / "v" / f"catsdogs{suffix}").read_bytes()
    assert sorted(path.name for path in cache.iterdir()) == [version.registry_version]
