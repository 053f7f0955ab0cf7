"""Translations: the catalog matches the code, every .mo is its .po, translated screens hold no
unmarked English and have every message in Hindi, and scripts only use strings they are sent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from posapp import catalogs
from posapp.web.js_strings import PLURALS, STRINGS
from tests.i18n.scan import unmarked

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
LISTS = Path(__file__).resolve().parent / "translated"


def _translated() -> tuple[str, ...]:
    """The templates of every list in tests/i18n/translated/ (one path under templates/ a line;
    blank lines and # comments skipped), sorted, each once."""
    names = set()
    for listing in sorted(LISTS.glob("*.txt")):
        for line in listing.read_text("utf-8").splitlines():
            name = line.split("#", 1)[0].strip()
            if name:
                names.add(name)
    return tuple(sorted(names))


# The screens that are translated: each must hold no unmarked English, and each of its messages
# must be in Hindi. A screen is added by listing it in its area's file in translated/.
TRANSLATED: tuple[str, ...] = _translated()
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


def test_every_listed_screen_is_a_template() -> None:
    assert [name for name in TRANSLATED if not (TEMPLATES / name).is_file()] == []


@pytest.mark.parametrize("name", TRANSLATED)
def test_a_translated_screen_has_no_unmarked_english(name: str) -> None:
    assert unmarked((TEMPLATES / name).read_text("utf-8")) == []


def test_every_message_of_a_translated_screen_is_in_hindi() -> None:
    hindi = catalogs.read("hi")
    missing = []
    for message in hindi:
        if not message.id or not any(
            str(Path(f).as_posix()).removeprefix("templates/") in TRANSLATED
            for f, _ in message.locations
        ):
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            missing.append(message.id)
    assert missing == []


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
