"""UPI (services/upi.py): UPI IDs and payee names, the NPCI pay link (property tests: it
round-trips through urllib and its amount is exactly the paise), the references, the settings
form, and a sale keeping the UTR and the QR's bill reference on its UPI payment."""

from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, Payment, User
from posapp.services import audit_text, checkout, issued, upi
from posapp.services.settings import ShopSettings, load_settings
from tests.factories import make_customer, make_product

pytestmark = pytest.mark.one_backend("UPI links and QR codes")

LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=40)
HANDLE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20)
NAME = st.text(
    alphabet=st.sampled_from("ABCxyz019 .&'-(),/अकखशर"), min_size=1, max_size=upi.PAYEE_LENGTH
).filter(lambda s: s.strip())
NOTE = st.text(max_size=80).filter(lambda s: "\x00" not in s)
TR = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabc0123456789", min_size=1, max_size=35)
PAISE = st.integers(min_value=1, max_value=10**11)


@given(
    local=LOCAL,
    handle=HANDLE,
    name=NAME,
    amount=PAISE,
    note=NOTE,
    tr=TR,
)
def test_the_link_round_trips_through_urllib_and_the_amount_is_the_paise(
    local: str, handle: str, name: str, amount: int, note: str, tr: str
) -> None:
    vpa = f"a{local}@b{handle}"
    payee = upi.Payee(upi.normalise_vpa(vpa), upi.normalise_payee(name))
    link = upi.pay_link(payee, amount, note=note, reference=tr)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("upi", "pay", "")
    assert " " not in link and "+" not in parts.query  # a space is %20, never "+"
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values())
    got = {key: values[0] for key, values in query.items()}
    assert got["pa"] == vpa.lower()
    assert got["pn"] == payee.name
    assert got["cu"] == "INR"
    assert got["tr"] == tr
    rupees, paise = got["am"].split(".")
    assert len(paise) == 2 and int(rupees) * 100 + int(paise) == amount
    assert got.get("tn", "") == " ".join(note.split())[: upi.NOTE_LENGTH]
    assert list(got)[:2] == ["pa", "pn"]


@given(amount=PAISE)
def test_amount_text_is_rupees_with_two_decimals(amount: int) -> None:
    text = upi.amount_text(amount)
    assert re.fullmatch(r"[0-9]+\.[0-9]{2}", text)
    assert int(text.replace(".", "")) == amount


def test_a_static_link_has_no_amount_currency_or_reference() -> None:
    link = upi.pay_link(upi.Payee("shop@okaxis", "Sharma Store"))
    assert link == "upi://pay?pa=shop@okaxis&pn=Sharma%20Store"
    with pytest.raises(ValueError):
        upi.amount_text(0)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Sharma.Store@OKAXIS", "sharma.store@okaxis"),
        ("  9876543210@ybl ", "9876543210@ybl"),
        ("shop_1-a@paytm", "shop_1-a@paytm"),
    ],
)
def test_good_upi_ids_are_kept_lower_case(raw: str, stored: str) -> None:
    assert upi.normalise_vpa(raw) == stored


@pytest.mark.parametrize(
    "raw",
    ["", "shop", "@okaxis", "shop@", "shop@ok.axis", "sh op@okaxis", "shop@@okaxis",
     "a@okaxis", ".shop@okaxis", "shop@9bank", "shöp@okaxis", "x" * 70 + "@okaxis",
     "shop@okaxis&am=1"],
)  # fmt: skip
def test_bad_upi_ids_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        upi.normalise_vpa(raw)


def test_payee_names() -> None:
    assert upi.normalise_payee("  Sharma   &  Sons ") == "Sharma & Sons"
    assert upi.normalise_payee("शर्मा स्टोर") == "शर्मा स्टोर"
    assert upi.normalise_payee("Tab\there") == "Tab here"
    for bad in ("", "   ", "Shop<script>", "Shop=1", "A" * 51, "Shop\x00"):
        with pytest.raises(ValidationError):
            upi.normalise_payee(bad)


def test_references() -> None:
    assert upi.check_reference(None) == ""
    assert upi.check_reference("  ") == ""
    assert upi.check_reference("4123 4567 8901") == "412345678901"
    assert upi.check_reference("abc123xyz") == "ABC123XYZ"
    for bad in ("12345", "1234567890123", "ABC-123", "A" * 36, 412345678901, "₹100"):
        with pytest.raises(ValidationError):
            upi.check_reference(bad)
    assert upi.check_tr("TB1") == "TB1"
    for bad_tr in ("", "TB-1", "A" * 36, 5, None):
        with pytest.raises(ValidationError):
            upi.check_tr(bad_tr)
    assert upi.reference_of("INV2026-000123") == "INV2026000123"
    tr = upi.new_bill_reference(datetime(2026, 12, 6, 14, 30, 5))
    assert re.fullmatch(r"TB261206143005[A-Z0-9]{6}", tr)
    assert upi.check_tr(tr) == tr


def test_the_form_keeps_one_default_and_refuses_bad_rows_whole() -> None:
    values = upi.validate_form(
        {
            "upi_vpa_0": "First@okaxis",
            "upi_label_0": "  SBI   current ",
            "upi_vpa_1": "",
            "upi_vpa_2": "second@ybl",
            "upi_default": "2",
            "upi_payee_name": "Sharma Store",
            "upi_qr_on_documents": "1",
        }
    )
    assert json.loads(values["upi_ids"]) == [
        {"vpa": "first@okaxis", "label": "SBI current", "default": False},
        {"vpa": "second@ybl", "label": "", "default": True},
    ]
    assert values["upi_qr_on_documents"] is True
    with pytest.raises(ValidationError) as caught:
        upi.validate_form(
            {
                "upi_vpa_0": "bad",
                "upi_vpa_1": "same@ybl",
                "upi_vpa_2": "SAME@ybl",
                "upi_label_1": "x" * 31,
                "upi_payee_name": "<b>",
                "upi_qr_on_documents": "maybe",
            }
        )
    assert set(caught.value.fields) == {
        "upi_vpa_0",
        "upi_label_1",
        "upi_payee_name",
        "upi_qr_on_documents",
    }
    with pytest.raises(ValidationError) as no_ids:
        upi.validate_form({"upi_qr_on_documents": "1"})
    assert "Add a UPI ID first" in no_ids.value.fields["upi_qr_on_documents"]
    assert upi.validate_form({}) == {
        "upi_ids": "",
        "upi_payee_name": "",
        "upi_qr_on_documents": False,
    }


def test_stored_ids_read_back_and_a_bad_setting_reads_as_none() -> None:
    assert upi.read_ids("not json") == []
    assert upi.read_ids('{"vpa": "a@b"}') == []
    ids = upi.read_ids('[{"vpa": "xy@ybl"}, {"vpa": "bad"}, {"vpa": "yz@okaxis"}]')
    assert [(u.vpa, u.default) for u in ids] == [("xy@ybl", True), ("yz@okaxis", False)]
    assert upi.payee_of(ShopSettings()) is None
    settings = ShopSettings(shop_name="Sharma <Store>", upi_ids=upi.write_ids(ids))
    payee = upi.payee_of(settings)
    assert payee is not None and (payee.vpa, payee.name) == ("xy@ybl", "Sharma Store")


def test_the_qr_svg_has_no_fixed_size_and_a_white_quiet_zone() -> None:
    svg = upi.qr_svg("upi://pay?pa=a1@b")
    head = svg.split(">", 1)[0]
    assert "viewBox" in head and "width=" not in head and "height=" not in head
    assert 'fill="white"' in svg and "<script" not in svg and 'id="' not in svg


def test_saving_is_audited_and_described(admin: User) -> None:
    assert upi.update_settings(
        db.session,
        {"upi_vpa_0": "shop@okaxis", "upi_payee_name": "Sharma Store"},
        admin.id,
    )
    assert not upi.update_settings(
        db.session, {"upi_vpa_0": "SHOP@okaxis", "upi_payee_name": "Sharma Store"}, admin.id
    )  # the same, lower-cased: nothing changed, nothing audited
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.upi")).all()
    assert len(entries) == 1
    text = audit_text.describe(
        "settings.upi",
        entries[0].before,
        entries[0].after,
        audit_text.Context(money=lambda minor: str(minor)),
    )
    assert text.startswith("UPI settings changed:")
    assert "shop@okaxis (default)" in text and '"vpa"' not in text
    assert load_settings(db.session).upi_payee_name == "Sharma Store"


def _sell(user: User, payments: list[dict[str, object]], **extra: object) -> object:
    rice = make_product(db.session, price="100.00")
    return checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {"items": [{"product_id": rice.id, "quantity": 1}], "payments": payments, **extra}
        ),
        user,
    )


def test_a_sale_keeps_the_utr_and_the_bill_reference_on_its_upi_payment(admin: User) -> None:
    invoice = _sell(
        admin,
        [
            {"method": "upi", "amount": "60", "reference": "4123 4567 8901", "upi_tr": "TB1A"},
            {"method": "card", "amount": "30", "reference": "slip9"},
            {"method": "cash", "amount": "10"},
        ],
    )
    rows = db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    assert sorted((p.method, p.amount, p.reference, p.upi_tr) for p in rows) == [
        ("card", 3000, "SLIP9", ""),
        ("cash", 1000, "", ""),
        ("upi", 6000, "412345678901", "TB1A"),
    ]


@pytest.mark.parametrize(
    ("payment", "field"),
    [
        ({"method": "upi", "amount": "100", "reference": "12345"}, "payments.0.reference"),
        ({"method": "upi", "amount": "100", "reference": ["x"]}, "payments.0.reference"),
        ({"method": "upi", "amount": "100", "upi_tr": "TB-1"}, "payments.0.upi_tr"),
        ({"method": "cash", "amount": "100", "reference": "ABC"}, "payments.0.reference"),
        ({"method": "card", "amount": "100", "upi_tr": "TB1"}, "payments.0.upi_tr"),
    ],
)
def test_bad_references_are_refused_and_nothing_is_written(
    admin: User, payment: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        checkout.parse_checkout(
            {"items": [{"product_id": 1, "quantity": 1}], "payments": [payment]}
        )
    assert field in caught.value.fields


def test_the_invoice_snapshot_carries_the_upi_qr_for_what_was_left_due(admin: User) -> None:
    upi.update_settings(
        db.session,
        {"upi_vpa_0": "shop@okaxis", "upi_payee_name": "Sharma Store", "upi_qr_on_documents": "1"},
        admin.id,
    )
    customer = make_customer(db.session, admin, credit_limit=None)
    paid = _sell(admin, [{"method": "cash", "amount": "100"}])
    owed = _sell(
        admin,
        [{"method": "upi", "amount": "40"}, {"method": "credit", "amount": "60"}],
        customer_id=customer.id,
    )
    assert issued.read(paid.issued_as).upi is None  # nothing due: no QR
    doc = issued.read(owed.issued_as)
    assert doc.upi == {"vpa": "shop@okaxis", "name": "Sharma Store", "amount": 6000}
    link = doc.upi_link(owed.number)
    assert link is not None
    query = parse_qs(urlsplit(link).query)
    assert query["am"] == ["60.00"] and query["tr"] == [owed.number.replace("-", "")]
    # Changing the UPI ID later changes no issued document.
    upi.update_settings(
        db.session,
        {"upi_vpa_0": "other@ybl", "upi_payee_name": "Other", "upi_qr_on_documents": "1"},
        admin.id,
    )
    db.session.refresh(owed)
    assert issued.read(owed.issued_as).upi_link(owed.number) == link
