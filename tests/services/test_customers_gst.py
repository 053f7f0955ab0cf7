"""Business customers (posapp/services/customers.py): GSTIN, legal name, state, GSTIN search."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, Customer, User
from posapp.services import customers
from tests.factories import make_customer

# The GST portal's published example (Maharashtra, 27) and a listed company's (Karnataka, 29).
MAHARASHTRA = "27AAPFU0939F1ZV"
KARNATAKA = "29AAGCB7383J1Z4"


def count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Customer)) or 0)


def test_a_business_customer_is_stored_normalised_with_the_gstins_state(admin: User) -> None:
    customer = make_customer(
        db.session, admin, gstin=" 27aapfu0939f1zv ", legal_name=" Sharma Traders LLP "
    )
    assert (customer.gstin, customer.legal_name, customer.state_code) == (
        MAHARASHTRA,
        "Sharma Traders LLP",
        "27",
    )
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "customer.create")).one()
    after = json.loads(entry.after or "{}")
    assert (after["gstin"], after["legal_name"], after["state_code"]) == (
        MAHARASHTRA,
        "Sharma Traders LLP",
        "27",
    )


def test_a_customer_without_a_gstin_has_none_and_may_name_a_state(admin: User) -> None:
    plain = make_customer(db.session, admin)
    assert (plain.gstin, plain.legal_name, plain.state_code) == ("", "", "")
    visitor = make_customer(db.session, admin, state_code="7")
    assert (visitor.gstin, visitor.state_code) == ("", "07")


@pytest.mark.parametrize(
    ("gstin", "reason"),
    [
        ("hello", "15 characters"),
        ("27AAPFU0939F1ZW", "check character"),  # the check character mistyped
        ("27AAPFU0939F1ZV9", "15 characters"),
        ("27AAPFU9039F1ZV", "check character"),  # two neighbouring digits swapped
        ("27AAPFUO939F1ZV", "e.g."),  # the letter O for the digit 0 in the PAN
        ("40AAPFU0939F1ZV", "not a GST state code"),
    ],
)
@pytest.mark.servers_first_case(
    "validation in Python; the first case shows a refused write leaves nothing"
)
def test_a_corrupted_gstin_is_a_field_error_and_writes_nothing(
    admin: User, gstin: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as info:
        make_customer(db.session, admin, gstin=gstin)
    assert reason in info.value.fields["gstin"]
    assert count() == 0


def test_the_state_must_be_the_gstins(admin: User) -> None:
    with pytest.raises(ValidationError) as info:
        make_customer(db.session, admin, gstin=KARNATAKA, state_code="27")
    assert "29 – Karnataka" in info.value.fields["state_code"]
    assert count() == 0
    with pytest.raises(ValidationError) as info:
        make_customer(db.session, admin, state_code="00")
    assert "state_code" in info.value.fields
    with pytest.raises(ValidationError) as info:
        make_customer(db.session, admin, legal_name="x" * 121)
    assert "legal_name" in info.value.fields
    assert count() == 0


def test_an_update_follows_the_gstins_state(admin: User) -> None:
    customer = make_customer(db.session, admin, state_code="07")
    # A GSTIN sent alone moves the state to the GSTIN's.
    customers.update_customer(db.session, customer.id, {"gstin": KARNATAKA}, admin)
    assert (customer.gstin, customer.state_code) == (KARNATAKA, "29")
    # Another state while the GSTIN stays: refused, nothing changes.
    with pytest.raises(ValidationError) as info:
        customers.update_customer(
            db.session, customer.id, {"state_code": "27", "legal_name": "New"}, admin
        )
    assert "state_code" in info.value.fields
    db.session.expire_all()
    fresh = db.session.get(Customer, customer.id)
    assert fresh is not None
    assert (fresh.state_code, fresh.legal_name) == ("29", "")
    # Removing the GSTIN keeps the state, which may then change.
    customers.update_customer(db.session, customer.id, {"gstin": "", "state_code": "27"}, admin)
    assert (fresh.gstin, fresh.state_code) == ("", "27")
    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "customer.update").order_by(AuditLog.id)
    ).all()
    assert [json.loads(e.after or "{}")["gstin"] for e in entries] == [KARNATAKA, ""]


def test_a_partial_update_without_gst_fields_keeps_them(admin: User) -> None:
    customer = make_customer(db.session, admin, gstin=MAHARASHTRA, legal_name="Sharma LLP")
    customers.update_customer(db.session, customer.id, {"notes": "Pays monthly"}, admin)
    assert (customer.gstin, customer.legal_name, customer.state_code) == (
        MAHARASHTRA,
        "Sharma LLP",
        "27",
    )


def test_search_finds_a_gstin_whole_or_in_part(admin: User) -> None:
    sharma = make_customer(db.session, admin, name="Sharma Traders", gstin=MAHARASHTRA)
    bhat = make_customer(db.session, admin, name="Bhat Stores", gstin=KARNATAKA)
    make_customer(db.session, admin, name="Asha")
    for q in (MAHARASHTRA, MAHARASHTRA.lower(), "27AAPFU", "aapfu 0939", "0939F1ZV"):
        found, total = customers.search_customers(db.session, q)
        assert ([c.id for c in found], total) == ([sharma.id], 1), q
    found, total = customers.search_customers(db.session, "29AAGC")
    assert [c.id for c in found] == [bhat.id]
    # Names still work; a word with digits that is in no GSTIN falls back to names.
    assert [c.id for c in customers.search_customers(db.session, "Bhat")[0]] == [bhat.id]
    assert customers.search_customers(db.session, "ZZ99")[1] == 0
