"""services/rerate.py: choose products by category and/or rate, preview, apply once, audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, Product
from posapp.services import catalog, rerate
from posapp.services.rerate import Selection, StalePreview
from tests.factories import make_product, make_user


def rates() -> dict[str, int]:
    """Every product's rate by name, read afresh from the database."""
    db.session.expire_all()
    return {p.name: p.tax_rate_bp for p in db.session.scalars(select(Product))}


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog)) or 0


@pytest.fixture
def shop(app):  # type: ignore[no-untyped-def]
    """Six products: snacks at 12 % and 18 %, dairy at 12 % and 5 %, an archived snack at
    12 %, and an uncategorised 12 % product."""
    make_product(db.session, name="Namkeen", category="Snacks", tax_rate="12")
    make_product(db.session, name="Biscuits", category="Snacks", tax_rate="18")
    make_product(db.session, name="Butter", category="Dairy", tax_rate="12")
    make_product(db.session, name="Paneer", category="Dairy", tax_rate="5")
    old = make_product(db.session, name="Old chips", category="Snacks", tax_rate="12")
    catalog.archive_product(db.session, old.id, None)
    make_product(db.session, name="Notebook", tax_rate="12")
    return make_user(db.session, "owner", "admin")


# --- parsing ----------------------------------------------------------------------------------


def test_parse_reads_a_form_and_collects_every_error() -> None:
    parsed = rerate.parse_rerate({"category": " Snacks ", "current_rate": "12%", "new_rate": "5"})
    assert parsed == rerate.RerateRequest(Selection("Snacks", 1200), 500)
    assert rerate.parse_rerate({"current_rate": "28", "new_rate": "40"}).selection == Selection(
        "", 2800
    )
    with pytest.raises(ValidationError) as caught:
        rerate.parse_rerate({"current_rate": "1e3", "new_rate": "101"})
    assert set(caught.value.fields) == {"current_rate", "new_rate"}
    with pytest.raises(ValidationError) as caught:
        rerate.parse_rerate({"new_rate": "5"})
    assert caught.value.fields == {"category": "Choose a category, a current rate or both."}
    with pytest.raises(ValidationError) as caught:
        rerate.parse_rerate({"category": "Snacks"})
    assert caught.value.fields == {"new_rate": "Give the new rate."}
    with pytest.raises(ValidationError, match="already have"):
        rerate.parse_rerate({"current_rate": "5", "new_rate": "5.00"})
    with pytest.raises(ValidationError) as caught:
        rerate.parse_rerate({"category": ["Snacks"], "current_rate": "5", "new_rate": "2.555"})
    assert set(caught.value.fields) == {"category", "new_rate"}


# --- selection and preview --------------------------------------------------------------------


def test_preview_by_category_lists_the_active_products_that_change(shop) -> None:  # type: ignore[no-untyped-def]
    before = audit_count()
    preview = rerate.preview(db.session, Selection("snacks"), 500)  # any case
    assert preview.count == 2
    assert [
        (c.code != "", c.name, c.category, c.old_rate_bp, c.new_rate_bp) for c in preview.changes
    ] == [
        (True, "Biscuits", "Snacks", 1800, 500),
        (True, "Namkeen", "Snacks", 1200, 500),
    ]
    assert preview.old_rates() == {1200: 1, 1800: 1}
    assert preview.already == 0
    assert audit_count() == before and rates()["Namkeen"] == 1200  # a preview writes nothing


def test_preview_by_rate_spans_categories_and_skips_archived(shop) -> None:  # type: ignore[no-untyped-def]
    preview = rerate.preview(db.session, Selection(rate_bp=1200), 500)
    assert [c.name for c in preview.changes] == ["Butter", "Namkeen", "Notebook"]
    assert [c.category for c in preview.changes] == ["Dairy", "Snacks", ""]


def test_preview_by_category_and_rate_and_what_already_has_the_rate(shop) -> None:  # type: ignore[no-untyped-def]
    preview = rerate.preview(db.session, Selection("Dairy", 1200), 500)
    assert [c.name for c in preview.changes] == ["Butter"]
    whole_dairy = rerate.preview(db.session, Selection("Dairy"), 500)
    assert [c.name for c in whole_dairy.changes] == ["Butter"] and whole_dairy.already == 1
    assert preview.token != whole_dairy.token  # another selection, another token


def test_an_unknown_category_is_refused(shop) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="no category named 'Toys'") as caught:
        rerate.preview(db.session, Selection("Toys"), 500)
    assert caught.value.fields == {"category": "There is no category named 'Toys'."}


# --- apply ------------------------------------------------------------------------------------


def test_apply_changes_exactly_the_preview_in_one_audited_step(shop) -> None:  # type: ignore[no-untyped-def]
    preview = rerate.preview(db.session, Selection(rate_bp=1200), 500)
    stamps = {p.name: p.updated_at for p in db.session.scalars(select(Product))}
    before = audit_count()
    applied = rerate.apply(db.session, Selection(rate_bp=1200), 500, preview.token, shop.id)
    assert applied.changes == preview.changes  # preview = apply
    assert rates() == {
        "Namkeen": 500,
        "Biscuits": 1800,
        "Butter": 500,
        "Paneer": 500,
        "Old chips": 1200,  # archived: kept
        "Notebook": 500,
    }
    updated = {p.name: p.updated_at for p in db.session.scalars(select(Product))}
    assert all(updated[n] > stamps[n] for n in ("Namkeen", "Butter", "Notebook"))
    assert updated["Biscuits"] == stamps["Biscuits"]
    assert audit_count() == before + 1
    entry = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert entry is not None and entry.action == "product.rerate" and entry.user_id == shop.id
    ids = {c.name: c.product_id for c in preview.changes}
    assert json.loads(entry.before or "") == {
        "selection": {"category": None, "tax_rate_bp": 1200},
        "count": 3,
        "old_rates_bp": {"1200": sorted(ids.values())},
    }
    assert json.loads(entry.after or "") == {"tax_rate_bp": 500, "count": 3}


def test_apply_keeps_each_old_rate_in_the_audit(shop) -> None:  # type: ignore[no-untyped-def]
    preview = rerate.preview(db.session, Selection("Snacks"), 500)
    rerate.apply(db.session, Selection("Snacks"), 500, preview.token, shop.id)
    entry = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert entry is not None
    ids = {c.name: c.product_id for c in preview.changes}
    assert json.loads(entry.before or "")["old_rates_bp"] == {
        "1200": [ids["Namkeen"]],
        "1800": [ids["Biscuits"]],
    }
    assert json.loads(entry.before or "")["selection"] == {
        "category": "Snacks",
        "tax_rate_bp": None,
    }


def test_a_stale_preview_is_refused_and_writes_nothing(shop) -> None:  # type: ignore[no-untyped-def]
    selection = Selection(rate_bp=1200)
    preview = rerate.preview(db.session, selection, 500)
    make_product(db.session, name="Ghee", category="Dairy", tax_rate="12")  # one more matches
    before = audit_count()
    with pytest.raises(StalePreview, match="changed since the preview") as caught:
        rerate.apply(db.session, selection, 500, preview.token, shop.id)
    assert caught.value.status == 409 and caught.value.code == "stale_preview"
    assert audit_count() == before
    assert rates()["Namkeen"] == 1200 and rates()["Ghee"] == 1200


def test_a_product_edited_since_the_preview_makes_it_stale(shop) -> None:  # type: ignore[no-untyped-def]
    selection = Selection("Snacks")
    preview = rerate.preview(db.session, selection, 500)
    biscuits = db.session.scalar(select(Product).where(Product.name == "Biscuits"))
    assert biscuits is not None
    catalog.update_product(db.session, biscuits.id, {"tax_rate": "12"}, None)  # same ids
    with pytest.raises(StalePreview):
        rerate.apply(db.session, selection, 500, preview.token, shop.id)
    assert rates()["Namkeen"] == 1200
    fresh = rerate.preview(db.session, selection, 500)
    rerate.apply(db.session, selection, 500, fresh.token, shop.id)
    assert rates()["Biscuits"] == rates()["Namkeen"] == 500


def test_a_token_for_another_new_rate_is_stale(shop) -> None:  # type: ignore[no-untyped-def]
    preview = rerate.preview(db.session, Selection(rate_bp=1200), 500)
    with pytest.raises(StalePreview):
        rerate.apply(db.session, Selection(rate_bp=1200), 1800, preview.token, shop.id)
    assert rates()["Namkeen"] == 1200


def test_bad_input_writes_nothing(shop) -> None:  # type: ignore[no-untyped-def]
    preview = rerate.preview(db.session, Selection("Dairy"), 500)
    before = audit_count()
    for token in ("", None, ["x"]):
        with pytest.raises(ValidationError):
            rerate.apply(db.session, Selection("Dairy"), 500, token, shop.id)
    with pytest.raises(ValidationError, match="no category named"):
        rerate.apply(db.session, Selection("Toys"), 500, preview.token, shop.id)
    with pytest.raises(StalePreview):
        rerate.apply(db.session, Selection("Dairy"), 500, "x" * 5000, shop.id)
    assert audit_count() == before and rates()["Butter"] == 1200


def test_nothing_to_change_is_refused(shop) -> None:  # type: ignore[no-untyped-def]
    preview = rerate.preview(db.session, Selection(rate_bp=1800), 1800)
    assert preview.count == 0 and preview.already == 1
    before = audit_count()
    with pytest.raises(ValidationError, match="No product would change"):
        rerate.apply(db.session, Selection(rate_bp=1800), 1800, preview.token, shop.id)
    assert audit_count() == before


def test_many_products_go_in_slices(shop, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(rerate, "UPDATE_SLICE", 2)  # three slices for five products
    for n in range(2):
        make_product(db.session, name=f"Sev {n}", category="Snacks", tax_rate="12")
    selection = Selection(rate_bp=1200)
    preview = rerate.preview(db.session, selection, 500)
    assert preview.count == 5
    rerate.apply(db.session, selection, 500, preview.token, shop.id)
    assert sorted(n for n, r in rates().items() if r == 1200) == ["Old chips"]


def test_rates_in_use_counts_active_products(shop) -> None:  # type: ignore[no-untyped-def]
    assert rerate.rates_in_use(db.session) == [(500, 1), (1200, 3), (1800, 1)]
