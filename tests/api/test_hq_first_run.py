"""An HQ whose first admin does not exist yet still answers its API in JSON.

The first-run redirect leads every page to setup; a shop enrolling (or pushing) reads JSON,
and an HTML page with status 200 would read to it as "HQ's answer was not understood".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from posapp.extensions import db
from tests.conftest import build_app


@pytest.fixture
def app(data_dir: Path) -> Iterator[Flask]:
    """HQ mode with no user at all."""
    application = build_app(data_dir, WTF_CSRF_ENABLED=False, HQ_MODE=True)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def test_enrol_at_an_hq_without_an_admin_is_refused_in_json(client: FlaskClient) -> None:
    answer = client.post("/hq/api/v1/enrol", json={"code": "A" * 32, "shop": {"name": "Andheri"}})
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "enrolment_code_invalid"


def test_a_push_at_an_hq_without_an_admin_is_refused_in_json(client: FlaskClient) -> None:
    answer = client.post("/hq/api/v1/sync/push", json={})
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "hq_credential_invalid"


def test_the_pages_still_lead_to_setup(client: FlaskClient) -> None:
    answer = client.get("/hq/shops")
    assert answer.status_code == 302
    assert "/setup" in answer.headers["Location"]
