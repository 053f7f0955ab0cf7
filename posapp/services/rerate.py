"""Re-rate many products at once: choose them by category and/or current tax rate, preview, apply.

The GST slabs changed on 22 September 2025 (12 % and 28 % went, 40 % came), so a shop moves
whole groups of products to a new rate. The admin first sees exactly which products would
change (`preview`), then confirms (`apply`). The confirmation carries the preview's token, a
hash of the new rate, the selection and every previewed product id with its old rate; `apply`
works the selection out again inside its write transaction and refuses (`StalePreview`, 409)
when the token differs, so it never changes a product the admin did not see, nor misses one.

Only active products are re-rated: an archived product is not sold, and keeps its rate until
someone restores and edits it. Products already at the new rate are not "changed" and are not
listed. Selling prices are never touched; with prices that include tax the shelf price stays
and only the tax inside it moves. Issued invoices keep the rate they were sold at (their lines
carry it); held bills and open carts are priced afresh, at the new rate, when recalled or sold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from posapp.errors import Conflict, ValidationError
from posapp.i18n import _
from posapp.models import Category, Product
from posapp.models.base import utcnow, write_transaction
from posapp.money import parse_percent_bp
from posapp.services import audit, limits

AUDIT_ACTION = "product.rerate"
TOKEN_LENGTH = 32
# Ids go to the UPDATE in slices: SQLite and the servers cap bound parameters per statement.
UPDATE_SLICE = 500


class StalePreview(Conflict):
    """The products the selection names changed since the preview; nothing was written."""

    code = "stale_preview"


@dataclass(frozen=True)
class Selection:
    """Which products to re-rate: a category (by name), a current rate, or both."""

    category: str = ""
    rate_bp: int | None = None

    def as_audit(self) -> dict[str, Any]:
        """The selection as the audit entry keeps it."""
        return {"category": self.category or None, "tax_rate_bp": self.rate_bp}


@dataclass(frozen=True)
class RerateRequest:
    """A parsed re-rate form or body: the selection and the rate to give them."""

    selection: Selection
    new_rate_bp: int


@dataclass(frozen=True)
class Change:
    """One product the re-rate changes: what it is, and its rate before and after."""

    product_id: int
    code: str
    name: str
    category: str
    old_rate_bp: int
    new_rate_bp: int


@dataclass(frozen=True)
class Preview:
    """What a re-rate would do (or did): the products that change, the token that pins them."""

    selection: Selection
    new_rate_bp: int
    changes: list[Change]
    already: int  # selected products that already have the new rate (left alone)
    token: str

    @property
    def count(self) -> int:
        """How many products change."""
        return len(self.changes)

    def old_rates(self) -> dict[int, int]:
        """How many of the changed products had each old rate (bp -> count), lowest rate first."""
        counts: dict[int, int] = {}
        for change in self.changes:
            counts[change.old_rate_bp] = counts.get(change.old_rate_bp, 0) + 1
        return dict(sorted(counts.items()))


def _optional_rate(data: Mapping[str, Any], key: str, errors: dict[str, str]) -> int | None:
    """A percent field that may be blank ("" -> None); a refusal goes into `errors`."""
    try:
        raw = limits.text_value(data.get(key), key).rstrip("%").strip()
        return parse_percent_bp(raw, field=key) if raw else None
    except ValidationError as exc:
        errors[key] = exc.message
        return None


def parse_rerate(data: Mapping[str, Any]) -> RerateRequest:
    """Read {category?, current_rate?, new_rate} (a form or a JSON body); every error at once.

    At least one of category and current rate must be given: re-rating the whole catalog by
    one click is not a thing a shop means to do.
    """
    errors: dict[str, str] = {}
    category = ""
    try:
        category = limits.text_value(data.get("category"), "category")
        if len(category) > limits.CATEGORY_NAME_LENGTH:
            errors["category"] = _(
                "At most %(limit)s characters.", limit=limits.CATEGORY_NAME_LENGTH
            )
    except ValidationError as exc:
        errors["category"] = exc.message
    current = _optional_rate(data, "current_rate", errors)
    new = _optional_rate(data, "new_rate", errors)
    if new is None and "new_rate" not in errors:
        errors["new_rate"] = _("Give the new rate.")
    if not category and current is None and not errors.keys() & {"category", "current_rate"}:
        errors["category"] = _("Choose a category, a current rate or both.")
    if current is not None and new is not None and current == new:
        errors["new_rate"] = _("The new rate is the rate these products already have.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    assert new is not None  # an absent new rate is an error above
    return RerateRequest(Selection(category, current), new)


def _category_id(session: Session, name: str) -> int | None:
    """The id of the category of this name (any case), None for no category chosen."""
    if not name:
        return None
    found = session.scalar(select(Category.id).where(func.lower(Category.name) == func.lower(name)))
    if found is None:
        raise ValidationError(
            _("There is no category named %(name)s.", name=repr(name)), field="category"
        )
    return found


def _selected(selection: Selection, category_id: int | None) -> list[ColumnElement[bool]]:
    """WHERE terms for the selection (active products only)."""
    terms: list[ColumnElement[bool]] = [Product.archived.is_(False)]
    if category_id is not None:
        terms.append(Product.category_id == category_id)
    if selection.rate_bp is not None:
        terms.append(Product.tax_rate_bp == selection.rate_bp)
    return terms


def rates_in_use(session: Session) -> list[tuple[int, int]]:
    """Each tax rate the active products carry, with how many carry it, lowest rate first."""
    rows = session.execute(
        select(Product.tax_rate_bp, func.count(Product.id))
        .where(Product.archived.is_(False))
        .group_by(Product.tax_rate_bp)
        .order_by(Product.tax_rate_bp)
    ).all()
    return [(int(rate), int(count)) for rate, count in rows]


def preview_token(selection: Selection, new_rate_bp: int, pairs: Sequence[tuple[int, int]]) -> str:
    """The hash a confirmation must bring back: selection, new rate, (id, old rate) by id."""
    body = "|".join(
        (
            selection.category.lower(),
            "" if selection.rate_bp is None else str(selection.rate_bp),
            str(new_rate_bp),
            ",".join(f"{pid}:{rate}" for pid, rate in sorted(pairs)),
        )
    )
    return hashlib.sha256(body.encode()).hexdigest()[:TOKEN_LENGTH]


def _already(session: Session, selection: Selection, category_id: int | None, new: int) -> int:
    terms = _selected(selection, category_id)
    stmt = select(func.count(Product.id)).where(*terms, Product.tax_rate_bp == new)
    return int(session.scalar(stmt) or 0)


def preview(session: Session, selection: Selection, new_rate_bp: int) -> Preview:
    """What re-rating the selection to `new_rate_bp` would change; writes nothing."""
    category_id = _category_id(session, selection.category)
    rows = session.execute(
        select(Product.id, Product.code, Product.name, Category.name, Product.tax_rate_bp)
        .outerjoin(Category, Product.category_id == Category.id)
        .where(*_selected(selection, category_id), Product.tax_rate_bp != new_rate_bp)
        .order_by(Product.name, Product.id)
    ).all()
    changes = [
        Change(pid, code, name, category or "", old, new_rate_bp)
        for pid, code, name, category, old in rows
    ]
    token = preview_token(selection, new_rate_bp, [(c.product_id, c.old_rate_bp) for c in changes])
    already = _already(session, selection, category_id, new_rate_bp)
    return Preview(selection, new_rate_bp, changes, already, token)


def _slices(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), UPDATE_SLICE):
        yield ids[start : start + UPDATE_SLICE]


def apply(
    session: Session, selection: Selection, new_rate_bp: int, token: object, user_id: int | None
) -> Preview:
    """Re-rate the previewed products in one transaction with one audit entry.

    `token` is the preview's; when the selection no longer names exactly the products (and
    old rates) that preview showed, StalePreview is raised and nothing is written. Returns
    the preview that was applied.
    """
    token_text = limits.text_value(token, "token")
    if not token_text:
        raise ValidationError(_("Preview the change first, then confirm it."), field="token")
    with write_transaction(session):
        category_id = _category_id(session, selection.category)
        # Locked on PostgreSQL (READ COMMITTED): no edit may slip in between check and update.
        # SQLite's BEGIN IMMEDIATE and MariaDB's writer lock already keep other writers out.
        pairs = session.execute(
            select(Product.id, Product.tax_rate_bp)
            .where(*_selected(selection, category_id), Product.tax_rate_bp != new_rate_bp)
            .order_by(Product.id)
            .with_for_update()
        ).all()
        current = [(int(pid), int(rate)) for pid, rate in pairs]
        if preview_token(selection, new_rate_bp, current) != token_text:
            raise StalePreview(
                _(
                    "The products changed since the preview (added, edited or re-rated): "
                    "check the new preview and confirm again."
                ),
                details={"fields": {"token": _("This preview is out of date.")}},
            )
        if not current:
            raise ValidationError(
                _("No product would change: every selected product already has this rate."),
                field="new_rate",
            )
        applied = preview(session, selection, new_rate_bp)
        now = utcnow()
        for ids in _slices([pid for pid, _rate in current]):
            session.execute(
                update(Product)
                .where(Product.id.in_(ids))
                .values(tax_rate_bp=new_rate_bp, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        by_old: dict[str, list[int]] = {}
        for pid, rate in current:
            by_old.setdefault(str(rate), []).append(pid)
        audit.record(
            session,
            AUDIT_ACTION,
            user_id=user_id,
            entity="product",
            before={
                "selection": selection.as_audit(),
                "count": len(current),
                "old_rates_bp": by_old,
            },
            after={"tax_rate_bp": new_rate_bp, "count": len(current)},
        )
    # The session keeps loaded objects through a commit (expire_on_commit is off): products
    # loaded before must not show their old rate afterwards.
    session.expire_all()
    return applied
