"""The authorisation matrix: every route, tried anonymously, as a cashier and as an admin.

The table below is the policy (docs/DESIGN.md §8, docs/API.md "who"), written down by hand:
OPEN routes need no login, ANY needs a logged-in user of either role, ADMIN needs an admin.
From it follow the statuses: anonymous callers get a redirect to the login page (HTML) or
401 (API); a cashier at an ADMIN route gets 403; an allowed caller is never refused
(no 401/403, no login redirect) and never gets a 5xx. A route missing from the table fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from posapp.extensions import db
from posapp.services import checkout, ledger, users
from tests.factories import PASSWORD, make_customer, make_product, make_user
from tests.web.helpers import login

OPEN, ANY, ADMIN = "open", "any", "admin"

POLICY: dict[tuple[str, str], str] = {
    # first run, login, health, static files
    ("static", "GET"): OPEN,
    ("auth.setup", "GET"): OPEN,
    ("auth.setup", "POST"): OPEN,
    ("auth.login", "GET"): OPEN,
    ("auth.login", "POST"): OPEN,
    ("auth.login_code", "GET"): OPEN,  # two-step login's second step (password already given)
    ("auth.login_code", "POST"): OPEN,
    ("api.health", "GET"): OPEN,
    ("api.login", "POST"): OPEN,
    ("api.logout", "POST"): ANY,  # ends the calling token
    ("api.openapi_json", "GET"): OPEN,  # the contract is public; scripts fetch it before login
    ("api.docs_page", "GET"): OPEN,
    # Quit TillBook: only in the desktop's browser fallback (else 404), for whoever sits at
    # this computer (loopback, even before logging in) or an admin (tests/web/test_desktop_quit)
    ("desktop.quit_app", "POST"): OPEN,
    # everyone's own account
    ("auth.home", "GET"): ANY,
    ("auth.logout", "POST"): ANY,
    ("auth.change_password", "GET"): ANY,
    ("auth.change_password", "POST"): ANY,
    ("auth.profile", "GET"): ANY,  # my account: named API tokens (each acts with my role)
    ("auth.create_token", "POST"): ANY,
    ("auth.revoke_token", "POST"): ANY,
    ("auth.set_pin", "POST"): ADMIN,  # only admins approve sales with a till PIN
    ("auth.set_language", "POST"): ANY,  # everyone chooses the language of their own screens
    ("auth.two_step", "GET"): ANY,  # my own two-step login
    ("auth.two_step_start", "POST"): ANY,
    ("auth.two_step_confirm", "POST"): ANY,
    ("auth.two_step_disable", "POST"): ANY,
    # the till
    ("pos.index", "GET"): ANY,
    ("pos.price", "POST"): ANY,
    ("pos.receipt", "GET"): ANY,
    ("pos.print_receipt", "POST"): ANY,  # the ESC/POS receipt (and the sale's drawer kick)
    ("pos.held", "GET"): ANY,  # held bills: cashiers park and recall their own
    ("pos.hold", "POST"): ANY,
    ("pos.recall", "POST"): ANY,
    # the customer display: the till asks for a pairing code and publishes its bill; the
    # screen itself needs no login, only a live display token (else the pairing form / 401)
    ("display.code", "POST"): ANY,
    ("display.publish", "POST"): ANY,
    ("display.index", "GET"): OPEN,
    ("display.pair", "POST"): OPEN,
    ("display.state", "GET"): OPEN,
    ("display.qr", "GET"): OPEN,
    ("display.claim", "GET"): OPEN,  # a one-time ticket in the address is the pairing
    ("display.desktop", "POST"): ANY,  # the desktop window's second window (loopback only)
    ("display_settings.index", "GET"): ADMIN,
    ("display_settings.revoke", "POST"): ADMIN,
    # orders: taken, moved on, cancelled and delivered at the counter by anyone; reports admin
    ("orders.index", "GET"): ANY,
    ("orders.find", "GET"): ANY,
    ("orders.new", "GET"): ANY,
    ("orders.create", "POST"): ANY,
    ("orders.detail", "GET"): ANY,
    ("orders.edit", "GET"): ANY,
    ("orders.update", "POST"): ANY,
    ("orders.change_status", "POST"): ANY,
    ("orders.cancel", "POST"): ANY,
    ("orders.deliver_form", "GET"): ANY,
    ("orders.deliver", "POST"): ANY,
    ("orders.slip", "GET"): ANY,
    ("orders.reports", "GET"): ADMIN,
    ("invoices.index", "GET"): ANY,  # cashiers list and open their own invoices
    ("invoices.detail", "GET"): ANY,
    ("invoices.pdf", "GET"): ANY,
    ("invoices.print_receipt", "POST"): ANY,  # reprint on the receipt printer, own invoices
    ("invoices.take_return", "POST"): ANY,  # API.md: returns are "any user"
    ("invoices.void", "POST"): ADMIN,  # cashiers can never void a sale
    # cash sessions: cashiers open, pay in/out and close their own; admins see every session
    ("cash.index", "GET"): ANY,
    ("cash.open_session", "POST"): ANY,
    ("cash.movement", "POST"): ANY,
    ("cash.close", "POST"): ANY,
    ("cash.z_report", "GET"): ANY,
    ("cash.z_report_pdf", "GET"): ANY,
    ("cash.open_drawer", "POST"): ANY,  # "no sale": a reason, audit-logged (issue 9)
    ("cash.required", "POST"): ADMIN,  # the shop's rule, not the cashier's
    ("dashboard.index", "GET"): ADMIN,
    ("dashboard.hide_getting_started", "POST"): ADMIN,  # the shop's checklist, audited
    ("dashboard.show_getting_started", "POST"): ADMIN,
    ("exports.index", "GET"): ADMIN,
    ("exports.table_csv", "GET"): ADMIN,
    ("exports.all_zip", "POST"): ADMIN,
    ("exports.to_folder", "POST"): ADMIN,
    ("books_export.index", "GET"): ADMIN,
    ("books_export.download", "GET"): ADMIN,
    ("reports.add_expense", "POST"): ADMIN,
    ("products.qr", "GET"): ANY,  # the till shows product QR codes
    # cashiers serve customers: find, add, edit, take payments, print statements and receipts
    ("customers.index", "GET"): ANY,
    ("customers.dues", "GET"): ANY,
    ("customers.new", "GET"): ANY,
    ("customers.new", "POST"): ANY,
    ("customers.edit", "GET"): ANY,
    ("customers.edit", "POST"): ANY,
    ("customers.archive", "POST"): ANY,
    ("customers.restore", "POST"): ANY,
    ("customers.detail", "GET"): ANY,
    ("hq_due.due", "GET"): ANY,  # the customer page's due at all shops (issue 24)
    ("customers.record_payment", "POST"): ANY,
    ("customers.payment_receipt", "GET"): ANY,
    ("customers.payment_pdf", "GET"): ANY,
    ("customers.statement", "GET"): ANY,
    ("customers.adjust", "POST"): ADMIN,  # balance write-offs are the owner's
    # What the shop owes its suppliers, and paying them, is the owner's business.
    ("suppliers.index", "GET"): ADMIN,
    ("suppliers.to_pay", "GET"): ADMIN,
    ("suppliers.new", "GET"): ADMIN,
    ("suppliers.new", "POST"): ADMIN,
    ("suppliers.edit", "GET"): ADMIN,
    ("suppliers.edit", "POST"): ADMIN,
    ("suppliers.detail", "GET"): ADMIN,
    ("suppliers.pay", "POST"): ADMIN,
    ("suppliers.statement", "GET"): ADMIN,
    ("suppliers.return_goods", "GET"): ADMIN,
    ("suppliers.return_goods", "POST"): ADMIN,
    # products, categories, CSV, labels: the admin's
    ("products.index", "GET"): ADMIN,
    ("products.detail", "GET"): ADMIN,
    ("products.new", "GET"): ADMIN,
    ("products.new", "POST"): ADMIN,
    ("products.edit", "GET"): ADMIN,
    ("products.edit", "POST"): ADMIN,
    ("products.archive", "POST"): ADMIN,
    ("products.restore", "POST"): ADMIN,
    ("products.barcode", "GET"): ADMIN,
    ("products.scale_label", "GET"): ADMIN,
    ("products.label", "GET"): ADMIN,
    ("products.label_sheet", "GET"): ADMIN,
    ("products.label_sheet", "POST"): ADMIN,
    ("products.rerate_products", "GET"): ADMIN,  # many products' tax rate at once
    ("products.rerate_products", "POST"): ADMIN,
    ("products.rerate_apply", "POST"): ADMIN,
    ("categories.index", "GET"): ADMIN,
    ("categories.create", "POST"): ADMIN,
    ("categories.rename", "POST"): ADMIN,
    ("categories.delete", "POST"): ADMIN,
    ("product_csv.export", "GET"): ADMIN,
    ("product_csv.template", "GET"): ADMIN,
    ("product_csv.upload", "GET"): ADMIN,
    ("product_csv.upload", "POST"): ADMIN,
    ("product_csv.preview", "GET"): ADMIN,
    ("product_csv.confirm", "POST"): ADMIN,
    ("product_csv.errors_csv", "GET"): ADMIN,
    ("switch_in.index", "GET"): ADMIN,
    ("switch_in.upload", "GET"): ADMIN,
    ("switch_in.upload", "POST"): ADMIN,
    ("switch_in.preview", "GET"): ADMIN,
    ("switch_in.columns", "POST"): ADMIN,
    ("switch_in.confirm", "POST"): ADMIN,
    ("switch_in.errors_csv", "GET"): ADMIN,
    ("switch_in.template", "GET"): ADMIN,
    # stock, reports, audit, users, backups: the admin's
    ("inventory.index", "GET"): ADMIN,
    ("inventory.adjust", "GET"): ADMIN,
    ("inventory.adjust", "POST"): ADMIN,
    ("inventory.count", "GET"): ADMIN,
    ("inventory.count", "POST"): ADMIN,
    ("inventory.expiring", "GET"): ADMIN,
    ("inventory.purchase", "GET"): ADMIN,
    ("inventory.receive", "GET"): ADMIN,
    ("inventory.receive", "POST"): ADMIN,
    ("inventory.settings", "GET"): ADMIN,
    ("inventory.settings", "POST"): ADMIN,
    ("reports.index", "GET"): ADMIN,
    ("reports.show", "GET"): ADMIN,
    ("reports.gstr1", "GET"): ADMIN,
    ("reports.gstr3b", "GET"): ADMIN,
    ("books.index", "GET"): ADMIN,
    ("books.show", "GET"): ADMIN,
    ("books.accounts", "GET"): ADMIN,
    ("books.add_account", "POST"): ADMIN,
    ("books.change_account", "POST"): ADMIN,
    ("books.new_entry", "GET"): ADMIN,
    ("books.post_entry", "POST"): ADMIN,
    ("books.reverse", "POST"): ADMIN,
    ("audit.index", "GET"): ADMIN,
    ("users.index", "GET"): ADMIN,
    ("users.create", "POST"): ADMIN,
    ("users.change_role", "POST"): ADMIN,
    ("users.set_active", "POST"): ADMIN,
    ("users.reset_password", "POST"): ADMIN,
    ("users.clear_pin", "POST"): ADMIN,
    ("users.timeout", "POST"): ADMIN,
    ("users.token_days", "POST"): ADMIN,
    ("users.two_step_required", "POST"): ADMIN,
    ("backups.index", "GET"): ADMIN,
    ("backups.backup_now", "POST"): ADMIN,
    ("backups.offsite", "POST"): ADMIN,
    ("backups.restore", "POST"): ADMIN,
    ("backups.start_job", "POST"): ADMIN,
    ("backups.job_status", "GET"): ADMIN,
    ("backups.download", "GET"): ADMIN,
    ("hq_link.index", "GET"): ADMIN,
    ("hq_link.enrol", "POST"): ADMIN,
    ("hq_link.sync_now", "POST"): ADMIN,
    ("settings.index", "GET"): ADMIN,
    ("settings.save", "POST"): ADMIN,
    ("settings.upload_logo", "POST"): ADMIN,
    ("settings.remove_logo", "POST"): ADMIN,
    ("settings.save_printer", "POST"): ADMIN,
    ("settings.test_print", "POST"): ADMIN,
    ("network.index", "GET"): ADMIN,
    ("network.save", "POST"): ADMIN,
    ("network.qr", "GET"): ADMIN,
    ("network.https_qr", "GET"): ADMIN,
    # The shop's CA certificate and how to trust it: a tablet gets them before anyone signs
    # in on it; a CA certificate is public (every HTTPS answer carries it), its key is not.
    ("network.trust", "GET"): OPEN,
    ("network.ca_der", "GET"): OPEN,
    ("network.ca_pem", "GET"): OPEN,
    ("scale_settings.index", "GET"): ADMIN,
    ("scale_settings.save", "POST"): ADMIN,
    ("upi.settings_page", "GET"): ADMIN,
    ("upi.save", "POST"): ADMIN,
    ("upi.counter_card", "GET"): ADMIN,
    ("upi.qr", "GET"): ANY,
    ("upi.qr_svg", "GET"): ANY,  # the till's (and the customer display's) QR for an amount
    # the API, as docs/API.md's "who" column says
    ("api.list_products", "GET"): ANY,
    ("api.get_product", "GET"): ANY,
    ("api.lookup", "GET"): ANY,
    ("api.create_product", "POST"): ADMIN,
    ("api.update_product", "PUT"): ADMIN,
    ("api.archive_product", "DELETE"): ADMIN,
    ("api.stock_movement", "POST"): ADMIN,
    ("api.rerate_products", "POST"): ADMIN,
    ("api.create_invoice", "POST"): ANY,
    ("api.get_invoice", "GET"): ANY,
    ("api.invoice_pdf", "GET"): ANY,
    ("api.return_goods", "POST"): ANY,
    ("api.void_invoice", "POST"): ADMIN,
    ("api.get_credit_note", "GET"): ANY,
    ("api.credit_note_pdf", "GET"): ANY,
    ("api.dashboard_stats", "GET"): ADMIN,
    ("api.list_invoices", "GET"): ANY,
    ("api.list_customers", "GET"): ANY,
    ("api.create_customer", "POST"): ANY,
    ("api.get_customer", "GET"): ANY,
    ("api.update_customer", "PUT"): ANY,
    ("api.customer_ledger", "GET"): ANY,
    ("api.tally_xml", "GET"): ADMIN,
    ("api.list_suppliers", "GET"): ADMIN,
    ("api.create_supplier", "POST"): ADMIN,
    ("api.get_supplier", "GET"): ADMIN,
    ("api.update_supplier", "PUT"): ADMIN,
    ("api.supplier_ledger", "GET"): ADMIN,
    ("api.pay_supplier", "POST"): ADMIN,
    ("api.books_accounts", "GET"): ADMIN,
    ("api.books_journal", "GET"): ADMIN,
    ("api.books_post_entry", "POST"): ADMIN,
    ("api.books_trial_balance", "GET"): ADMIN,
    ("api.books_profit_and_loss", "GET"): ADMIN,
    ("api.books_balance_sheet", "GET"): ADMIN,
    ("api.record_payment", "POST"): ANY,
    ("api.adjust_balance", "POST"): ADMIN,
    ("api.get_settings", "GET"): ANY,  # a cashier gets the till's keys only
    ("api.update_settings", "PUT"): ADMIN,
    # API v1 (docs/API.md)
    ("api.me", "GET"): ANY,
    ("api.refresh", "POST"): ANY,  # swaps the calling token
    ("api.inventory_status", "GET"): ANY,
    ("api.inventory_history", "GET"): ANY,
    ("api.inventory_adjust", "POST"): ADMIN,
    ("api.list_payments", "GET"): ANY,  # a cashier sees the payments they took
    ("api.invoice_payment_status", "GET"): ANY,
    ("api.list_orders", "GET"): ANY,
    ("api.create_order", "POST"): ANY,
    ("api.get_order", "GET"): ANY,
    ("api.change_order_status", "POST"): ANY,
    ("api.cancel_order", "POST"): ANY,
}


def _routes(app: Flask) -> Iterator[tuple[str, str, str]]:
    """Yield (endpoint, method, url) for every route, ids filled with 1 (rows that exist)."""
    for rule in app.url_map.iter_rules():
        url = re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def _is_api(url: str) -> bool:
    return url.startswith("/api/")


def _to_login(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


@pytest.fixture
def world(app: Flask) -> dict[str, dict[str, str]]:
    """Rows with id 1 of everything a route can name; an admin and a cashier with tokens."""
    owner = make_user(db.session, "owner", "admin")
    cashier = make_user(db.session, "cash1", "cashier")
    product = make_product(db.session, owner.id, name="Tea", category="Drinks")
    customer = make_customer(db.session, owner, credit_limit="1000.00")
    checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [{"product_id": product.id, "quantity": 1}],
                "customer_id": customer.id,
                "payments": [{"method": "credit", "amount": "10.00"}],
            }
        ),
        cashier,  # a cashier may see their own sales' receipts (and an admin everyone's)
    )
    ledger.record_payment(db.session, customer.id, {"amount": "1.00", "method": "cash"}, owner)
    # Token 1 is a spare: the loop revokes /account/tokens/1, which must not be a login token.
    users.create_named_token(db.session, owner.id, "matrix spare")
    client = app.test_client()
    tokens = {}
    for name in ("owner", "cash1"):
        body = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
        tokens[name] = {"Authorization": f"Bearer {body.get_json()['token']}"}
    return tokens


def test_every_route_is_in_the_policy_table(app: Flask) -> None:
    routes = {(endpoint, method) for endpoint, method, _ in _routes(app)}
    missing = sorted(routes - POLICY.keys())
    assert not missing, f"new routes need a line in POLICY: {missing}"
    stale = sorted(POLICY.keys() - routes)
    assert not stale, f"POLICY names routes that no longer exist: {stale}"


def test_anonymous_callers_get_the_login_page_or_401(
    app: Flask, world: dict[str, dict[str, str]]
) -> None:
    client = app.test_client()
    for endpoint, method, url in _routes(app):
        response = client.open(url, method=method, json={} if _is_api(url) else None, buffered=True)
        status = response.status_code
        if POLICY[(endpoint, method)] == OPEN:
            # (a login with empty credentials answers 401 by itself; that is not a gate)
            assert status < 500, (endpoint, method, status)
        elif _is_api(url):
            assert status == 401, (endpoint, method, status)
            assert response.get_json()["error"]["code"] == "unauthorized"
        else:
            assert _to_login(response), (endpoint, method, status)


@pytest.mark.parametrize("username,role", [("cash1", "cashier"), ("owner", "admin")])
def test_each_role_is_let_in_or_refused_as_the_table_says(
    app: Flask,
    world: dict[str, dict[str, str]],
    username: str,
    role: str,
) -> None:
    client = app.test_client()
    login(client, username)
    checked = {"refused": 0, "allowed": 0}
    for endpoint, method, url in _routes(app):
        policy = POLICY[(endpoint, method)]
        if _is_api(url):
            response = client.open(
                url, method=method, json={}, headers=world[username], buffered=True
            )
        else:
            response = client.open(url, method=method, data={}, buffered=True)
        status = response.status_code
        assert status < 500, (endpoint, method, status)
        if policy == ADMIN and role == "cashier":
            assert status == 403, (endpoint, method, status)
            if _is_api(url):
                assert response.get_json()["error"]["code"] == "forbidden"
            checked["refused"] += 1
        elif endpoint == "auth.logout":  # its whole job is to send you to the login page
            assert _to_login(response)
        elif policy != OPEN:
            assert status not in (401, 403) and not _to_login(response), (endpoint, method, status)
            checked["allowed"] += 1
        if endpoint == "auth.logout":
            login(client, username)
        if endpoint in ("api.logout", "api.refresh"):  # the token has ended: get another
            body = app.test_client().post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}
            )
            world[username] = {"Authorization": f"Bearer {body.get_json()['token']}"}
    assert checked["allowed"] > 20
    assert (checked["refused"] > 40) == (role == "cashier")
