"""Benchmark: closing a cash session that holds 2 000 invoices (and its Z-report).

Usage: python bench/cash_close.py [--invoices 2000] [--background 20000]
Builds the real app on a fresh temp data dir, opens a session and sells N invoices through
the real checkout (mixed cash with change, card, UPI; two tax rates), plus a pile of older
invoices outside the session, then times close_session (blind count) and z_report.
Not a test: it prints figures and asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from common import PASSWORD, ROOT

sys.path.insert(0, str(ROOT))

from posapp import create_app
from posapp.extensions import db
from posapp.services import cash_sessions, catalog, checkout, users


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--background", type=int, default=2000)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="tillbook-bench-cash-"))
    app = create_app({"DATA_DIR": str(data_dir), "LOG_TO_FILE": False})
    with app.app_context():
        owner = users.create_user(db.session, "owner", PASSWORD, "admin")
        cashier = users.create_user(db.session, "till1", PASSWORD, "cashier")
        products = [
            catalog.create_product(
                db.session,
                {
                    "name": f"Item {i}",
                    "price": "105.00",
                    "tax_rate": "5" if i % 2 else "0",
                    "unit": "pcs",
                    "opening_stock": "1000000",
                },
                owner.id,
            )
            for i in range(4)
        ]
        tenders = [
            [{"method": "cash", "amount": "500.00"}],
            [{"method": "card", "amount": "210.00"}],
            [{"method": "upi", "amount": "210.00"}],
        ]

        def sell(i: int, user: object) -> None:
            checkout.checkout(
                db.session,
                checkout.parse_checkout(
                    {
                        "items": [{"product_id": products[i % 4].id, "quantity": 2}],
                        "payments": tenders[i % 3],
                    }
                ),
                user,  # type: ignore[arg-type]
            )

        started = time.perf_counter()
        for i in range(args.background):
            sell(i, owner)
        sid = cash_sessions.open_session(db.session, {"opening_float": "1000"}, cashier).id
        for i in range(args.invoices):
            sell(i, cashier)
        print(
            f"seeded {args.background} + {args.invoices} invoices in "
            f"{time.perf_counter() - started:.1f} s"
        )
        db.session.expire_all()
        t0 = time.perf_counter()
        closed = cash_sessions.close_session(db.session, sid, {"counted": "0"}, cashier)
        t1 = time.perf_counter()
        report = cash_sessions.z_report(db.session, closed)
        t2 = time.perf_counter()
        print(f"close_session: {(t1 - t0) * 1000:.1f} ms (expected {closed.expected / 100:.2f})")
        print(
            f"z_report:      {(t2 - t1) * 1000:.1f} ms ({report.sales_count} sales, "
            f"{report.first_invoice} .. {report.last_invoice})"
        )


if __name__ == "__main__":
    main()
