"""Benchmark: the catalog at 100 000 products (import, lookup, search, list pages, label PDF).

Usage: python bench/catalog.py [--products 100000] [--queries 300] [--hindi 0.1] [--search-only]
                              [--database-url URL]
Builds the real app on a fresh temp data dir (SQLite file, migrations, FTS5 triggers), imports
N products from a generated CSV through the same service the import page uses, then times scan
lookups, name searches (prefix, fuzzy, and across scripts: romanised Hindi typed for
Devanagari names, Devanagari typed) and the admin's products list page (test client, full
template render: pages by number and next pages by key), and a 240-label sheet PDF.
`--hindi` is the share of products named in Devanagari (every n-th row, so the Latin names of
the others are the ones earlier runs had); Latin products named after sugar, salt, atta or tea
get Hinglish aliases. `--search-only` stops after the searches.
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

from sqlalchemy import text

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
# Devanagari names and what a cashier types for them in Latin letters (several spellings).
HINDI = {
    "चीनी": ("cheeni", "chini"),
    "दाल": ("daal", "dal"),
    "मूंग": ("moong", "mung"),
    "आटा": ("aata", "atta"),
    "चावल": ("chawal", "chaval"),
    "नमक": ("namak",),
    "तेल": ("tel",),
    "घी": ("ghee", "ghi"),
    "हल्दी": ("haldi",),
    "जीरा": ("jeera", "zeera"),
    "बेसन": ("besan",),
    "मैदा": ("maida",),
    "सूजी": ("sooji", "suji"),
    "पोहा": ("poha",),
    "राजमा": ("rajma",),
    "मसूर": ("masoor", "masur"),
    "शक्कर": ("shakkar",),
    "दूध": ("doodh", "dudh"),
    "पनीर": ("paneer", "panir"),
    "चाय": ("chaay",),
    "साबुन": ("saabun", "sabun"),
    "नमकीन": ("namkeen", "namkin"),
    "अचार": ("achaar", "achar"),
    "मसाला": ("masaala", "masala"),
}
HINDI_WORDS = list(HINDI)
ROMANISED = [spelling for spellings in HINDI.values() for spelling in spellings]
ALIASES = {"sugar": "cheeni, chini", "salt": "namak", "atta": "aata", "tea": "chai"}


def generate_csv(
    n: int, rng: random.Random, hindi: float = 0.0
) -> tuple[bytes, list[str], list[str]]:
    """A product CSV of n rows; every round(1 / hindi)-th row named in Devanagari."""
    every = round(1 / hindi) if hindi > 0 else 0
    lines = ["sku,name,category,unit,price,mrp,cost,gst,stock,low stock,aliases"]
    codes, names = [], []
    for i in range(n):
        code = f"B{i:07d}"
        first, second = rng.choice(WORDS), rng.choice(WORDS)
        name = f"{first.title()} {second.title()} {i}"
        aliases = ALIASES.get(first) or ALIASES.get(second) or ""
        if every and i % every == every - 1:
            # The same random draws as a Latin row, so the other rows keep their names.
            name = f"{HINDI_WORDS[i % len(HINDI_WORDS)]} {HINDI_WORDS[i // 7 % 24]} {i}"
            aliases = ""
        codes.append(code)
        names.append(name)
        unit = "kg" if i % 7 == 0 else "pcs"
        price = rng.randint(500, 99_900)
        lines.append(
            f"{code},{name},Category {i % 40},{unit},{price / 100:.2f},{(price + 500) / 100:.2f},"
            f"{price * 8 // 1000:.2f},{(0, 5, 12, 18, 28)[i % 5]},{rng.randint(0, 200)},5,"
            f'"{aliases}"'
        )
    return ("\n".join(lines) + "\n").encode(), codes, names


def show(label: str, runs: int, fn: Callable[[], object]) -> None:
    """Time fn() runs times (no warm-up) and print its p50 and p95: wall clock, and the CPU
    time of this thread, which other work on a busy machine inflates far less (SQLite runs in
    this thread, so on an idle machine the two agree)."""
    cpu: list[float] = []

    def run() -> None:
        start = time.thread_time()
        fn()
        cpu.append((time.thread_time() - start) * 1000)

    samples = timed(runs, lambda _i: run(), warm=0)
    p50, p95 = statistics.median(samples), pct(samples, 0.95)
    print(
        f"{label:<44} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   "
        f"CPU p50 {statistics.median(cpu):6.2f} p95 {pct(cpu, 0.95):6.2f} ms   (n={runs})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--hindi", type=float, default=0.1, help="share named in Devanagari")
    parser.add_argument("--search-only", action="store_true", help="stop after the searches")
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL/MariaDB database instead of SQLite"
    )
    args = parser.parse_args()
    rng = random.Random(42)
    data_dir = Path(tempfile.mkdtemp(prefix="tillbook-bench-"))
    config = {"DATA_DIR": str(data_dir), "LOG_TO_FILE": False, "WTF_CSRF_ENABLED": False}
    if args.database_url:
        config["SQLALCHEMY_DATABASE_URI"] = args.database_url
    app = create_app(config)
    raw, codes, names = generate_csv(args.products, rng, args.hindi)
    where = args.database_url.split("@")[-1] if args.database_url else f"SQLite at {data_dir}"
    print(f"TillBook catalog benchmark: {args.products:,} products, {where}")
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
        if db.engine.dialect.name != "sqlite":
            # What autovacuum does some time after a big import; the figures want it done.
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))

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

        def search_romanised() -> None:
            word = rng.choice(ROMANISED)
            catalog.search_products(db.session, word[: rng.randint(3, len(word))], per_page=8)

        def search_devanagari() -> None:
            word = rng.choice(HINDI_WORDS)
            catalog.search_products(db.session, word[: rng.randint(2, len(word))], per_page=8)

        def search_devanagari_two_words() -> None:
            first, second = rng.sample(HINDI_WORDS, 2)
            catalog.search_products(db.session, f"{first} {second[:2]}", per_page=8)

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
        show("name search, romanised Hindi (cheeni, moong)", args.queries, search_romanised)
        show("name search, Devanagari prefix (चीनी)", args.queries, search_devanagari)
        show("name search, two Devanagari words", args.queries, search_devanagari_two_words)
        if args.search_only:
            return
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
