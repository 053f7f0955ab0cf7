"""Benchmark: the catalog at 100 000 products (import, lookup, search, list pages, label PDF).

Usage: python bench/catalog.py [--products 100000] [--queries 300]
Builds the real app on a fresh temp data dir (SQLite file, migrations, FTS5 triggers), imports
N products from a generated CSV through the same service the import page uses, then times scan
lookups, name searches (prefix and fuzzy) and the admin's products list page (test client,
full template render: pages by number and next pages by key), and a 240-label sheet PDF.
Not a test: it prints figures and asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import PASSWORD, ROOT, pct, timed

sys.path.insert(0, str(ROOT))

from posapp import create_app, refresh_statistics
from posapp.documents.labels_pdf import render_labels_pdf
from posapp.extensions import db
from posapp.services import catalog, catalog_csv, labels, users
from posapp.services.settings import load_settings

WORDS_TEXT = (
    "tata aashirvaad amul britannia parle haldiram fortune saffola surf lux dettol colgate "
    "basmati moong masoor toor chana sugar salt atta maida rava poha ghee butter paneer curd "
    "biscuit namkeen soap shampoo toothpaste detergent oil tea coffee jam sauce pickle"
)
WORDS = WORDS_TEXT.split()


def generate_csv(n: int, rng: random.Random) -> tuple[bytes, list[str], list[str]]:
    lines = ["sku,name,category,unit,price,mrp,cost,gst,stock,low stock"]
    codes, names = [], []
    for i in range(n):
        code = f"B{i:07d}"
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {i}"
        codes.append(code)
        names.append(name)
        unit = "kg" if i % 7 == 0 else "pcs"
        price = rng.randint(500, 99_900)
        lines.append(
            f"{code},{name},Category {i % 40},{unit},{price / 100:.2f},{(price + 500) / 100:.2f},"
            f"{price * 8 // 1000:.2f},{(0, 5, 12, 18, 28)[i % 5]},{rng.randint(0, 200)},5"
        )
    return ("\n".join(lines) + "\n").encode(), codes, names


def show(label: str, runs: int, fn: Callable[[], object]) -> None:
    """Time fn() runs times (no warm-up) and print its p50 and p95."""
    samples = timed(runs, lambda _i: fn(), warm=0)
    p50, p95 = statistics.median(samples), pct(samples, 0.95)
    print(f"{label:<44} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   (n={runs})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(42)
    data_dir = Path(tempfile.mkdtemp(prefix="tillbook-bench-"))
    app = create_app({"DATA_DIR": str(data_dir), "LOG_TO_FILE": False, "WTF_CSRF_ENABLED": False})
    raw, codes, names = generate_csv(args.products, rng)
    print(f"TillBook catalog benchmark: {args.products:,} products, SQLite at {data_dir}")
    print(f"CSV file: {len(raw) / 1e6:.1f} MB")
    with app.app_context():
        admin = users.create_user(db.session, "admin", PASSWORD, "admin")
        start = time.perf_counter()
        plan = catalog_csv.plan_import(db.session, raw)
        preview_s = time.perf_counter() - start
        start = time.perf_counter()
        result = catalog_csv.apply_import(db.session, raw, admin.id)
        import_s = time.perf_counter() - start
        assert result.created == args.products
        print(f"{'CSV import preview (read + check every row)':<44} {preview_s:7.2f} s")
        print(f"{'CSV import confirm (one transaction)':<44} {import_s:7.2f} s")
        assert plan.ok
        refresh_statistics()  # what the app's next start does (statistics of the full catalog)

        def lookup() -> None:
            catalog.lookup_code(db.session, rng.choice(codes))

        def search_prefix() -> None:
            word = rng.choice(WORDS)
            catalog.search_products(db.session, word[: rng.randint(3, len(word))], per_page=8)

        def search_two_words() -> None:
            first, second = rng.choice(names).split()[:2]
            catalog.search_products(db.session, f"{first} {second[:3]}", per_page=8)

        def search_fuzzy() -> None:
            word = rng.choice(WORDS)
            typo = word[:2] + word[3:] if len(word) > 4 else word + "x"
            catalog.search_products(db.session, typo + "zq", per_page=8)

        client = app.test_client()
        client.post("/login", data={"username": "admin", "password": PASSWORD})

        def list_page() -> None:
            page = rng.randint(1, args.products // 50)
            assert client.get(f"/products/?page={page}").status_code == 200

        last_page = args.products // 50

        def list_deep_page() -> None:
            page = rng.randint(last_page * 9 // 10, last_page)
            assert client.get(f"/products/?page={page}").status_code == 200

        def list_next_by_key() -> None:
            after = rng.randint(1, args.products)  # any product can be the last one shown
            assert client.get(f"/products/?page=2&after={after}").status_code == 200

        def list_search() -> None:
            assert client.get(f"/products/?q={rng.choice(WORDS)}").status_code == 200

        def list_low() -> None:
            assert client.get("/products/?filter=low&sort=-price").status_code == 200

        show("scan lookup (exact code)", args.queries, lookup)
        show("name search, one word prefix (8 results)", args.queries, search_prefix)
        show("name search, two word prefixes", args.queries, search_two_words)
        show("fuzzy fallback (no prefix match)", args.queries // 3, search_fuzzy)
        show("products list page, random page of 50", 100, list_page)
        show("products list page, deep page (last 10 %)", 100, list_deep_page)
        show("products list page, next page by key", 100, list_next_by_key)
        show("products list page, name search", 100, list_search)
        show("products list page, low stock by price", 30, list_low)
        sheet = labels.parse_label_request(
            db.session,
            [{"code": code, "count": "24"} for code in rng.sample(codes, 10)],
            "a4-3x8",
            "0",
        )
        settings = load_settings(db.session)
        show(
            "label sheet PDF of 240 labels (10 pages)",
            5,
            lambda: render_labels_pdf(sheet, settings),
        )
        start = time.perf_counter()
        exported = sum(1 for _ in catalog_csv.export_rows(db.session)) - 1
        print(
            f"{'CSV export (all products)':<44} {time.perf_counter() - start:7.2f} s "
            f"({exported:,} rows)"
        )


if __name__ == "__main__":
    main()
