"""Customers service: phone normalisation, validation, archive rules, search, summary."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from posapp.errors import Conflict, Forbidden, NotFound, ValidationError
from posapp.extensions import db
from posapp.models import Customer, LedgerEntry, User
from posapp.models.base import utcnow, write_transaction
from posapp.services import checkout, customers, ledger
from posapp.services.settings import load_settings, save_settings
from tests.factories import make_customer, make_product


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    "typed", ["98765 43210", "+91-98765-43210", "09876543210", "+91 98765 43210", "9876543210"]
)
def test_every_way_of_writing_a_number_is_stored_the_same(typed: str) -> None:
    assert customers.normalise_phone(typed, "IN") == "+919876543210"


def test_the_region_setting_reads_numbers_without_a_country_code(admin: User) -> None:
    assert customers.normalise_phone("(415) 555-2671", "US") == "+14155552671"
    with write_transaction(db.session):
        save_settings(db.session, phone_region="US")
    customer = make_customer(db.session, admin, phone="415 555 2671")
    assert customer.phone == "+14155552671"
    assert load_settings(db.session).phone_region == "US"


@pytest.mark.parametrize("typed", ["", "12345", "98765", "abc", "+91 12", "98765 4321x"])
def test_invalid_numbers_are_a_field_error(typed: str) -> None:
    with pytest.raises(ValidationError) as info:
        customers.normalise_phone(typed, "IN")
    assert "phone" in info.value.fields


def test_a_number_is_unique_however_it_is_written(admin: User) -> None:
    first = make_customer(db.session, admin, name="Ramesh", phone="98765 43210")
    with pytest.raises(Conflict) as info:
        make_customer(db.session, admin, name="Someone", phone="+91-98765-43210")
    assert info.value.code == "duplicate"
    assert info.value.details["customer_id"] == first.id
    assert "phone" in info.value.details["fields"]
    assert count(Customer) == 1


def test_bad_input_reports_every_field_and_writes_nothing(admin: User) -> None:
    with pytest.raises(ValidationError) as info:
        customers.create_customer(
            db.session,
            {"name": " ", "phone": "123", "email": "not-mail", "credit_limit": "10.005"},
            admin,
        )
    assert set(info.value.fields) == {"name", "phone", "email", "credit_limit"}
    assert count(Customer) == 0


def test_only_an_admin_gives_credit(admin: User, cashier: User) -> None:
    # More than the shop's limit for new customers (₹2,000.00) or no limit: admins only.
    with pytest.raises(Forbidden):
        make_customer(db.session, cashier, credit_limit="2000.01")
    with pytest.raises(Forbidden):
        make_customer(db.session, cashier, credit_limit=None)
    assert count(Customer) == 0
    customer = make_customer(db.session, cashier, name="Walk-in regular")
    assert customer.credit_limit == 0
    with pytest.raises(Forbidden):
        customers.update_customer(db.session, customer.id, {"credit_limit": "500"}, cashier)
    # Sending the unchanged limit (a whole form) is fine for a cashier.
    customers.update_customer(
        db.session, customer.id, {"credit_limit": "0.00", "address": "Lane 2"}, cashier
    )
    updated = customers.update_customer(db.session, customer.id, {"credit_limit": "500"}, admin)
    assert updated.credit_limit == 50000
    assert updated.address == "Lane 2"


def test_opening_balance_is_a_ledger_entry(admin: User) -> None:
    customer = make_customer(db.session, admin, opening_balance="250.50")
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.customer_id == customer.id))
    assert (entry.kind, entry.amount) == ("opening", 25050)
    assert ledger.balance(db.session, customer.id) == 25050


def test_a_customer_with_a_balance_cannot_be_archived(admin: User) -> None:
    customer = make_customer(db.session, admin, opening_balance="100")
    with pytest.raises(Conflict) as info:
        customers.update_customer(db.session, customer.id, {"archived": True}, admin)
    assert info.value.code == "has_balance"
    assert "with a balance of ₹100.00;" in info.value.message
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).archived is False
    ledger.record_payment(db.session, customer.id, {"amount": "100", "method": "cash"}, admin)
    archived = customers.update_customer(db.session, customer.id, {"archived": True}, admin)
    assert archived.archived is True
    assert customers.search_customers(db.session, customer.name)[1] == 0
    found, total = customers.search_customers(db.session, customer.name, include_archived=True)
    assert total == 1 and found[0].id == customer.id
    restored = customers.update_customer(db.session, customer.id, {"archived": False}, admin)
    assert restored.archived is False


def test_unknown_customer_is_not_found(admin: User) -> None:
    with pytest.raises(NotFound):
        customers.update_customer(db.session, 999, {"name": "x"}, admin)
    with pytest.raises(NotFound):
        customers.summary(db.session, 999)


def test_phone_search_takes_any_format_and_partial_digits(admin: User) -> None:
    ramesh = make_customer(db.session, admin, name="Ramesh", phone="98765 43210")
    make_customer(db.session, admin, name="Suresh", phone="91234 56789")
    for query in ("98765", "+91 98765", "098765 43210", "9876543210", "543-210", "+919876543210"):
        found, total = customers.search_customers(db.session, query)
        assert [c.id for c in found] == [ramesh.id], query
        assert total == 1
    assert customers.search_customers(db.session, "98")[1] == 0  # too few digits to mean anything
    assert customers.search_customers(db.session, "00000")[1] == 0


def test_name_search_finds_prefixes_first_then_typos(admin: User) -> None:
    rakesh = make_customer(db.session, admin, name="Rakesh Sharma")  # older: wins no tie
    ramesh = make_customer(db.session, admin, name="Ramesh Kumar")
    make_customer(db.session, admin, name="Sunita Devi")
    kumari = make_customer(db.session, admin, name="Kumari Bai")
    found, _ = customers.search_customers(db.session, "Rmaesh")
    assert found[0].id == ramesh.id
    found, _ = customers.search_customers(db.session, "ram")
    assert found[0].id == ramesh.id
    found, _ = customers.search_customers(db.session, "kum")
    assert {c.id for c in found[:2]} == {ramesh.id, kumari.id}  # a word of the name counts
    found, _ = customers.search_customers(db.session, "rakesh")
    assert found[0].id == rakesh.id
    found, _ = customers.search_customers(db.session, "kumar rmaesh")  # words in any order
    assert found[0].id == ramesh.id
    found, _ = customers.search_customers(db.session, "Sunita Dvei")
    assert found[0].name == "Sunita Devi"
    assert customers.search_customers(db.session, "zzzzqqq")[1] == 0


def test_name_search_sees_renames_and_new_customers_at_once(admin: User) -> None:
    customer = make_customer(db.session, admin, name="Lakshmi")
    assert customers.search_customers(db.session, "Lakshmi")[0][0].id == customer.id
    time.sleep(0.002)
    customers.update_customer(db.session, customer.id, {"name": "Parvathi"}, admin)
    assert customers.search_customers(db.session, "Lakshmy")[1] == 0
    assert customers.search_customers(db.session, "Parvati")[0][0].id == customer.id
    newcomer = make_customer(db.session, admin, name="Lakshmy")
    assert customers.search_customers(db.session, "Lakshmi")[0][0].id == newcomer.id


def test_search_pages_and_escapes_wildcards(admin: User) -> None:
    for i in range(5):
        make_customer(db.session, admin, name=f"Anil {i}")
    make_customer(db.session, admin, name="100% Pure")
    page, total = customers.search_customers(db.session, "anil", page=2, per_page=2)
    assert total == 5 and [c.name for c in page] == ["Anil 2", "Anil 3"]
    found, total = customers.search_customers(db.session, "100%")
    assert [c.name for c in found] == ["100% Pure"]
    assert customers.search_customers(db.session, "%")[1] == 0


def test_summary_has_balance_limit_aging_last_visit_and_total_spent(admin: User) -> None:
    customer = make_customer(db.session, admin, name="Meena", credit_limit="1000")
    product = make_product(db.session, price="100.00")
    checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "customer_id": customer.id,
                "items": [{"product_id": product.id, "quantity": 3}],
                "payments": [
                    {"method": "cash", "amount": "100"},
                    {"method": "credit", "amount": "200"},
                ],
            }
        ),
        admin,
    )
    info = customers.summary(db.session, customer.id)
    assert info.balance == 20000
    assert info.available == 80000
    assert info.aging == {"0_30": 20000, "31_60": 0, "61_90": 0, "90_plus": 0}
    assert info.total_spent == 30000
    assert info.invoices == 1
    assert info.last_visit is not None and utcnow() - info.last_visit < timedelta(minutes=1)
    text = customers.reminder_text(info, load_settings(db.session))
    assert "Meena" in text and "₹200.00" in text and "My Shop" in text
    assert customers.wa_digits(customer.phone) == customer.phone[1:]


def test_address_and_notes_edits_are_audited(admin: User) -> None:
    import json

    from posapp.models import AuditLog

    customer = make_customer(db.session, admin, name="Asha")
    customers.update_customer(
        db.session, customer.id, {"address": "14 Station Road", "notes": "Pays on Fridays"}, admin
    )
    entry = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "customer.update").order_by(AuditLog.id.desc())
    ).first()
    assert entry is not None and entry.entity_id == customer.id
    before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
    assert (before["address"], after["address"]) == ("", "14 Station Road")
    assert (before["notes"], after["notes"]) == ("", "Pays on Fridays")
