"""The French catalog: complete, reviewed, in step with the sources, compiled, and packaged."""

import configparser
import fnmatch
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import ngettext, pgettext

from tests.helpers import ROOT

CATALOGS = ROOT / "catsdogs" / "translations"
PO = CATALOGS / "fr" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
REMEDY = "run `make translations`, translate what it adds, and commit the .po and .mo"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    with PO.open("rb") as file:
        return read_po(file, locale="fr")


def entries(catalog: Catalog) -> list:
    return [message for message in catalog if message.id]


def test_every_message_has_a_french_translation(catalog):
    untranslated = [m.id for m in entries(catalog) if not all(_strings(m))]
    assert untranslated == [], f"empty translations: {REMEDY}"


def test_no_translation_is_left_fuzzy(catalog):
    fuzzy = [m.id for m in entries(catalog) if m.fuzzy]
    assert fuzzy == [], "fuzzy entries are guesses: review them and remove the fuzzy flag"


def test_translations_keep_the_placeholders(catalog):
    problems = [(message.id, errors) for message, errors in catalog.check()]
    assert problems == []


def test_the_catalog_holds_exactly_the_words_of_the_sources(catalog):
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {
        message[0] if isinstance(message, tuple) else message
        for _, _, message, *_ in extract_from_dir(ROOT, method_map, options_map)
    }
    listed = {m.id[0] if isinstance(m.id, tuple) else m.id for m in entries(catalog)}
    assert found - listed == set(), f"words missing from the catalog: {REMEDY}"
    assert listed - found == set(), f"words no source uses any more: {REMEDY}"


def test_the_compiled_catalog_matches_the_po_file(catalog):
    with MO.open("rb") as file:
        compiled = read_mo(file)
    assert _texts(compiled) == _texts(catalog), f"stale .mo: {REMEDY}"


def test_the_compiled_catalogs_are_in_the_package_data():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    patterns = setup["options.package_data"]["catsdogs"].split(",")
    path = MO.relative_to(ROOT / "catsdogs").as_posix()
    assert any(fnmatch.fnmatch(path, pattern.strip()) for pattern in patterns)


def test_french_uses_non_breaking_spaces_before_high_punctuation(catalog):
    # French puts a non-breaking space before : ; ? ! and %, and inside « »: never a plain one.
    loose = [
        text
        for message in entries(catalog)
        for text in _strings(message)
        if re.search(r" [:;?!»]| %(?!\()|« ", text)
    ]
    assert loose == []


def test_french_plurals_have_two_forms_singular_up_to_one(catalog):
    # French says "0 photo relue", "1 photo relue", "2 photos relues": n > 1 takes the plural.
    assert (catalog.num_plurals, catalog.plural_expr) == (2, "(n > 1)")
    plurals = [m.id for m in entries(catalog) if m.pluralizable]
    assert plurals and all(len(catalog[m[0]].string) == 2 for m in plurals)


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("%(num)s reviewed", ("0 relue", "1 relue", "2 relues")),
        ("%(num)s rejected", ("0 rejetée", "1 rejetée", "2 rejetées")),
        ("%(num)s kept", ("0 gardée", "1 gardée", "2 gardées")),
    ],
)
def test_counts_take_the_french_plural_from_the_compiled_catalog(app, english, french):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert tuple(ngettext(english, english, n) for n in (0, 1, 2)) == french


def test_french_uses_typographic_apostrophes(catalog):
    straight = [text for m in entries(catalog) for text in _strings(m) if "'" in text]
    assert straight == [], "French writes ’, not '"


def _strings(message) -> tuple:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _texts(catalog: Catalog) -> dict:
    # read_mo gives a plural's forms as lists, read_po as tuples
    return {_tuple(m.id): _tuple(m.string) for m in entries(catalog)}


def _tuple(value):
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize(
    ("context", "french"), [("no comment", "aucun"), ("no proposed label", "aucune")]
)
def test_none_agrees_with_the_noun_it_stands_for(app, context, french):
    # "Commentaire : aucun", "Étiquette proposée : aucune": one English word, two French ones.
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert pgettext(context, "none") == french
