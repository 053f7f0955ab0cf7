"""In a real browser at 1366×768, by keyboard: the return form's "Back on the shelf" box
follows the lines chosen (milk is perishable, rice is not) until the cashier touches it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import CreditNote, Product, StockMovement, User
from posapp.services import checkout
from tests.e2e.conftest import log_in
from tests.factories import make_product, make_user

pytestmark = pytest.mark.e2e


def sell(cashier: User, *products: Product) -> tuple[int, dict[str, int]]:
    """A cash bill of one of each; its id and its line ids by product name."""
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": p.id, "quantity": 1} for p in products]}),
        cashier,
    )
    return invoice.id, {line.name: line.id for line in invoice.lines}


def returns_of(product_id: int) -> list[int]:
    """The stock that came back for a product, movement by movement."""
    return list(
        db.session.scalars(
            select(StockMovement.delta_milli).where(
                StockMovement.product_id == product_id, StockMovement.reason == "return"
            )
        )
    )


def submit(page: Any) -> None:
    """Enter in a quantity field sends the form (as a cashier would), then the page is back."""
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text(re.compile(r"Credit note CN\d{4}-\d{6}"))


def test_milk_comes_back_off_the_shelf_and_rice_on_it(
    page: Any, live_server: Any, artifacts: Path
) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
        cashier = make_user(db.session, "cash1", "cashier")
        rice = make_product(db.session, name="Basmati Rice 1 kg", price="165.00")
        milk = make_product(
            db.session, name="Amul Taaza Milk 500 ml", price="28.00", perishable=True
        )
        rice_id, milk_id = rice.id, milk.id
        mixed, mixed_lines = sell(cashier, rice, milk)
        touched, touched_lines = sell(cashier, rice, milk)
        plain, plain_lines = sell(cashier, rice)
        db.session.remove()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "cash1")
    box = page.locator("#f-restock")

    # Rice and milk on one bill: rice alone keeps the box ticked, milk unticks it.
    page.goto(f"/invoices/{mixed}")
    expect(box).to_be_checked()
    page.locator(f"#qty-{mixed_lines['Basmati Rice 1 kg']}").focus()
    page.keyboard.type("1")
    expect(box).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator(f"#qty-{mixed_lines['Amul Taaza Milk 500 ml']}")).to_be_focused()
    page.keyboard.type("1")
    expect(box).not_to_be_checked()
    page.locator("#return").screenshot(
        path=str(artifacts / "return-perishable-1366.png"), animations="disabled"
    )
    page.keyboard.press("Shift+Tab")  # rice is not coming back after all: milk alone
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")
    expect(box).not_to_be_checked()
    submit(page)
    with live_server.app.app_context():
        note = db.session.scalars(select(CreditNote).where(CreditNote.invoice_id == mixed)).one()
        assert note.restock is False
        assert returns_of(milk_id) == []  # no stock back for the milk
        assert db.session.get(Product, milk_id).stock_milli == 98_000  # type: ignore[union-attr]
        db.session.remove()

    # The cashier's own choice stands: milk chosen, then the box ticked by hand (Space) stays
    # ticked whatever lines follow.
    page.goto(f"/invoices/{touched}")
    page.locator(f"#qty-{touched_lines['Amul Taaza Milk 500 ml']}").focus()
    page.keyboard.type("1")
    expect(box).not_to_be_checked()
    for _ in range(3):  # refund, reason, then the box
        page.keyboard.press("Tab")
    expect(box).to_be_focused()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    page.locator(f"#qty-{touched_lines['Basmati Rice 1 kg']}").focus()
    page.keyboard.type("1")
    page.keyboard.press("Backspace")
    page.keyboard.type("1")
    expect(box).to_be_checked()
    submit(page)

    # Rice alone: ticked from the start and after choosing it; it goes back on the shelf.
    page.goto(f"/invoices/{plain}")
    expect(box).to_be_checked()
    page.locator(f"#qty-{plain_lines['Basmati Rice 1 kg']}").focus()
    page.keyboard.type("1")
    expect(box).to_be_checked()
    submit(page)
    with live_server.app.app_context():
        restocked = dict(
            db.session.execute(
                select(CreditNote.invoice_id, CreditNote.restock).where(
                    CreditNote.invoice_id.in_((touched, plain))
                )
            ).all()
        )
        assert restocked == {touched: True, plain: True}
        assert returns_of(rice_id) == [1_000, 1_000]
        assert returns_of(milk_id) == [1_000]  # the one the cashier chose to put back

    # On a phone the form fits: the perishable mark does not push the page sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/invoices/{mixed}")
    expect(page.locator("tr[data-perishable]")).to_contain_text("perishable")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
