"""The README's commands, as a new user types them into a fresh shell (no venv activated)."""

import re

import pytest

from catsdogs.training.__main__ import DEFAULT_DATA, DEFAULT_WEIGHTS, SHARED
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
FLASK_COMMAND = re.compile(r"(\S*)flask --app catsdogs ([\w-]+)")


def test_every_flask_command_names_the_venv_s_flask():
    commands = FLASK_COMMAND.findall(README)
    assert commands, "the README shows no flask command"
    assert [prefix for prefix, _ in commands if not prefix.endswith(".venv/bin/")] == []


def test_every_flask_command_is_one_the_app_has(app):
    known = set(app.cli.list_commands(None)) | {"db"}  # db: Flask-Migrate's group
    assert {name for _, name in FLASK_COMMAND.findall(README)} <= known


@pytest.mark.parametrize("target", sorted(set(re.findall(r"`make ([\w-]+)", README))))
def test_every_make_target_exists(target):
    assert re.search(rf"^{target}:", MAKEFILE, re.MULTILINE), f"no `{target}` target"


def test_make_run_s_port_and_address_are_documented_and_used():
    assert "make run PORT=8080 HOST=0.0.0.0" in README
    run = MAKEFILE.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "--host $(HOST) --port $(PORT)" in run


def test_the_pages_the_readme_names_are_served(app):
    served = {rule.rule for rule in app.url_map.iter_rules()}
    for page in ("/monitoring", "/info", "/docs"):
        assert f"`{page}`" in README and page in served


@pytest.mark.parametrize("path", [DEFAULT_DATA, DEFAULT_WEIGHTS])
def test_the_readme_says_what_shared_holds(path):
    assert f"`../shared/{path.relative_to(SHARED)}`" in README
