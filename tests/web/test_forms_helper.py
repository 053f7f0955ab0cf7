"""web/forms.py: the service's result on success, the view's own page on a DomainError."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from posapp.errors import Conflict, DomainError, NotFound, ValidationError
from posapp.extensions import db
from posapp.models import Category
from posapp.web.forms import field_errors, flash_and_redirect, or_reshow
from tests.conftest import build_app
from tests.factories import make_user

RAISED: dict[str, DomainError | None] = {"error": None}
NAMES = itertools.count(1)


def service() -> str:
    """Stands in for a service call: writes a row, then refuses when told to."""
    db.session.add(Category(name=f"Half-written {next(NAMES)}"))
    db.session.flush()
    if RAISED["error"] is not None:
        raise RAISED["error"]
    return "saved"


def reshow(exc: DomainError) -> tuple[str, int]:
    return f"form again: {exc.message} {sorted(field_errors(exc).items())}", exc.status


def form_view() -> str:
    return "done: " + or_reshow(service, reshow)


def strict_view() -> str:
    return "done: " + or_reshow(service, reshow, reraise={404}, rollback=True)


def button_view() -> str:
    return "done: " + or_reshow(service, flash_and_redirect("/back"))


@pytest.fixture
def app(data_dir: Path):  # type: ignore[no-untyped-def]
    application = build_app(data_dir, WTF_CSRF_ENABLED=False)
    application.add_url_rule("/form", view_func=form_view)
    application.add_url_rule("/strict", view_func=strict_view)
    application.add_url_rule("/button", view_func=button_view)
    with application.app_context():
        make_user(db.session, "admin", "admin")  # past the first-run setup page
        yield application
        RAISED["error"] = None
        db.session.remove()
        db.engine.dispose()


def categories() -> int:
    return db.session.scalar(select(func.count()).select_from(Category))


def test_success_hands_back_the_services_result(app: Flask) -> None:
    response = app.test_client().get("/form")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "done: saved")


def test_a_refusal_answers_the_reshown_page_with_the_errors_status(app: Flask) -> None:
    RAISED["error"] = ValidationError("Type a name.", field="name")
    response = app.test_client().get("/form")
    assert response.status_code == 422
    assert response.get_data(as_text=True) == "form again: Type a name. [('name', 'Type a name.')]"
    # The app's after-request hooks still run on the re-shown page.
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    RAISED["error"] = Conflict("Taken.")
    assert app.test_client().get("/form").status_code == 409


def test_reraise_leaves_a_status_to_the_error_pages_and_rollback_empties_the_session(
    app: Flask,
) -> None:
    RAISED["error"] = NotFound("No such thing.")
    response = app.test_client().get("/strict")
    assert response.status_code == 404
    assert "No such thing." in response.get_data(as_text=True)  # the app's own error page
    assert categories() == 0  # rolled back before the error page
    RAISED["error"] = Conflict("Taken.")
    assert app.test_client().get("/strict").status_code == 409
    assert categories() == 0


def test_flash_and_redirect_goes_back_with_the_message(app: Flask) -> None:
    RAISED["error"] = Conflict("Balance is not zero.")
    client = app.test_client()
    response = client.get("/button")
    assert response.status_code == 302 and response.headers["Location"] == "/back"
    with client.session_transaction() as session:
        assert session["_flashes"] == [("danger", "Balance is not zero.")]
