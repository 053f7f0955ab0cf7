"""The translation catalogs: extract the marked messages, update each language, compile.

`python app.py i18n extract` reads every `_()`, `ngettext()` and `lazy()` in posapp/ and every
`{{ _() }}` / `{% trans %}` in templates/ into `posapp/translations/messages.pot`;
`update` merges that template into each language's `messages.po` (new messages empty, gone ones
kept as obsolete); `compile` writes the `messages.mo` the app reads. The `.mo` files are
committed, so a fresh clone and the frozen executable need no build step; a test checks that
the template matches the code and that every `.mo` is its `.po` compiled.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from posapp.config import bundled
from posapp.i18n import LANGUAGES

ROOT = bundled()
TRANSLATIONS = bundled("posapp", "translations")
TEMPLATE = TRANSLATIONS / "messages.pot"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy": None, "lazy_gettext": None,
            "lazy_plural": (1, 2), "pgettext": ((1, "c"), 2), "lazy_p": ((1, "c"), 2)}  # fmt: skip
METHODS = [("posapp/**.py", "python"), ("templates/**.html", "jinja2")]
# As the app renders them: trimmed {% trans %} blocks, newstyle gettext (a "%" in a block
# without variables is then extracted as the app looks it up).
OPTIONS = {
    "templates/**.html": {
        "extensions": "jinja2.ext.i18n",
        "trimmed": "true",
        "newstyle_gettext": "true",
    }
}
SKIP = ("posapp/migrations", "posapp/translations")


def extract(root: Path = ROOT) -> Catalog:
    """Every marked message of the code and templates, with where it is used."""
    catalog = Catalog(project="TillBook", charset="utf-8", fuzzy=False)
    found: Iterator[tuple[str, int, str | tuple[str, ...], list[str], str | None]]
    found = extract_from_dir(
        str(root),
        method_map=METHODS,
        options_map=OPTIONS,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
        directory_filter=lambda path: not any(skip in path for skip in SKIP),
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def template_text(catalog: Catalog) -> bytes:
    """The catalog as a `.pot` file, without the creation date (so it changes only with the
    messages)."""
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=True, sort_output=True)
    return out.getvalue()


def po_path(language: str) -> Path:
    """Where a language's translations are kept."""
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def read(language: str) -> Catalog:
    """A language's catalog as it is on disk (a new empty one if there is none yet)."""
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, project="TillBook", fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def update(language: str, template: Catalog) -> Catalog:
    """Merge the messages of `template` into a language's catalog and write it back."""
    catalog = read(language)
    catalog.update(template, update_header_comment=False, no_fuzzy_matching=True)
    write(language, catalog)
    return catalog


def write(language: str, catalog: Catalog) -> None:
    """Write a language's `.po` (sorted, so diffs stay small)."""
    path = po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=True, ignore_obsolete=False)
    path.write_bytes(out.getvalue())


def compiled(catalog: Catalog) -> bytes:
    """The `.mo` bytes of a catalog (fuzzy entries left out, as gettext does)."""
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_all() -> list[Path]:
    """Write every language's `.mo` from its `.po`; return the files written."""
    written = []
    for language in LANGUAGES:
        if language == "en" or not po_path(language).exists():
            continue
        target = po_path(language).with_suffix(".mo")
        target.write_bytes(compiled(read(language)))
        written.append(target)
    return written


def coverage(language: str) -> tuple[int, int]:
    """How many messages of the language are translated, of how many."""
    catalog = read(language)
    messages = [m for m in catalog if m.id and not m.fuzzy]
    return sum(1 for m in messages if m.string and all(m.string)), len(messages)
