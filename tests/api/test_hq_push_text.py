"""HQ's push route reads what a body's JSON text says about its values (issue 24, bench work).

The route skips the walk over every value of every record when the text itself shows them all
storable: valid UTF-8, no number with a fraction, no NaN, no escape of NUL or of a surrogate.
Each way in which a value could still be unstorable is posted here as raw text: each is
refused with nothing written; a body with a paired surrogate escape (an emoji, as the shop's
client writes it) is checked the long way and kept exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import HqRecord
from posapp.services import hq
from tests.conftest import build_app

SHOP = {"name": "Andheri", "gstin": "", "version": "0.1.0"}


@pytest.fixture
def app(data_dir: Path) -> Iterator[Flask]:
    """The app in HQ mode."""
    application = build_app(data_dir, WTF_CSRF_ENABLED=False, HQ_MODE=True)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def shop(client: FlaskClient, admin) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """An enrolled shop: its id and its Authorization header."""
    made = hq.create_shop(db.session, "Andheri", None)
    answer = client.post("/hq/api/v1/enrol", json={"code": made.code, "shop": SHOP})
    body = answer.get_json()
    return body["shop_id"], {"Authorization": f"Bearer {body['credential']}"}


def push(client: FlaskClient, shop: tuple[str, dict[str, str]], data: bytes):  # type: ignore[no-untyped-def]
    shop_id, auth = shop
    body = (
        b'{"shop_id": "' + shop_id.encode() + b'", "changesets": [{"seq": 1, "records": '
        b'[{"kind": "customer", "id": "7", "data": ' + data + b"}]}]}"
    )
    return client.post(
        "/hq/api/v1/sync/push", data=body, content_type="application/json", headers=auth
    )


def records() -> int:
    return db.session.scalar(select(func.count()).select_from(HqRecord)) or 0


@pytest.mark.parametrize(
    "data",
    [
        b'{"limit": 10.5}',
        b'{"limit": 1e3}',
        b'{"limit": NaN}',
        b'{"limit": -Infinity}',
        b'{"name": "a\\u0000b"}',
        b'{"name\\u0000": "x"}',
        b'{"name": "\\udc00"}',
        b'{"name": "\\uD83D"}',
        b'{"name": "\xed\xa0\x80"}',  # a surrogate written in UTF-8 itself
    ],
)
def test_a_value_hq_cannot_keep_is_refused_in_the_text(
    client: FlaskClient, shop: tuple[str, dict[str, str]], data: bytes
) -> None:
    answer = push(client, shop, data)
    assert answer.status_code in (400, 422), answer.get_json()
    assert answer.get_json()["error"]["code"] in ("validation_error", "malformed_json")
    assert records() == 0


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b'{"name": "Sunita \\ud83d\\ude00"}', "Sunita \U0001f600"),
        ('{"name": "सुनीता"}'.encode(), "सुनीता"),
        (b'{"name": "a\\\\u0000b"}', "a\\u0000b"),  # an escaped backslash, not NUL
        (b'{"name": "plain", "limit": 500000}', "plain"),
    ],
)
def test_storable_values_are_kept_exactly(
    client: FlaskClient, shop: tuple[str, dict[str, str]], data: bytes, name: str
) -> None:
    answer = push(client, shop, data)
    assert answer.status_code == 200, answer.get_json()
    stored = db.session.get(HqRecord, (shop[0], "customer", "7"))
    assert stored is not None and stored.payload["name"] == name
