"""The shop applies what HQ sends down (issue 24): products, its settings, transfers.

Flask-free. `apply` takes one pulled item and applies it in ONE write transaction together
with moving the shop's cursor (setting `hq_pulled_seq`) to the item's seq: an item is applied
exactly once even if the process dies mid-way. An item the shop cannot apply (an unknown
kind, bad data, a product code it lacks) is recorded as a pull error (shown on Admin -> HQ)
and skipped, the cursor moving past it in its own transaction: it never stops the shop.

The rules (docs/DESIGN.md §17): HQ wins for catalog fields (name, price, tax, category, ...
replace the shop's, even an offline edit); the shop wins for its stock and cost (never
touched here); an issued invoice never changes (its lines hold their own prices). A product
HQ sends that the shop lacks is created with stock 0. Each change goes through the same
write transaction and audit as the shop's own edits, so it syncs back up as a "product".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from posapp.errors import DomainError, ValidationError
from posapp.i18n import _
from posapp.models import Category, Product, StockMovement
from posapp.models.base import utcnow, write_transaction
from posapp.models.catalog import active_named
from posapp.money import UNITS
from posapp.services import audit, books_stock, inventory, limits, translit
from posapp.services.catalog import parse_aliases, snapshot
from posapp.services.settings import load_settings, save_settings, store_value, stored_value

CURSOR_KEY = "hq_pulled_seq"
ERRORS_KEY = "hq_pull_errors"  # JSON: the latest KEEP_ERRORS apply errors, newest first
LAST_KEY = "hq_pull_last"  # JSON: the last item applied {"seq", "kind", "key", "at"}
KEEP_ERRORS = 10
MAX_PRICE = 10**13  # paise: far above any real price, far below BIGINT
TRANSFER_REASONS = {"out": "transfer_out", "in": "transfer_in"}
MAX_TRANSFER_LINES = 500
MAX_QTY_MILLI = 10**12


class ItemRefused(DomainError):
    """An item this shop cannot apply; recorded as a pull error, then skipped."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="hq_item_refused", status=422)


# ---------------------------------------------------------------- the cursor and its state


def pulled_seq(session: Session) -> int:
    """The last HQ item seq this shop applied (or skipped); it pulls after it."""
    raw = stored_value(session, CURSOR_KEY) or "0"
    return int(raw) if raw.isdecimal() else 0


@dataclass(frozen=True)
class PullState:
    """What the Admin -> HQ page shows of the way down."""

    pulled_seq: int
    last_item: dict[str, Any] | None
    errors: list[dict[str, Any]]


def _json(session: Session, key: str, default: Any) -> Any:
    raw = stored_value(session, key)
    if not raw:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return default


def state(session: Session) -> PullState:
    """The cursor, the last item applied and the latest apply errors."""
    last = _json(session, LAST_KEY, None)
    errors = _json(session, ERRORS_KEY, [])
    return PullState(
        pulled_seq(session),
        last if isinstance(last, dict) else None,
        [error for error in errors if isinstance(error, dict)] if isinstance(errors, list) else [],
    )


def move_cursor(session: Session, seq: int) -> None:
    """Store the cursor (caller's transaction); it never goes back."""
    if seq > pulled_seq(session):
        store_value(session, CURSOR_KEY, str(seq))


def _describe(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": item.get("seq"),
        "kind": str(item.get("kind", ""))[:32],
        "key": str(item.get("key", ""))[:64],
        "at": utcnow().isoformat(),
    }


# ---------------------------------------------------------------- apply one item


def apply(session: Session, item: dict[str, Any]) -> str | None:
    """Apply one pulled item and move the cursor to its seq; return the error in words, if any.

    A database that is busy or gone (OperationalError) is not the item's fault: it propagates,
    the cursor stays, and the next pull tries the item again.
    """
    seq = item.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ItemRefused(_("HQ sent an item without a valid number."))
    try:
        with write_transaction(session):
            if seq <= pulled_seq(session):
                return None  # applied already (a pull answered twice)
            _apply_item(session, item)
            move_cursor(session, seq)
            store_value(session, LAST_KEY, json.dumps(_describe(item)))
        return None
    except (DomainError, IntegrityError) as exc:
        message = (
            exc.message if isinstance(exc, DomainError) else _("It clashes with this shop's data.")
        )
    with write_transaction(session):
        move_cursor(session, seq)
        errors = state(session).errors
        errors.insert(0, {**_describe(item), "error": str(message)[:300]})
        store_value(session, ERRORS_KEY, json.dumps(errors[:KEEP_ERRORS]))
    return str(message)


def _apply_item(session: Session, item: dict[str, Any]) -> None:
    kind, data = item.get("kind"), item.get("data")
    if not isinstance(data, dict):
        raise ItemRefused(_("HQ sent an item without data."))
    if kind == "product":
        apply_product(session, data, int(item["seq"]))
    elif kind == "settings":
        apply_settings(session, data, int(item["seq"]))
    elif kind == "transfer":
        apply_transfer(session, data, int(item["seq"]))
    else:
        raise ItemRefused(
            _("HQ sent a kind of item this version does not know: %(kind)s.", kind=str(kind)[:32])
        )


# ---------------------------------------------------------------- products


def _text(data: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ItemRefused(_("HQ sent %(field)s that is not text.", field=key))
    value = value.strip()
    if len(value) > limit or (required and not value) or not value.isprintable():
        raise ItemRefused(_("HQ sent a %(field)s this shop cannot take.", field=key))
    return value


def _whole(value: Any, key: str, low: int, high: int, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ItemRefused(_("HQ sent a %(field)s this shop cannot take.", field=key))
    return value


def parse_product(data: dict[str, Any]) -> dict[str, Any]:
    """Check a "product" item's data; raise ItemRefused naming the first bad field."""
    code = _text(data, "code", limits.PRODUCT_TEXT_LENGTHS["code"], required=True)
    if any(ch.isspace() for ch in code):
        raise ItemRefused(_("HQ sent a code this shop cannot take."))
    unit = data.get("unit")
    if unit not in UNITS:
        raise ItemRefused(_("HQ sent a unit this shop cannot take."))
    aliases = data.get("aliases", [])
    try:
        alias_text = parse_aliases(aliases if isinstance(aliases, list) else str(aliases))
    except ValidationError as exc:
        raise ItemRefused(exc.message) from None
    archived = data.get("archived", False)
    if not isinstance(archived, bool):
        raise ItemRefused(_("HQ sent an archived flag that is not yes or no."))
    return {
        "code": code,
        "name": _text(data, "name", limits.PRODUCT_TEXT_LENGTHS["name"], required=True),
        "category": _text(data, "category", limits.CATEGORY_NAME_LENGTH),
        "unit": unit,
        "price": _whole(data.get("price"), "price", 0, MAX_PRICE),
        "mrp": _whole(data.get("mrp"), "mrp", 0, MAX_PRICE, optional=True),
        "tax_rate_bp": _whole(data.get("tax_rate_bp"), "tax_rate_bp", 0, 10000),
        "hsn": _text(data, "hsn", limits.PRODUCT_TEXT_LENGTHS["hsn"]),
        "aliases": alias_text,
        "archived": archived,
    }


def _category_id(session: Session, name: str) -> int | None:
    """The category of this name in any case, created when the shop has none."""
    if not name:
        return None
    found = session.scalar(select(Category.id).where(func.lower(Category.name) == func.lower(name)))
    if found is not None:
        return found
    category = Category(name=name)
    session.add(category)
    session.flush()
    return category.id


def apply_product(session: Session, data: dict[str, Any], seq: int) -> Product:
    """Create or update the product of this code with HQ's catalog fields (HQ wins).

    Stock and cost stay the shop's; a product new to the shop starts with stock 0.
    """
    fields = parse_product(data)
    product = session.scalar(select(Product).where(Product.code == fields["code"]))
    if not fields["archived"]:
        clash = session.scalar(
            select(Product.code).where(
                *active_named(fields["name"]), Product.code != fields["code"]
            )
        )
        if clash is not None:
            raise ItemRefused(
                _(
                    "HQ's product %(code)s is named %(name)s, the name of this shop's product "
                    "%(other)s: rename one of them.",
                    code=fields["code"],
                    name=fields["name"],
                    other=clash,
                )
            )
    created = product is None
    if product is None:
        product = Product(
            code=fields["code"],
            name=fields["name"],
            price=fields["price"],
            cost=0,
            stock_milli=0,
            low_stock_milli=load_settings(session).low_stock_default_milli,
        )
        session.add(product)
        before: dict[str, Any] = {}
    else:
        before = snapshot(product) | {"hsn": product.hsn, "category": product.category_name}
        if fields["archived"] and not product.archived and product.reserved_milli > 0:
            raise ItemRefused(
                _(
                    "HQ archived %(name)s, but it is held for open orders here: deliver or "
                    "cancel them, then HQ can send it again.",
                    name=product.name,
                )
            )
    for key in ("name", "unit", "price", "mrp", "tax_rate_bp", "hsn", "aliases", "archived"):
        setattr(product, key, fields[key])
    product.category_id = _category_id(session, fields["category"])
    product.name_key = translit.name_key(product.name)
    product.alias_key = translit.alias_key(product.aliases)
    session.flush()
    session.refresh(product, ["category"])
    after = snapshot(product) | {"hsn": product.hsn, "category": product.category_name}
    changed = [key for key in after if before.get(key) != after[key]] if before else []
    if created or changed:
        audit.record(
            session,
            "hq.catalog_apply",
            entity="product",
            entity_id=product.id,
            before={key: before[key] for key in changed} if before else None,
            after={
                "code": product.code,
                "seq": seq,
                "created": created,
                "fields": changed,
                **{key: after[key] for key in (changed or after)},
            },
        )
    return product


# ---------------------------------------------------------------- settings

# The owner-managed settings HQ may set (docs/DESIGN.md §17), with their types. Never the
# shop's identity (name, GSTIN, address), its machines (printer, network) or its UPI ids.
SETTINGS_WHITELIST: dict[str, type] = {
    "receipt_footer": str,
    "round_off": bool,
    "stock_policy": str,
    "low_stock_default_milli": int,
    "new_customer_credit_limit": int,
    "new_customer_no_credit_limit": bool,
    "discount_audit_percent": int,
    "cashier_max_line_discount_percent": int,
    "cashier_max_bill_discount_percent": int,
}
PERCENT_SETTINGS = (
    "discount_audit_percent",
    "cashier_max_line_discount_percent",
    "cashier_max_bill_discount_percent",
)


def parse_settings(data: dict[str, Any]) -> dict[str, Any]:
    """Check a "settings" item: only whitelisted keys, each of its type and range."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        kind = SETTINGS_WHITELIST.get(key)
        if kind is None:
            raise ItemRefused(
                _("HQ sent a setting a shop does not take from HQ: %(key)s.", key=key[:40])
            )
        if kind is bool:
            if not isinstance(value, bool):
                raise ItemRefused(_("HQ sent a %(field)s this shop cannot take.", field=key))
        elif kind is int:
            high = 100 if key in PERCENT_SETTINGS else MAX_PRICE
            _whole(value, key, 0, high)
        else:
            _text(data, key, 200)
            if key == "stock_policy" and value not in ("block", "warn"):
                raise ItemRefused(_("HQ sent a %(field)s this shop cannot take.", field=key))
        values[key] = value.strip() if isinstance(value, str) else value
    return values


def apply_settings(session: Session, data: dict[str, Any], seq: int) -> None:
    """Save HQ's settings for this shop (HQ wins), audited as `hq.settings_apply`."""
    changed = save_settings(session, **parse_settings(data))
    if changed:
        audit.record(
            session,
            "hq.settings_apply",
            entity="settings",
            before={key: old for key, (old, _new) in changed.items()},
            after={key: new for key, (_old, new) in changed.items()},
        )


# ---------------------------------------------------------------- transfers


def parse_transfer(data: dict[str, Any]) -> dict[str, Any]:
    """Check a "transfer" item: its number, direction and lines (code, qty_milli > 0)."""
    number = _text(data, "number", 16, required=True)
    direction = data.get("direction")
    if direction not in TRANSFER_REASONS:
        raise ItemRefused(_("HQ sent a transfer going neither out nor in."))
    lines = data.get("lines")
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_TRANSFER_LINES:
        raise ItemRefused(_("HQ sent a transfer without lines."))
    parsed = []
    for line in lines:
        if not isinstance(line, dict):
            raise ItemRefused(_("HQ sent a transfer without lines."))
        code = _text(line, "code", limits.PRODUCT_TEXT_LENGTHS["code"], required=True)
        qty = _whole(line.get("qty_milli"), "qty_milli", 1, MAX_QTY_MILLI)
        parsed.append((code, qty))
    return {
        "number": number,
        "direction": direction,
        "lines": parsed,
        "note": _text(data, "note", 200),
        "from_name": _text(data, "from_name", 120),
        "to_name": _text(data, "to_name", 120),
    }


def apply_transfer(session: Session, data: dict[str, Any], seq: int) -> list[StockMovement]:
    """Book a transfer's side as stock movements (ref = its number), one per line.

    Out takes stock (below zero if need be: the goods have left), in adds it; each is valued
    at the product's cost against opening balances in the books, as stock added by hand.
    Refused whole when the shop lacks a product code. Applied once per number and side.
    """
    fields = parse_transfer(data)
    reason = TRANSFER_REASONS[fields["direction"]]
    done = session.scalar(
        select(
            exists().where(StockMovement.reason == reason, StockMovement.ref == fields["number"])
        )
    )
    if done:
        return []
    codes = [code for code, _qty in fields["lines"]]
    products = {p.code: p for p in session.scalars(select(Product).where(Product.code.in_(codes)))}
    missing = [code for code in codes if code not in products]
    if missing:
        raise ItemRefused(
            _(
                "Transfer %(number)s names products this shop does not have: %(codes)s.",
                number=fields["number"],
                codes=", ".join(missing[:10]),
            )
        )
    note = fields["note"] or (
        _("From %(name)s", name=fields["from_name"])
        if fields["direction"] == "in"
        else _("To %(name)s", name=fields["to_name"])
    )
    movements = []
    for code, qty in fields["lines"]:
        product = products[code]
        if product.is_service:
            raise ItemRefused(
                _("%(name)s is a service: it has no stock to move.", name=product.name)
            )
        delta = qty if fields["direction"] == "in" else -qty
        movement = inventory.book_movement(
            session,
            product,
            delta,
            reason,
            user_id=None,
            ref=fields["number"],
            note=str(note),
            unit_cost=product.cost,
            allow_negative=True,
        )
        books_stock.apply_stock_movement(session, movement)
        movements.append(movement)
    audit.record(
        session,
        "hq.transfer_apply",
        entity="stock",
        after={
            "number": fields["number"],
            "direction": fields["direction"],
            "from_name": fields["from_name"],
            "to_name": fields["to_name"],
            "seq": seq,
            "lines": [{"code": code, "qty_milli": qty} for code, qty in fields["lines"]],
        },
    )
    return movements
