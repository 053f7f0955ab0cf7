"""A shop's database made by the first release, full of data, upgraded to today's schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy import text as sa_text
from werkzeug.security import generate_password_hash

from posapp import MIGRATIONS_DIR
from posapp.extensions import db
from posapp.maintenance.database import head_revision
from posapp.models import Invoice, InvoiceLine, Payment, Product, StockMovement, User
from posapp.services import backups, checkout
from posapp.services.integrity import run_checks
from tests.conftest import build_app
from tests.factories import PASSWORD

T = "2026-04-02 10:15:00.000000"
# Raw SQL matching the first migration's schema (3bc6abff3fb5), as that release wrote it.
ROWS = [
    "INSERT INTO users (id, username, password_hash, role, active, failed_logins, created_at)"
    " VALUES (1, 'owner', :hash, 'admin', 1, 0, :t), (2, 'asha', :hash, 'cashier', 1, 0, :t)",
    "INSERT INTO settings (key, value) VALUES ('shop_name', 'Sharma Kirana'),"
    " ('invoice_prefix', 'INV'), ('prices_include_tax', '1')",
    "INSERT INTO categories (id, name) VALUES (1, 'Grocery'), (2, 'Personal care')",
    "INSERT INTO products (id, code, name, category_id, unit, price, cost, mrp, tax_rate_bp, hsn,"
    " stock_milli, low_stock_milli, supplier, location, color, archived, created_at, updated_at)"
    " VALUES (1, '8901234567890', 'Basmati Rice 1kg', 1, 'pcs', 12000, 9500, 12500, 500, '1006',"
    "  8000, 2000, 'Agro Traders', 'A1', '', 0, :t, :t),"
    " (2, '8901030865278', 'Neem Soap 100g', 2, 'pcs', 4000, 2800, NULL, 1800, '3401',"
    "  19000, 5000, '', 'B2', 'green', 0, :t, :t),"
    " (3, '2000001000007', 'Loose Sugar', 1, 'kg', 4600, 4000, NULL, 0, '1701',"
    "  23750, 5000, '', '', '', 0, :t, :t)",
    "INSERT INTO stock_movements (product_id, delta_milli, reason, ref, note, unit_cost,"
    " user_id, created_at) VALUES"
    " (1, 10000, 'opening', '', '', 9500, 1, :t), (2, 20000, 'opening', '', '', 2800, 1, :t),"
    " (3, 25000, 'opening', '', '', 4000, 1, :t),"
    " (1, -2000, 'sale', 'INV2026-000001', '', 9500, 2, :t),"
    " (2, -1000, 'sale', 'INV2026-000001', '', 2800, 2, :t),"
    " (3, -1250, 'sale', 'INV2026-000002', '', 4000, 2, :t)",
    "INSERT INTO document_counters (kind, fy, last) VALUES ('invoice', 2026, 2)",
    # INV…01: 2 × rice (5 % inclusive) + 1 soap (18 % inclusive) = 280.00, paid cash 300.
    "INSERT INTO invoices (id, number, fy, seq, created_at, cashier_id, customer_id,"
    " prices_include_tax, subtotal, discount_total, bill_discount, tax_total, round_off, total,"
    " paid, tendered, change, status, note) VALUES"
    " (1, 'INV2026-000001', 2026, 1, :t, 2, NULL, 1, 28000, 0, 0, 1753, 0, 28000, 28000,"
    "  30000, 2000, 'paid', ''),"
    " (2, 'INV2026-000002', 2026, 2, :t, 2, NULL, 1, 5750, 0, 0, 0, 0, 5750, 5750, 5750, 0,"
    "  'paid', 'weighed')",
    "INSERT INTO invoice_lines (invoice_id, position, product_id, code, name, unit, hsn,"
    " unit_price, qty_milli, gross, line_discount, bill_discount_share, tax_rate_bp, taxable,"
    " tax, total, unit_cost) VALUES"
    " (1, 1, 1, '8901234567890', 'Basmati Rice 1kg', 'pcs', '1006', 12000, 2000, 24000, 0, 0,"
    "  500, 22857, 1143, 24000, 9500),"
    " (1, 2, 2, '8901030865278', 'Neem Soap 100g', 'pcs', '3401', 4000, 1000, 4000, 0, 0,"
    "  1800, 3390, 610, 4000, 2800),"
    " (2, 1, 3, '2000001000007', 'Loose Sugar', 'kg', '1701', 4600, 1250, 5750, 0, 0, 0,"
    "  5750, 0, 5750, 4000)",
    "INSERT INTO payments (invoice_id, method, amount, created_at, user_id) VALUES"
    " (1, 'cash', 28000, :t, 2), (2, 'upi', 5750, :t, 2)",
    "INSERT INTO audit_log (created_at, user_id, action, entity, entity_id, before, after)"
    " VALUES (:t, 1, 'user.create', 'user', 2, NULL, '{\"role\": \"cashier\"}'),"
    " (:t, 2, 'login.ok', 'user', 2, NULL, NULL),"
    " (:t, 2, 'invoice.create', 'invoice', 1, NULL, '{\"total\": 28000}')",
]


def _fill_first_release_database(data_dir: Path) -> str:
    app = build_app(data_dir, AUTO_MIGRATE=False)
    base = ScriptDirectory(MIGRATIONS_DIR).get_base()
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision=base)
        db.engine.dispose()
    connection = sqlite3.connect(data_dir / "tillbook.db")
    try:
        with connection:
            connection.execute("PRAGMA foreign_keys=ON")
            params = {"hash": generate_password_hash(PASSWORD, method="scrypt"), "t": T}
            for statement in ROWS:
                connection.execute(
                    statement, {k: v for k, v in params.items() if f":{k}" in statement}
                )
    finally:
        connection.close()
    return base


def test_a_full_first_release_database_upgrades_with_its_data_intact(data_dir: Path) -> None:
    base = _fill_first_release_database(data_dir)
    assert backups.schema_revision(data_dir / "tillbook.db") == base
    app = build_app(data_dir)  # upgrades to head, as every start does (backing up first)
    with app.app_context():
        assert backups.schema_revision(data_dir / "tillbook.db") == head_revision(app)
        report = run_checks(db.session)
        assert report.ok, report.problems
        stock = dict(db.session.execute(select(Product.code, Product.stock_milli)).all())
        assert stock == {"8901234567890": 8000, "8901030865278": 19000, "2000001000007": 23750}
        assert db.session.scalar(select(Product.name).where(Product.id == 3)) == "Loose Sugar"
        assert [i.number for i in db.session.scalars(select(Invoice).order_by(Invoice.id))] == [
            "INV2026-000001",
            "INV2026-000002",
        ]
        assert len(db.session.scalars(select(InvoiceLine)).all()) == 3
        assert len(db.session.scalars(select(Payment)).all()) == 2
        assert len(db.session.scalars(select(StockMovement)).all()) == 6
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        assert owner is not None and owner.must_change_password is False
        # The migrated shop keeps working: its users log in and the next invoice follows on.
        client = app.test_client()
        login = client.post("/api/auth/login", json={"username": "asha", "password": PASSWORD})
        assert login.status_code == 200
        cashier = db.session.get(User, 2)
        invoice = checkout.checkout(
            db.session,
            checkout.parse_checkout({"items": [{"product_id": 1, "quantity": 1}]}),
            cashier,
        )
        assert invoice.number.endswith("-000003")
        assert run_checks(db.session).ok
        db.session.remove()
        db.engine.dispose()
    names = [p.name for _, p in backups.list_backups(data_dir / "backups")]
    assert any(f"before-migration-{base}" in name for name in names)


def test_the_negative_stock_switch_becomes_the_stock_policy(data_dir: Path) -> None:
    """d19a4c2e8f10: allow_negative_stock on -> "warn", off -> "block"; users get pin_hash."""
    from flask_migrate import downgrade

    app = build_app(data_dir, AUTO_MIGRATE=False)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="c18e5a7f3b42")
        db.engine.dispose()
    for stored, policy in (("1", "warn"), ("0", "block")):
        connection = sqlite3.connect(data_dir / "tillbook.db")
        with connection:
            connection.execute(
                "INSERT INTO settings (key, value) VALUES ('allow_negative_stock', ?)", (stored,)
            )
        connection.close()
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR, revision="d19a4c2e8f10")
            rows = dict(db.session.execute(sa_text("SELECT key, value FROM settings")).all())
            assert rows.get("stock_policy") == policy and "allow_negative_stock" not in rows
            assert db.session.execute(sa_text("SELECT pin_hash FROM users")).all() == []
            db.session.remove()
            downgrade(directory=MIGRATIONS_DIR, revision="c18e5a7f3b42")
            rows = dict(db.session.execute(sa_text("SELECT key, value FROM settings")).all())
            assert rows.get("allow_negative_stock") == stored and "stock_policy" not in rows
            db.session.execute(sa_text("DELETE FROM settings WHERE key = 'allow_negative_stock'"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
