"""Translations: the catalog matches the code, every .mo is its .po, no screen holds unmarked
English, Hindi has every message and Marathi the till's, and scripts only use strings they are
sent."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from posapp import catalogs
from posapp.web.js_strings import PLURALS, STRINGS
from tests.i18n.scan import unmarked

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
LISTS = Path(__file__).resolve().parent / "translated"


# Every screen and document: none may hold unmarked English, and Hindi has every message.
SCREENS: tuple[str, ...] = tuple(
    sorted(path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("*.html"))
)
# The second language proves the structure: Marathi has at least the till, its dialogs, the
# receipt (page, thermal and PDF) and what the till's scripts say.
MARATHI_PLACES = (
    "templates/pos/",
    "templates/pdf/invoice_receipt.html",
    "posapp/documents/escpos_receipt.py",
)
MARATHI_SCRIPT_KEYS = ("till.", "http.")
SCRIPT_KEYS = re.compile(r"\bt\(\s*[\"']([\w.-]+)[\"']|\btn\(\s*[\"']([\w.-]+)[\"']")


def _ids(catalog: object) -> set[object]:
    return {m.id for m in catalog if m.id}  # type: ignore[attr-defined]


def test_the_template_catalog_holds_exactly_the_marked_messages_of_the_code() -> None:
    with catalogs.TEMPLATE.open("rb") as handle:
        committed = read_po(handle)
    assert _ids(committed) == _ids(catalogs.extract()), (
        "the messages changed: run `python app.py i18n update`, translate, then "
        "`python app.py i18n compile`"
    )


@pytest.mark.parametrize("language", ["hi", "mr"])
def test_each_compiled_catalog_is_its_po_compiled(language: str) -> None:
    po = catalogs.po_path(language)
    assert po.exists(), f"no {language} catalog"
    assert po.with_suffix(".mo").read_bytes() == catalogs.compiled(catalogs.read(language)), (
        "run `python app.py i18n compile`"
    )


@pytest.mark.parametrize("language", ["hi", "mr"])
def test_each_language_catalog_follows_the_template(language: str) -> None:
    with catalogs.TEMPLATE.open("rb") as handle:
        template = _ids(read_po(handle))
    live = {m.id for m in catalogs.read(language) if m.id}
    assert live == template, "run `python app.py i18n update`"


def test_the_screens_are_found() -> None:
    assert "pos/index.html" in SCREENS and len(SCREENS) > 100


@pytest.mark.parametrize("name", SCREENS)
def test_no_screen_has_unmarked_english(name: str) -> None:
    assert unmarked((TEMPLATES / name).read_text("utf-8")) == []


def _untranslated(language: str, where: Callable[[object], bool]) -> list[object]:
    missing = []
    for message in catalogs.read(language):
        if not message.id or not where(message):
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            missing.append(message.id)
    return missing


def test_every_message_is_in_hindi() -> None:
    assert _untranslated("hi", lambda message: True) == []


def test_the_till_and_receipt_are_in_marathi() -> None:
    script_messages: set[object] = {
        text.message for key, text in STRINGS.items() if key.startswith(MARATHI_SCRIPT_KEYS)
    }
    script_messages |= {
        pair for key, pair in PLURALS.items() if key.startswith(MARATHI_SCRIPT_KEYS)
    }

    def at_the_till(message: Any) -> bool:
        places = [Path(f).as_posix() for f, _ in message.locations]
        return message.id in script_messages or any(
            place.startswith(MARATHI_PLACES) for place in places
        )

    assert _untranslated("mr", at_the_till) == []


def test_the_scanner_finds_unmarked_english_and_passes_marked_text() -> None:
    source = (
        '<h1>{{ _("Customers") }}</h1><p title="Due today">{% trans %}Owes{% endtrans %}</p>'
        "<td>GST</td><span aria-label=\"{{ _('Close') }}\">₹</span><button>Save</button>"
        "<script>const x = 'Not shown';</script>"
    )
    assert unmarked(source) == ["Due today", "Save"]


def test_every_string_a_script_asks_for_is_in_the_catalog() -> None:
    known = set(STRINGS) | set(PLURALS)
    asked = set()
    for script in (ROOT / "static" / "js").rglob("*.js"):
        for one, many in SCRIPT_KEYS.findall(script.read_text("utf-8")):
            asked.add(one or many)
    assert asked - known == set()


def test_no_message_counts_with_a_bracketed_plural() -> None:
    """Counts go through ngettext: "1 customer", "2 customers", never "customer(s)"."""
    bracketed = re.compile(r"[A-Za-z]\(s\)")
    found = [m.id for m in catalogs.extract() if m.id and bracketed.search(str(m.id))]
    assert found == []
