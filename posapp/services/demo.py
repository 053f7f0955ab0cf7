"""A realistic sample shop: catalog, customers with credit, and 60 days of trading."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.errors import Conflict, DomainError
from posapp.i18n import _
from posapp.models import Customer, Invoice, Product, User
from posapp.models.base import clock_at, write_transaction
from posapp.money import MILLI, ean13_check_digit, money_str, qty_str
from posapp.services import (
    catalog,
    checkout,
    customers,
    inventory,
    ledger,
    returns,
    scale_labels,
    users,
)
from posapp.services.settings import ShopSettings, load_settings, save_settings

SEED = 20261123
DEMO_SHOP = {
    "shop_name": "Sharma General Store",
    "address": "14, Station Road\nPune 411001",
    "phone": "+91 98220 12345",
}
DAYS = 60
COLLECT_AT = 20 * 60 + 30  # local minutes: the evening's account payments
RETURNS_AT = 20 * 60 + 45  # and returns, after the last sale

# (category, product, brands, [(size, price)], GST %, HSN). The rates are the slabs since
# 22 September 2025 (docs/DESIGN.md §2): a sample shop, not a tax table.
FAMILIES: list[tuple[str, str, list[str], list[tuple[str, str]], int, str]] = [
    (
        "Staples",
        "Whole Wheat Atta",
        ["Aashirvaad", "Pillsbury", "Fortune", "Annapurna"],
        [("1 kg", "62.00"), ("5 kg", "275.00"), ("10 kg", "535.00")],
        5,
        "1101",
    ),
    (
        "Staples",
        "Basmati Rice",
        ["India Gate", "Daawat", "Kohinoor"],
        [("1 kg", "165.00"), ("5 kg", "780.00")],
        5,
        "1006",
    ),
    ("Staples", "Iodised Salt", ["Tata", "Annapurna", "Catch"], [("1 kg", "28.00")], 0, "2501"),
    (
        "Edible Oil",
        "Sunflower Oil",
        ["Fortune", "Saffola", "Sundrop", "Gemini"],
        [("1 l", "165.00"), ("5 l", "780.00")],
        5,
        "1512",
    ),
    ("Edible Oil", "Mustard Oil", ["Fortune", "Dhara", "Engine"], [("1 l", "185.00")], 5, "1514"),
    (
        "Dairy",
        "Butter",
        ["Amul", "Britannia", "Mother Dairy"],
        [("100 g", "58.00"), ("500 g", "285.00")],
        5,
        "0405",
    ),
    (
        "Dairy",
        "Ghee",
        ["Amul", "Gowardhan", "Patanjali", "Nandini"],
        [("500 ml", "330.00"), ("1 l", "640.00")],
        5,
        "0405",
    ),
    ("Dairy", "Paneer", ["Amul", "Mother Dairy"], [("200 g", "95.00")], 0, "0406"),
    ("Dairy", "Curd", ["Amul Masti", "Nandini", "Mother Dairy"], [("400 g", "35.00")], 0, "0403"),
    ("Dairy", "Cheese Slices", ["Amul", "Britannia", "Go"], [("200 g", "145.00")], 5, "0406"),
    (
        "Beverages",
        "Tea",
        ["Tata Tea Premium", "Red Label", "Taj Mahal", "Wagh Bakri"],
        [("250 g", "140.00"), ("500 g", "270.00"), ("1 kg", "520.00")],
        5,
        "0902",
    ),
    (
        "Beverages",
        "Instant Coffee",
        ["Nescafe Classic", "Bru", "Continental"],
        [("50 g", "175.00"), ("100 g", "330.00")],
        5,
        "2101",
    ),
    (
        "Beverages",
        "Health Drink",
        ["Bournvita", "Horlicks", "Boost", "Complan"],
        [("500 g", "245.00")],
        5,
        "1901",
    ),
    (
        "Beverages",
        "Soft Drink",
        ["Coca-Cola", "Thums Up", "Sprite", "Limca", "Fanta"],
        [("750 ml", "45.00"), ("2 l", "99.00")],
        40,
        "2202",
    ),
    (
        "Snacks",
        "Biscuits",
        ["Parle-G", "Marie Gold", "Good Day", "Hide & Seek", "Bourbon"],
        [("100 g", "10.00"), ("250 g", "30.00")],
        5,
        "1905",
    ),
    (
        "Snacks",
        "Namkeen",
        ["Haldiram's Aloo Bhujia", "Haldiram's Moong Dal", "Bikaji Bhujia", "Balaji Ratlami Sev"],
        [("200 g", "55.00"), ("400 g", "105.00")],
        5,
        "2106",
    ),
    (
        "Snacks",
        "Potato Chips",
        ["Lay's Classic Salted", "Lay's Magic Masala", "Bingo Mad Angles", "Uncle Chipps"],
        [("52 g", "20.00"), ("90 g", "50.00")],
        5,
        "2005",
    ),
    (
        "Snacks",
        "Instant Noodles",
        ["Maggi Masala", "Yippee Magic Masala", "Top Ramen Curry"],
        [("70 g", "14.00"), ("280 g", "56.00")],
        5,
        "1902",
    ),
    (
        "Snacks",
        "Chocolate",
        ["Dairy Milk", "5 Star", "KitKat", "Munch", "Perk"],
        [("small", "10.00"), ("large", "40.00")],
        5,
        "1806",
    ),
    (
        "Personal Care",
        "Bath Soap",
        ["Lux", "Dettol", "Lifebuoy", "Santoor", "Mysore Sandal", "Cinthol"],
        [("100 g", "42.00"), ("4 x 100 g", "160.00")],
        5,
        "3401",
    ),
    (
        "Personal Care",
        "Toothpaste",
        ["Colgate Strong Teeth", "Pepsodent", "Close-Up", "Dabur Red", "Sensodyne"],
        [("100 g", "58.00"), ("200 g", "110.00")],
        5,
        "3306",
    ),
    (
        "Personal Care",
        "Shampoo",
        ["Clinic Plus", "Head & Shoulders", "Sunsilk", "Pantene"],
        [("180 ml", "145.00"), ("340 ml", "265.00")],
        5,
        "3305",
    ),
    (
        "Household",
        "Detergent Powder",
        ["Surf Excel", "Tide", "Rin", "Wheel", "Ariel"],
        [("1 kg", "135.00"), ("4 kg", "520.00")],
        18,
        "3402",
    ),
    (
        "Household",
        "Dishwash Bar",
        ["Vim", "Exo", "Pril"],
        [("200 g", "20.00"), ("500 g", "45.00")],
        18,
        "3402",
    ),
    (
        "Household",
        "Floor Cleaner",
        ["Lizol", "Harpic", "Domex"],
        [("500 ml", "110.00"), ("1 l", "205.00")],
        18,
        "3808",
    ),
    (
        "Spices",
        "Turmeric Powder",
        ["Everest", "MDH", "Catch", "Aachi"],
        [("100 g", "38.00"), ("200 g", "72.00")],
        5,
        "0910",
    ),
    (
        "Spices",
        "Chilli Powder",
        ["Everest", "MDH", "Catch", "Aachi"],
        [("100 g", "45.00"), ("200 g", "85.00")],
        5,
        "0904",
    ),
    ("Spices", "Garam Masala", ["Everest", "MDH", "Catch"], [("100 g", "82.00")], 5, "0910"),
    ("Breakfast", "Corn Flakes", ["Kellogg's", "Bagrry's"], [("475 g", "195.00")], 5, "1904"),
    (
        "Breakfast",
        "Oats",
        ["Quaker", "Saffola", "Bagrry's"],
        [("500 g", "99.00"), ("1 kg", "189.00")],
        18,
        "1104",
    ),
    ("Bakery", "Bread", ["Modern", "Britannia", "Harvest Gold"], [("400 g", "45.00")], 0, "1905"),
    (
        "Stationery",
        "Notebook",
        ["Classmate", "Navneet"],
        [("172 pages", "45.00"), ("240 pages", "65.00")],
        0,
        "4820",
    ),
    ("Stationery", "Ball Pen", ["Reynolds", "Cello", "Linc"], [("pack of 5", "50.00")], 18, "9608"),
]

# Sold loose, by weight: (category, name, unit, price per unit, GST %, HSN)
LOOSE: list[tuple[str, str, str, str, int, str]] = [
    ("Staples", "Sona Masoori Rice (loose)", "kg", "62.00", 5, "1006"),
    ("Staples", "Toor Dal (loose)", "kg", "165.00", 5, "0713"),
    ("Staples", "Moong Dal (loose)", "kg", "140.00", 5, "0713"),
    ("Staples", "Chana Dal (loose)", "kg", "95.00", 5, "0713"),
    ("Staples", "Sugar (loose)", "kg", "46.00", 5, "1701"),
    ("Staples", "Rava (loose)", "kg", "56.00", 5, "1103"),
    ("Staples", "Poha (loose)", "kg", "60.00", 5, "1904"),
    ("Fruits & Vegetables", "Onion", "kg", "38.00", 0, "0703"),
    ("Fruits & Vegetables", "Potato", "kg", "32.00", 0, "0701"),
    ("Fruits & Vegetables", "Tomato", "kg", "40.00", 0, "0702"),
    ("Fruits & Vegetables", "Carrot", "kg", "60.00", 0, "0706"),
    ("Fruits & Vegetables", "Apple (Shimla)", "kg", "180.00", 0, "0808"),
    ("Fruits & Vegetables", "Ginger", "kg", "120.00", 0, "0910"),
    ("Fruits & Vegetables", "Coconut Oil (loose)", "l", "210.00", 5, "1513"),
]

# Fresh goods a shop does not put back on the shelf when a customer brings them back: the
# family or loose names whose products are marked perishable (docs/DESIGN.md, returns).
PERISHABLE = frozenset(
    {"Butter", "Paneer", "Curd", "Cheese Slices", "Bread"}
    | {"Onion", "Potato", "Tomato", "Carrot", "Apple (Shimla)", "Ginger"}
)

# What customers call them at the counter (Hindi/Hinglish and a few regional words): the
# products' search words, by family or loose name. Spellings vary, so several of each.
ALIASES: dict[str, str] = {
    "Whole Wheat Atta": "aata, atta, gehun ka aata, gehu atta, wheat flour",
    "Basmati Rice": "chawal, basmati chawal",
    "Iodised Salt": "namak, salt",
    "Sunflower Oil": "tel, refined tel, refined oil",
    "Mustard Oil": "sarson ka tel, sarson tel, kadwa tel, tel",
    "Butter": "makhan, makkhan",
    "Ghee": "desi ghee, ghi",
    "Paneer": "panir",
    "Curd": "dahi",
    "Tea": "chai, chai patti, chaipatti",
    "Instant Coffee": "coffee, kaafi",
    "Soft Drink": "cold drink, thanda",
    "Biscuits": "biskut",
    "Namkeen": "bhujia, mixture",
    "Instant Noodles": "noodles, maggi",
    "Bath Soap": "sabun, nahane ka sabun",
    "Toothpaste": "manjan",
    "Detergent Powder": "surf, kapde ka sabun, washing powder",
    "Dishwash Bar": "bartan sabun, vim",
    "Turmeric Powder": "haldi",
    "Chilli Powder": "lal mirch, mirchi",
    "Notebook": "copy, kapi",
    "Sona Masoori Rice (loose)": "chawal, khula chawal",
    "Toor Dal (loose)": "dal, daal, arhar dal, tuvar dal",
    "Moong Dal (loose)": "dal, daal, moong",
    "Chana Dal (loose)": "dal, daal, chana",
    "Sugar (loose)": "chini, cheeni, shakkar, sakhar",
    "Rava (loose)": "suji, sooji, semolina",
    "Poha (loose)": "chivda, aval, chura",
    "Onion": "pyaz, pyaaz, kanda",
    "Potato": "aloo, alu, batata",
    "Tomato": "tamatar",
    "Carrot": "gajar",
    "Apple (Shimla)": "seb",
    "Ginger": "adrak",
    "Coconut Oil (loose)": "nariyal tel, khopra tel, tel",
}

FIRST = [
    "Ramesh",
    "Suresh",
    "Lakshmi",
    "Priya",
    "Anil",
    "Sunita",
    "Vijay",
    "Kavita",
    "Arjun",
    "Meena",
    "Rahul",
    "Geeta",
    "Sanjay",
    "Pooja",
    "Manoj",
    "Rekha",
    "Deepak",
    "Anita",
    "Imran",
    "Farida",
    "Joseph",
    "Mary",
    "Harpreet",
    "Gurpreet",
]
LAST = [
    "Sharma",
    "Patel",
    "Reddy",
    "Iyer",
    "Nair",
    "Khan",
    "Singh",
    "Gupta",
    "Das",
    "Rao",
    "Verma",
    "Joshi",
    "Pillai",
    "Fernandes",
    "Kulkarni",
    "Shetty",
]


@dataclass
class DemoReport:
    """What the demo shop holds once it is built."""

    products: int = 0
    customers: int = 0
    invoices: int = 0
    purchases: int = 0
    payments: int = 0
    returns: int = 0
    credit_sales: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


class ShopNotEmpty(Conflict):
    """The demo only fills a shop that has never sold anything."""

    code = "shop_not_empty"


def _local_moment(day: date, minutes: int) -> datetime:
    """Return the stored (naive UTC) time of a local time on a day."""
    local = datetime.combine(day, time(0, 0)) + timedelta(minutes=minutes)
    return local.astimezone().astimezone(UTC).replace(tzinfo=None)


def _barcode(rng: random.Random) -> str:
    body = "890" + "".join(str(rng.randrange(10)) for _ in range(9))
    return body + str(ean13_check_digit(body))


def _vary(price: str, rng: random.Random) -> int:
    """A brand's price near the family's: ±10 %, to the nearest 50 paise."""
    base = int(price.replace(".", ""))
    return max(500, (base * rng.randrange(90, 111) // 100 + 25) // 50 * 50)


def _staff(session: Session) -> tuple[User, list[User]]:
    """Who the history is attributed to: the shop's admin if there is one, and two cashiers.

    The demo cashiers are inactive with random passwords nobody knows: TillBook has no default
    password. An admin may reactivate them with a new password.
    """
    admin = session.scalar(select(User).where(User.role == "admin", User.active.is_(True)))
    staff: list[User] = []
    for name, role in (("demo-manager", "admin"), ("asha", "cashier"), ("ravi", "cashier")):
        user = session.scalar(select(User).where(func.lower(User.username) == name))
        if user is None:
            user = users.create_user(session, name, secrets.token_urlsafe(24), role)
            with write_transaction(session):
                user = session.get(User, user.id)
                assert user is not None
                user.active = False
        staff.append(user)
    return admin or staff[0], staff[1:]


def _products(session: Session, rng: random.Random, manager: User) -> list[Product]:
    made: list[Product] = []
    for category, product, brands, sizes, rate, hsn in FAMILIES:
        for brand in brands:
            for size, price in sizes:
                minor = _vary(price, rng)
                data = {
                    "name": f"{brand} {product} {size}",
                    "code": _barcode(rng),
                    "category": category,
                    "unit": "pcs",
                    "price": money_str(minor),
                    "mrp": money_str(
                        minor + (minor * rng.choice((0, 0, 3, 5)) // 100) // 100 * 100
                    ),
                    "cost": money_str(minor * rng.randrange(72, 88) // 100),
                    "tax_rate": str(rate),
                    "hsn": hsn,
                    "aliases": ALIASES.get(product, ""),
                    "perishable": product in PERISHABLE,
                    "low_stock_threshold": str(rng.choice((5, 10, 12))),
                    "opening_stock": str(rng.randrange(60, 160)),
                    "supplier": rng.choice(
                        (
                            "Metro Cash & Carry",
                            "Reliance Wholesale",
                            "Sri Balaji Distributors",
                            "Jain Traders",
                        )
                    ),
                }
                made.append(catalog.create_product(session, data, manager.id))
    # Loose items get scale PLUs 1, 2, … as long as the shop's labels' item code, so a scale
    # label (or the sample on the product's page) finds them at the till.
    digits = scale_labels.layout_of(load_settings(session)).item_digits
    for plu, (category, name, unit, price, rate, hsn) in enumerate(LOOSE, start=1):
        minor = int(price.replace(".", ""))
        data = {
            "name": name,
            "category": category,
            "unit": unit,
            "price": price,
            "cost": money_str(minor * 80 // 100),
            "tax_rate": str(rate),
            "hsn": hsn,
            "low_stock_threshold": "10",
            "opening_stock": str(rng.randrange(150, 300)),
            "supplier": "APMC Market",
            "location": "Loose bins",
            "scale_plu": str(plu).zfill(digits),
            "aliases": ALIASES.get(name, ""),
            "perishable": name in PERISHABLE,
        }
        made.append(catalog.create_product(session, data, manager.id))
    return made


def _customers(session: Session, rng: random.Random, manager: User) -> list[Customer]:
    made: list[Customer] = []
    names = rng.sample([f"{f} {last}" for f in FIRST for last in LAST], 40)
    for i, name in enumerate(names):
        phone = f"{rng.choice('6789')}{rng.randrange(10**8, 10**9)}"
        limit = rng.choice(("0", "2000", "3000", "5000", "10000")) if i % 4 else "0"
        data = {
            "name": name,
            "phone": phone,
            "credit_limit": limit,
            "address": f"{rng.randrange(1, 200)}, {rng.choice(LAST)} Nagar",
        }
        made.append(customers.create_customer(session, data, manager))
    return made


def _quantity(product: Product, rng: random.Random) -> str:
    if product.unit == "pcs":
        return str(rng.choice((1, 1, 1, 2, 2, 3)))
    return qty_str(rng.choice((250, 500, 500, 750, 1000, 1000, 1500, 2000)), product.unit)


def _sell(
    session: Session,
    rng: random.Random,
    products: list[Product],
    credit_customers: list[Customer],
    cashier: User,
    report: DemoReport,
) -> None:
    """Ring up one bill the way a till would: cash, UPI, card, or on credit."""
    lines = rng.sample(products, rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6)))
    items = [{"product_id": p.id, "quantity": _quantity(p, rng)} for p in lines]
    payload: dict[str, Any] = {"items": items}
    roll = rng.random()
    if roll < 0.05:
        payload["discount"] = rng.choice(("5%", "10.00", "20.00"))
    if roll > 0.85 and credit_customers:
        customer = rng.choice(credit_customers)
        preview = checkout.preview(session, checkout.parse_checkout(payload)).priced.total
        payload["customer_id"] = customer.id
        payload["payments"] = [{"method": "credit", "amount": money_str(preview)}]
    elif roll > 0.62:
        preview = checkout.preview(session, checkout.parse_checkout(payload)).priced.total
        method = "upi" if roll > 0.72 else "card"
        payload["payments"] = [{"method": method, "amount": money_str(preview)}]
    try:
        checkout.checkout(session, checkout.parse_checkout(payload), cashier)
    except DomainError as exc:  # over a credit limit or out of stock: the cashier takes cash
        session.rollback()
        report.skipped[exc.code] = report.skipped.get(exc.code, 0) + 1
        if "customer_id" in payload:
            payload.pop("customer_id")
            payload.pop("payments")
            try:
                checkout.checkout(session, checkout.parse_checkout(payload), cashier)
            except DomainError:
                session.rollback()
                return
        else:
            return
    else:
        if "customer_id" in payload:
            report.credit_sales += 1
    report.invoices += 1


def _restock(session: Session, rng: random.Random, manager: User, report: DemoReport) -> None:
    """The weekly purchase: refill whatever ran low, at this week's cost."""
    low = session.scalars(
        select(Product).where(Product.stock_milli <= Product.low_stock_milli * 3).limit(40)
    ).all()
    if not low:
        return
    lines = [
        {
            "product_id": p.id,
            "quantity": qty_str((60 if p.unit == "pcs" else 100) * MILLI, p.unit),
            "unit_cost": money_str(p.price * rng.randrange(72, 88) // 100),
        }
        for p in low
    ]
    inventory.receive_stock(
        session,
        {
            "supplier": "Metro Cash & Carry",
            "reference": f"MCC/{rng.randrange(10000, 99999)}",
            "lines": lines,
        },
        manager.id,
    )
    report.purchases += 1


def _collect(session: Session, rng: random.Random, manager: User, report: DemoReport) -> None:
    """Some customers who owe come in and pay part or all of it."""
    owing = [
        (cid, due) for cid, due in ledger.balances(session, _credit_ids(session)).items() if due > 0
    ]
    for customer_id, due in rng.sample(owing, min(len(owing), 3)):
        amount = due if rng.random() < 0.5 else max(100, due // 2 // 100 * 100)
        data = {
            "amount": money_str(amount),
            "method": rng.choice(("cash", "upi")),
            "note": "Paid at the counter",
        }
        ledger.record_payment(session, customer_id, data, manager)
        report.payments += 1


def _take_back(session: Session, rng: random.Random, manager: User, report: DemoReport) -> None:
    """A customer brings something back from a recent bill: restocked, or damaged."""
    recent = session.scalars(
        select(Invoice)
        .where(Invoice.status.in_(("paid", "partial", "unpaid")))
        .order_by(Invoice.id.desc())
        .limit(60)
    ).all()
    if not recent:
        return
    invoice = rng.choice(recent)
    line = rng.choice(invoice.lines)
    quantity = line.qty_milli if line.unit != "pcs" else min(line.qty_milli, MILLI)
    refund = "credit" if invoice.customer_id is not None and rng.random() < 0.5 else "cash"
    payload = {
        "lines": [{"line_id": line.id, "quantity": qty_str(quantity, line.unit)}],
        "refund_method": refund,
        # Drawn for every return (the sequence stays as it was); fresh goods never go back.
        "restock": rng.random() < 0.8 and not _is_perishable(session, line.product_id),
    }
    returns.create_return(session, invoice.id, payload, manager)
    report.returns += 1


def _is_perishable(session: Session, product_id: int) -> bool:
    product = session.get(Product, product_id)
    return product is not None and product.perishable


def _credit_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Customer.id).where(Customer.credit_limit > 0)))


def build_demo_shop(
    session: Session,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    days: int = DAYS,
) -> DemoReport:
    """Fill an empty shop: catalog, customers, and `days` of sales, purchases, payments, returns."""
    if session.scalar(select(func.count()).select_from(Invoice)):
        raise ShopNotEmpty(_("This shop already has sales; the demo only fills an empty shop."))
    rng = random.Random(SEED)  # noqa: S311 (a repeatable sample shop, not secrets)
    now = datetime.now()
    today = today or now.date()
    now_minutes = now.hour * 60 + now.minute if today == now.date() else 24 * 60
    start = today - timedelta(days=days)
    report = DemoReport()
    manager, cashiers = _staff(session)
    if load_settings(session).shop_name == ShopSettings().shop_name:
        with write_transaction(session):
            save_settings(session, **DEMO_SHOP)
    with clock_at(_local_moment(start, 8 * 60)):
        products = _products(session, rng, manager)
        people = _customers(session, rng, manager)
    report.products, report.customers = len(products), len(people)
    credit_customers = [c for c in people if c.credit_limit is None or c.credit_limit > 0]
    for offset in range(days + 1):
        day = start + timedelta(days=offset)
        bills = rng.randrange(30, 46) + (12 if day.weekday() >= 5 else 0)
        # The till closes before the evening's collections and returns, so nothing is paid
        # or returned before it was sold.
        moments = sorted(rng.randrange(8 * 60, COLLECT_AT) for _ in range(bills))
        # Today is not over: nothing may be dated later than now.
        closing = now_minutes if day == today else 24 * 60
        moments = [m for m in moments if m < closing]
        if offset % 7 == 0 and closing > 7 * 60 + 30:
            with clock_at(_local_moment(day, 7 * 60 + 30)):
                _restock(session, rng, manager, report)
        for minute in moments:
            with clock_at(_local_moment(day, minute) + timedelta(seconds=rng.randrange(60))):
                _sell(session, rng, products, credit_customers, rng.choice(cashiers), report)
        if offset % 3 == 1 and closing > COLLECT_AT:
            with clock_at(_local_moment(day, COLLECT_AT)):
                _collect(session, rng, manager, report)
        if offset % 2 == 0 and closing > RETURNS_AT:
            with clock_at(_local_moment(day, RETURNS_AT)):
                _take_back(session, rng, manager, report)
        if progress is not None:
            progress(offset + 1, days + 1)
    return report
