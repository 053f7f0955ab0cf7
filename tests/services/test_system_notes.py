"""The notes the app writes: stored in English, shown in the reader's language."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale

from posapp.services import system_notes
from posapp.services.document_language import translate

pytestmark = pytest.mark.one_backend("the words of notes")


def test_each_form_reads_back_in_english_and_in_hindi(app: Flask) -> None:
    values = {"number": "CN2026-000007", "reason": "typed twice", "day": "01-04-2026"}
    with app.test_request_context():
        for form in system_notes.FORMS:
            wanted = {k: v for k, v in values.items() if f"%({k})s" in form.message}
            stored = system_notes.written(form, **wanted)
            assert system_notes.shown(stored) == stored
            with force_locale("hi"):
                hindi = system_notes.shown(stored)
            assert hindi != stored, form.message
            assert all(v in hindi for v in wanted.values()), hindi
            # Documents say it in their own language, whoever reads the page.
            assert system_notes.shown(stored, lambda f, **v: translate("hi", f, **v)) == hindi


def test_a_note_a_person_typed_is_shown_as_it_is(app: Flask) -> None:
    with app.test_request_context(), force_locale("hi"):
        for typed in ("Paid by cheque 1234", "", "Credit note", "credit note CN1"):
            assert system_notes.shown(typed) == typed
        assert system_notes.shown(None) == ""
        assert system_notes.shown("Credit note CN2026-000001") == "क्रेडिट नोट CN2026-000001"
