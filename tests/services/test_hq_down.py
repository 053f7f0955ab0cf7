"""HQ's side of the way down (services/hq_down.py): what changed in the catalog per target,
sending it once, a shop's settings through the shop's parsers, transfers numbered in HQ's
series with a side for each shop, and the pull's tenancy. On every configured backend.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.models import AuditLog, Product, User
from posapp.models.hq import HqDown, HqTransfer
from posapp.services import catalog, hq, hq_down
from tests.factories import make_product

SETTINGS = {
    "receipt_footer": "Dhanyavaad",
    "round_off": "1",
    "low_stock_default": "5",
    "stock_policy": "warn",
    "new_customer_credit_limit": "1500",
    "discount_audit_percent": "10",
    "cashier_max_line_discount_percent": "12",
    "cashier_max_bill_discount_percent": "5",
}


def enrolled(session: Session, name: str) -> str:
    made = hq.create_shop(session, name, None)
    body = {"code": made.code, "shop": {"name": name, "gstin": "", "version": "0.1.0"}}
    return hq.enrol(session, body, "HQ").shop_id


def items(session: Session) -> list[tuple[str | None, str, str]]:
    session.expire_all()
    rows = session.scalars(select(HqDown).order_by(HqDown.seq))
    return [(row.shop_id, row.kind, row.item_key) for row in rows]


def test_changed_products_go_once_per_target(session: Session, admin: User) -> None:
    first = enrolled(session, "First")
    atta = make_product(session, admin.id, code="ATTA", name="Atta", price="100", aliases="aata")
    make_product(session, admin.id, code="RICE", name="Rice", price="60", unit="kg")
    old = make_product(session, admin.id, code="OLD", name="Old", price="1")
    catalog.archive_product(session, old.id, admin.id)  # never sent: nothing to hide

    changes = hq_down.catalog_changes(session, None)
    assert [c.product.code for c in changes] == ["ATTA", "RICE"] and all(c.new for c in changes)
    assert hq_down.send_catalog(session, None, admin.id) == 2
    assert hq_down.send_catalog(session, None, admin.id) == 0  # nothing changed since
    assert hq_down.catalog_changes(session, first) == []  # what every shop got, it got

    catalog.update_product(session, atta.id, {"price": "120", "tax_rate": "5"}, admin.id)
    (change,) = hq_down.catalog_changes(session, first)
    assert change.fields == ["price", "tax_rate_bp"] and not change.new
    assert hq_down.send_catalog(session, first, admin.id) == 1
    assert hq_down.catalog_changes(session, first) == []
    assert [c.product.code for c in hq_down.catalog_changes(session, None)] == ["ATTA"]
    payload = session.scalar(select(HqDown.payload).order_by(HqDown.seq.desc()).limit(1))
    assert payload == {
        "code": "ATTA",
        "name": "Atta",
        "category": "",
        "unit": "pcs",
        "price": 12000,
        "mrp": None,
        "tax_rate_bp": 500,
        "hsn": "",
        "aliases": ["aata"],
        "archived": False,
    }
    # Archiving a product that was sent travels too.
    catalog.archive_product(session, atta.id, admin.id)
    (archived,) = hq_down.catalog_changes(session, first)
    assert archived.fields == ["archived"]
    sent = session.scalars(select(AuditLog.after).where(AuditLog.action == "hq.catalog_send"))
    assert len(list(sent)) == 2


def test_the_whole_catalog_goes_to_one_shop(session: Session, admin: User) -> None:
    first = enrolled(session, "First")
    make_product(session, admin.id, code="ATTA", name="Atta", price="100")
    hq_down.send_catalog(session, None, admin.id)
    assert hq_down.send_catalog(session, first, admin.id, whole=True) == 1
    assert items(session)[-1] == (first, "product", "ATTA")
    with pytest.raises(ValidationError):
        hq_down.send_catalog(session, None, admin.id, whole=True)
    with pytest.raises(ValidationError):
        hq_down.target_shop(session, "no-such-shop")
    assert hq_down.target_shop(session, "") is None and hq_down.target_shop(session, first) == first


def test_a_shops_settings_are_parsed_as_the_shop_parses_them(session: Session, admin: User) -> None:
    shop_id = enrolled(session, "First")
    seq = hq_down.send_settings(session, shop_id, SETTINGS, admin.id)
    sent = hq_down.last_settings(session, shop_id)
    assert sent == {
        "receipt_footer": "Dhanyavaad",
        "round_off": True,
        "low_stock_default_milli": 5000,
        "stock_policy": "warn",
        "new_customer_credit_limit": 150000,
        "new_customer_no_credit_limit": False,
        "discount_audit_percent": 10,
        "cashier_max_line_discount_percent": 12,
        "cashier_max_bill_discount_percent": 5,
    }
    assert items(session) == [(shop_id, "settings", "shop")] and seq > 0
    for field, bad in (
        ("new_customer_credit_limit", "12.345"),
        ("stock_policy", "maybe"),
        ("discount_audit_percent", "101"),
        ("low_stock_default", "-1"),
        ("receipt_footer", "x" * 201),
    ):
        with pytest.raises(ValidationError) as refused:
            hq_down.send_settings(session, shop_id, SETTINGS | {field: bad}, admin.id)
        assert field in refused.value.details["fields"]
    assert len(items(session)) == 1  # nothing written by a refused form


def movement(number: str) -> dict[str, Any]:
    return {"kind": "stock_movement", "id": "41", "data": {"ref": number, "reason": "transfer_out"}}


def test_a_transfer_is_numbered_and_sends_each_shop_its_side(session: Session, admin: User) -> None:
    first = enrolled(session, "First")
    second = enrolled(session, "Second")
    make_product(session, admin.id, code="ATTA", name="Atta", price="100")
    make_product(session, admin.id, code="RICE", name="Rice", price="60", unit="kg")
    made = hq_down.create_transfer(
        session,
        {"from_shop": first, "to_shop": second, "lines": "ATTA 3\nRICE 2.5\n", "note": "Diwali"},
        admin.id,
    )
    assert made.number == "TR-000001"
    assert items(session) == [(first, "transfer", made.id), (second, "transfer", made.id)]
    out, into = (row.payload for row in session.scalars(select(HqDown).order_by(HqDown.seq)))
    assert out["direction"] == "out" and into["direction"] == "in"
    assert out["lines"] == [
        {"code": "ATTA", "qty_milli": 3000},
        {"code": "RICE", "qty_milli": 2500},
    ]
    assert (
        out["from_name"] == "First" and into["to_name"] == "Second" and out["number"] == made.number
    )
    (row,) = hq_down.transfers(session)
    assert row.applied == {"out": False, "in": False}

    # The sending shop applied its side and pushed its movement: HQ sees that side applied.
    body = {"shop_id": first, "changesets": [{"seq": 1, "records": [movement(made.number)]}]}
    hq.ingest(session, first, hq.parse_push(body))
    (row,) = hq_down.transfers(session)
    assert row.applied == {"out": True, "in": False}
    again = hq_down.create_transfer(
        session, {"from_shop": second, "to_shop": first, "lines": "ATTA 1"}, admin.id
    )
    assert again.number == "TR-000002"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"to_shop": "same"}, "to_shop"),
        ({"from_shop": "nowhere"}, "from_shop"),
        ({"lines": ""}, "lines"),
        ({"lines": "GHEE 1"}, "lines"),
        ({"lines": "ATTA 1.5"}, "lines"),
        ({"lines": "ATTA"}, "lines"),
        ({"lines": "ATTA -2"}, "lines"),
        ({"lines": "ATTA lots"}, "lines"),
        ({"note": "n" * 201}, "note"),
    ],
)
def test_a_bad_transfer_is_refused_and_nothing_written(
    session: Session, admin: User, change: dict[str, str], field: str
) -> None:
    first = enrolled(session, "First")
    second = enrolled(session, "Second")
    make_product(session, admin.id, code="ATTA", name="Atta", price="100")
    data = {"from_shop": first, "to_shop": second, "lines": "ATTA 2", "note": ""} | change
    if data["to_shop"] == "same":
        data["to_shop"] = first
    with pytest.raises(ValidationError) as refused:
        hq_down.create_transfer(session, data, admin.id)
    assert field in refused.value.details["fields"]
    assert session.scalar(select(func.count()).select_from(HqTransfer)) == 0
    assert items(session) == []
    assert session.scalar(select(func.count()).select_from(Product)) == 1


def test_a_shop_pulls_only_its_own_and_every_shops_items(session: Session, admin: User) -> None:
    first = enrolled(session, "First")
    second = enrolled(session, "Second")
    make_product(session, admin.id, code="ATTA", name="Atta", price="100")
    hq_down.send_catalog(session, None, admin.id)
    hq_down.send_settings(session, second, SETTINGS, admin.id)
    pulled = hq_down.items_for(session, first, 0, 500)
    assert [(i["kind"], i["key"]) for i in pulled.items] == [("product", "ATTA")]
    assert pulled.last == max(i["seq"] for i in hq_down.items_for(session, second, 0, 500).items)
    assert hq_down.items_for(session, first, pulled.last, 500).items == []
    with pytest.raises(ValidationError):
        hq_down.parse_pull("-1", None)
    assert hq_down.parse_pull(None, None) == (0, 500)
