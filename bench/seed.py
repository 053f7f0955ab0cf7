"""Benchmark data: build a reproducible large shop in a data dir (bulk inserts, fixed seed).

Usage: python bench/seed.py DATA_DIR [--small] [--products N] [--customers N] [--lines N]
       [--days N] [--seed N] [--check]
Default shop: 100 000 products (brand/item/size names, 20 categories with their HSN codes and
the five GST rates, loose goods sold by kg, l or m), 20 000 customers, about 1 000 000 invoice
lines over the last 730 days (cash, card, UPI and split tenders, credit sales to customers,
payments on account allocated oldest bill first, returns with cash refunds and restock), an
audit entry per sale and return (hash-chained), gapless numbers per financial year, and the
daily summary rebuilt by the app's own `summaries.rebuild`. Stock is the sum of movements and
balances the sum of ledger entries, so `python app.py --data-dir DATA_DIR check` passes.

The app builds the schema (migrations) and the users; everything else is written with plain
sqlite3 `executemany` in one transaction, with `synchronous=OFF` while seeding only (the app
always runs with FULL). `--small` builds a shop of 2 000 products / 10 000 lines in seconds.
Users: `bench` (admin) and `cashier1`, `cashier2`, password `bench-password-1`.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PASSWORD, ROOT
from customers import FIRST, LAST

sys.path.insert(0, str(ROOT))

from posapp import create_app
from posapp.extensions import db
from posapp.models.base import write_transaction
from posapp.services import audit, books, books_history, summaries, translit, users
from posapp.services.counters import financial_year
from posapp.services.ledger import invoice_status
from posapp.services.pricing import TAX_RULE, BillDiscount, LineInput, price_cart

# Category: (HSN, GST basis points, items, sizes, loose unit or "" when always packed).
CATEGORIES: dict[str, tuple[str, int, list[str], list[str], str]] = {
    "Rice & Grains": ("1006", 500, ["Basmati Rice", "Sona Masoori Rice", "Ponni Rice",
        "Brown Rice", "Poha", "Daliya", "Sabudana", "Rava"], ["1kg", "5kg", "10kg", "500g"], "kg"),
    "Pulses": ("0713", 500, ["Toor Dal", "Moong Dal", "Masoor Dal", "Chana Dal", "Urad Dal",
        "Rajma", "Kabuli Chana", "Lobia"], ["500g", "1kg", "2kg"], "kg"),
    "Flour": ("1101", 500, ["Chakki Atta", "Maida", "Besan", "Ragi Flour", "Rice Flour",
        "Multigrain Atta"], ["1kg", "5kg", "10kg"], "kg"),
    "Edible Oil": ("1512", 500, ["Sunflower Oil", "Mustard Oil", "Groundnut Oil",
        "Rice Bran Oil", "Coconut Oil", "Sesame Oil"], ["500ml", "1l", "5l", "15l"], "l"),
    "Spices": ("0910", 500, ["Turmeric Powder", "Red Chilli Powder", "Coriander Powder",
        "Garam Masala", "Jeera", "Rai", "Hing", "Kitchen King Masala", "Sambar Masala"],
        ["50g", "100g", "200g", "500g"], ""),
    "Sugar & Salt": ("1701", 500, ["Sugar", "Iodised Salt", "Rock Salt", "Jaggery",
        "Brown Sugar"], ["500g", "1kg", "5kg"], "kg"),
    "Dairy": ("0401", 0, ["Toned Milk", "Full Cream Milk", "Curd", "Paneer", "Buttermilk",
        "Lassi"], ["200ml", "500ml", "1l", "200g", "400g"], ""),
    "Butter & Ghee": ("0405", 1200, ["Butter", "Cow Ghee", "Desi Ghee", "Cheese Slices",
        "Cheese Spread"], ["100g", "200g", "500g", "1l"], ""),
    "Biscuits": ("1905", 1800, ["Glucose Biscuits", "Cream Biscuits", "Marie Biscuits",
        "Digestive Biscuits", "Cookies", "Rusk", "Crackers"], ["75g", "150g", "300g", "600g"], ""),
    "Snacks": ("2106", 1200, ["Aloo Bhujia", "Moong Dal Namkeen", "Potato Chips",
        "Khatta Meetha", "Peanuts", "Mixture", "Banana Chips"], ["40g", "150g", "400g", "1kg"], ""),
    "Beverages": ("2202", 2800, ["Cola", "Lemon Drink", "Mango Drink", "Energy Drink",
        "Soda", "Orange Drink"], ["250ml", "600ml", "1.25l", "2l"], ""),
    "Tea & Coffee": ("0902", 500, ["Assam Tea", "Masala Tea", "Green Tea", "Filter Coffee",
        "Instant Coffee", "Tea Bags"], ["100g", "250g", "500g", "1kg"], ""),
    "Personal Care": ("3305", 1800, ["Shampoo", "Hair Oil", "Face Wash", "Body Lotion",
        "Talcum Powder", "Deodorant", "Shaving Cream"], ["100ml", "200ml", "400ml", "650ml"], ""),
    "Soap & Detergent": ("3401", 1800, ["Bath Soap", "Detergent Powder", "Detergent Bar",
        "Liquid Detergent", "Dishwash Bar", "Dishwash Gel"], ["100g", "500g", "1kg", "2kg"], ""),
    "Oral Care": ("3306", 1800, ["Toothpaste", "Toothbrush", "Mouthwash", "Tooth Powder"],
        ["50g", "100g", "150g", "250ml"], ""),
    "Household": ("3808", 1800, ["Floor Cleaner", "Toilet Cleaner", "Glass Cleaner",
        "Mosquito Coil", "Naphthalene Balls", "Room Freshener"], ["200ml", "500ml", "1l"], ""),
    "Stationery": ("4820", 1200, ["Notebook", "Ball Pen", "Gel Pen", "Pencil Box", "Eraser",
        "Geometry Box", "Drawing Book"], ["Single", "Pack of 5", "Pack of 10"], ""),
    "Fabric": ("5208", 500, ["Cotton Cloth", "Poplin", "Lining Cloth", "Mulmul"], ["Plain",
        "Printed", "Checked"], "m"),
    "Baby Care": ("3401", 1800, ["Baby Soap", "Baby Oil", "Baby Powder", "Diapers",
        "Baby Wipes"], ["S", "M", "L", "100ml", "200ml"], ""),
    "Medicines OTC": ("3004", 1200, ["Pain Balm", "Antiseptic Liquid", "Cough Syrup",
        "Digestive Tablets", "ORS Sachets", "Bandage"], ["10g", "50ml", "100ml", "Strip"], ""),
}  # fmt: skip
BRANDS = (
    (
        "Tata Aashirvaad Amul Britannia Parle Haldiram Fortune Saffola Surf Lux Dettol Colgate "
        "Dabur Patanjali Nestle Mother-Dairy Everest MDH Catch Emami Himalaya Nivea Godrej "
        "Wipro Marico Bikaji Kissan Maggi Sunfeast Cadbury Vim Harpic Lizol Good-Knight Classmate "
        "Reynolds Cello Apsara Pampers Johnsons Vicks Zandu Dabur-Red Pepsodent Sensodyne "
        "Annapurna Rajdhani Gemini Dhara Nature-Fresh Priya Aachi Eastern Sakthi Nandini Milma "
        "Aavin Heritage Vadilal Kwality Brooke-Bond Red-Label Bru Society Girnar Wagh-Bakri"
    )
    .replace("-", " ")
    .split(" ")
)
VARIANTS = (
    "", "Classic", "Premium", "Gold", "Lite", "Select", "Extra", "Fresh", "Natural",
    "Organic", "Family Pack", "Value Pack", "Super", "Royal", "Special", "Daily",
)  # fmt: skip
RATES = (0, 500, 1200, 1800, 2800)
RETURN_REASONS = ("Damaged", "Expired", "Wrong item", "Customer changed mind")


@dataclass
class Shape:
    """How big a shop to build."""

    products: int
    customers: int
    lines: int
    days: int


@dataclass
class Prod:
    id: int
    code: str
    name: str
    unit: str
    price: int
    cost: int
    rate: int
    hsn: str
    category_id: int
    sold: int = 0  # milli, net of restocked returns


@dataclass
class OpenBill:
    id: int
    due: int


@dataclass
class Cust:
    id: int
    limit: int
    balance: int = 0
    open_bills: list[OpenBill] = field(default_factory=list)


def ean13(body12: str) -> str:
    """Append the EAN-13 check digit to 12 digits."""
    odd = sum(int(d) for d in body12[::2])
    even = sum(int(d) for d in body12[1::2])
    return body12 + str((10 - (odd + 3 * even) % 10) % 10)


def stamp(moment: datetime) -> str:
    """Format a naive UTC time exactly as SQLAlchemy stores DateTime on SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def local_to_utc(moment: datetime) -> datetime:
    """A naive local time as the naive UTC time the database stores."""
    return moment.astimezone().astimezone(UTC).replace(tzinfo=None)


class Writer:
    """Row buffers per table, flushed with executemany; ids handed out in time order."""

    def __init__(self, con: sqlite3.Connection, first_user: int) -> None:
        self.con = con
        self.rows: dict[str, list[tuple]] = {}
        self.sql: dict[str, str] = {}
        self.next_id: dict[str, int] = {}
        self.audit_hash = audit.GENESIS
        self.seal: audit.Seal | None = None  # the data folder's key: entries carry its keyed hash
        self.first_user = first_user

    def table(self, name: str, columns: str) -> None:
        count = columns.count(",") + 1
        self.sql[name] = f"INSERT INTO {name} ({columns}) VALUES ({', '.join('?' * count)})"  # noqa: S608 (our own table names)
        self.rows[name] = []
        self.next_id[name] = 1

    def new_id(self, name: str) -> int:
        value = self.next_id[name]
        self.next_id[name] = value + 1
        return value

    def add(self, name: str, row: tuple) -> None:
        buffer = self.rows[name]
        buffer.append(row)
        if len(buffer) >= 50_000:
            self.flush(name)

    def flush(self, name: str | None = None) -> None:
        for table in [name] if name else list(self.rows):
            if self.rows[table]:
                self.con.executemany(self.sql[table], self.rows[table])
                self.rows[table].clear()

    def audit(
        self, at: datetime, user_id: int, action: str, entity: str, entity_id: int,
        before: dict | None, after: dict,
    ) -> None:  # fmt: skip
        """Append a chained audit entry exactly as services.audit.record would."""
        entry = SimpleNamespace(
            id=self.new_id("audit_log"),
            created_at=at,
            user_id=user_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=json.dumps(before, sort_keys=True, default=str) if before is not None else None,
            after=json.dumps(after, sort_keys=True, default=str),
        )
        self.audit_hash = audit.entry_hash(self.audit_hash, entry)
        mac = self.seal.mac(self.audit_hash) if self.seal is not None else None
        self.add(
            "audit_log",
            (entry.id, stamp(at), user_id, action, entity, entity_id, entry.before, entry.after,
             self.audit_hash, mac),
        )  # fmt: skip


def make_products(shape: Shape, rng: random.Random) -> tuple[list[Prod], list[tuple]]:
    """Products with unique names and EAN-13 codes; some loose goods by kg, l or m."""
    categories = list(CATEGORIES.items())
    seen: set[str] = set()
    products: list[Prod] = []
    for pid in range(1, shape.products + 1):
        cat_index = rng.randrange(len(categories))
        _cat_name, (hsn, rate, items, sizes, loose) = categories[cat_index]
        item = rng.choice(items)
        is_loose = bool(loose) and rng.random() < 0.35
        while True:
            brand = rng.choice(BRANDS)
            variant = rng.choice(VARIANTS)
            size = "Loose" if is_loose else rng.choice(sizes)
            name = " ".join(p for p in (brand, item, variant, size) if p)
            if name.lower() in seen:
                name = f"{name} {rng.choice(('Jar', 'Pouch', 'Box', 'Refill', 'Combo'))}"
            if name.lower() in seen:
                name = f"{name} {pid}"
            if name.lower() not in seen:
                break
        seen.add(name.lower())
        price = rng.randint(5, 1200) * 100 + rng.choice((0, 0, 50, 90, 99))
        if is_loose:
            price = rng.randint(30, 400) * 100  # per kg / l / m
        rate_bp = rate if rng.random() < 0.9 else rng.choice(RATES)
        products.append(
            Prod(
                id=pid,
                code=ean13(f"890{pid:09d}"),
                name=name,
                unit=loose if is_loose else "pcs",
                price=price,
                cost=price * rng.randint(70, 92) // 100,
                rate=rate_bp,
                hsn=hsn,
                category_id=cat_index + 1,
            )
        )
    category_rows = [(i + 1, name) for i, (name, _spec) in enumerate(categories)]
    return products, category_rows


def seed(data_dir: Path, shape: Shape, seed_value: int) -> dict[str, int]:
    """Build the shop; return counts of what was written."""
    rng = random.Random(seed_value)
    app = create_app({"DATA_DIR": str(data_dir), "LOG_TO_FILE": False, "AUTO_BACKUP": False})
    with app.app_context():
        user_ids = [users.create_user(db.session, "bench", PASSWORD, "admin").id]
        for name in ("cashier1", "cashier2"):
            user_ids.append(users.create_user(db.session, name, PASSWORD, "cashier").id)
        db.session.remove()
        db.engine.dispose()

    con = sqlite3.connect(data_dir / "tillbook.db", isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")  # seeding only; the app always runs with FULL
    con.execute("BEGIN")
    w = Writer(con, user_ids[0])
    w.table("categories", "id, name")
    w.table(
        "products",
        "id, code, name, category_id, unit, price, cost, mrp, tax_rate_bp, hsn, stock_milli,"
        " low_stock_milli, supplier, location, color, archived, created_at, updated_at,"
        " stock_value, name_key",
    )
    w.table(
        "customers",
        "id, name, phone, phone_digits, email, address, notes, credit_limit, archived,"
        " created_at, updated_at",
    )
    w.table(
        "invoices",
        "id, number, fy, seq, created_at, cashier_id, customer_id, prices_include_tax, subtotal,"
        " discount_total, bill_discount, tax_total, round_off, total, paid, tendered, change,"
        " status, note, returned_total, tax_rule",
    )
    w.table(
        "invoice_lines",
        "id, invoice_id, position, product_id, code, name, unit, hsn, unit_price, qty_milli,"
        " gross, line_discount, bill_discount_share, tax_rate_bp, taxable, tax, total, unit_cost,"
        " cgst, sgst, igst, cess",
    )
    w.table("payments", "id, invoice_id, customer_id, method, amount, created_at, user_id, note,"
            " credit_note_id")  # fmt: skip
    w.table("payment_allocations", "id, payment_id, invoice_id, amount, created_at")
    w.table("ledger_entries", "id, customer_id, kind, amount, invoice_id, payment_id, note,"
            " user_id, created_at")  # fmt: skip
    w.table(
        "stock_movements",
        "id, product_id, delta_milli, reason, ref, note, unit_cost, user_id, created_at",
    )
    w.table(
        "credit_notes",
        "id, number, fy, seq, invoice_id, customer_id, user_id, created_at, restock,"
        " refund_method, taxable_total, tax_total, round_off, total, applied, refund, reason,"
        " tax_rule",
    )
    w.table(
        "credit_note_lines",
        "id, credit_note_id, invoice_line_id, position, product_id, qty_milli, taxable, tax, total,"
        " cgst, sgst, igst, cess",
    )
    w.table(
        "audit_log", "id, created_at, user_id, action, entity, entity_id, before, after, hash, mac"
    )
    w.seal = audit.Seal(audit.load_key(data_dir), data_dir / audit.ANCHOR_FILE)
    w.table("document_counters", "kind, fy, last")
    w.table("settings", "key, value")
    w.sql["settings"] = w.sql["settings"].replace("INSERT", "INSERT OR REPLACE")
    # Creating the users wrote audit entries already: the chain continues from them.
    last = con.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    if last:
        w.next_id["audit_log"], w.audit_hash = last[0] + 1, last[1]

    products, category_rows = make_products(shape, rng)
    for row in category_rows:
        w.add("categories", row)
    # Opening-stock movements take ids 1..N (written at the end, once sales are known).
    w.next_id["stock_movements"] = shape.products + 1

    today = date.today()
    start_day = today - timedelta(days=shape.days)
    opened = local_to_utc(datetime.combine(start_day - timedelta(days=1), datetime.min.time()))

    customers: list[Cust] = []
    phones: set[int] = set()
    for cid in range(1, shape.customers + 1):
        while True:
            national = rng.randint(6_000_000_000, 9_999_999_999)
            if national not in phones:
                phones.add(national)
                break
        limit = rng.choice((0, 0, 0, 200_000, 500_000, 1_000_000, 2_500_000))
        customers.append(Cust(cid, limit))
        w.add(
            "customers",
            (cid, f"{rng.choice(FIRST)} {rng.choice(LAST)}", f"+91{national}", f"91{national}",
             "", "", "", limit, 0, stamp(opened), stamp(opened)),
        )  # fmt: skip
    credit_customers = [c for c in customers if c.limit > 0] or customers[:1]

    counters: dict[tuple[str, int], int] = {}
    # Returns come a few days after the sale: (due day, invoice row data) waiting their day.
    pending_returns: dict[date, list[tuple]] = {}
    invoice_updates: dict[int, list[int]] = {}  # id -> [paid, returned_total, status index]
    weekly = (0.85, 0.9, 0.9, 0.95, 1.1, 1.3, 1.25)  # Monday .. Sunday
    # 3.82 lines per bill on average (the mix below), so the shop ends near `lines` lines.
    bills_per_day = shape.lines / 3.82 / shape.days / (sum(weekly) / 7)
    product_count = len(products)
    counts = {"invoices": 0, "lines": 0, "credit_notes": 0, "account_payments": 0}

    def next_seq(kind: str, fy: int) -> int:
        value = counters.get((kind, fy), 0) + 1
        counters[(kind, fy)] = value
        return value

    def pick_product() -> Prod:
        # A few products sell most (the till's top sellers); every product can sell.
        return products[int(product_count * rng.random() ** 2.2)]

    def sale(at_local: datetime) -> None:
        at = local_to_utc(at_local)
        fy = financial_year(at_local, 4)
        seq = next_seq("invoice", fy)
        number = f"INV{fy}-{seq:06d}"
        invoice_id = w.new_id("invoices")
        cashier = rng.choice(user_ids)
        n_lines = rng.choices((1, 2, 3, 4, 5, 6, 8, 12), (18, 20, 18, 14, 10, 8, 7, 5))[0]
        chosen: list[Prod] = []
        for _ in range(n_lines):
            product = pick_product()
            if product not in chosen:
                chosen.append(product)
        inputs = []
        for product in chosen:
            if product.unit == "pcs":
                qty = rng.choices((1000, 2000, 3000, 5000), (70, 20, 7, 3))[0]
            else:
                qty = rng.randint(50, 600) * 5  # 0.250 .. 3.000 of a kg / l / m
            discount = 0
            if rng.random() < 0.03:
                discount = min(product.price * qty // 1000 // 10, 5000)
            inputs.append(LineInput(product.price, qty, product.rate, discount))
        bill_discount = BillDiscount()
        if rng.random() < 0.02:
            bill_discount = BillDiscount(percent_bp=rng.choice((200, 500, 1000)))
        priced = price_cart(inputs, bill_discount)
        total = priced.total

        customer: Cust | None = None
        credit = 0
        if rng.random() < 0.05:
            customer = rng.choice(credit_customers)
            if customer.balance + total <= customer.limit:
                credit = total if rng.random() < 0.7 else total - total // 2
            if credit == 0:
                customer = None
        elif rng.random() < 0.08:
            customer = rng.choice(customers)

        payments: list[tuple[str, int]] = []
        tendered = change = 0
        received = total - credit
        if received:
            kind = rng.random()
            if credit or kind < 0.62:
                note = rng.choice((0, 1000, 5000, 10000, 50000))
                tendered = received if not note else -(-received // note) * note
                change = tendered - received
                payments.append(("cash", received))
            elif kind < 0.82:
                payments.append(("upi", received))
            elif kind < 0.95:
                payments.append(("card", received))
            else:
                upi = received // 2
                tendered = received - upi
                payments += [("upi", upi), ("cash", received - upi)]
        paid = received
        w.add(
            "invoices",
            (invoice_id, number, fy, seq, stamp(at), cashier, customer.id if customer else None,
             1, priced.subtotal, priced.discount_total, priced.bill_discount, priced.tax_total,
             priced.round_off, total, paid, tendered, change, invoice_status(total, paid), "", 0,
             TAX_RULE),
        )  # fmt: skip
        line_ids = []
        for position, (product, line_in, line) in enumerate(
            zip(chosen, inputs, priced.lines, strict=True), start=1
        ):
            line_id = w.new_id("invoice_lines")
            line_ids.append(line_id)
            w.add(
                "invoice_lines",
                (line_id, invoice_id, position, product.id, product.code, product.name,
                 product.unit, product.hsn, product.price, line_in.qty_milli, line.gross,
                 line.line_discount, line.bill_discount_share, line.tax_rate_bp, line.taxable,
                 line.tax, line.total, product.cost, line.cgst, line.sgst, line.igst, line.cess),
            )  # fmt: skip
            product.sold += line_in.qty_milli
            w.add(
                "stock_movements",
                (w.new_id("stock_movements"), product.id, -line_in.qty_milli, "sale", number, "",
                 None, cashier, stamp(at)),
            )  # fmt: skip
        for method, amount in payments:
            w.add(
                "payments",
                (w.new_id("payments"), invoice_id, None, method, amount, stamp(at), cashier, "",
                 None),
            )  # fmt: skip
        if credit and customer is not None:
            w.add(
                "ledger_entries",
                (w.new_id("ledger_entries"), customer.id, "credit_sale", credit, invoice_id, None,
                 "", cashier, stamp(at)),
            )  # fmt: skip
            customer.balance += credit
            customer.open_bills.append(OpenBill(invoice_id, credit))
            invoice_updates[invoice_id] = [paid, 0, total]
        w.audit(
            at, cashier, "sale", "invoice", invoice_id, None,
            {"number": number, "total": total, "discount": priced.discount_total,
             "customer_id": customer.id if customer else None, "credit": credit},
        )  # fmt: skip
        counts["invoices"] += 1
        counts["lines"] += len(chosen)
        if not credit and len(chosen) >= 2 and rng.random() < 0.006:
            due = at_local.date() + timedelta(days=rng.randint(0, 6))
            last = len(chosen) - 1
            pending_returns.setdefault(due, []).append(
                (invoice_id, number, customer.id if customer else None, total, paid,
                 line_ids[last], chosen[last], inputs[last].qty_milli, priced.lines[last])
            )  # fmt: skip

    def return_line(at_local: datetime, waiting: tuple) -> None:
        invoice_id, number, customer_id, total, paid, line_id, product, qty, line = waiting
        at = local_to_utc(at_local)
        fy = financial_year(at_local, 4)
        seq = next_seq("credit_note", fy)
        cn_number = f"CN{fy}-{seq:06d}"
        note_id = w.new_id("credit_notes")
        user = rng.choice(user_ids)
        w.add(
            "credit_notes",
            (note_id, cn_number, fy, seq, invoice_id, customer_id, user, stamp(at), 1, "cash",
             line.taxable, line.tax, 0, line.total, 0, line.total, rng.choice(RETURN_REASONS),
             TAX_RULE),
        )  # fmt: skip
        w.add(
            "credit_note_lines",
            (w.new_id("credit_note_lines"), note_id, line_id, 1, product.id, qty, line.taxable,
             line.tax, line.total, line.cgst, line.sgst, line.igst, line.cess),
        )  # fmt: skip
        w.add(
            "payments",
            (w.new_id("payments"), invoice_id, None, "cash", -line.total, stamp(at), user, "",
             note_id),
        )  # fmt: skip
        w.add(
            "stock_movements",
            (w.new_id("stock_movements"), product.id, qty, "return", cn_number,
             f"Return against {number}", product.cost, user, stamp(at)),
        )  # fmt: skip
        product.sold -= qty
        invoice_updates[invoice_id] = [paid - line.total, line.total, total]
        w.audit(
            at, user, "return", "invoice", invoice_id,
            {"status": "paid", "balance_due": 0},
            {"credit_note": cn_number, "total": line.total, "applied": 0, "refund": line.total,
             "refund_method": "cash", "restock": True, "lines": {str(line_id): qty},
             "status": "paid"},
        )  # fmt: skip
        counts["credit_notes"] += 1

    def account_payment(at_local: datetime, customer: Cust) -> None:
        at = local_to_utc(at_local)
        amount = customer.balance if rng.random() < 0.5 else max(100, customer.balance // 2)
        amount = min(amount, customer.balance)
        payment_id = w.new_id("payments")
        user = rng.choice(user_ids)
        w.add(
            "payments",
            (payment_id, None, customer.id, rng.choice(("cash", "upi")), amount, stamp(at), user,
             "", None),
        )  # fmt: skip
        w.add(
            "ledger_entries",
            (w.new_id("ledger_entries"), customer.id, "payment", -amount, None, payment_id, "",
             user, stamp(at)),
        )  # fmt: skip
        left = amount
        while left and customer.open_bills:
            bill = customer.open_bills[0]
            part = min(left, bill.due)
            w.add(
                "payment_allocations",
                (w.new_id("payment_allocations"), payment_id, bill.id, part, stamp(at)),
            )
            invoice_updates[bill.id][0] += part
            bill.due -= part
            left -= part
            if bill.due == 0:
                customer.open_bills.pop(0)
        customer.balance -= amount
        counts["account_payments"] += 1

    for offset in range(shape.days):
        day = start_day + timedelta(days=offset)
        n_bills = max(1, round(bills_per_day * weekly[day.weekday()] * rng.uniform(0.8, 1.2)))
        events: list[tuple[int, int, object]] = []
        for _ in range(n_bills):
            events.append((rng.randint(9 * 3600, 21 * 3600 - 1), 0, None))
        for waiting in pending_returns.pop(day, []):
            events.append((rng.randint(9 * 3600, 21 * 3600 - 1), 1, waiting))
        owing = [c for c in rng.sample(credit_customers, min(40, len(credit_customers)))
                 if c.balance > 0]  # fmt: skip
        for customer in owing[: max(1, len(owing) // 3)]:
            events.append((rng.randint(9 * 3600, 21 * 3600 - 1), 2, customer))
        events.sort(key=lambda e: (e[0], e[1]))
        midnight = datetime.combine(day, datetime.min.time())
        for seconds, kind, payload in events:
            at_local = midnight + timedelta(seconds=seconds, microseconds=rng.randrange(1_000_000))
            if kind == 0:
                sale(at_local)
            elif kind == 1:
                return_line(at_local, payload)  # type: ignore[arg-type]
            elif isinstance(payload, Cust) and payload.balance > 0:
                account_payment(at_local, payload)

    # Opening stock (first movement of each product): what was sold plus what is on the shelf.
    for product in products:
        on_shelf = rng.randint(0, 200) * 1000 if product.unit == "pcs" else rng.randint(0, 50_000)
        opening = product.sold + on_shelf
        w.add(
            "stock_movements",
            (product.id, product.id, opening, "opening", "", "Opening stock", product.cost,
             user_ids[0], stamp(opened)),
        )  # fmt: skip
        w.add(
            "products",
            (product.id, product.code, product.name, product.category_id, product.unit,
             product.price, product.cost, product.price + product.price // 10, product.rate,
             product.hsn, on_shelf, 5000, "", "", "", 0, stamp(opened), stamp(opened),
             books.issue_value(on_shelf, product.cost), translit.name_key(product.name)),
        )  # fmt: skip
    for (kind, fy), last in sorted(counters.items()):
        w.add("document_counters", (kind, fy, last))
    for key, value in (
        ("shop_name", "Sharma General Store"),
        ("address", "12 Market Road, Pune 411001"),
        ("phone", "+91 98765 43210"),
        ("tax_number", "27ABCDE1234F1Z0"),
    ):
        w.add("settings", (key, value))
    w.flush()
    status_of = {}
    for invoice_id, (paid, returned, total) in invoice_updates.items():
        status_of[invoice_id] = (paid, returned, invoice_status(total - returned, paid), invoice_id)
    con.executemany(
        "UPDATE invoices SET paid = ?, returned_total = ?, status = ? WHERE id = ?",
        list(status_of.values()),
    )
    con.execute("COMMIT")
    con.close()

    with app.app_context():
        with write_transaction(db.session):
            summaries.rebuild(db.session)
        with write_transaction(db.session):
            # The rows went in by hand: post them to the books as an upgraded shop's history.
            books_history.post_history(db.session)
        db.session.remove()
        db.engine.dispose()
    con = sqlite3.connect(data_dir / "tillbook.db")
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    counts["products"] = shape.products
    counts["customers"] = shape.customers
    return counts


SHAPES = {
    "full": Shape(products=100_000, customers=20_000, lines=1_000_000, days=730),
    "small": Shape(products=2_000, customers=500, lines=10_000, days=60),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--small", action="store_true", help="a small shop (seconds to build)")
    parser.add_argument("--products", type=int)
    parser.add_argument("--customers", type=int)
    parser.add_argument("--lines", type=int, help="about this many invoice lines")
    parser.add_argument("--days", type=int)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--check", action="store_true", help="run `app.py check` afterwards")
    args = parser.parse_args()
    shape = SHAPES["small" if args.small else "full"]
    for name in ("products", "customers", "lines", "days"):
        if getattr(args, name) is not None:
            setattr(shape, name, getattr(args, name))
    if (args.data_dir / "tillbook.db").exists():
        raise SystemExit(f"{args.data_dir} already holds a database; give an empty data dir")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    counts = seed(args.data_dir, shape, args.seed)
    size = (args.data_dir / "tillbook.db").stat().st_size
    print(
        f"seeded {args.data_dir} in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
        + f"; database {size / 1e6:.0f} MB"
    )
    if args.check:
        import subprocess

        subprocess.run(
            [sys.executable, "app.py", "--data-dir", str(args.data_dir), "check"],
            cwd=ROOT,
            check=True,
        )


if __name__ == "__main__":
    main()
