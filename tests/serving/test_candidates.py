"""candidates: a registry version's folder lies directly inside the model cache, or nowhere."""

import pytest

from catsdogs.registry.client import RegistryError
from catsdogs.serving.candidates import cache_folder


def test_a_version_number_is_a_folder_of_the_cache(tmp_path):
    assert cache_folder(tmp_path, "12") == tmp_path / "12"


@pytest.mark.parametrize("number", ["..", ".", "", "../victim", "1/2", "/etc", "1/../.."])
def test_a_version_naming_another_place_is_refused(tmp_path, number):
    with pytest.raises(RegistryError, match="names no folder in the model cache"):
        cache_folder(tmp_path, number)
