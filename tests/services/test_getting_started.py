"""posapp/services/getting_started.py: each step ticks itself as the shop does that one thing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from posapp.extensions import db
from posapp.models import AuditLog, LedgerEntry, User
from posapp.services import backups, catalog, getting_started, receipt_printer, shop_settings, users
from posapp.services.settings import load_settings
from tests.factories import PASSWORD, make_customer, make_product, make_user

KEYS = ["shop", "gst", "products", "customers", "users", "backup", "printer"]


@pytest.fixture
def owner(app: Flask, session: Session) -> User:
    """A fresh shop as the setup page leaves it: its first admin, and a name typed there."""
    return users.create_first_admin(session, "owner", PASSWORD, PASSWORD, shop_name="Sharma Kirana")


def done(session: Session) -> set[str]:
    return {step.key for step in getting_started.steps(session) if step.done}


def test_a_fresh_shop_has_every_step_to_do_in_order(session: Session, owner: User) -> None:
    found = getting_started.steps(session)
    assert [step.key for step in found] == KEYS
    # The name typed at setup is not the whole of the shop's details: the address is missing.
    assert done(session) == set()
    for step in found:
        assert step.title and step.detail and step.endpoint
    assert getting_started.visible_steps(session, load_settings(session)) == found


def test_the_shop_details_need_a_name_of_its_own_and_an_address(
    session: Session, owner: User
) -> None:
    save = shop_settings.save_changes
    save(session, {"address": "12 MG Road, Pune"}, "settings.change", owner.id)
    assert done(session) == {"shop"}
    save(session, {"shop_name": "My Shop"}, "settings.change", owner.id)  # the default again
    assert done(session) == set()
    save(session, {"shop_name": "Sharma Kirana", "address": "  "}, "settings.change", owner.id)
    assert done(session) == set()


def test_a_gstin_ticks_gst_only(session: Session, owner: User) -> None:
    values = shop_settings.gst_values({"tax_number": "27AAPFU0939F1ZV"}, {})
    shop_settings.save_changes(session, values, "settings.change", owner.id)
    assert done(session) == {"gst"}


def test_a_product_on_sale_ticks_products_and_archiving_it_unticks(
    session: Session, owner: User
) -> None:
    product = make_product(session, owner.id)
    assert done(session) == {"products"}
    catalog.archive_product(session, product.id, owner.id)
    assert done(session) == set()


def test_a_customer_with_dues_ticks_customers(session: Session, owner: User) -> None:
    customer = make_customer(session, owner, opening_balance="1250.50")
    entry = session.scalars(select(LedgerEntry).where(LedgerEntry.customer_id == customer.id))
    assert [(e.kind, e.amount) for e in entry] == [("opening", 125_050)]
    assert done(session) == {"customers"}


def test_any_customer_at_all_ticks_customers(session: Session, owner: User) -> None:
    make_customer(session, owner)
    assert done(session) == {"customers"}


def test_a_second_login_ticks_users_and_a_deactivated_one_does_not(
    session: Session, owner: User
) -> None:
    cashier = make_user(session, "till1", "cashier")
    assert done(session) == {"users"}
    users.set_active(session, cashier.id, False, owner.id)
    assert done(session) == set()
    make_user(session, "partner", "admin")  # a second admin counts as well
    assert done(session) == {"users"}


def test_an_offsite_folder_ticks_backup(session: Session, owner: User, tmp_path) -> None:  # type: ignore[no-untyped-def]
    backups.set_offsite_folder(session, str(tmp_path / "usb"), owner.id)
    assert done(session) == {"backup"}


def test_a_receipt_printer_ticks_printer(session: Session, owner: User) -> None:
    form = {"printer_kind": "network", "printer_host": "192.168.1.50", "printer_port": "9100"}
    receipt_printer.save_printer_settings(session, form, owner.id)
    assert done(session) == {"printer"}
    printer = next(step for step in getting_started.steps(session) if step.key == "printer")
    assert (printer.endpoint, printer.fragment) == ("settings.index", "#printer")
    receipt_printer.save_printer_settings(session, {"printer_kind": "none"}, owner.id)
    assert done(session) == set()


def test_a_hand_edited_printer_kind_is_no_printer(session: Session, owner: User) -> None:
    shop_settings.save_changes(session, {"printer_kind": "laser"}, "settings.change", owner.id)
    assert done(session) == set()


def test_every_step_done_and_the_list_is_gone(session: Session, owner: User, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shop_settings.save_changes(
        session,
        {"address": "12 MG Road, Pune", "tax_number": "27AAPFU0939F1ZV", "state_code": "27"},
        "settings.change",
        owner.id,
    )
    make_product(session, owner.id)
    make_customer(session, owner)
    make_user(session, "till1", "cashier")
    backups.set_offsite_folder(session, str(tmp_path / "usb"), owner.id)
    shop_settings.save_changes(session, {"printer_kind": "usb"}, "settings.printer", owner.id)
    assert done(session) == set(KEYS)
    assert getting_started.visible_steps(session, load_settings(session)) is None


def test_hiding_is_a_setting_saved_audited_and_undone(session: Session, owner: User) -> None:
    assert getting_started.set_hidden(session, True, owner.id) is True
    assert getting_started.set_hidden(session, True, owner.id) is False  # already hidden
    settings = load_settings(session)
    assert settings.getting_started_hidden is True
    assert getting_started.visible_steps(session, settings) is None
    rows = list(session.scalars(select(AuditLog).where(AuditLog.action == "settings.change")))
    assert len(rows) == 1 and rows[0].user_id == owner.id
    assert json.loads(rows[0].after or "{}") == {"getting_started_hidden": "1"}
    assert getting_started.set_hidden(session, False, owner.id) is True
    assert getting_started.visible_steps(session, load_settings(session)) is not None


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_checks_are_three_exists_and_no_scan(session: Session, owner: User) -> None:
    settings = load_settings(session)
    with counted_statements() as statements:
        getting_started.steps(session, settings)
    # Products, customers, users; the settings the page had already read are not read again.
    assert len(statements) == 3
    assert all("EXISTS" in statement.upper() for statement in statements), statements
