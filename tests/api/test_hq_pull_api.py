"""HQ's pull endpoint (GET /hq/api/v1/sync/pull): a shop reads its items and every shop's after
its cursor, never another shop's; HQ records how far the shop has applied; bad queries get the
error envelope. HQ mode, on every configured backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models import HqShop, User
from posapp.models.base import write_transaction
from posapp.services import hq, hq_down
from tests.conftest import build_app
from tests.factories import make_product

SHOP = {"name": "Andheri", "gstin": "", "version": "0.1.0"}


@pytest.fixture
def app(data_dir: Path) -> Iterator[Flask]:
    """The app in HQ mode."""
    application = build_app(data_dir, WTF_CSRF_ENABLED=False, HQ_MODE=True)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def enrol(client: FlaskClient, name: str) -> tuple[str, dict[str, str]]:
    made = hq.create_shop(db.session, name, None)
    answer = client.post("/hq/api/v1/enrol", json={"code": made.code, "shop": SHOP})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    return body["shop_id"], {"Authorization": f"Bearer {body['credential']}"}


def item(client: FlaskClient, auth: dict[str, str], query: str = "") -> dict:  # type: ignore[type-arg]
    answer = client.get(f"/hq/api/v1/sync/pull{query}", headers=auth)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()  # type: ignore[no-any-return]


def test_a_shop_pulls_its_items_and_every_shops_in_order(client: FlaskClient, admin: User) -> None:
    first, first_auth = enrol(client, "First")
    second, second_auth = enrol(client, "Second")
    make_product(db.session, admin.id, code="ATTA", name="Atta", price="100")
    assert hq_down.send_catalog(db.session, None, admin.id) == 1
    hq_down.send_settings(
        db.session,
        second,
        {
            "receipt_footer": "Dhanyavaad",
            "low_stock_default": "5",
            "stock_policy": "warn",
            "new_customer_credit_limit": "1000",
            "discount_audit_percent": "10",
            "cashier_max_line_discount_percent": "10",
            "cashier_max_bill_discount_percent": "5",
        },
        admin.id,
    )
    make_product(db.session, admin.id, code="RICE", name="Rice", price="60", unit="kg")
    assert hq_down.send_catalog(db.session, first, admin.id) == 1

    body = item(client, first_auth)
    assert [(i["kind"], i["key"]) for i in body["items"]] == [
        ("product", "ATTA"),
        ("product", "RICE"),
    ]
    assert body["items"][0]["data"]["price"] == 10000
    assert body["items"][0]["data"]["aliases"] == []
    assert body["more"] is False
    assert body["last"] >= body["items"][-1]["seq"]  # past the second shop's settings too

    other = item(client, second_auth)
    assert [(i["kind"], i["key"]) for i in other["items"]] == [
        ("product", "ATTA"),
        ("settings", "shop"),
    ]
    assert other["items"][1]["data"]["stock_policy"] == "warn"

    # Paging: one at a time, `more` until the end; the cursor the shop sends is recorded.
    page = item(client, first_auth, "?after=0&limit=1")
    assert len(page["items"]) == 1 and page["more"] is True
    assert page["last"] == page["items"][0]["seq"]
    rest = item(client, first_auth, f"?after={page['last']}&limit=1")
    assert [i["key"] for i in rest["items"]] == ["RICE"]
    done = item(client, first_auth, f"?after={body['last']}")
    assert done["items"] == [] and done["last"] == body["last"] and done["more"] is False
    db.session.expire_all()
    assert db.session.get(HqShop, first).pulled_seq == body["last"]


def test_pull_needs_the_shops_credential_and_a_sane_query(client: FlaskClient, admin: User) -> None:
    _shop_id, auth = enrol(client, "First")
    answer = client.get("/hq/api/v1/sync/pull")
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "hq_credential_invalid"
    wrong = client.get("/hq/api/v1/sync/pull", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    for query in (
        "?after=-1",
        "?after=x",
        "?limit=0",
        "?limit=1001",
        "?after=1e3",
        "?after=" + "9" * 30,
    ):
        refused = client.get(f"/hq/api/v1/sync/pull{query}", headers=auth)
        assert refused.status_code == 422, query
        assert refused.get_json()["error"]["code"] == "validation_error"
    assert client.post("/hq/api/v1/sync/pull", headers=auth).status_code == 405


def test_items_committed_in_seq_order_are_never_skipped(client: FlaskClient, admin: User) -> None:
    """`last` is read before the items: an item written after it is read next time."""
    shop_id, auth = enrol(client, "First")
    make_product(db.session, admin.id, code="ATTA", name="Atta", price="100")
    hq_down.send_catalog(db.session, shop_id, admin.id)
    first = item(client, auth)
    with write_transaction(db.session):
        hq_down.add_items(db.session, shop_id, "product", [("X", {"code": "X"})], admin.id)
    second = item(client, auth, f"?after={first['last']}")
    assert [i["key"] for i in second["items"]] == ["X"]
