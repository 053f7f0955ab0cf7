"""Pages of posapp/web/suppliers.py and the receive form's payment terms."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Purchase, Supplier, SupplierPayment
from tests.factories import make_product


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def field_error(html: str, fid: str) -> str:
    match = re.search(rf'id="{fid}-error">([^<]*)<', html)
    return match.group(1) if match else ""


def test_receive_on_credit_then_pay_and_read_the_ledger(admin_client: FlaskClient) -> None:
    rice = make_product(db.session, name="Rice", opening_stock="0")
    page = admin_client.get("/inventory/receive").get_data(as_text=True)
    assert 'name="paid_now"' in page and 'list="supplier-names"' in page
    answer = admin_client.post(
        "/inventory/receive",
        data={"supplier": "Kumar Traders", "reference": "KT-12", "bill_date": "2026-11-01",
              "paid_now": "2000.00", "paid_method": "upi",
              "code": [rice.code], "quantity": ["100"], "unit_cost": ["100.00"],
              "tax_rate": ["0"]},
    )  # fmt: skip
    assert answer.status_code == 302
    purchase = db.session.scalar(select(Purchase))
    supplier = db.session.scalar(select(Supplier))
    assert (supplier.name, purchase.supplier_id) == ("Kumar Traders", supplier.id)
    shown = admin_client.get(f"/inventory/purchases/{purchase.id}").get_data(as_text=True)
    assert "8,000.00" in shown and "UPI" in shown

    listed = admin_client.get("/suppliers/").get_data(as_text=True)
    assert "Kumar Traders" in listed and "8,000.00" in listed

    bad = admin_client.post(f"/suppliers/{supplier.id}/payments",
                            data={"amount": "2,5", "method": "cash"})  # fmt: skip
    assert bad.status_code == 422
    assert field_error(bad.get_data(as_text=True), "pay-amount")
    assert count(SupplierPayment) == 0

    paid = admin_client.post(
        f"/suppliers/{supplier.id}/payments",
        data={"amount": "3000", "method": "bank", "reference": "UTR 7"},
    )
    assert paid.status_code == 302
    detail = admin_client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert "5,000.00" in detail and "UTR 7" in detail and "Bank transfer" in detail
    to_pay = admin_client.get("/suppliers/to-pay").get_data(as_text=True)
    assert "PUR-000001 (KT-12)" in to_pay and "5,000.00" in to_pay

    pdf = admin_client.get(f"/suppliers/{supplier.id}/statement.pdf?from=2026-10-01&to=2026-12-31")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert admin_client.get(
        f"/suppliers/{supplier.id}/statement.pdf?from=2026-12-31&to=2026-10-01"
    ).status_code in (400, 422)


def test_add_and_edit_a_supplier_reshow_errors(admin_client: FlaskClient) -> None:
    bad = admin_client.post("/suppliers/new", data={"name": "", "credit_days": "abc",
                                                    "opening_balance": "2,5"})  # fmt: skip
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert field_error(html, "f-name") and field_error(html, "f-credit_days")
    assert count(Supplier) == 0
    good = admin_client.post("/suppliers/new", data={"name": "Metro", "credit_days": "15",
                                                     "opening_balance": "1200.50"})  # fmt: skip
    assert good.status_code == 302
    supplier = db.session.scalar(select(Supplier))
    assert (supplier.credit_days, supplier.opening_balance) == (15, 120_050)
    form = admin_client.get(f"/suppliers/{supplier.id}/edit").get_data(as_text=True)
    assert 'value="1200.50"' in form
    edit = admin_client.post(f"/suppliers/{supplier.id}/edit",
                             data={"name": "Metro Cash & Carry", "credit_days": "30",
                                   "opening_balance": "1200.50"})  # fmt: skip
    assert edit.status_code == 302
    db.session.refresh(supplier)
    assert (supplier.name, supplier.credit_days) == ("Metro Cash & Carry", 30)


def test_cashiers_cannot_open_supplier_pages(cashier_client: FlaskClient) -> None:
    for url in ("/suppliers/", "/suppliers/to-pay", "/suppliers/new"):
        assert cashier_client.get(url).status_code == 403, url


def test_return_goods_page_makes_a_debit_note(admin_client: FlaskClient) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="0")
    admin_client.post(
        "/inventory/receive",
        data={"supplier": "Metro", "paid_now": "0", "code": [tea.code], "quantity": ["10"],
              "unit_cost": ["100.00"], "tax_rate": ["0"]},
    )  # fmt: skip
    purchase = db.session.scalar(select(Purchase))
    line_id = purchase.lines[0].id
    assert "Return goods to the supplier" in admin_client.get(
        f"/inventory/purchases/{purchase.id}"
    ).get_data(as_text=True)
    url = f"/suppliers/purchases/{purchase.id}/return"
    bad = admin_client.post(url, data={f"qty_{line_id}": "11"})
    assert bad.status_code == 422 and "at most 10" in bad.get_data(as_text=True)
    good = admin_client.post(url, data={f"qty_{line_id}": "4", "note": "Torn packs"})
    assert good.status_code == 302
    detail = admin_client.get(good.headers["Location"]).get_data(as_text=True)
    assert "Debit note DN-000001" in detail and "600.00" in detail
