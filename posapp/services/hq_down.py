"""HQ mode: what HQ sends down to its shops (issue 24) — the catalog, settings, transfers.

HQ's catalog is its own products, edited on the same catalog pages as in a shop. The owner
sends what changed ("Catalog to shops"): one `hq_down` item per product, to every shop or to
one. A shop pulls the items after the last seq it applied (`items_for`, the pull endpoint)
and applies them (services/hq_apply.py): HQ wins for catalog fields, the shop for its stock,
and an issued invoice never changes (docs/DESIGN.md §17).

Ordering: every transaction that writes `hq_down` first takes the "hq_down" counter's row
lock (`_lock_down`), so on PostgreSQL, where sequence values are handed out before commit,
seqs still commit in seq order and a pull never skips an item that commits later.

Tenancy: an item names its shop (NULL: every shop); `items_for` reads one shop's and every
shop's items, nothing of another shop.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from posapp.errors import NotFound, ValidationError
from posapp.i18n import _
from posapp.models import HqRecord, HqShop, Product
from posapp.models.base import write_transaction
from posapp.models.hq import HqDown, HqTransfer
from posapp.money import parse_quantity
from posapp.services import audit, counters, shop_settings
from posapp.services.hq_apply import SETTINGS_WHITELIST
from posapp.vocabulary import form_flag

SETTINGS_KEYS = frozenset(SETTINGS_WHITELIST)
MAX_TRANSFER_LINES = 500
MAX_NOTE = 200
PULL_DEFAULT = 500
PULL_MAX = 1000
MAX_SEQ = 2**63 - 1
# The catalog fields a "product" item carries (docs/DESIGN.md §17); never stock or cost.
PRODUCT_FIELDS = (
    "code",
    "name",
    "category",
    "unit",
    "price",
    "mrp",
    "tax_rate_bp",
    "hsn",
    "aliases",
    "archived",
)


def _lock_down(session: Session) -> None:
    """Queue writers of hq_down on one row lock (see the module doc: seqs commit in order)."""
    counters.advance(session, "hq_down", 0)


def add_items(
    session: Session,
    shop_id: str | None,
    kind: str,
    items: list[tuple[str, dict[str, Any]]],
    user_id: int | None,
) -> list[HqDown]:
    """Add items (key, data) for one shop or every shop, inside the caller's transaction."""
    _lock_down(session)
    rows = [
        HqDown(shop_id=shop_id, kind=kind, item_key=key, payload=data, created_by=user_id)
        for key, data in items
    ]
    session.add_all(rows)
    session.flush()
    return rows


# ---------------------------------------------------------------- the catalog


def product_data(product: Product) -> dict[str, Any]:
    """A product's catalog fields as a "product" item carries them (money in paise)."""
    return {
        "code": product.code,
        "name": product.name,
        "category": product.category_name,
        "unit": product.unit,
        "price": product.price,
        "mrp": product.mrp,
        "tax_rate_bp": product.tax_rate_bp,
        "hsn": product.hsn,
        "aliases": [word for word in product.aliases.split(",") if word],
        "archived": product.archived,
    }


def _shop(session: Session, shop_id: str) -> HqShop:
    shop = session.get(HqShop, shop_id)
    if shop is None:
        raise NotFound(_("There is no such shop at this HQ."))
    return shop


def target_shop(session: Session, raw: Any) -> str | None:
    """The target a form chose: "" (or "all") for every shop, else an existing shop's id."""
    value = raw.strip() if isinstance(raw, str) else ""
    if value in ("", "all"):
        return None
    if len(value) > 36 or session.get(HqShop, value) is None:
        raise ValidationError(_("Choose a shop of this HQ, or every shop."), field="target")
    return value


def _last_sent(session: Session, shop_id: str | None) -> dict[str, dict[str, Any]]:
    """The latest "product" item per code that the target received.

    For every shop: the items sent to every shop. For one shop: those and its own, the later
    one winning, as the shop applies them.
    """
    query = select(HqDown.item_key, HqDown.payload).where(HqDown.kind == "product")
    if shop_id is None:
        query = query.where(HqDown.shop_id.is_(None))
    else:
        query = query.where(or_(HqDown.shop_id.is_(None), HqDown.shop_id == shop_id))
    latest: dict[str, dict[str, Any]] = {}
    for key, payload in session.execute(query.order_by(HqDown.seq)):
        latest[key] = payload
    return latest


@dataclass(frozen=True)
class CatalogChange:
    """A product whose catalog fields differ from what the target last received."""

    product: Product
    data: dict[str, Any]
    fields: list[str]  # the fields that changed; every field for a product never sent
    new: bool  # never sent to this target


def catalog_changes(
    session: Session, shop_id: str | None, *, whole: bool = False
) -> list[CatalogChange]:
    """HQ's products that changed since the target last received them, by name.

    `whole`: every active product (and every archived one sent before), changed or not.
    An archived product the target never received is left out: it has nothing to hide.
    """
    sent = _last_sent(session, shop_id)
    changes = []
    for product in session.scalars(select(Product).order_by(Product.name, Product.id)):
        data = product_data(product)
        before = sent.get(product.code)
        if before is None:
            if product.archived:
                continue
            changes.append(CatalogChange(product, data, list(PRODUCT_FIELDS), True))
            continue
        fields = [key for key in PRODUCT_FIELDS if before.get(key) != data[key]]
        if fields or whole:
            changes.append(CatalogChange(product, data, fields, False))
    return changes


def send_catalog(
    session: Session, shop_id: str | None, user_id: int | None, *, whole: bool = False
) -> int:
    """Send the changed products (or the whole catalog) to a target; return how many.

    One transaction: every item and the audit entry `hq.catalog_send`, or nothing.
    """
    if whole and shop_id is None:
        raise ValidationError(
            _("Send the whole catalog to one shop (a new shop); choose it."), field="target"
        )
    with write_transaction(session):
        name = _shop(session, shop_id).name if shop_id is not None else ""
        changes = catalog_changes(session, shop_id, whole=whole)
        if not changes:
            return 0
        rows = add_items(
            session, shop_id, "product", [(c.product.code, c.data) for c in changes], user_id
        )
        audit.record(
            session,
            "hq.catalog_send",
            user_id=user_id,
            entity="hq_down",
            after={
                "shop_id": shop_id or "",
                "shop": name,
                "whole": whole,
                "products": len(rows),
                "codes": [c.product.code for c in changes[:50]],
                "first_seq": rows[0].seq,
                "last_seq": rows[-1].seq,
            },
        )
    return len(changes)


# ---------------------------------------------------------------- the pull


@dataclass(frozen=True)
class Pulled:
    """A pull's answer: the items, the highest seq HQ looked at, whether more wait."""

    items: list[dict[str, Any]]  # as the pull answers them (item_json)
    last: int
    more: bool


def parse_pull(after: Any, limit: Any) -> tuple[int, int]:
    """The pull's query: after (a seq, default 0) and limit (1 to PULL_MAX, default 500)."""

    def number(raw: Any, field: str, default: int, low: int, high: int) -> int:
        if raw is None or raw == "":
            return default
        text = str(raw).strip()
        if not (text.isascii() and text.isdecimal()) or len(text) > 19:
            raise ValidationError(_("%(name)s must be a whole number.", name=field), field=field)
        value = int(text)
        if not low <= value <= high:
            raise ValidationError(
                _("%(name)s must be from %(low)s to %(high)s.", name=field, low=low, high=high),
                field=field,
            )
        return value

    return (
        number(after, "after", 0, 0, MAX_SEQ),
        number(limit, "limit", PULL_DEFAULT, 1, PULL_MAX),
    )


def items_for(session: Session, shop_id: str, after: int, limit: int) -> Pulled:
    """The items for this shop (its own and every shop's) after seq `after`, in seq order.

    Records that the shop has applied up to `after` (`pulled_seq`). `last` is the highest seq
    HQ looked at: with nothing more for this shop, the newest seq of all, so the shop's cursor
    passes other shops' items once. It is read before the items (a seq committed in between
    is beyond it, read next time).
    """
    with write_transaction(session):
        session.execute(
            update(HqShop)
            .where(HqShop.id == shop_id, HqShop.pulled_seq != after)
            .values(pulled_seq=after)
        )
    newest = int(session.scalar(select(func.coalesce(func.max(HqDown.seq), 0))) or 0)
    found = list(
        session.scalars(
            select(HqDown)
            .where(
                HqDown.seq > after,
                HqDown.seq <= newest,
                or_(HqDown.shop_id.is_(None), HqDown.shop_id == shop_id),
            )
            .order_by(HqDown.seq)
            .limit(limit + 1)
        )
    )
    more = len(found) > limit
    items = [item_json(item) for item in found[:limit]]
    last = items[-1]["seq"] if more else max(after, newest)
    session.rollback()
    return Pulled(items, last, more)


def item_json(item: HqDown) -> dict[str, Any]:
    """One item as the pull answers it."""
    return {"seq": item.seq, "kind": item.kind, "key": item.item_key, "data": item.payload}


# ---------------------------------------------------------------- a shop's settings


def last_settings(session: Session, shop_id: str) -> dict[str, Any]:
    """The settings HQ last sent this shop ({} when none)."""
    payload = session.scalar(
        select(HqDown.payload)
        .where(HqDown.kind == "settings", HqDown.shop_id == shop_id)
        .order_by(HqDown.seq.desc())
        .limit(1)
    )
    return dict(payload) if payload else {}


def parse_settings_form(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check the "Settings for this shop" form with the shop's own settings parsers.

    Only the owner-managed settings a shop takes from HQ (hq_apply.SETTINGS_WHITELIST).
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    footer = str(data.get("receipt_footer") or "").strip()
    limit = shop_settings.TEXT_LIMITS["receipt_footer"]
    if len(footer) > limit:
        errors["receipt_footer"] = _("At most %(count)s characters.", count=limit)
    values["receipt_footer"] = footer
    values["round_off"] = form_flag(data, "round_off", errors)
    values.update(shop_settings.stock_values(data, errors))
    values.update(shop_settings.credit_values(data, errors))
    for key in shop_settings.PERCENT_FIELDS:
        threshold = str(data.get(key) or "").strip()
        if not re.fullmatch(r"[0-9]{1,3}", threshold) or int(threshold) > 100:
            errors[key] = _("A whole percentage from 0 to 100.")
        else:
            values[key] = int(threshold)
    if errors:
        raise ValidationError(_("Some settings need fixing; nothing was sent."), fields=errors)
    return {key: value for key, value in values.items() if key in SETTINGS_KEYS}


def send_settings(
    session: Session, shop_id: str, data: Mapping[str, Any], user_id: int | None
) -> int:
    """Send a shop its owner-managed settings (one "settings" item); return the item's seq."""
    values = parse_settings_form(data)
    with write_transaction(session):
        shop = _shop(session, shop_id)
        (row,) = add_items(session, shop.id, "settings", [("shop", values)], user_id)
        audit.record(
            session,
            "hq.settings_send",
            user_id=user_id,
            entity="hq_down",
            after={"shop_id": shop.id, "shop": shop.name, "seq": row.seq, "settings": values},
        )
        return row.seq


# ---------------------------------------------------------------- transfers


@dataclass(frozen=True)
class TransferLine:
    """One line of a transfer: a product of HQ's catalog and a quantity (thousandths)."""

    code: str
    qty_milli: int


def parse_lines(raw: Any) -> list[TransferLine]:
    """Read a transfer's lines, one per line of text: "<product code> <quantity>".

    Codes must be in HQ's catalog (checked by `create_transfer`); quantities are read with
    posapp.money's quantity parser in the product's unit.
    """
    text = raw if isinstance(raw, str) else ""
    lines: list[TransferLine] = []
    rows = [row.strip() for row in text.splitlines() if row.strip()]
    if not rows:
        raise ValidationError(
            _("Type at least one line: a product code and a quantity."), field="lines"
        )
    if len(rows) > MAX_TRANSFER_LINES:
        raise ValidationError(
            _("At most %(limit)s lines.", limit=MAX_TRANSFER_LINES), field="lines"
        )
    for number, row in enumerate(rows, start=1):
        code, _space, qty = row.rpartition(" ")
        code = code.strip()
        if not code or not qty:
            raise ValidationError(
                _("Line %(num)s: type a product code, a space and a quantity.", num=number),
                field="lines",
            )
        lines.append(TransferLine(code, _qty(qty, number)))
    return lines


def _qty(raw: str, number: int) -> int:
    try:
        return parse_quantity(raw, unit="kg", field="lines")
    except ValidationError as exc:
        raise ValidationError(
            _("Line %(num)s: %(problem)s", num=number, problem=exc.message), field="lines"
        ) from None


@dataclass(frozen=True)
class MadeTransfer:
    """A transfer made at HQ."""

    id: str
    number: str


def create_transfer(session: Session, data: Mapping[str, Any], user_id: int | None) -> MadeTransfer:
    """Make a transfer: its row, numbered TR-000001 in HQ's series, and an item for each shop
    (out for the shop it leaves, in for the one it reaches), in one audited transaction."""
    errors: dict[str, str] = {}
    source = str(data.get("from_shop") or "").strip()
    target = str(data.get("to_shop") or "").strip()
    note = str(data.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = _("At most %(count)s characters.", count=MAX_NOTE)
    lines: list[TransferLine] = []
    try:
        lines = parse_lines(data.get("lines"))
    except ValidationError as exc:
        errors["lines"] = exc.message
    with write_transaction(session):
        shops = {
            shop.id: shop
            for shop in session.scalars(select(HqShop).where(HqShop.id.in_([source, target])))
        }
        if source not in shops:
            errors["from_shop"] = _("Choose the shop the stock leaves.")
        if target not in shops:
            errors["to_shop"] = _("Choose the shop the stock goes to.")
        elif target == source:
            errors["to_shop"] = _("Choose another shop than the one the stock leaves.")
        units = dict(
            session.execute(
                select(Product.code, Product.unit).where(
                    Product.code.in_([line.code for line in lines])
                )
            ).all()
        )
        missing = [line.code for line in lines if line.code not in units]
        if missing and "lines" not in errors:
            errors["lines"] = _("Not in HQ's catalog: %(codes)s.", codes=", ".join(missing[:10]))
        for line in lines:
            unit = units.get(line.code)
            if unit == "pcs" and line.qty_milli % 1000 and "lines" not in errors:
                errors["lines"] = _(
                    "%(code)s is counted in pieces: type a whole quantity.", code=line.code
                )
        if errors:
            raise ValidationError(
                _("Please correct the transfer: %(problem)s", problem=next(iter(errors.values()))),
                fields=errors,
            )
        number = f"TR-{counters.advance(session, 'hq_transfer', 0):06d}"
        transfer_id = str(uuid.uuid4())
        wire = [{"code": line.code, "qty_milli": line.qty_milli} for line in lines]
        session.add(
            HqTransfer(
                id=transfer_id,
                number=number,
                from_shop_id=source,
                to_shop_id=target,
                lines=wire,
                note=note,
                created_by=user_id,
            )
        )
        about = {
            "id": transfer_id,
            "number": number,
            "from_shop": source,
            "to_shop": target,
            "from_name": shops[source].name,
            "to_name": shops[target].name,
            "lines": wire,
            "note": note,
        }
        add_items(
            session, source, "transfer", [(transfer_id, about | {"direction": "out"})], user_id
        )
        add_items(
            session, target, "transfer", [(transfer_id, about | {"direction": "in"})], user_id
        )
        audit.record(
            session,
            "hq.transfer_create",
            user_id=user_id,
            entity="hq_transfer",
            after={key: about[key] for key in ("number", "from_name", "to_name", "lines", "note")},
        )
    return MadeTransfer(transfer_id, number)


@dataclass(frozen=True)
class TransferRow:
    """A transfer as the Transfers page lists it, with each side's state."""

    transfer: HqTransfer
    from_name: str
    to_name: str
    applied: dict[str, bool]  # {"out": ..., "in": ...}: HQ holds that shop's movement


def _applied(session: Session, shop_id: str, number: str) -> bool:
    """Whether HQ holds a stock movement of this shop whose ref is the transfer's number."""
    found = session.scalar(
        select(HqRecord.record_id)
        .where(
            HqRecord.shop_id == shop_id,
            HqRecord.kind == "stock_movement",
            HqRecord.payload["ref"].as_string() == number,
        )
        .limit(1)
    )
    return found is not None


def transfers(session: Session, limit: int = 100) -> list[TransferRow]:
    """The latest transfers (every shop's: the owner's list), newest first."""
    names = dict(session.execute(select(HqShop.id, HqShop.name)).all())
    rows = []
    for transfer in session.scalars(
        select(HqTransfer)
        .order_by(HqTransfer.created_at.desc(), HqTransfer.number.desc())
        .limit(limit)
    ):
        rows.append(
            TransferRow(
                transfer,
                names.get(transfer.from_shop_id, "?"),
                names.get(transfer.to_shop_id, "?"),
                {
                    "out": _applied(session, transfer.from_shop_id, transfer.number),
                    "in": _applied(session, transfer.to_shop_id, transfer.number),
                },
            )
        )
    return rows
