"""The HTML 500 page: drawn even when the failed request left the session unusable."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import User
from tests.conftest import build_app
from tests.factories import make_user
from tests.web.helpers import AuthActions


def broken_view() -> str:
    """Write a second user with the admin's name: the flush fails and the error goes up."""
    db.session.add(User(username="admin", password_hash="x", role="admin"))
    db.session.flush()
    return "unreachable"


def app_with_broken_view(data_dir: Path) -> Flask:
    app = build_app(data_dir, WTF_CSRF_ENABLED=False)
    app.add_url_rule("/broken", view_func=broken_view)  # before its first request
    return app


def test_the_500_page_rolls_back_a_failed_flush_first(data_dir: Path) -> None:
    app = app_with_broken_view(data_dir)
    with app.app_context():
        make_user(db.session, "admin", "admin")
        client = app.test_client()
        AuthActions(client).login("admin")  # the layout then reads the user and settings

        response = client.get("/broken")

        assert response.status_code == 500
        assert "Something went wrong on our side" in response.get_data(as_text=True)
        # The session is usable again and the half-written user is gone.
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        db.session.remove()
        db.engine.dispose()
