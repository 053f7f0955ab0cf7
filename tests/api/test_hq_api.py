"""HQ's API for shops (/hq/api/v1): enrol, sync/push, sync/status, in the error envelope.

The app here runs in HQ mode; on every configured backend (PostgreSQL in CI, as HQ runs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import HqRecord, HqShop
from posapp.services import hq
from tests.conftest import build_app
from tests.factories import make_user

SHOP = {"name": "Andheri", "gstin": "", "version": "0.1.0"}


@pytest.fixture
def app(data_dir: Path) -> Iterator[Flask]:
    """The app in HQ mode (the shop's own pages and API are there too)."""
    application = build_app(data_dir, WTF_CSRF_ENABLED=False, HQ_MODE=True)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def owner(admin):  # type: ignore[no-untyped-def]
    """HQ's admin: shops are made by an admin, so HQ never answers with first-run setup."""
    return admin


def enrol(client: FlaskClient, name: str = "Andheri") -> tuple[str, dict[str, str]]:
    """Add a shop at HQ and enrol it; return its id and its Authorization header."""
    made = hq.create_shop(db.session, name, None)
    answer = client.post("/hq/api/v1/enrol", json={"code": made.code, "shop": SHOP})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    return body["shop_id"], {"Authorization": f"Bearer {body['credential']}"}


def invoice(number: int, paid: int = 10000) -> dict[str, Any]:
    return {"kind": "invoice", "id": str(number), "data": {"status": "paid", "paid": paid}}


def changeset(seq: int, *records: dict[str, Any]) -> dict[str, Any]:
    return {"seq": seq, "at": "2026-12-07T06:30:00Z", "records": list(records)}


def push_body(shop_id: str, *changesets: dict[str, Any]) -> dict[str, Any]:
    return {"shop_id": shop_id, "changesets": list(changesets), "shop_clock": "2026-12-07T12:00Z"}


def record_count() -> int:
    return db.session.scalar(select(func.count()).select_from(HqRecord)) or 0


def error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.get_json()["error"]
    assert set(body) == {"code", "message", "details"}
    return body


def test_enrolment_answers_the_shop_id_and_a_credential_once(client: FlaskClient) -> None:
    made = hq.create_shop(db.session, "Andheri", None)
    first = client.post("/hq/api/v1/enrol", json={"code": made.code, "shop": SHOP})
    assert first.status_code == 201
    body = first.get_json()
    assert set(body) == {"shop_id", "credential", "hq_name"}
    assert body["shop_id"] == made.shop.id and len(body["credential"]) >= 43

    again = client.post("/hq/api/v1/enrol", json={"code": made.code, "shop": SHOP})
    unknown = client.post("/hq/api/v1/enrol", json={"code": hq.new_code(), "shop": SHOP})
    assert again.status_code == unknown.status_code == 403
    assert error(again)["code"] == error(unknown)["code"] == "enrolment_code_invalid"
    assert error(again)["message"] == error(unknown)["message"]


@pytest.mark.parametrize(
    "body", [b"[]", b'{"code": 5}', b'{"code": "ABCD", "shop": []}', b'{"shop": {}}']
)
def test_a_malformed_enrolment_is_a_422(client: FlaskClient, body: bytes) -> None:
    answer = client.post("/hq/api/v1/enrol", data=body, content_type="application/json")
    assert answer.status_code == 422, answer.get_json()
    assert error(answer)["code"] == "validation_error"


def test_a_push_is_stored_once_and_acked(client: FlaskClient) -> None:
    shop_id, auth = enrol(client)
    body = push_body(shop_id, changeset(1, invoice(1), invoice(2)), changeset(2, invoice(3)))
    first = client.post("/hq/api/v1/sync/push", json=body, headers=auth)
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"acked": 2}
    assert record_count() == 3
    retried = client.post("/hq/api/v1/sync/push", json=body, headers=auth)
    assert retried.get_json() == {"acked": 2} and record_count() == 3
    status = client.get("/hq/api/v1/sync/status", headers=auth)
    assert status.status_code == 200 and status.get_json() == {"acked": 2}
    overlap = push_body(shop_id, changeset(2, invoice(99)), changeset(3, invoice(4)))
    assert client.post("/hq/api/v1/sync/push", json=overlap, headers=auth).get_json() == {
        "acked": 3
    }
    assert record_count() == 4


def test_a_gap_answers_409_with_what_hq_holds(client: FlaskClient) -> None:
    shop_id, auth = enrol(client)
    client.post("/hq/api/v1/sync/push", json=push_body(shop_id, changeset(1)), headers=auth)
    gap = client.post(
        "/hq/api/v1/sync/push", json=push_body(shop_id, changeset(5, invoice(5))), headers=auth
    )
    assert gap.status_code == 409
    assert error(gap)["code"] == "sync_gap" and error(gap)["details"] == {"acked": 1}
    assert record_count() == 0


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer wrong-credential", "Basic dXNlcjpwYXNz", "Token abc"],
)
def test_a_wrong_credential_is_a_401(client: FlaskClient, header: str | None) -> None:
    shop_id, _auth = enrol(client)
    headers = {} if header is None else {"Authorization": header}
    body = push_body(shop_id, changeset(1, invoice(1)))
    for answer in (
        client.post("/hq/api/v1/sync/push", json=body, headers=headers),
        client.get("/hq/api/v1/sync/status", headers=headers),
    ):
        assert answer.status_code == 401
        assert error(answer)["code"] == "hq_credential_invalid"
    assert record_count() == 0


def test_a_users_api_token_is_not_a_shop_credential(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    shop_id, _auth = enrol(client)
    body = push_body(shop_id, changeset(1, invoice(1)))
    answer = client.post("/hq/api/v1/sync/push", json=body, headers=admin_headers)
    assert answer.status_code == 401 and record_count() == 0


def test_a_shop_cannot_push_as_another(client: FlaskClient) -> None:
    _andheri, andheri_auth = enrol(client, "Andheri")
    bandra, bandra_auth = enrol(client, "Bandra")
    body = push_body(bandra, changeset(1, invoice(1)))
    answer = client.post("/hq/api/v1/sync/push", json=body, headers=andheri_auth)
    assert answer.status_code == 403 and error(answer)["code"] == "hq_shop_mismatch"
    assert record_count() == 0
    assert client.post("/hq/api/v1/sync/push", json=body, headers=bandra_auth).status_code == 200
    rows = db.session.scalars(select(HqRecord)).all()
    assert [(r.shop_id, r.record_id) for r in rows] == [(bandra, "1")]


def test_a_body_over_the_limit_writes_nothing(client: FlaskClient) -> None:
    shop_id, auth = enrol(client)
    filler = "x" * 1000
    records = [
        {"kind": "audit", "id": str(i), "data": {"note": filler}}
        for i in range(hq.MAX_BODY_BYTES // 1000 + 10)
    ]
    big = client.post(
        "/hq/api/v1/sync/push", json=push_body(shop_id, changeset(1, *records)), headers=auth
    )
    assert big.status_code == 413 and error(big)["code"] == "payload_too_large"
    many = push_body(shop_id, *(changeset(seq) for seq in range(1, hq.MAX_CHANGESETS + 2)))
    too_many = client.post("/hq/api/v1/sync/push", json=many, headers=auth)
    assert too_many.status_code == 422
    assert record_count() == 0
    shop = db.session.get(HqShop, shop_id)
    assert shop is not None and shop.acked_seq == 0 and shop.last_contact is None


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"shop_id": "S", "changesets": [{"seq": 1, "records": [{"kind": "invoice", "id": "1",'
        b' "data": {"paid": 10.5}}]}]}',
        b'{"shop_id": "S", "changesets": "all"}',
        b"[1, 2]",
    ],
)
def test_a_malformed_push_writes_nothing(client: FlaskClient, body: bytes) -> None:
    shop_id, auth = enrol(client)
    data = body.replace(b'"S"', f'"{shop_id}"'.encode())
    answer = client.post(
        "/hq/api/v1/sync/push", data=data, content_type="application/json", headers=auth
    )
    assert answer.status_code in (400, 422), answer.get_json()
    assert error(answer)["code"] in ("malformed_json", "validation_error")
    assert record_count() == 0


def test_a_wrong_method_answers_in_the_envelope(client: FlaskClient) -> None:
    _shop_id, auth = enrol(client)
    answer = client.get("/hq/api/v1/sync/push", headers=auth)
    assert answer.status_code == 405 and error(answer)["code"] == "method_not_allowed"
    missing = client.get("/hq/api/v1/sync/nothing", headers=auth)
    assert missing.status_code == 404 and error(missing)["code"] == "not_found"


def test_the_hq_api_exists_only_in_hq_mode(tmp_path: Path, database: str) -> None:
    shop_app = build_app(tmp_path / "shop", WTF_CSRF_ENABLED=False)
    with shop_app.app_context():
        make_user(db.session, "owner", "admin")
        client = shop_app.test_client()
        answer = client.post("/hq/api/v1/enrol", json={"code": "x", "shop": SHOP})
        assert answer.status_code == 404
        db.session.remove()
        db.engine.dispose()
