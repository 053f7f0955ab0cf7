"""Pages of posapp/web/invoices.py: the list and its filters, the invoice page, returns, voids."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import CreditNote, Invoice, Product, StockMovement, User
from posapp.services import checkout
from tests.factories import make_customer, make_product, make_user
from tests.web.helpers import login


def sell(user: User, product: Product, quantity: object = 2, **extra: object) -> Invoice:
    payload = {"items": [{"product_id": product.id, "quantity": quantity}], **extra}
    return checkout.checkout(db.session, checkout.parse_checkout(payload), user)


def notes() -> int:
    return int(db.session.scalar(select(func.count()).select_from(CreditNote)) or 0)


# --- the list ---------------------------------------------------------------------------------


def test_list_filters_by_number_customer_amount_method_and_cashier(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    product = make_product(db.session, price="10.00")
    asha = make_customer(
        db.session, admin, name="Asha Verma", phone="98765 43210", credit_limit="500"
    )
    small = sell(admin, product, 1)
    big = sell(cashier, product, 30, customer_id=asha.id)
    card = sell(admin, product, 3, payments=[{"method": "card", "amount": "30.00"}])
    login(client, "admin")

    def listed(**args: str) -> set[str]:
        response = client.get("/invoices/", query_string=args)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        return {n for n in (small.number, big.number, card.number) if f'data-invoice="{n}"' in html}

    assert listed() == {small.number, big.number, card.number}
    assert listed(q=small.number) == {small.number}
    assert listed(q="Asha") == {big.number}
    assert listed(q="765 432") == {big.number}
    assert listed(min="100") == {big.number}
    assert listed(max="30.00", min="20") == {card.number}
    assert listed(method="card") == {card.number}
    assert listed(cashier=str(cashier.id)) == {big.number}
    assert listed(status="paid", method="cash") == {small.number, big.number}


def test_list_bad_filters_answer_422_with_the_message(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    response = client.get("/invoices/?min=abc")
    assert response.status_code == 422
    assert "must be a number" in response.get_data(as_text=True)
    assert client.get("/invoices/?method=cheque").status_code == 422


def test_cashiers_see_only_their_own_invoices(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    product = make_product(db.session)
    mine = sell(cashier, product)
    theirs = sell(admin, product)
    login(client, "cashier")
    html = client.get(f"/invoices/?cashier={admin.id}").get_data(as_text=True)
    assert mine.number in html and theirs.number not in html
    assert 'id="f-cashier"' not in html
    assert client.get(f"/invoices/{mine.id}").status_code == 200
    assert client.get(f"/invoices/{theirs.id}").status_code == 403
    assert client.post(f"/invoices/{theirs.id}/return", data={}).status_code == 403
    assert client.get(f"/invoices/{theirs.id}/pdf").status_code == 403


def test_navbar_links_invoices_for_everyone(client: FlaskClient, cashier: User) -> None:
    login(client, "cashier")
    assert 'href="/invoices/"' in client.get("/pos/").get_data(as_text=True)


# --- the invoice page -------------------------------------------------------------------------


def test_invoice_page_shows_lines_taxes_totals_customer_payments_and_history(
    client: FlaskClient, admin: User
) -> None:
    product = make_product(db.session, name="Basmati 1kg", price="118.00", tax_rate="18")
    asha = make_customer(db.session, admin, name="Asha Verma", credit_limit="1000")
    invoice = sell(
        admin,
        product,
        2,
        customer_id=asha.id,
        payments=[{"method": "cash", "amount": "100.00"}, {"method": "credit", "amount": "136.00"}],
    )
    login(client, "admin")
    html = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    for text in ("Basmati 1kg", "Asha Verma", "18%", "236.00", "136.00", "Credit", "History"):
        assert text in html, text
    assert "data-history" in html and "<td>Sale</td>" in html
    assert "data-void-banner" not in html
    assert f"/pos/receipt/{invoice.id}?duplicate=1" in html
    assert "Duplicate PDF" in html
    pdf = client.get(f"/invoices/{invoice.id}/pdf?duplicate=1")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "duplicate" in pdf.headers["Content-Disposition"]


def test_unknown_invoice_is_404(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    assert client.get("/invoices/999").status_code == 404


# --- returns ----------------------------------------------------------------------------------


def test_return_form_issues_a_credit_note_and_shows_what_is_left(
    client: FlaskClient, admin: User
) -> None:
    product = make_product(db.session, price="10.00", opening_stock="10")
    invoice = sell(admin, product, 4)
    line_id = invoice.lines[0].id
    login(client, "admin")
    response = client.post(
        f"/invoices/{invoice.id}/return",
        data={f"qty-{line_id}": "1", "refund_method": "cash", "restock": "1"},
    )
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "CN" in html and "₹10.00 refunded in cash" in html
    assert f'data-returnable="{line_id}">3<' in html
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock_milli == 7_000


def test_status_says_partly_returned_then_returned_on_the_page_and_the_list(
    client: FlaskClient, admin: User
) -> None:
    product = make_product(db.session, price="10.00", opening_stock="10")
    invoice = sell(admin, product, 4)
    line_id = invoice.lines[0].id
    login(client, "admin")

    def shown() -> tuple[str, str]:
        page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
        listed = client.get("/invoices/").get_data(as_text=True)
        row = listed[listed.index(f'data-invoice="{invoice.number}"') :].split("</tr>")[0]
        return page.split("</h1>")[0], row

    page, row = shown()
    assert "Partly returned" not in page and "Partly returned" not in row
    for quantity in ("1", "3"):
        client.post(
            f"/invoices/{invoice.id}/return",
            data={f"qty-{line_id}": quantity, "refund_method": "cash", "restock": "1"},
        )
        page, row = shown()
        if quantity == "1":
            assert "data-partly-returned" in page and "Partly returned" in row
    assert "Partly returned" not in page and "Partly returned" not in row
    assert ">Returned</span>" in page and ">Returned</span>" in row


def restock_box(html: str) -> str:
    match = re.search(r'<input[^>]*id="f-restock"[^>]*>', html)
    assert match, "no restock box"
    return match.group(0)


def test_the_shelf_box_starts_unticked_only_when_every_returnable_line_is_perishable(
    client: FlaskClient, admin: User
) -> None:
    rice = make_product(db.session, name="Basmati Rice 1 kg")
    milk = make_product(db.session, name="Amul Taaza 500 ml", perishable=True)
    curd = make_product(db.session, name="Curd 400 g", perishable=True)
    mixed = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [
                    {"product_id": rice.id, "quantity": 1},
                    {"product_id": milk.id, "quantity": 1},
                ]
            }
        ),
        admin,
    )
    fresh = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [
                    {"product_id": milk.id, "quantity": 1},
                    {"product_id": curd.id, "quantity": 1},
                ]
            }
        ),
        admin,
    )
    login(client, "admin")
    page = client.get(f"/invoices/{mixed.id}").get_data(as_text=True)
    assert "checked" in restock_box(page)
    milk_line = next(line.id for line in mixed.lines if line.product_id == milk.id)
    rows = re.findall(r"<tr( data-perishable)?>\s*<td><label for=\"qty-(\d+)\"", page)
    assert {int(line_id) for flag, line_id in rows if flag} == {milk_line}
    assert "return_form.js" in page
    assert "checked" not in restock_box(client.get(f"/invoices/{fresh.id}").get_data(as_text=True))

    # With the rice back on the shelf, milk is all that can still come back: unticked.
    rice_line = next(line.id for line in mixed.lines if line.product_id == rice.id)
    client.post(
        f"/invoices/{mixed.id}/return",
        data={f"qty-{rice_line}": "1", "refund_method": "cash", "restock": "1"},
    )
    page = client.get(f"/invoices/{mixed.id}").get_data(as_text=True)
    assert "checked" not in restock_box(page)


def test_an_unticked_box_writes_no_stock_back_and_a_reshown_form_keeps_the_choice(
    client: FlaskClient, admin: User
) -> None:
    milk = make_product(db.session, name="Amul Taaza 500 ml", perishable=True, opening_stock="10")
    invoice = sell(admin, milk, 3)
    line_id = invoice.lines[0].id
    login(client, "admin")
    # The cashier ticked the box for milk (restock_touched): too many back re-shows it ticked.
    over = client.post(
        f"/invoices/{invoice.id}/return",
        data={
            f"qty-{line_id}": "4",
            "refund_method": "cash",
            "restock": "1",
            "restock_touched": "1",
        },
    )
    assert over.status_code == 409
    html = over.get_data(as_text=True)
    assert "checked" in restock_box(html)
    assert re.search(r'name="restock_touched"[^>]*value="1"', html)

    done = client.post(
        f"/invoices/{invoice.id}/return", data={f"qty-{line_id}": "1", "refund_method": "cash"}
    )
    assert done.status_code == 302
    note = db.session.scalars(select(CreditNote)).one()
    assert note.restock is False
    db.session.expire_all()
    assert db.session.get(Product, milk.id).stock_milli == 7_000  # nothing came back
    returned = db.session.scalars(
        select(StockMovement).where(
            StockMovement.product_id == milk.id, StockMovement.reason == "return"
        )
    ).all()
    assert returned == []


def test_over_return_is_409_and_writes_nothing(client: FlaskClient, admin: User) -> None:
    product = make_product(db.session, opening_stock="10")
    invoice = sell(admin, product, 2)
    login(client, "admin")
    response = client.post(
        f"/invoices/{invoice.id}/return",
        data={f"qty-{invoice.lines[0].id}": "3", "refund_method": "cash"},
    )
    assert response.status_code == 409
    assert "can still come back" in response.get_data(as_text=True)
    assert notes() == 0


def test_bad_quantity_and_nothing_chosen_are_422(client: FlaskClient, admin: User) -> None:
    product = make_product(db.session)
    invoice = sell(admin, product, 2)
    login(client, "admin")
    bad = client.post(
        f"/invoices/{invoice.id}/return",
        data={f"qty-{invoice.lines[0].id}": "1.5", "refund_method": "cash"},
    )
    assert bad.status_code == 422
    assert 'value="1.5"' in bad.get_data(as_text=True)
    empty = client.post(f"/invoices/{invoice.id}/return", data={"refund_method": "cash"})
    assert empty.status_code == 422
    assert "Choose at least one line" in empty.get_data(as_text=True)
    assert notes() == 0


def test_refund_to_credit_needs_a_customer(client: FlaskClient, admin: User) -> None:
    product = make_product(db.session)
    invoice = sell(admin, product, 2)
    login(client, "admin")
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert 'value="credit"' not in page
    response = client.post(
        f"/invoices/{invoice.id}/return",
        data={f"qty-{invoice.lines[0].id}": "1", "refund_method": "credit"},
    )
    assert response.status_code == 422
    assert "needs a customer" in response.get_data(as_text=True)
    assert notes() == 0


def test_cashier_may_return_against_their_own_invoice(client: FlaskClient, cashier: User) -> None:
    make_user(db.session, "owner", "admin")
    product = make_product(db.session)
    invoice = sell(cashier, product, 2)
    login(client, "cashier")
    response = client.post(
        f"/invoices/{invoice.id}/return",
        data={f"qty-{invoice.lines[0].id}": "2", "refund_method": "cash"},
    )
    assert response.status_code == 302
    assert notes() == 1


# --- voids and marks --------------------------------------------------------------------------


def test_admin_voids_with_a_reason_and_the_page_and_receipt_say_void(
    client: FlaskClient, admin: User
) -> None:
    product = make_product(db.session)
    invoice = sell(admin, product, 2)
    login(client, "admin")
    missing = client.post(f"/invoices/{invoice.id}/void", data={"reason": "  "})
    assert missing.status_code == 422
    assert "Say why" in missing.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "paid"

    done = client.post(f"/invoices/{invoice.id}/void", data={"reason": "Rung up twice"})
    assert done.status_code == 302
    html = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "data-void-banner" in html and "Rung up twice" in html
    assert "data-void-form" not in html and "data-return-form" not in html
    receipt = client.get(f"/pos/receipt/{invoice.id}").get_data(as_text=True)
    assert "*** VOID ***" in receipt and "data-duplicate-mark" not in receipt


def test_voiding_twice_shows_the_conflict(client: FlaskClient, admin: User) -> None:
    product = make_product(db.session)
    invoice = sell(admin, product, 1)
    login(client, "admin")
    assert client.post(f"/invoices/{invoice.id}/void", data={"reason": "x"}).status_code == 302
    again = client.post(f"/invoices/{invoice.id}/void", data={"reason": "again"})
    assert again.status_code == 409
    assert "already void" in again.get_data(as_text=True)


def test_cashier_cannot_void(client: FlaskClient, cashier: User) -> None:
    make_user(db.session, "owner", "admin")
    product = make_product(db.session)
    invoice = sell(cashier, product, 1)
    login(client, "cashier")
    assert "data-void-form" not in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    response = client.post(f"/invoices/{invoice.id}/void", data={"reason": "mine"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "paid"


def test_reprinted_receipt_is_marked_duplicate_and_shows_refunds(
    client: FlaskClient, admin: User
) -> None:
    product = make_product(db.session, price="10.00")
    invoice = sell(admin, product, 3)
    login(client, "admin")
    client.post(
        f"/invoices/{invoice.id}/return",
        data={f"qty-{invoice.lines[0].id}": "1", "refund_method": "cash", "restock": "1"},
    )
    first = client.get(f"/pos/receipt/{invoice.id}").get_data(as_text=True)
    assert "DUPLICATE" not in first
    again = client.get(f"/pos/receipt/{invoice.id}?duplicate=1").get_data(as_text=True)
    assert "*** DUPLICATE ***" in again
    assert "Refund in cash" in again and "data-returned" in again


def test_duplicate_copies_are_audited_and_originals_are_not(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    import json

    from posapp.models import AuditLog

    product = make_product(db.session, price="10.00")
    invoice = sell(cashier, product, 1)
    login(client, "cashier")
    assert client.get(f"/invoices/{invoice.id}/pdf").status_code == 200
    assert client.get(f"/pos/receipt/{invoice.id}").status_code == 200
    assert client.get(f"/invoices/{invoice.id}/pdf?duplicate=1").status_code == 200
    assert client.get(f"/pos/receipt/{invoice.id}?duplicate=1").status_code == 200
    db.session.expire_all()
    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "invoice.reprint").order_by(AuditLog.id)
    ).all()
    assert [(e.user_id, e.entity_id, json.loads(e.after or "{}")["copy"]) for e in entries] == [
        (cashier.id, invoice.id, "pdf"),
        (cashier.id, invoice.id, "receipt"),
    ]


def test_history_and_audit_log_say_what_happened_in_words_and_rupees(
    client: FlaskClient, admin: User
) -> None:
    from posapp.services import ledger

    product = make_product(db.session, price="512.00")
    sunita = make_customer(db.session, admin, name="Sunita Devi", credit_limit="2000")
    invoice = sell(
        admin, product, 1, customer_id=sunita.id, payments=[{"method": "credit", "amount": "512"}]
    )
    ledger.record_payment(db.session, sunita.id, {"amount": "1000", "method": "upi"}, admin)
    login(client, "admin")
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    history = page[page.index('id="history-title"') :].split("</table>")[0]
    assert f"Sale {invoice.number} of ₹512.00 to Sunita Devi, ₹512.00 on credit" in history
    assert "51200" not in history and "{" not in history
    log = client.get("/audit/").get_data(as_text=True)
    assert "Payment of ₹1,000.00 by UPI, ₹488.00 kept as an advance" in log
    assert f"Sale {invoice.number} of ₹512.00 to Sunita Devi" in log
    # The stored data stays reachable for checking the log, folded away.
    assert "Stored data" in log and "amount&#34;: 100000" in log
