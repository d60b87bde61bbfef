"""How the app is wired: create_app lists each concern's `init_app`, and nothing reaches for the
app behind a service's back (`current_app` belongs to views and `init_app` functions)."""

import ast
from pathlib import Path

import pytest
from flask import Flask

import catsdogs
from catsdogs import monitoring, serving, store
from catsdogs.store.database_watch import DatabaseWatch
from catsdogs.serving.classify import Classification
from catsdogs.serving.served_models import ModelWatch, Serving
from catsdogs.serving.shadow import ShadowWorker
from catsdogs.store.records import Writer
from catsdogs.store.retention import RetentionPurge
from catsdogs.store.spool import Spool

PACKAGE = Path(catsdogs.__file__).parent
# View code: the request handlers of api/ and web/, and the command handlers of the `flask` CLI.
VIEWS = ("api/", "web/", "cli.py", "registry/cli.py", "store/dataset_cli.py")
CONCERNS = {monitoring: "catsdogs.monitoring", store: "catsdogs.store", serving: "catsdogs.serving"}


def modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


FUNCTIONS = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


def nested_functions(tree: ast.Module) -> list[str]:
    """The functions and lambdas defined inside the module's functions."""
    return [
        f"{type(inner).__name__}:{inner.lineno}"
        for outer in ast.walk(tree)
        if isinstance(outer, FUNCTIONS)
        for inner in ast.walk(outer)
        if inner is not outer and isinstance(inner, FUNCTIONS | ast.ClassDef)
    ]


def test_the_factory_module_has_no_nested_function():
    """No closure in the factory carries behaviour: what happens on a model swap, a shadow
    answer or a database change lives in the concern that owns it."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    assert nested_functions(tree) == []


def test_create_app_is_the_factory_modules_only_function():
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    assert [n.name for n in tree.body if isinstance(n, FUNCTIONS)] == ["create_app"]


def test_the_check_sees_a_closure():
    factory = ast.parse(
        "def create_app():\n    def on_event(kind):\n        pass\n    f = lambda: 1\n"
    )
    assert nested_functions(factory) == ["FunctionDef:2", "Lambda:4"]


def current_app_outside_views_and_init_app(name: str, tree: ast.Module) -> list[str]:
    """Where `name`'s module says current_app outside a function named init_app."""
    inside_init_app = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef) and function.name == "init_app"
        for node in ast.walk(function)
    }
    return [
        f"{name}:{node.lineno}"
        for node in ast.walk(tree)
        if (
            (isinstance(node, ast.Name) and node.id == "current_app")
            or (isinstance(node, ast.alias) and node.name == "current_app")
            or (isinstance(node, ast.Attribute) and node.attr == "current_app")
        )
        and id(node) not in inside_init_app
    ]


def test_current_app_is_only_used_by_views_and_init_app():
    found = [
        place
        for name, tree in modules()
        if not name.startswith(VIEWS)
        for place in current_app_outside_views_and_init_app(name, tree)
    ]
    assert found == [], "services take what they use as arguments, not from current_app"


def test_the_check_sees_current_app_in_a_service():
    service = ast.parse(
        "from flask import current_app\n\n"
        "def init_app(app):\n    return current_app.config\n\n"
        "def record():\n    current_app.extensions['x'].record()\n"
    )
    assert current_app_outside_views_and_init_app("service.py", service) == [
        "service.py:1",
        "service.py:7",
    ]


def test_only_each_concerns_package_spells_its_extension_key():
    spelling = [name for name, tree in modules() if "extensions[" in ast.unparse(tree)]
    assert spelling == ["monitoring/__init__.py", "serving/__init__.py", "store/__init__.py"]


def test_init_app_builds_each_concerns_objects_once_per_app(app):
    assert monitoring.parts(app).model_health.telemetry is monitoring.parts(app).telemetry
    built = store.parts(app)
    assert isinstance(built.spool, Spool) and isinstance(built.writer, Writer)
    assert isinstance(built.purge, RetentionPurge)
    assert isinstance(built.database_watch, DatabaseWatch)
    served = serving.parts(app)
    assert isinstance(served.models, Serving) and isinstance(served.shadow, ShadowWorker)
    assert isinstance(served.model_watch, ModelWatch)
    assert isinstance(served.classification, Classification)
    assert served.classifier is served.models.champion.classifier


def test_collaborators_are_handed_over_at_construction(app):
    watched, built, served = monitoring.parts(app), store.parts(app), serving.parts(app)
    assert built.writer.spool is built.spool and built.writer.telemetry is watched.telemetry
    assert built.database_watch.spool is built.spool
    assert built.purge.telemetry is watched.telemetry
    service = served.classification
    assert (service.models, service.writer, service.shadow) == (
        served.models,
        built.writer,
        served.shadow,
    )
    assert service.model_health is watched.model_health
    assert served.models.on_event.models is served.models  # model events follow these models


@pytest.mark.parametrize("concern", list(CONCERNS), ids=list(CONCERNS.values()))
def test_each_app_has_its_own_objects(make_app, concern):
    mine, other = make_app(), make_app()
    assert concern.parts(mine) is concern.parts(mine)
    assert concern.parts(mine) is not concern.parts(other)
    assert mine.extensions[CONCERNS[concern]] is concern.parts(mine)


@pytest.mark.parametrize("concern", list(CONCERNS), ids=list(CONCERNS.values()))
def test_an_app_without_the_concern_says_so(concern):
    with pytest.raises(KeyError):
        concern.parts(Flask(__name__))
