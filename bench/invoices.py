"""Benchmark: the invoice list page with each search and filter on a seeded shop.

Usage: python bench/invoices.py DATA_DIR [--n 20]
DATA_DIR is a shop made by bench/seed.py (about 260 000 invoices at its default size); it is
copied to a temp dir first, so the seeded shop stays untouched. Times GET /invoices/ as the
admin through the real app (Flask's test client: templates, Babel formatting and all), for the
plain list, a deep page, an invoice number, a customer's name and phone, a month, an amount
range, a status, a payment method and a cashier. Not a test: it prints figures only.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import PASSWORD, ROOT

sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select

from posapp import create_app
from posapp.extensions import db
from posapp.models import Customer, Invoice, User


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--n", type=int, default=20, help="requests per query")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tillbook-bench-invoices-")) / "data"
    shutil.copytree(args.data_dir, work, ignore=shutil.ignore_patterns("backups", "logs"))
    app = create_app({"DATA_DIR": str(work), "LOG_TO_FILE": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Invoice))
        middle = db.session.scalar(select(Invoice).order_by(Invoice.id).offset(count // 2).limit(1))
        customer = db.session.scalar(
            select(Customer).join(Invoice, Invoice.customer_id == Customer.id).limit(1)
        )
        cashier_id = db.session.scalar(select(User.id).where(User.username == "cashier1"))
        newest = db.session.scalar(select(func.max(Invoice.created_at)))
        assert middle is not None and customer is not None and newest is not None
        month_from = newest.date().replace(day=1).isoformat()
        db.session.remove()
    client = app.test_client()
    response = client.post("/login", data={"username": "bench", "password": PASSWORD})
    assert response.status_code in (200, 302), response.status_code
    queries = {
        "plain list, page 1": {},
        "plain list, page 2 000": {"page": "2000"},
        "invoice number": {"q": middle.number},
        "customer name": {"q": customer.name},
        "customer phone": {"q": customer.phone},
        "this month": {"from": month_from},
        "amount 500-1000": {"min": "500", "max": "1000"},
        "status unpaid": {"status": "unpaid"},
        "method card": {"method": "card"},
        "cashier": {"cashier": str(cashier_id)},
    }
    print(f"{count:,} invoices; {args.n} requests each; GET /invoices/ as admin")
    print(f"{'query':<26} {'p50 ms':>8} {'p95 ms':>8}")
    for label, params in queries.items():
        times = []
        for _ in range(args.n):
            start = time.perf_counter()
            page = client.get("/invoices/", query_string=params)
            times.append((time.perf_counter() - start) * 1000)
            assert page.status_code == 200, (label, page.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{label:<26} {statistics.median(times):>8.1f} {p95:>8.1f}")
    shutil.rmtree(work.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
