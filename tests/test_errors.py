"""The one error table: every code raised in catsdogs/ has a status, an English sentence, French
words for the pages and its own metric label."""

import ast
import inspect

import pytest
from babel.support import Translations
from prometheus_client import CollectorRegistry
from werkzeug import exceptions

from catsdogs.errors import ERRORS, STATUS_CODES, ServiceError, lookup, status_for
from catsdogs.monitoring.metrics import Telemetry
from tests.helpers import ROOT

PACKAGE = ROOT / "catsdogs"
# Modules that only pass on codes raised elsewhere (the JSON formatter answers them all).
PASSING_ON = {"catsdogs/api/errors.py"}
# Words that read the same in French (none today): listed here, they pass as translated.
SAME_IN_FRENCH: set[str] = set()
# Werkzeug's exceptions by name (NotFound, Gone...), as views raise them.
HTTP_ERRORS = {
    name: cls.code
    for name, cls in vars(exceptions).items()
    if inspect.isclass(cls) and issubclass(cls, exceptions.HTTPException) and cls.code
}


def scan(sources: dict[str, str]) -> tuple[set[str], list[str]]:
    """The codes the sources raise, and where a code is not a literal this scan can read.

    Seen: ServiceError(code, ...) and its subclasses, error_response(status, code, ...),
    record_error(code), abort(status) and Werkzeug's exceptions (by the status's code,
    "HTTP <status>" when no code stands for it)."""
    trees = {name: ast.parse(text) for name, text in sources.items()}
    raisers = {"ServiceError"} | subclasses("ServiceError", trees.values())
    codes, unreadable = set(), []
    for name, tree in trees.items():
        for node in ast.walk(tree):
            callee = _name(node.func) if isinstance(node, ast.Call) else None
            if callee in raisers:
                code = _argument(node, 0, "code")
            elif callee == "error_response":
                code = _argument(node, 1, "code")
            elif callee == "record_error" and _argument(node, 0, "code") is not None:
                code = _argument(node, 0, "code")
            elif callee == "abort" or callee in HTTP_ERRORS:
                status = HTTP_ERRORS.get(callee) or _literal(_argument(node, 0, "code"))
                code = ast.Constant(STATUS_CODES.get(status, f"HTTP {status}"))
            else:
                continue
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                codes.add(code.value)
            elif callee != "record_error" and name not in PASSING_ON:
                unreadable.append(f"{name}:{node.lineno}")
    return codes, unreadable


def subclasses(base: str, trees) -> set[str]:
    """The names of the classes that derive from `base`, however deep."""
    found, parents = set(), {base}
    while True:
        new = {
            node.name
            for tree in trees
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and {_name(b) for b in node.bases} & parents
        } - found
        if not new:
            return found
        found |= new
        parents |= new


def _name(node: ast.AST) -> str | None:
    return node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)


def _argument(call: ast.Call, position: int, keyword: str) -> ast.AST | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _literal(node: ast.AST | None):
    return node.value if isinstance(node, ast.Constant) else None


@pytest.fixture(scope="module")
def raised() -> set[str]:
    files = {p.relative_to(ROOT).as_posix(): p.read_text() for p in PACKAGE.rglob("*.py")}
    codes, unreadable = scan(files)
    assert unreadable == [], "spell each error code as a string literal, so the table is checked"
    return codes


@pytest.fixture(scope="module")
def french() -> Translations:
    return Translations.load(PACKAGE / "translations", ["fr"])


def test_every_code_raised_is_in_the_table(raised):
    assert {"no_consent", "invalid_tensor", "token_in_query", "not_found"} <= raised  # sees all
    assert raised - set(ERRORS) == set(), "add each new code to ERRORS in catsdogs/errors.py"


def test_the_scan_sees_every_way_to_raise_a_code():
    source = """
class PhotoError(ServiceError): ...
class SmallPhotoError(PhotoError): ...
raise ServiceError("a", "...")
raise SmallPhotoError(code="b", message="...")
error_response(401, "c", "...")
telemetry.record_error("d")
telemetry.record_error(error.code)
abort(404)
raise exceptions.Gone()
raise ServiceError(name, "...")
"""
    codes, unreadable = scan({"example.py": source})
    assert codes == {"a", "b", "c", "d", "not_found", "HTTP 410"}
    assert unreadable == ["example.py:11"]


@pytest.mark.parametrize("code", ERRORS)
def test_each_code_has_a_status_and_an_english_sentence(code):
    entry = ERRORS[code]
    assert 400 <= entry.status < 600 and status_for(ServiceError(code, "...")) == entry.status
    assert entry.sentence.isascii() and entry.sentence.endswith(".")


@pytest.mark.parametrize("code", ERRORS)
def test_each_code_s_page_words_are_translated_in_the_compiled_catalog(code, french):
    for words in (ERRORS[code].words, ERRORS[code].title):
        assert french.gettext(words) != words or words in SAME_IN_FRENCH, words


def test_each_code_has_its_own_metric_label_from_the_first_scrape():
    registry = CollectorRegistry()
    Telemetry(registry, None)
    for code in ERRORS:
        assert registry.get_sample_value("cv_errors_total", {"code": code}) == 0, code


def test_each_http_status_with_a_code_keeps_it():
    assert {status: ERRORS[code].status for status, code in STATUS_CODES.items()} == {
        **{status: status for status in STATUS_CODES},
        422: 400,  # webargs' validation errors are a 400 for the clients
    }


def test_a_code_missing_from_the_table_is_a_500_not_a_key_error():
    assert lookup("brand_new").status == 500
