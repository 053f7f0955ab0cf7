"""The demo shop: a living sample that obeys every invariant, and only for an empty shop."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import (
    AuditLog,
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Product,
    StockMovement,
    User,
)
from posapp.models.base import to_local
from posapp.money import ean13_check_digit, is_valid_ean13
from posapp.services import catalog
from posapp.services.demo import ShopNotEmpty, build_demo_shop
from posapp.services.integrity import run_checks
from tests.conftest import build_app

TODAY = date(2025, 6, 18)  # a fixed past day: the whole of it is history, whenever tests run


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One demo shop for the module (building it is the slow part); the tests only read it."""
    app = build_app(tmp_path_factory.mktemp("demo"), WTF_CSRF_ENABLED=False)
    with app.app_context():
        yield build_demo_shop(db.session, today=TODAY, days=4)
        db.session.remove()
        db.engine.dispose()


def test_the_demo_shop_is_full_and_consistent(demo) -> None:  # type: ignore[no-untyped-def]
    assert demo.products == count(Product) > 200
    assert demo.customers == count(Customer) == 40
    assert demo.invoices == count(Invoice) > 100
    assert demo.credit_sales > 0 and demo.payments > 0 and demo.returns > 0
    assert count(CreditNote) == demo.returns
    report = run_checks(db.session)
    assert report.ok, report.problems


def test_products_look_like_a_shop(demo) -> None:  # type: ignore[no-untyped-def]
    products = db.session.scalars(select(Product)).all()
    packaged = [p for p in products if p.unit == "pcs"]
    loose = [p for p in products if p.unit != "pcs"]
    assert loose and all(is_valid_ean13(p.code) for p in packaged)
    rates = {p.tax_rate_bp for p in products}
    # Today's slabs (since 22 September 2025), not the retired 12 % and 28 %.
    assert rates >= {0, 500, 1800, 4000}
    assert not rates & {1200, 2800}
    assert all(p.mrp is None or p.mrp >= p.price for p in products)
    assert len({p.category_name for p in products}) >= 10


def test_loose_items_have_scale_plus_and_the_onion_label_scans(demo) -> None:  # type: ignore[no-untyped-def]
    loose = db.session.scalars(select(Product).where(Product.unit != "pcs")).all()
    plus = sorted(p.scale_plu or "" for p in loose)
    assert plus == [str(n).zfill(5) for n in range(1, len(loose) + 1)]
    onion = db.session.scalars(select(Product).where(Product.name == "Onion")).one()
    body = f"21{onion.scale_plu}00750"  # 750 g of onion on a default-layout label
    found = catalog.lookup_code(db.session, body + str(ean13_check_digit(body)))
    assert (found.product.id, found.qty_milli) == (onion.id, 750)


def test_fresh_goods_are_perishable_and_their_returns_stay_off_the_shelf(demo) -> None:  # type: ignore[no-untyped-def]
    flags = {
        name: flag for name, flag in db.session.execute(select(Product.name, Product.perishable))
    }
    fresh = [name for name, perishable in flags.items() if perishable]
    for name in ("Onion", "Tomato", "Amul Paneer 200 g", "Nandini Curd 400 g"):
        assert flags[name] is True, name
    assert any(name.endswith("Bread 400 g") for name in fresh)
    for name in ("Tata Iodised Salt 1 kg", "Sugar (loose)", "Coconut Oil (loose)"):
        assert flags[name] is False, name
    fresh_returns = db.session.scalars(
        select(CreditNote.restock)
        .join(CreditNoteLine, CreditNoteLine.credit_note_id == CreditNote.id)
        .join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)
        .join(Product, Product.id == InvoiceLine.product_id)
        .where(Product.perishable.is_(True))
    ).all()
    assert True not in fresh_returns


def test_the_words_customers_say_find_the_right_products(demo) -> None:  # type: ignore[no-untyped-def]
    def top(q: str) -> str:
        items, _ = catalog.search_products(db.session, q=q, per_page=3)
        return items[0].name

    for word in ("chini", "cheeni", "shakkar"):
        assert top(word) == "Sugar (loose)", word
    for word in ("aata", "atta", "gehun ka aata"):
        assert "Whole Wheat Atta" in top(word), word
    assert top("chawal").endswith(("Basmati Rice 1 kg", "Basmati Rice 5 kg", "(loose)"))
    assert "Salt" in top("namak")
    assert "Dal" in top("dal")
    assert top("pyaz") == "Onion"


def test_history_is_spread_over_the_days_it_covers(demo) -> None:  # type: ignore[no-untyped-def]
    days = {to_local(moment).date() for moment in db.session.scalars(select(Invoice.created_at))}
    assert days == {TODAY - timedelta(days=n) for n in range(5)}
    hours = {to_local(m).hour for m in db.session.scalars(select(Invoice.created_at))}
    assert min(hours) >= 8 and max(hours) <= 21
    assert count(LedgerEntry) > 0 and count(StockMovement) > count(Product)


def test_demo_staff_cannot_log_in(demo) -> None:  # type: ignore[no-untyped-def]
    staff = db.session.scalars(select(User)).all()
    assert {u.username for u in staff} == {"demo-manager", "asha", "ravi"}
    assert not any(u.active for u in staff)  # no default password anywhere


def test_it_refuses_a_shop_that_has_sales(demo) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ShopNotEmpty):
        build_demo_shop(db.session, today=TODAY, days=1)


def test_history_is_written_in_the_order_it_happened(demo) -> None:  # type: ignore[no-untyped-def]
    """No return or account payment is dated before a sale written ahead of it, nor a sale
    before them (the old demo sold until 21:00 but collected at 20:30 and took returns at
    20:45 of the same day). Sales within one minute may swap seconds: that harms nothing."""
    rows = db.session.execute(
        select(AuditLog.action, AuditLog.created_at)
        .where(AuditLog.action.in_(("sale.create", "customer.payment", "credit_note.create")))
        .order_by(AuditLog.id)
    ).all()
    assert len(rows) > 100 and {a for a, _ in rows} == {
        "sale.create",
        "customer.payment",
        "credit_note.create",
    }
    last_sale = last_other = None
    for action, moment in rows:
        if action == "sale.create":
            assert last_other is None or moment >= last_other, (action, moment, last_other)
            last_sale = moment if last_sale is None else max(last_sale, moment)
        else:
            assert last_sale is None or moment >= last_sale, (action, moment, last_sale)
            last_other = moment if last_other is None else max(last_other, moment)


def test_the_demo_keeps_its_books(demo) -> None:  # type: ignore[no-untyped-def]
    """Every sale, return and payment on account of the demo posted its entry (the books'
    check already holds receivables to the khata and inventory to the stock value)."""
    from posapp.models import JournalEntry, Payment
    from posapp.services import books_sales

    def posted(kind: str) -> set[int]:
        return set(
            db.session.scalars(
                select(JournalEntry.source_id).where(JournalEntry.source_kind == kind)
            )
        )

    assert posted("sale") >= set(db.session.scalars(select(Invoice.id).where(Invoice.total != 0)))
    assert posted("return") == set(db.session.scalars(select(CreditNote.id)))
    on_account = {
        p.id for p in db.session.scalars(select(Payment)) if books_sales.is_account_payment(p)
    }
    assert on_account and posted("payment") == on_account
