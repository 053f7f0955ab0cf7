"""Everything user-typed is escaped in HTML and printed literally in PDFs (docs/DESIGN.md §8)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from flask.testing import FlaskClient
from pypdf import PdfReader

from posapp.config import bundled
from posapp.extensions import db
from posapp.models import User
from posapp.models.base import write_transaction
from posapp.services import checkout, ledger, users
from posapp.services.settings import save_settings
from posapp.web.reports import TITLES
from tests.factories import PASSWORD, make_customer, make_product
from tests.web.helpers import login

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
PAYLOADS = (SCRIPT, IMG)
# The payloads as live markup (the pages' own <script src=...> tags are not these).
RAW_TAGS = re.compile(r"<\s*script\s*>\s*alert|<\s*img\s+src=x\s+onerror", re.IGNORECASE)


def pdf_text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text)


def assert_escaped(html: str, where: str) -> None:
    assert not RAW_TAGS.search(html), f"{where}: a user-typed tag reached the HTML unescaped"
    assert "&lt;script&gt;" in html or "&lt;img" in html or "\\u003c" in html, (
        f"{where}: the hostile names were not shown at all (the test would prove nothing)"
    )


def test_hostile_names_are_escaped_everywhere_they_are_shown(
    client: FlaskClient, admin: User
) -> None:
    with write_transaction(db.session):
        save_settings(db.session, shop_name=SCRIPT, address=IMG, receipt_footer=SCRIPT, phone=IMG)
    drink = make_product(db.session, admin.id, name=SCRIPT, category=IMG, supplier=IMG)
    snack = make_product(db.session, admin.id, name=IMG, category=SCRIPT, location=SCRIPT)
    customer = make_customer(db.session, admin, name=SCRIPT, address=IMG, credit_limit="1000.00")
    invoice = checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [
                    {"product_id": drink.id, "quantity": 1},
                    {"product_id": snack.id, "quantity": 2},
                ],
                "customer_id": customer.id,
                "payments": [{"method": "credit", "amount": "30.00"}],
                "note": IMG,
            }
        ),
        admin,
    )
    # Usernames cannot carry markup at all: the rule refuses them before any page shows one.
    for hostile in PAYLOADS:
        try:
            users.create_user(db.session, hostile, PASSWORD, "cashier")
        except users.ValidationError:
            pass
        else:
            raise AssertionError("a username with markup was accepted")

    login(client, "admin")
    pages = [
        "/pos/",
        "/products/",
        f"/products/?q={drink.code}",
        f"/products/{drink.id}",
        f"/products/{snack.id}",
        f"/products/{drink.id}/edit",
        f"/products/labels?ids={drink.id}&ids={snack.id}",
        "/products/categories/",
        "/inventory/",
        f"/inventory/adjust/{drink.id}",
        f"/pos/receipt/{invoice.id}",
        "/customers/",
        "/customers/dues",
        f"/customers/{customer.id}",
        f"/customers/{customer.id}/edit",
        "/audit/",
        "/users/",
        "/reports/",
        *[f"/reports/{name}" for name in TITLES],
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.get_data(as_text=True), url)

    preview = client.post(
        "/pos/price",
        json={
            "items": [
                {"product_id": drink.id, "quantity": 1},
                {"product_id": snack.id, "quantity": 1},
            ]
        },
    )
    assert preview.status_code == 200
    # JSON is data, not markup: served as JSON, the names come back exactly as typed, and the
    # till's script writes them only through textContent (checked below).
    assert preview.mimetype == "application/json"
    assert {line["name"] for line in preview.get_json()["lines"]} == {SCRIPT, IMG}

    today = ledger.local_today()
    documents = {
        "invoice PDF": (f"/api/invoice/{invoice.id}/pdf", [SCRIPT, IMG]),
        "statement PDF": (
            f"/customers/{customer.id}/statement.pdf?from={today - timedelta(days=7)}&to={today}",
            [SCRIPT],
        ),
        "label PDF": (f"/products/{drink.id}/label.pdf", [SCRIPT]),
    }
    for where, (url, expected) in documents.items():
        response = client.get(url)
        assert response.status_code == 200, where
        assert response.mimetype == "application/pdf", where
        text = pdf_text(response.data)
        # Narrow labels wrap long names: compare without the line breaks' spaces.
        squeezed = text.replace(" ", "")
        for literal in expected:
            assert literal.replace(" ", "") in squeezed, (
                f"{where}: {literal!r} not printed literally in {text[:300]!r}"
            )
        assert "&lt;" not in text and "&amp;" not in text, f"{where}: double-escaped text"


def test_page_scripts_never_build_markup_from_data() -> None:
    """innerHTML/insertAdjacentHTML only ever receive fixed markup, never `${...}` values."""
    scripts = sorted((bundled("static", "js")).rglob("*.js"))
    assert scripts
    sink = re.compile(r"(?:innerHTML|outerHTML)\s*\+?=|insertAdjacentHTML\s*\(")
    for script in scripts:
        source = script.read_text(encoding="utf-8")
        for match in sink.finditer(source):
            rest = source[match.end() :].lstrip()
            if rest.startswith("`"):
                literal = rest[1 : rest.index("`", 1)]
                assert "${" not in literal, f"{script.name}: markup built from data"
            else:
                assert rest.startswith(("'", '"')), f"{script.name}: markup from an expression"
