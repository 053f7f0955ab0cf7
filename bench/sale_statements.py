"""Benchmark: what one 3-line cash sale costs in process: SQL statements and CPU time.

Usage: python bench/sale_statements.py [--sales 500] [--enrolled]
Builds the app on a fresh temp SQLite data dir (migrations run), makes an admin and three
products, then sells 3-line cash bills through `checkout.checkout` directly (no HTTP). Prints
the statements one sale sends (counted with a `before_cursor_execute` listener: independent
of machine load, so comparable between branches on a busy machine) and the CPU time per sale
(`time.process_time`, which other processes move far less than wall time). Not a test.
With --enrolled the shop is enrolled at an HQ (the setting hq_shop_id set, nothing sent):
each sale also writes its changeset to the outbox (services/sync_outbox.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from posapp import create_app
from posapp.extensions import db
from posapp.models.base import write_transaction
from posapp.services import catalog, checkout, sync_outbox, users
from posapp.services.settings import save_hq


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=500)
    parser.add_argument(
        "--enrolled", action="store_true", help="enrolled at an HQ: each sale writes a changeset"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATA_DIR": tmp, "TESTING": True, "LOG_TO_FILE": False})
        with app.app_context():
            admin = users.create_user(db.session, "bench", "bench-password-1", "admin")
            ids = [
                catalog.create_product(
                    db.session,
                    {"name": name, "price": price, "tax_rate": rate, "unit": unit,
                     "opening_stock": "1000000"},
                    admin.id,
                ).id
                for name, price, rate, unit in (
                    ("Basmati Rice 5kg", "545.00", "5", "pcs"),
                    ("Toor Dal", "142.50", "5", "kg"),
                    ("Dish Soap 500ml", "99.00", "18", "pcs"),
                )
            ]  # fmt: skip
            if args.enrolled:
                with write_transaction(db.session):
                    save_hq(db.session, url="http://hq.invalid", shop_id="bench", credential="x")
                sync_outbox.set_enrolled(db.engine, True)
            payload = {
                "items": [
                    {"product_id": ids[0], "quantity": 1},
                    {"product_id": ids[1], "quantity": "1.250"},
                    {"product_id": ids[2], "quantity": 2},
                ]
            }

            def sell() -> None:
                checkout.checkout(db.session, checkout.parse_checkout(payload), admin)

            for _ in range(5):
                sell()
            statements: list[str] = []

            def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
                statements.append(statement)

            event.listen(db.engine, "before_cursor_execute", count)
            sell()
            event.remove(db.engine, "before_cursor_execute", count)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for _ in range(args.sales):
                sell()
            cpu = (time.process_time() - cpu0) / args.sales * 1000
            wall = (time.perf_counter() - wall0) / args.sales * 1000
            enrolled = " (enrolled at an HQ)" if args.enrolled else ""
            print(f"statements per 3-line cash sale{enrolled}: {len(statements)}")
            for statement in statements:
                print("   ", " ".join(statement.split())[:110])
            print(f"{args.sales} sales: CPU {cpu:.2f} ms per sale, wall {wall:.2f} ms per sale")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
