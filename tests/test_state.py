"""state: the app's own objects, installed and read back by name, per app."""

from pathlib import Path

import pytest

from catsdogs import state

PACKAGE = Path(state.__file__).parent
NAMES = list(state.KEYS)


@pytest.mark.parametrize("name", NAMES)
def test_install_replaces_an_object(app, name):
    first, second = object(), object()
    read = getattr(state, name)
    state.install(app, **{name: first})
    assert read(app) is first
    state.install(app, **{name: second})
    assert read(app) is second


@pytest.mark.parametrize("name", NAMES)
def test_accessors_read_the_current_app_or_the_one_given(make_app, name):
    mine, other = make_app(), make_app()
    state.install(mine, **{name: "mine"})
    state.install(other, **{name: "other"})
    read = getattr(state, name)
    with mine.app_context():
        assert read() == "mine" and read(other) == "other"


def test_an_unknown_name_is_refused(app):
    with pytest.raises(KeyError):
        state.install(app, model=object())


def test_only_the_state_module_spells_the_extension_keys():
    spelling = [
        path.relative_to(PACKAGE).as_posix()
        for path in sorted(PACKAGE.rglob("*.py"))
        if "extensions[" in path.read_text(encoding="utf-8")
    ]
    assert spelling == ["state.py"]
