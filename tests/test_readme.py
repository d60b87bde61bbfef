"""The README and docs/, read as a new user does: commands typed into a fresh shell, links
followed, a folder map laid beside the folders, a settings table beside config.py."""

import io
import re
import shlex
import subprocess

import pytest

from catsdogs import config
from catsdogs.training.__main__ import DEFAULT_DATA, DEFAULT_WEIGHTS, SHARED
from tests.helpers import ROOT, image_bytes

README = (ROOT / "README.md").read_text()
DOCS = {path: path.read_text() for path in sorted((ROOT / "docs").glob("*.md"))}
WRITTEN = {ROOT / "README.md": README, **DOCS}
# What a new user follows from a fresh shell, no venv activated (the other docs say where their
# commands run: in a container, in the activated venv).
FRESH_SHELL = README + "".join(DOCS[ROOT / "docs" / name] for name in ("development.md", "api.md"))
FIRST_SCREEN = README.split("\n## ", 1)[0]
MAKEFILE = (ROOT / "Makefile").read_text()
FLASK_COMMAND = re.compile(r"(\S*)flask --app catsdogs ([\w-]+)")
# `make x` in backquotes (after any VAR=value) or at the start of a line in a shell block.
MAKE_TARGET = re.compile(r"(?:`(?:[A-Z_]+=\S+ )*|^)make ([\w-]+)", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def shell_commands(text: str) -> list[str]:
    """The commands of a text's shell blocks, continuation lines joined."""
    blocks = re.findall(r"^```sh\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    return [line for block in blocks for line in block.replace("\\\n", " ").splitlines()]


def test_the_first_screen_says_what_it_is_the_two_commands_and_a_first_call():
    assert len(FIRST_SCREEN.splitlines()) <= 30
    commands = shell_commands(FIRST_SCREEN)
    assert [c.split("#")[0].strip() for c in commands[:2]] == ["make run", "make test"]
    assert "make check" in FIRST_SCREEN and "make help" in FIRST_SCREEN
    assert any(c.startswith("curl ") for c in commands)


def test_every_flask_command_names_the_venv_s_flask():
    commands = FLASK_COMMAND.findall(FRESH_SHELL)
    assert commands, "the README shows no flask command"
    assert [prefix for prefix, _ in commands if not prefix.endswith(".venv/bin/")] == []


def test_every_flask_command_is_one_the_app_has(app):
    known = set(app.cli.list_commands(None)) | {"db"}  # db: Flask-Migrate's group
    named = {name for text in WRITTEN.values() for _, name in FLASK_COMMAND.findall(text)}
    assert named <= known


@pytest.mark.parametrize(
    "target", sorted({t for text in WRITTEN.values() for t in MAKE_TARGET.findall(text)})
)
def test_every_make_target_exists(target):
    assert re.search(rf"^{target}:", MAKEFILE, re.MULTILINE), f"no `{target}` target"


def makefile_targets() -> set[str]:
    """The targets a person types: every rule's name but files ($(VENV)/...) and specials."""
    named = re.findall(r"^([\w.-]+):(?!=)", MAKEFILE, re.MULTILINE)
    return {name for name in named if name not in (".PHONY", ".DEFAULT_GOAL")}


def test_a_bare_make_lists_every_target_with_what_it_does():
    done = subprocess.run(
        ["make", "--no-print-directory"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    listed = dict(line.split(maxsplit=1) for line in done.stdout.splitlines())
    assert sorted(listed) == sorted(makefile_targets())
    assert all(len(what.split()) >= 3 for what in listed.values()), listed


def test_make_run_s_port_and_address_are_documented_and_used():
    assert "make run PORT=8080 HOST=0.0.0.0" in README
    run = MAKEFILE.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "--host $(HOST) --port $(PORT)" in run


def test_the_pages_the_readme_names_are_served(app):
    served = {rule.rule for rule in app.url_map.iter_rules()}
    for page in ("/monitoring", "/info", "/docs"):
        assert f"`{page}`" in README and page in served


@pytest.mark.parametrize("path", [DEFAULT_DATA, DEFAULT_WEIGHTS])
def test_the_docs_say_what_shared_holds(path):
    assert f"`../shared/{path.relative_to(SHARED)}`" in DOCS[ROOT / "docs" / "development.md"]


def anchors(text: str) -> set[str]:
    """GitHub's anchors for a Markdown text's headings."""
    headings = re.findall(r"^#+ (.+)$", FENCE.sub("", text), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("source", sorted(WRITTEN), ids=lambda p: p.name)
def test_every_link_leads_to_a_file_and_heading_that_exist(source):
    for target in LINK.findall(FENCE.sub("", WRITTEN[source])):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        path, _, anchor = target.partition("#")
        file = (source.parent / path).resolve() if path else source
        assert file.exists(), f"{source.name} links to {target}: no such file"
        if anchor:
            assert anchor in anchors(file.read_text()), f"{source.name}: no heading {target}"


def folder_map() -> list[str]:
    """The folders the README's map names, in its order."""
    block = README.split("## Where things are", 1)[1].split("```", 2)[1]
    return [name for line in block.splitlines() for name in line.split("  ")[0].split()]


def test_the_folder_map_names_folders_that_exist():
    named = folder_map()
    assert named and all(name.endswith("/") for name in named)
    assert [name for name in named if not (ROOT / name).is_dir()] == []


def holds_files(folder) -> bool:
    """Whether a folder holds more than bytecode (a moved folder may leave its own behind)."""
    return not folder.name.startswith(("_", ".")) and any(
        path.name != "__pycache__" for path in folder.iterdir()
    )


def test_every_folder_of_the_package_is_on_the_map():
    folders = {
        f"catsdogs/{path.name}/"
        for path in (ROOT / "catsdogs").iterdir()
        if path.is_dir() and holds_files(path)
    }
    assert folders - set(folder_map()) == set()


def settings_documented() -> set[str]:
    """The variables the first column of docs/configuration.md's table names."""
    rows = re.findall(r"^\| (`.+?) \|", DOCS[ROOT / "docs" / "configuration.md"], re.MULTILINE)
    return {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row)}


def settings_read() -> set[str]:
    """The environment variables catsdogs/config.py reads."""
    source = (ROOT / "catsdogs" / "config.py").read_text()
    named = re.findall(r"environ(?:\.get\(|\[)\s*\"([A-Z_]+)\"", source)
    return set(config.ENVIRONMENT) | set(named)


def test_the_configuration_reference_lists_every_setting_the_app_reads():
    assert settings_read() - settings_documented() == set()
    assert settings_documented() - settings_read() == set()


def replay(client, command: str, token: str, photo: bytes):
    """Send what a README `curl` command sends, through the test client."""
    words = shlex.split(command.replace("$TOKEN", token))[1:]
    method, headers, form, body, url = None, {}, {}, None, None
    pairs = iter(words)
    for word in pairs:
        if word == "-H":
            name, _, value = next(pairs).partition(": ")
            headers[name] = value
        elif word == "-F":
            name, _, value = next(pairs).partition("=")
            form[name] = (io.BytesIO(photo), value[1:]) if value.startswith("@") else value
        elif word == "-d":
            body = next(pairs)
        elif word == "-X":
            method = next(pairs)
        else:
            url = word
    assert url and url.startswith("http://127.0.0.1:8000/"), command  # where `make run` serves
    method = method or ("POST" if form or body else "GET")
    path = url.removeprefix("http://127.0.0.1:8000")
    if form:
        return client.open(path, method=method, headers=headers, data=form)
    return client.open(path, method=method, headers=headers, data=body)


def token_as_written(app, text: str) -> str:
    """Run the text's `TOKEN=$(... flask --app catsdogs ...)` line after `make run`'s steps."""
    command = re.search(r"^TOKEN=\$\(\.venv/bin/flask --app catsdogs (.+)\)$", text, re.M)
    assert command, "no TOKEN line"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["api-token"]).exit_code == 0  # as `make run` does first
    shown = runner.invoke(args=command.group(1).split())
    assert shown.exit_code == 0, shown.output
    return shown.output.strip()


def test_the_first_screen_s_curl_works_as_written(make_app):
    app = make_app(API_TOKENS={})  # as on a fresh clone: `make run` generates the token
    token = token_as_written(app, FIRST_SCREEN)
    curl = next(c for c in shell_commands(FIRST_SCREEN) if c.startswith("curl "))
    response = replay(app.test_client(), curl, token, image_bytes(size=(224, 224), fmt="JPEG"))
    assert response.status_code == 200, response.get_json()
    told = re.search(r"`(\{.*?\})`", FIRST_SCREEN).group(1)  # the answer the README shows
    assert set(re.findall(r'"(\w+)":', told)) <= set(response.get_json())
    assert response.get_json()["prediction"] in ("cat", "dog")


def test_the_api_reference_s_curls_work_as_written_in_order(make_app):
    app = make_app(API_TOKENS={})
    text = DOCS[ROOT / "docs" / "api.md"]
    token, client = token_as_written(app, text), app.test_client()
    curls = [c for c in shell_commands(text) if c.startswith("curl ")]
    assert len(curls) >= 5
    photo = image_bytes(size=(224, 224), fmt="JPEG")
    for curl in curls:
        response = replay(client, curl, token, photo)
        assert response.status_code < 300, (curl, response.status_code, response.get_data())


def test_retrain_md_opens_with_the_newcomer_s_path():
    text = DOCS[ROOT / "docs" / "retrain.md"]
    first = text.split("\n## The feedback dataset", 1)[0]
    assert [c.split("#")[0].strip() for c in shell_commands(first)[:2]] == [
        "make nonpet",
        "make retrain",
    ]
    assert "/path/to" not in first  # nothing a newcomer has to invent
    words = " ".join(first.split())
    assert "0 reviewed photos: review some on /review first" in words
    assert "`make retrain RETRAIN_ARGS=--allow-empty`" in words


def test_what_make_retrain_says_before_installing_is_what_the_docs_measured():
    recipe = MAKEFILE.split("\nretrain:", 1)[1].split("\n\n", 1)[0]
    told = re.search(r"installs TensorFlow into .*?\((.*?)\)", recipe.replace('" \\\n\t\t"', " "))
    assert told, recipe
    retrain = DOCS[ROOT / "docs" / "retrain.md"]
    for figure in re.findall(r"[\d.]+ [MG]B", told.group(1)):
        assert figure in retrain, figure
    minutes = re.search(r"(\d+ to \d+ minutes)", recipe)
    assert minutes and minutes.group(1) in retrain
