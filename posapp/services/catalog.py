"""Products: validation, create/update/archive, internal barcodes, scan lookup and search."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process, utils
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

from posapp.errors import Conflict, NotFound, ValidationError
from posapp.gst import RATE_PRESETS_BP
from posapp.i18n import _
from posapp.models import Category, Product, StockMovement
from posapp.models.base import to_local, utcnow, write_transaction
from posapp.models.catalog import active_named
from posapp.money import (
    UNITS,
    ean13_check_digit,
    is_valid_ean13,
    parse_money,
    parse_percent_bp,
    parse_quantity,
    percent_str,
    qty_str,
)
from posapp.services import (
    audit,
    books_stock,
    counters,
    gs1,
    limits,
    scale_labels,
    translit,
)
from posapp.services.settings import load_settings
from posapp.vocabulary import parse_flag

INTERNAL_EAN_PREFIX = "200"


def rate_text(rate_bp: int) -> str:
    """A rate as forms show and take it: "18", "0.25", "12.50" (no "%", no needless ".00")."""
    return percent_str(rate_bp).removesuffix(".00")


# What the product forms offer: today's GST slabs (posapp.gst), in the form's own spelling so
# a product's stored rate lights up its preset. Any other rate from 0 to 100 % is still taken.
TAX_PRESETS: tuple[str, ...] = tuple(rate_text(bp) for bp in RATE_PRESETS_BP)


@dataclass(frozen=True)
class ScanResult:
    """A product found by a scan, with the quantity the code carries (thousandths).

    A scale label also gives `label` (the code, which the till sends back with the line so
    the server reads it again) and, on a price label, `fixed_gross` (the price it sells at).
    A GS1 code gives the pack's `batch` and `expiry`, and `expired` when that day has passed
    on the shop's clock.
    """

    product: Product
    qty_milli: int
    label: str | None = None
    fixed_gross: int | None = None
    batch: str | None = None
    expiry: date | None = None
    expired: bool = False


def _text(data: Mapping[str, Any], key: str) -> str:
    return limits.text_value(data.get(key), key)


def parse_aliases(value: object) -> str:
    """Normalise a product's search words: "Chini, cheeni ,SHAKKAR" -> "chini,cheeni,shakkar".

    Words are separated by commas (a list of strings is taken too, for the API), trimmed, runs
    of spaces made one, lower-cased and deduplicated in order; an alias may be several words
    ("gehun ka aata"). The stored form has no spaces around the commas, so an exact alias is
    `,word,` inside `,aliases,` on every database.
    """
    if isinstance(value, list | tuple):
        if not all(isinstance(item, str) for item in value):
            raise ValidationError(_("Aliases are words separated by commas."), field="aliases")
        raw = ",".join(value)
    else:
        raw = limits.text_value(value, "aliases")
    if len(raw) > limits.ALIASES_LENGTH:
        raise ValidationError(
            _("Aliases: at most %(limit)s characters.", limit=limits.ALIASES_LENGTH),
            field="aliases",
        )
    words: list[str] = []
    for part in raw.split(","):
        word = " ".join(part.split()).lower()
        if not word or word in words:
            continue
        if len(word) > limits.ALIAS_LENGTH:
            raise ValidationError(
                _(
                    "Each alias at most %(limit)s characters (“%(word)s” is longer).",
                    limit=limits.ALIAS_LENGTH,
                    word=word[:40],
                ),
                field="aliases",
            )
        if not word.isprintable():
            raise ValidationError(_("Aliases cannot contain control characters."), field="aliases")
        if not any(ch.isalnum() for ch in word):
            raise ValidationError(
                _("The alias “%(word)s” has no letters or digits.", word=word), field="aliases"
            )
        words.append(word)
    if len(words) > limits.ALIAS_COUNT:
        raise ValidationError(
            _(
                "At most %(limit)s aliases (there are %(count)s).",
                limit=limits.ALIAS_COUNT,
                count=len(words),
            ),
            field="aliases",
        )
    return ",".join(words)


def aliases_text(stored: str) -> str:
    """Aliases as forms and CSV files show them: "chini, cheeni, shakkar"."""
    return ", ".join(word for word in stored.split(",") if word)


def parse_product_fields(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate product input (form or API); collect every field error before raising."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def present(key: str) -> bool:
        return key in data and not (partial and data.get(key) is None)

    for key, limit in limits.PRODUCT_TEXT_LENGTHS.items():
        if present(key):
            value = _text(data, key)
            if len(value) > limit:
                errors[key] = _("At most %(limit)s characters.", limit=limit)
            out[key] = value
    if (not partial or "name" in data) and not out.get("name"):
        errors["name"] = _("Name is required.")
    if out.get("code"):
        code = out["code"]
        if any(ch.isspace() for ch in code):
            errors["code"] = _("Codes cannot contain spaces.")
        elif len(code) == 13 and code.isdecimal() and not is_valid_ean13(code):
            errors["code"] = _("This EAN-13 has a wrong check digit.")
    unit = _text(data, "unit") or ("pcs" if not partial else "")
    if unit:
        if unit not in UNITS:
            errors["unit"] = _("Unit must be one of %(choices)s.", choices=", ".join(UNITS))
        out["unit"] = unit
    if present("category"):
        out["category"] = _text(data, "category")[: limits.CATEGORY_NAME_LENGTH]

    def money(key: str, *, required: bool, allow_zero: bool = True) -> None:
        if present(key) and _text(data, key) != "":
            try:
                out[key] = parse_money(data[key], field=key, allow_zero=allow_zero)
            except ValidationError as exc:
                errors[key] = exc.message
        elif required and not partial:
            errors[key] = _("Required.")
        elif key in data and _text(data, key) == "" and key in ("mrp",):
            out[key] = None

    money("price", required=True, allow_zero=False)
    money("cost", required=False)
    money("mrp", required=False)
    if "price" in out and out.get("mrp") is not None and out["mrp"] < out["price"]:
        errors["mrp"] = _("MRP cannot be below the selling price.")

    if present("tax_rate") and _text(data, "tax_rate") != "":
        raw = _text(data, "tax_rate").rstrip("%").strip()
        try:
            out["tax_rate_bp"] = parse_percent_bp(raw, field="tax_rate")
        except ValidationError as exc:
            errors["tax_rate"] = exc.message
    elif not partial:
        out["tax_rate_bp"] = 0

    measure_unit = out.get("unit") or "kg"
    for key, target in (("opening_stock", "opening_milli"), ("low_stock_threshold", "low_milli")):
        if present(key) and _text(data, key) not in ("", "0"):
            try:
                out[target] = parse_quantity(data[key], unit=measure_unit, field=key)
            except ValidationError as exc:
                errors[key] = exc.message
    if present("aliases"):
        try:
            out["aliases"] = parse_aliases(data["aliases"])
        except ValidationError as exc:
            errors["aliases"] = exc.message
    if present("archived"):
        out["archived"] = data["archived"] in (True, "1", "true", "on", 1)
    if present("perishable"):
        try:
            out["perishable"] = parse_flag(data["perishable"], "perishable", what=_("Perishable"))
        except ValidationError as exc:
            errors["perishable"] = exc.message
    if present("scale_plu"):
        plu = _text(data, "scale_plu")
        if plu and not (plu.isascii() and plu.isdecimal() and 4 <= len(plu) <= 6):
            errors["scale_plu"] = _("A scale PLU is 4 to 6 digits.")
        out["scale_plu"] = plu or None
    if errors:
        first = next(iter(errors.values()))
        raise ValidationError(
            _("Please correct the product: %(problem)s", problem=first), fields=errors
        )
    return out


def category_names(session: Session) -> list[str]:
    """Return every category name, sorted."""
    return list(session.scalars(select(Category.name).order_by(func.lower(Category.name))))


def next_internal_code(session: Session) -> str:
    """Return the next unused internal EAN-13 (prefix 200, valid check digit)."""
    while True:
        body = f"{INTERNAL_EAN_PREFIX}{counters.advance(session, 'ean', 0):09d}"
        code = body + str(ean13_check_digit(body))
        if session.scalar(select(Product.id).where(Product.code == code)) is None:
            return code


def _category_id(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    # lower() on both sides: SQLite's folds only ASCII, Python's folds "É" too, and a mismatch
    # missed the existing "École" and hit the unique constraint (a 500 found by fuzzing).
    existing = session.scalar(select(Category).where(func.lower(Category.name) == func.lower(name)))
    if existing:
        return existing.id
    category = Category(name=name)
    session.add(category)
    session.flush()
    return category.id


def _check_plu(
    session: Session, product_id: int | None, plu: str | None, unit: str, archived: bool
) -> None:
    """A scale PLU: only on a product a scale weighs, as long as the labels' item code, and
    not another active product's."""
    if not plu:
        return
    layout = scale_labels.layout_of(load_settings(session))
    problem = ""
    if unit not in scale_labels.LOOSE_UNITS:
        problem = _("Only products sold by kg, g or l are weighed on a scale; clear the PLU.")
    elif len(plu) != layout.item_digits:
        problem = _(
            "The shop's scale labels carry a %(digits)s-digit item code "
            "(Settings → Scale labels): type the PLU with that many digits.",
            digits=layout.item_digits,
        )
    if problem:
        raise ValidationError(
            _("Please correct the product: %(problem)s", problem=problem),
            fields={"scale_plu": problem},
        )
    if archived:
        return
    clash = session.scalar(
        select(Product.id).where(Product.scale_plu == plu, Product.archived.is_(False))
    )
    if clash and clash != product_id:
        raise Conflict(
            _("Another active product already has the scale PLU %(plu)s.", plu=plu),
            code="duplicate",
            details={"fields": {"scale_plu": _("This PLU is taken.")}},
        )


def _check_unique(
    session: Session, product_id: int | None, code: str | None, name: str | None, archived: bool
) -> None:
    if code:
        clash = session.scalar(select(Product.id).where(Product.code == code))
        if clash and clash != product_id:
            raise Conflict(
                _("Another product already has the code %(code)s.", code=code),
                code="duplicate",
                details={"fields": {"code": _("This code is taken.")}},
            )
    if name and not archived:
        clash = session.scalar(select(Product.id).where(*active_named(name)))
        if clash and clash != product_id:
            raise Conflict(
                _("An active product is already named %(name)s.", name=repr(name)),
                code="duplicate",
                details={"fields": {"name": _("This name is taken.")}},
            )


def snapshot(product: Product) -> dict[str, Any]:
    """Return the fields worth auditing of a product."""
    return {
        "code": product.code,
        "name": product.name,
        "price": product.price,
        "cost": product.cost,
        "mrp": product.mrp,
        "tax_rate_bp": product.tax_rate_bp,
        "unit": product.unit,
        "scale_plu": product.scale_plu,
        "aliases": product.aliases,
        "perishable": product.perishable,
        "archived": product.archived,
    }


def create_product(session: Session, data: Mapping[str, Any], user_id: int | None) -> Product:
    """Create a product (and its opening stock movement) in one write transaction."""
    fields = parse_product_fields(data, partial=False)
    settings = load_settings(session)
    with write_transaction(session):
        code = fields.get("code") or next_internal_code(session)
        _check_unique(session, None, code, fields["name"], False)
        _check_plu(session, None, fields.get("scale_plu"), fields.get("unit", "pcs"), False)
        opening = fields.get("opening_milli", 0)
        product = Product(
            code=code,
            name=fields["name"],
            category_id=_category_id(session, fields.get("category")),
            unit=fields.get("unit", "pcs"),
            price=fields["price"],
            cost=fields.get("cost", 0),
            mrp=fields.get("mrp"),
            tax_rate_bp=fields.get("tax_rate_bp", 0),
            hsn=fields.get("hsn", ""),
            stock_milli=opening,
            low_stock_milli=fields.get("low_milli", settings.low_stock_default_milli),
            supplier=fields.get("supplier", ""),
            location=fields.get("location", ""),
            color=fields.get("color", ""),
            scale_plu=fields.get("scale_plu"),
            aliases=fields.get("aliases", ""),
            name_key=translit.name_key(fields["name"]),
            alias_key=translit.alias_key(fields.get("aliases", "")),
            perishable=fields.get("perishable", False),
        )
        session.add(product)
        session.flush()
        if opening:
            movement = StockMovement(
                product_id=product.id,
                delta_milli=opening,
                reason="opening",
                unit_cost=product.cost,
                user_id=user_id,
                created_at=utcnow(),
            )
            session.add(movement)
            books_stock.apply_stock_movement(session, movement)
        audit.record(
            session,
            "product.create",
            user_id=user_id,
            entity="product",
            entity_id=product.id,
            after=snapshot(product),
        )
    return product


def update_product(
    session: Session, product_id: int, data: Mapping[str, Any], user_id: int | None
) -> Product:
    """Apply a partial update; stock changes only through movements, never here."""
    if "opening_stock" in data or "stock" in data:
        raise ValidationError(_("Stock changes only through stock movements."), field="stock")
    fields = parse_product_fields(data, partial=True)
    with write_transaction(session):
        product = session.get(Product, product_id)
        if product is None:
            raise NotFound(_("No such product."))
        before = snapshot(product)
        new_price = fields.get("price", product.price)
        new_mrp = fields.get("mrp", product.mrp)
        if new_mrp is not None and new_mrp < new_price:
            raise ValidationError(_("MRP cannot be below the selling price."), field="mrp")
        archived = fields.get("archived", product.archived)
        if archived and not product.archived and product.reserved_milli > 0:
            # An archived product cannot be sold, so the orders holding it could never be
            # delivered: they go first.
            raise Conflict(
                _(
                    "%(name)s is held for open orders (%(quantity)s %(unit)s): deliver or "
                    "cancel them before archiving it.",
                    name=product.name,
                    quantity=qty_str(product.reserved_milli, product.unit),
                    unit=product.unit,
                ),
                code="reserved",
            )
        _check_unique(
            session, product.id, fields.get("code"), fields.get("name", product.name), archived
        )
        _check_plu(
            session,
            product.id,
            fields.get("scale_plu", product.scale_plu),
            fields.get("unit", product.unit),
            archived,
        )
        if fields.get("code") == "":
            fields.pop("code")
        for key in (
            "code",
            "name",
            "unit",
            "price",
            "cost",
            "mrp",
            "tax_rate_bp",
            "hsn",
            "supplier",
            "location",
            "color",
            "scale_plu",
            "aliases",
            "perishable",
            "archived",
        ):
            if key in fields:
                setattr(product, key, fields[key])
        if "name" in fields:
            product.name_key = translit.name_key(product.name)
        if "aliases" in fields:
            product.alias_key = translit.alias_key(product.aliases)
        if "low_milli" in fields:
            product.low_stock_milli = fields["low_milli"]
        if "category" in fields:
            product.category_id = _category_id(session, fields["category"])
        if product.cost != before["cost"]:
            books_stock.apply_revaluation(
                session, product, old_cost=int(before["cost"]), user_id=user_id
            )
        after = snapshot(product)
        if after != before:
            audit.record(
                session,
                "product.update",
                user_id=user_id,
                entity="product",
                entity_id=product.id,
                before=before,
                after=after,
            )
    return product


def archive_product(session: Session, product_id: int, user_id: int | None) -> Product:
    """Archive a product: hidden from the till, history kept."""
    return update_product(session, product_id, {"archived": True}, user_id)


def get_product(session: Session, product_id: int) -> Product:
    """Return a product or raise NotFound."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(_("No such product."))
    return product


def lookup_code(session: Session, code: str, today: date | None = None) -> ScanResult:
    """Find the active product a scanned code names (barcode, QR payload, GS1 or scale label).

    A product's own code wins; then a GS1 code (element string, raw scanner output, Digital
    Link) or a bare GTIN names the product whose code is that GTIN in any of its spellings;
    then a code laid out as the shop's scale labels names the active product with that scale
    PLU (docs/DESIGN.md §5). `today` (the shop's date) decides whether a GS1 batch is expired.
    """
    code = (code or "").strip()
    if not code:
        raise ValidationError(_("Scan or type a code."), field="code")
    product = _active_by_codes(session, [code])
    if product is not None:
        return ScanResult(product, 1000)
    today = today or to_local(utcnow()).date()
    found = _lookup_gs1(session, code, today)
    if found is not None:
        return found
    layout = scale_labels.layout_of(load_settings(session))
    reading = scale_labels.read_label(code, layout)
    if reading is not None:
        product = session.scalar(
            select(Product).where(Product.scale_plu == reading.plu, Product.archived.is_(False))
        )
        if product is not None:
            line = scale_labels.label_line(reading, layout, product.unit, product.price)
            return ScanResult(product, line.qty_milli, code, line.fixed_gross)
        raise NotFound(
            _(
                "No product has the scale PLU %(plu)s (label %(code)s); give the product that "
                "PLU on its page.",
                plu=reading.plu,
                code=code,
            ),
            code="unknown_code",
            details={"code": code},
        )
    raise NotFound(
        _("Unknown code: %(code)s", code=code), code="unknown_code", details={"code": code}
    )


def _active_by_codes(session: Session, codes: list[str]) -> Product | None:
    """The active product whose code is one of `codes`, the first spelling winning."""
    rows = session.scalars(
        select(Product).where(Product.code.in_(codes), Product.archived.is_(False))
    ).all()
    by_code = {product.code: product for product in rows}
    return next((by_code[c] for c in codes if c in by_code), None)


def _lookup_gs1(session: Session, code: str, today: date) -> ScanResult | None:
    """A GS1 code or a bare GTIN-12/13/14 by its GTIN; None when the code is neither."""
    try:
        data = gs1.parse(code, today)
    except gs1.GS1Error as exc:
        raise ValidationError(
            _("Cannot read this GS1 code: %(problem)s", problem=str(exc)), field="code"
        ) from None
    if data is None:
        # A bare UPC-A, a UPC-A written as EAN-13 or a carton's GTIN-14 names the product
        # stored under another spelling of the same GTIN. (An EAN-8 or EAN-13 typed as
        # itself was the exact match above.)
        gtin = gs1.as_gtin14(code) if len(code) in (12, 13, 14) else None
        if gtin is None:
            return None
        product = _active_by_codes(session, [c for c in gs1.gtin_codes(gtin) if c != code])
        return ScanResult(product, 1000) if product is not None else None
    if data.gtin is None:
        raise NotFound(
            _("This GS1 code carries no product number (GTIN); scan the pack's barcode."),
            code="unknown_code",
            details={"code": code},
        )
    product = _active_by_codes(session, gs1.gtin_codes(data.gtin))
    if product is None:
        raise NotFound(
            _("Unknown code: no product has the GTIN %(gtin)s", gtin=data.gtin),
            code="unknown_code",
            details={"code": code, "gtin": data.gtin},
        )
    expired = data.expiry is not None and data.expiry < today
    return ScanResult(product, 1000, batch=data.batch, expiry=data.expiry, expired=expired)


SORTS = {
    "name": (Product.name, False),
    "-name": (Product.name, True),
    "code": (Product.code, False),
    "price": (Product.price, False),
    "-price": (Product.price, True),
    "stock": (Product.stock_milli, False),
    "-stock": (Product.stock_milli, True),
    "newest": (Product.id, True),
}
FUZZY_LIMIT = 50
FUZZY_CUTOFF = 75  # rapidfuzz WRatio score a near miss needs (servers without FTS5)


# A word is letters and digits and the vowel signs, viramas and nuktas of Indic scripts, which
# `\w` leaves out: "चीनी" is one word, not "च" and "न" (FTS5's unicode61 keeps it whole too).
_INDIC_MARKS = "".join(
    chr(c) for c in range(0x0900, 0x0E00) if unicodedata.category(chr(c)) in ("Mn", "Mc")
)
_WORD = re.compile(f"(?:\\w|[{_INDIC_MARKS}])+")
# The columns the ordinary search reads; the phonetic keys (name_key, alias_key) are searched
# apart (`_key_hits`), so they never change what a word finds here.
_TEXT_COLUMNS = "{name code aliases}"


def _fts_terms(q: str) -> str | None:
    """Turn typed words into an FTS5 query: every word as a prefix ("tata sal" -> tata* sal*)."""
    words = _WORD.findall(q.lower())
    if not words:
        return None
    return _TEXT_COLUMNS + " : (" + " ".join(f'"{word}"*' for word in words) + ")"


def _trigram_terms(q: str) -> str | None:
    """Turn a (possibly misspelt) word into an FTS5 OR-query of its trigrams."""
    text = " ".join(re.findall(r"\w+", q.lower()))
    grams = sorted({text[i : i + 3] for i in range(len(text) - 2)} - {""})
    grams = [g for g in grams if " " not in g]
    return " OR ".join(f'"{g}"' for g in grams) if grams else None


def _uses_fts(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _near_misses(session: Session, q: str, filtered: Select[Product]) -> list[int]:
    """Return ids of products whose names nearly match (typos), best first."""
    if _uses_fts(session):
        grams = _trigram_terms(q)
        if not grams:
            return []
        ranked = text(
            "SELECT rowid FROM products_trgm WHERE products_trgm MATCH :m ORDER BY rank LIMIT :n"
        ).bindparams(m=grams, n=FUZZY_LIMIT * 4)
        return [row[0] for row in session.execute(ranked)]
    # No trigram index on PostgreSQL/MariaDB: score the names with rapidfuzz instead. This runs
    # only when nothing matched at all, and reads just (id, name) of the filtered products.
    rows = session.execute(filtered.with_only_columns(Product.id, Product.name)).all()
    found = process.extract(
        q,
        {pid: name for pid, name in rows},
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=FUZZY_LIMIT * 4,
        score_cutoff=FUZZY_CUTOFF,
    )
    return [pid for _name, _score, pid in found]


def _word_prefixes(q: str) -> ColumnElement[bool]:
    """Match names in which every typed word starts a word (FTS5's prefix query, without FTS5).

    PostgreSQL and MariaDB have no FTS5: lower(name) LIKE 'rice%' OR LIKE '% rice%' per word
    gives the same answers as the SQLite index, at the cost of a scan of the (active) products.
    """
    conditions = []
    for word in q.lower().split()[:8]:
        escaped = _like_escaped(word)
        name = func.lower(Product.name)
        conditions.append(
            or_(
                name.like(f"{escaped}%", escape="\\"),
                name.like(f"% {escaped}%", escape="\\"),
                # Aliases are stored lower-case: a word starts the column, follows a comma
                # (the next alias) or a space (a word inside "gehun ka aata").
                Product.aliases.like(f"{escaped}%", escape="\\"),
                Product.aliases.like(f"%,{escaped}%", escape="\\"),
                Product.aliases.like(f"% {escaped}%", escape="\\"),
            )
        )
    return and_(*conditions)


def _like_escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# At most this many products come first for being named exactly by one of their aliases.
ALIAS_FIRST = 20


def _exact_alias_ids(session: Session, q: str, filtered: Select[Product]) -> list[int]:
    """Ids of the products (within `filtered`) one of whose aliases is exactly `q`, by name.

    "chini" is Sugar's alias: Sugar comes before any name that merely starts with "chi". On
    SQLite the aliases column of `products_fts` narrows the candidates to a handful first (the
    phrase, not a prefix); the `,alias,` comparison then keeps exact aliases only.
    """
    word = " ".join(q.split()).lower()
    if not re.search(r"\w", word) or "," in word or not word.isprintable():
        return []  # no alias has a comma or a control character (parse_aliases)
    listed = (literal(",") + Product.aliases + literal(",")).like(
        f"%,{_like_escaped(word)},%", escape="\\"
    )
    stmt = filtered.where(listed)
    if _uses_fts(session):
        # Inside an FTS5 string only `"` is special (doubled); the tokenizer splits the rest.
        phrase = '"' + word.replace('"', '""') + '"'
        hits = text("SELECT rowid FROM products_fts WHERE products_fts MATCH :a").bindparams(
            a=f"aliases : {phrase}"
        )
        stmt = stmt.where(Product.id.in_(hits))
    ids = stmt.with_only_columns(Product.id).order_by(Product.name, Product.id).limit(ALIAS_FIRST)
    return list(session.scalars(ids))


# From this many matches on, a plain name search pages through the name index instead of
# sorting every match (a two-letter prefix matches ~13 000 of 100 000 products).
QUICK_SEARCH_FROM = 200
_HITS = (
    "SELECT rowid FROM products_fts WHERE products_fts MATCH :m "
    "UNION SELECT id FROM products WHERE code = :q OR (code > :q AND code < :q_end)"
)
_NAME_INDEX = "products INDEXED BY ix_products_archived_name_id"


def _search_by_name_index(
    session: Session, q: str, terms: str, page: int, per_page: int
) -> tuple[list[Product], int] | None:
    """Page a plain search of active products without reading every matching row.

    Same answer as the general query: matches whose name starts with what was typed first,
    then the others, each by (name, id). The total comes from the FTS index (minus archived
    matches); "starts with" are ranges of the (archived, name, id) index, one per usual
    capitalisation of the typed text; the others are the first matches met walking that index
    in name order. None when there are few matches (then the general query is as quick).
    """
    offset = (page - 1) * per_page
    need = offset + per_page
    # Only constants and numbered parameter names go into the SQL text; what was typed is bound.
    params: dict[str, Any] = {"m": terms, "q": q, "q_end": q + "\uffff", "need": need}
    total = int(
        session.execute(
            text(
                f"WITH hits(id) AS ({_HITS}) SELECT (SELECT count(*) FROM hits) - "  # noqa: S608
                "(SELECT count(*) FROM products WHERE archived = 1 AND id IN hits)"
            ),
            params,
        ).scalar()
        or 0
    )
    if total < QUICK_SEARCH_FROM:
        return None
    lowered = q.lower()
    variants = sorted({q, lowered, lowered.capitalize(), lowered.title(), q.upper()})
    starts: list[tuple[str, int]] = []
    starts_count = 0
    outside: list[str] = []
    for i, variant in enumerate(variants):
        params[f"lo{i}"], params[f"hi{i}"] = variant, variant + "\uffff"
        in_range = f"name >= :lo{i} AND name < :hi{i}"
        outside.append(f"NOT ({in_range})")
        where = f"archived = 0 AND {in_range} AND id IN hits"
        found = session.execute(
            text(
                f"WITH hits(id) AS ({_HITS}) SELECT id, name FROM {_NAME_INDEX} "  # noqa: S608
                f"WHERE {where} ORDER BY name, id LIMIT :need"
            ),
            params,
        ).all()
        starts.extend((name, pid) for pid, name in found)
        if len(found) < need:  # all of them: no need to count
            starts_count += len(found)
            continue
        starts_count += int(
            session.execute(
                text(
                    f"WITH hits(id) AS ({_HITS}) SELECT count(*) FROM {_NAME_INDEX} "  # noqa: S608
                    f"WHERE {where}"
                ),
                params,
            ).scalar()
            or 0
        )
    starts.sort()
    ids = [pid for _name, pid in starts[offset:need]]
    if len(ids) < per_page:
        params["n"], params["skip"] = per_page - len(ids), max(0, offset - starts_count)
        ids += list(
            session.scalars(
                text(
                    f"WITH hits(id) AS ({_HITS}) SELECT id FROM {_NAME_INDEX} "  # noqa: S608
                    f"WHERE archived = 0 AND id IN hits AND {' AND '.join(outside)} "
                    "ORDER BY name, id LIMIT :n OFFSET :skip"
                ),
                params,
            )
        )
    rows = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows], total


def _alias_first(
    session: Session, q: str, terms: str, exact: list[int], page: int, per_page: int
) -> tuple[list[Product], int] | None:
    """The quick name-index search with the exact alias matches moved to the front."""
    offset = (page - 1) * per_page
    quick = _search_by_name_index(session, q, terms, 1, offset + per_page + len(exact))
    if quick is None:
        return None
    items, total = quick
    first = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(exact)))}
    ordered = [first[i] for i in exact if i in first]
    ordered += [p for p in items if p.id not in first]
    return ordered[offset : offset + per_page], total


@dataclass(frozen=True)
class _Filters:
    """The product list's filters (everything of a search but the typed words)."""

    include_archived: bool
    archived_only: bool
    low_stock: bool
    out_of_stock: bool
    category: str | None


def _filtered(filters: _Filters) -> Select[Product]:
    """The products the list's filters keep, before any search words."""
    stmt = select(Product)
    if filters.archived_only:
        stmt = stmt.where(Product.archived.is_(True))
    elif not filters.include_archived:
        stmt = stmt.where(Product.archived.is_(False))
    if filters.category:
        stmt = stmt.join(Category, Product.category_id == Category.id).where(
            func.lower(Category.name) == func.lower(filters.category)
        )
    if filters.low_stock:
        stmt = stmt.where(Product.stock_milli <= Product.low_stock_milli)
    if filters.out_of_stock:
        stmt = stmt.where(Product.stock_milli <= 0)
    return stmt


def _typed(q: str | None) -> str:
    """The search text as searched: control characters (a NUL from a hostile request) match
    nothing and PostgreSQL refuses them in text, so they become spaces; at most 100 characters.
    """
    return "".join(ch if ch.isprintable() else " " for ch in (q or "")).strip()[:100]


def _key_rowids(
    q: str, keys: list[translit.Key], others: list[str] | None
) -> tuple[str, dict[str, str]] | None:
    """SQLite: the SQL (and its parameters) of the FTS rowids `_key_hits` stands for.

    A single typed word looking across scripts needs just its other-script form: ("at"* OR
    "xat"*) AND "xat"* is "xat"*, and reading the doclists of a short Latin prefix cost ~8 ms
    at 100 000 products.
    """
    terms = _fts_terms(q)
    if not terms:
        return None
    if others is not None and len(keys) == 1:
        every = [" OR ".join(f'"{form}"*' for form in others)]
    else:
        every = [" OR ".join(f'"{form}"*' for form in key.forms) for key in keys]
        if others is not None:
            every.append(" OR ".join(f'"{form}"*' for form in others))
    wanted = "{name_key alias_key} : (" + " AND ".join(f"({part})" for part in every) + ")"
    return (
        "SELECT rowid FROM products_fts WHERE products_fts MATCH :k "
        "EXCEPT SELECT rowid FROM products_fts WHERE products_fts MATCH :m "
        "EXCEPT SELECT id FROM products WHERE code = :q OR (code > :q AND code < :q_end)",
        {"k": wanted, "m": terms, "q": q, "q_end": q + "\uffff"},
    )


def _key_hits(
    session: Session, q: str, keys: list[translit.Key], others: list[str] | None
) -> ColumnElement[bool]:
    """Products whose phonetic keys start with every typed word's key (in either script), and
    which the ordinary search (FTS5 word prefixes or LIKE, and code prefixes) does not find.

    With `others` (the typed words' other-script forms), at least one typed word must meet a
    word of the other script ("cheeni" the "चीनी" of "चीनी 1 kg"): what the ordinary search
    found for Latin words then stays all there is in Latin. Keys are ASCII letters and digits
    (or letters of scripts translit leaves alone), never a quote or a LIKE wildcard. On SQLite
    the difference is taken on FTS rowids, so only the products it adds are read; servers test
    the key columns with LIKE in the scan their name search already makes.
    """
    found = _key_rowids(q, keys, others) if _uses_fts(session) else None
    if found is not None:
        sql, params = found
        return Product.id.in_(text(sql).bindparams(**params))

    def starts(forms: Iterable[str]) -> ColumnElement[bool]:
        return or_(
            *(
                like
                for form in forms
                for like in (
                    Product.name_key.like(f"{form}%"),
                    Product.name_key.like(f"% {form}%"),
                    Product.alias_key.like(f"{form}%"),
                    Product.alias_key.like(f"% {form}%"),
                )
            )
        )

    conditions = [starts(key.forms) for key in keys]
    if others is not None:
        conditions.append(starts(others))
    code_match = or_(Product.code == q, and_(Product.code > q, Product.code < q + "\uffff"))
    return and_(*conditions, not_(or_(code_match, _word_prefixes(q))))


def search_products(
    session: Session,
    q: str = "",
    *,
    include_archived: bool = False,
    archived_only: bool = False,
    low_stock: bool = False,
    out_of_stock: bool = False,
    category: str | None = None,
    sort: str = "",
    page: int = 1,
    per_page: int = 50,
    after: int | None = None,
    before: int | None = None,
) -> tuple[list[Product], int]:
    """Search products by code, name word prefix (FTS5), then sound; failing all, fuzzily.

    On SQLite names are matched through the `products_fts` index (never a LIKE '%x%' scan);
    when nothing matches, a trigram index finds near misses (typos). Other databases use an
    index-friendly prefix match.

    Then products that sound like what was typed (services/translit.py keys) follow the
    ordinary matches, which keep their order: counted in the total, listed after them (by the
    same sort, then name). When the ordinary search found something, only words of the other
    script join it ("cheeni" adds "चीनी 1 kg", "चीनी" adds the Sugar aliased "cheeni"); when
    it found nothing, every sound-alike does ("chini" finds "Cheeni Cookies"). Near misses
    (typos) are looked for only when neither finds anything.

    Pages: `after`/`before` (a product id from the edge of the page shown) page by key on
    (name, id) when listing by name without a search, so "next" and "previous" cost the same
    on any page; otherwise `page` pages by offset over ids only (index-only on the default list).
    """
    q = _typed(q)
    filters = _Filters(include_archived, archived_only, low_stock, out_of_stock, category)
    keys = translit.query_keys(q) if q else []

    def ordinary(near_misses: bool) -> tuple[list[Product], int]:
        return _search_products(
            session,
            q,
            filters,
            sort=sort,
            page=page,
            per_page=per_page,
            after=after,
            before=before,
            near_misses=near_misses,
        )

    if not keys:
        return ordinary(True)
    items, total = ordinary(False)
    # Found already: only the other script may add to it. Nothing found: any sound-alike.
    others: list[str] | None = None
    if total:
        others = [key.across for key in keys if key.across is not None]
    extra = None
    extra_total = 0
    if others is None or others:
        extra = _filtered(filters).where(_key_hits(session, q, keys, others))
        found = _key_rowids(q, keys, others) if _uses_fts(session) else None
        if found is not None and filters == _Filters(False, False, False, False, None):
            # Counted on the rowids, minus archived ones, as the quick name search counts:
            # thousands of sound-alikes ("mas": every "Masoor") are not read row by row.
            sql, params = found
            counted = text(
                f"WITH extra(id) AS ({sql}) SELECT (SELECT count(*) FROM extra) - "  # noqa: S608
                "(SELECT count(*) FROM products WHERE archived = 1 AND id IN extra)"
            ).bindparams(**params)
            extra_total = int(session.scalar(counted) or 0)
        else:
            extra_total = int(
                session.scalar(select(func.count()).select_from(extra.order_by(None).subquery()))
                or 0
            )
    if extra is None or not extra_total:
        return (items, total) if total else ordinary(True)
    if len(items) >= per_page:
        return items, total + extra_total
    column, descending = SORTS.get(sort, SORTS["name"])
    ordering: list[Any] = [column.desc() if descending else column, Product.name, Product.id]
    ids = list(
        session.scalars(
            extra.with_only_columns(Product.id)
            .order_by(*ordering)
            .limit(per_page - len(items))
            .offset(max(0, (page - 1) * per_page - total))
        )
    )
    rows = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
    return items + [rows[i] for i in ids if i in rows], total + extra_total


def _search_products(
    session: Session,
    q: str,
    filters: _Filters,
    *,
    sort: str,
    page: int,
    per_page: int,
    after: int | None,
    before: int | None,
    near_misses: bool,
) -> tuple[list[Product], int]:
    """The ordinary search of `search_products` (codes, word prefixes, near misses)."""
    include_archived, archived_only = filters.include_archived, filters.archived_only
    category, low_stock, out_of_stock = filters.category, filters.low_stock, filters.out_of_stock
    stmt = _filtered(filters)
    filtered = stmt
    exact: list[int] = []
    if q:
        code_match = or_(Product.code == q, and_(Product.code > q, Product.code < q + "\uffff"))
        terms = _fts_terms(q)
        plain = not (include_archived or archived_only or category or low_stock or out_of_stock)
        exact = [] if sort else _exact_alias_ids(session, q, filtered)
        # Not for words of another script: their names sort after every Latin name, so the
        # walk in name order would pass the whole Latin catalog first (20-90 ms at 100 000).
        latin = not translit.other_script(q)
        if _uses_fts(session) and terms and plain and not sort and latin:
            if exact:
                quick = _alias_first(session, q, terms, exact, page, per_page)
            else:
                quick = _search_by_name_index(session, q, terms, page, per_page)
            if quick is not None:
                return quick
        if _uses_fts(session) and terms:
            # One id list (FTS matches UNION code prefixes), not `code … OR id IN (…)`: without
            # ANALYZE statistics (a shop's database has none) SQLite scanned every product for
            # the OR form, 17-30 ms at 100 000 products; the list is read in well under 1 ms.
            hits = text(_HITS).bindparams(m=terms, q=q, q_end=q + "\uffff")
            stmt = stmt.where(Product.id.in_(hits))
        else:
            stmt = stmt.where(or_(code_match, _word_prefixes(q)))
    total = int(
        session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    )
    if q and total == 0 and near_misses:
        near = _near_misses(session, q, filtered)
        if near:
            order = {pid: i for i, pid in enumerate(near)}
            found = list(session.scalars(filtered.where(Product.id.in_(near))))
            found.sort(key=lambda p: order[p.id])
            found = found[:FUZZY_LIMIT]
            start = (page - 1) * per_page
            return found[start : start + per_page], len(found)
    column, descending = SORTS.get(sort, SORTS["name"])
    # The ORDER BY terms: columns, their .desc(), and a boolean "starts with" first.
    ordering: list[Any] = [column.desc() if descending else column]
    if q and not sort:
        # Names starting with what was typed come before names merely containing the word.
        ordering.insert(0, Product.name.ilike(f"{q}%").desc())
        if exact:
            # And a product the text names exactly by an alias before both.
            ordering.insert(0, Product.id.in_(exact).desc())
    if column is not Product.name:
        ordering.append(Product.name)
    if column is not Product.id:
        ordering.append(Product.id.desc() if descending else Product.id)
    id_query = stmt.with_only_columns(Product.id)
    keyset = not q and sort in ("", "name") and (after or before)
    anchor = session.get(Product, after or before) if keyset else None
    if anchor is not None:
        key = tuple_(Product.name, Product.id)
        edge = tuple_(anchor.name, anchor.id)
        if after:
            id_query = id_query.where(key > edge).order_by(*ordering)
        else:
            id_query = id_query.where(key < edge).order_by(Product.name.desc(), Product.id.desc())
        ids = list(session.scalars(id_query.limit(per_page)))
        if before:
            ids.reverse()
    else:
        # Offsets walk ids only: on the default list an index-only scan of (archived, name, id).
        ids = list(
            session.scalars(
                id_query.order_by(*ordering).limit(per_page).offset((page - 1) * per_page)
            )
        )
    rows = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows], total
