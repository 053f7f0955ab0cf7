"""Customers: validation, phone normalisation, create/update/archive, search and the summary."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import phonenumbers
from rapidfuzz import fuzz, process, utils
from rapidfuzz.distance import OSA
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from posapp.dates import date_format
from posapp.errors import Conflict, Forbidden, NotFound, ValidationError
from posapp.gst import parse_gstin, parse_state_code, state_label, state_of
from posapp.i18n import DOCUMENT_LANGUAGES, _, lazy
from posapp.models import Customer, Invoice, LedgerEntry, User
from posapp.models.base import engine_of, to_local, utcnow, write_transaction
from posapp.money import format_money, money_str, parse_money
from posapp.services import audit, books_sales, ledger, limits, system_notes, upi
from posapp.services.document_language import compose, customer_language
from posapp.services.settings import ShopSettings, load_settings
from posapp.vocabulary import form_flag

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_CHARS_RE = re.compile(r"^[\d\s+\-().]+$")
MIN_PHONE_DIGITS = 3
MIN_FUZZY_LENGTH = 3
FUZZY_CUTOFF = 70
MAX_MATCHES = 200
# A business customer's GST identity (docs/DESIGN.md, GST): all optional, the GSTIN checked.
GST_FIELDS = ("gstin", "legal_name", "state_code")
# The language of what is sent to a customer (reminders, order texts, their statement):
# "" is the shop's documents' language.
CUSTOMER_LANGUAGES = ("", *DOCUMENT_LANGUAGES)
# A GSTIN or a piece of one as typed in a search: letters and digits, at least one of each.
GSTIN_QUERY_RE = re.compile(r"(?=[0-9A-Z]*[0-9])(?=[0-9A-Z]*[A-Z])[0-9A-Z]{4,15}")


# ---------------------------------------------------------------- phone numbers


def normalise_phone(raw: str, region: str = "IN") -> str:
    """Return a phone number in E.164 (+919876543210); raise ValidationError if it is not one."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Phone is required."), field="phone")
    if not PHONE_CHARS_RE.match(text):
        raise ValidationError(_("A phone number has only digits, spaces, + and -."), field="phone")
    try:
        number = phonenumbers.parse(text, region or "IN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("This is not a phone number."), field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("This is not a valid phone number (check the digits and the country code)."),
            field="phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """Format a stored number the way people write it (national if local, else international)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def wa_digits(e164: str) -> str:
    """Return the number as wa.me wants it: country code and number, digits only."""
    return e164.lstrip("+")


def whatsapp_link(e164: str, text: str) -> str:
    """A wa.me link that opens a chat with the customer with the text typed in."""
    return f"https://wa.me/{wa_digits(e164)}?text={quote(text)}"


# ---------------------------------------------------------------- validation


def _text(data: Mapping[str, Any], key: str) -> str:
    return limits.text_value(data.get(key), key)


def parse_customer_fields(data: Mapping[str, Any], *, partial: bool, region: str) -> dict[str, Any]:
    """Validate customer input (form or API); collect every field error before raising."""
    if not isinstance(data, Mapping):
        raise ValidationError(_("The request body must be a JSON object."))
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def given(key: str) -> bool:
        return key in data and not (partial and data.get(key) is None)

    for key, limit in limits.CUSTOMER_TEXT_LENGTHS.items():
        if given(key):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                errors[key] = _("Must be text.")
                continue
            value = _text(data, key)
            if len(value) > limit:
                errors[key] = _("At most %(limit)s characters.", limit=limit)
            out[key] = value
    if (not partial or "name" in data) and not out.get("name"):
        errors["name"] = _("Name is required.")
    if out.get("email") and not EMAIL_RE.match(out["email"]):
        errors["email"] = _("This is not an email address.")
    if not partial or "phone" in data:
        raw = data.get("phone")
        if raw is not None and not isinstance(raw, str | int):
            errors["phone"] = _("Phone must be text.")
        else:
            try:
                out["phone"] = normalise_phone("" if raw is None else str(raw), region)
            except ValidationError as exc:
                errors["phone"] = exc.message
    # null (the API) or the form's "no credit limit" box: no limit; left out on a new
    # customer: the shop's limit for new customers, applied by create_customer.
    if ("credit_limit" in data and data["credit_limit"] is None) or (
        "no_credit_limit" in data and form_flag(data, "no_credit_limit", errors)
    ):
        out["credit_limit"] = None
    elif "credit_limit" in data and _text(data, "credit_limit") != "":
        try:
            out["credit_limit"] = parse_money(data["credit_limit"], field="credit_limit")
        except ValidationError as exc:
            errors["credit_limit"] = exc.message
    if not partial and _text(data, "opening_balance") != "":
        try:
            out["opening_balance"] = parse_money(
                data["opening_balance"], field="opening_balance", allow_negative=True
            )
        except ValidationError as exc:
            errors["opening_balance"] = exc.message
    for key, parse in (("gstin", parse_gstin), ("state_code", parse_state_code)):
        if given(key):
            try:
                out[key] = parse(data.get(key), key)
            except ValidationError as exc:
                errors[key] = exc.message
        elif not partial:
            out[key] = ""
    if given("language"):
        language = data.get("language")
        if not isinstance(language, str) or language.strip() not in CUSTOMER_LANGUAGES:
            errors["language"] = _("Choose the shop's language, English, Hindi or both.")
        else:
            out["language"] = language.strip()
    elif not partial:
        out["language"] = ""
    if given("archived"):
        out["archived"] = data["archived"] in (True, "1", "true", "on", 1)
    if errors:
        first = next(iter(errors.values()))
        raise ValidationError(
            _("Please correct the customer: %(problem)s", problem=first), fields=errors
        )
    return out


def settle_gst_state(fields: dict[str, Any], gstin_before: str, state_before: str) -> None:
    """Apply the GSTIN's state to parsed customer fields (docs/DESIGN.md, GST).

    A GSTIN's first two digits are the state it was issued in, which is the customer's place
    of supply: with a GSTIN, an empty or unsent state becomes that state and another state is
    refused. Without a GSTIN any state (or none: the shop's own) may be chosen.
    """
    gstin = fields.get("gstin", gstin_before)
    if not gstin:
        return
    home = state_of(gstin)
    state = fields.get("state_code")
    if state is None:
        if "gstin" in fields and state_before != home:
            fields["state_code"] = home
    elif state == "":
        fields["state_code"] = home
    elif state != home:
        message = _(
            "The GSTIN was issued in %(state)s: a customer with a GSTIN is in "
            "that state (or leave the state empty).",
            state=state_label(home),
        )
        raise ValidationError(
            _("Please correct the customer: %(problem)s", problem=message),
            fields={"state_code": message},
        )


def _check_phone_free(session: Session, phone: str, customer_id: int | None) -> None:
    clash = session.scalar(select(Customer).where(Customer.phone == phone))
    if clash is not None and clash.id != customer_id:
        values = {"name": clash.name, "phone": display_phone(phone)}
        raise Conflict(
            _("%(name)s (archived) already has the phone number %(phone)s.", **values)
            if clash.archived
            else _("%(name)s already has the phone number %(phone)s.", **values),
            code="duplicate",
            details={
                "fields": {"phone": _("This phone number is taken.")},
                "customer_id": clash.id,
            },
        )


def _money(session: Session, minor: int) -> str:
    """An amount for a message, as the pages write it (₹7,020.00)."""
    settings = load_settings(session)
    return format_money(minor, settings.currency, settings.locale)


def snapshot(customer: Customer) -> dict[str, Any]:
    """Return the fields worth auditing of a customer."""
    return {
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "address": customer.address,
        "notes": customer.notes,
        "gstin": customer.gstin,
        "legal_name": customer.legal_name,
        "state_code": customer.state_code,
        "language": customer.language,
        "credit_limit": customer.credit_limit,
        "archived": customer.archived,
    }


# ---------------------------------------------------------------- writing


def new_customer_limit(settings: ShopSettings) -> int | None:
    """Return the credit limit a new customer gets: the shop's setting (None: no limit)."""
    return None if settings.new_customer_no_credit_limit else settings.new_customer_credit_limit


def more_credit(limit: int | None, than: int | None) -> bool:
    """Whether `limit` allows more credit than `than` (None, no limit, is the most)."""
    if limit is None:
        return than is not None
    return than is not None and limit > than


def create_customer(session: Session, data: Mapping[str, Any], user: User) -> Customer:
    """Create a customer (and an opening-balance entry if one is given)."""
    settings = load_settings(session)
    fields = parse_customer_fields(data, partial=False, region=settings.phone_region)
    with write_transaction(session):
        return add_customer(session, fields, user, settings)


def add_customer(
    session: Session, fields: dict[str, Any], user: User, settings: ShopSettings
) -> Customer:
    """Write a customer from parsed fields inside the caller's write transaction (an order
    taken for a new customer writes both in one); the same rules as `create_customer`."""
    fields = dict(fields)
    default = new_customer_limit(settings)
    # Every new customer gets the shop's limit; only an admin may give more (a cashier may
    # give less: a customer they would rather not trust is no risk to the shop).
    fields.setdefault("credit_limit", default)
    if not user.is_admin and more_credit(fields["credit_limit"], default):
        raise Forbidden(_("Only an admin may give a customer more credit than the shop's limit."))
    opening = fields.pop("opening_balance", 0)
    if opening and not user.is_admin:
        raise Forbidden(_("Only an admin may enter an opening balance."))
    settle_gst_state(fields, "", "")
    _check_phone_free(session, fields["phone"], None)
    now = utcnow()
    customer = Customer(
        name=fields["name"],
        phone=fields["phone"],
        phone_digits=fields["phone"].lstrip("+"),
        email=fields.get("email", ""),
        address=fields.get("address", ""),
        notes=fields.get("notes", ""),
        gstin=fields["gstin"],
        legal_name=fields.get("legal_name", ""),
        state_code=fields["state_code"],
        language=fields.get("language", ""),
        credit_limit=fields["credit_limit"],
        archived=False,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    session.flush()
    if opening:
        entry = LedgerEntry(
            customer_id=customer.id,
            kind="opening",
            amount=opening,
            note=system_notes.written(system_notes.OPENING_BALANCE),
            user_id=user.id,
            created_at=now,
        )
        session.add(entry)
        session.flush()
        books_sales.post_ledger_entry(session, entry)
    audit.record(
        session,
        "customer.create",
        user_id=user.id,
        entity="customer",
        entity_id=customer.id,
        after={**snapshot(customer), "opening_balance": opening},
    )
    return customer


def update_customer(
    session: Session, customer_id: int, data: Mapping[str, Any], user: User
) -> Customer:
    """Change only the fields given; archiving needs a zero balance, limits need an admin."""
    region = load_settings(session).phone_region
    fields = parse_customer_fields(data, partial=True, region=region)
    with write_transaction(session):
        customer = ledger.lock_customer(session, customer_id)
        before = snapshot(customer)
        settle_gst_state(fields, customer.gstin, customer.state_code)
        limit_changes = fields.get("credit_limit", customer.credit_limit) != customer.credit_limit
        if limit_changes and not user.is_admin:
            raise Forbidden(_("Only an admin may change a credit limit."))
        if "phone" in fields and fields["phone"] != customer.phone:
            _check_phone_free(session, fields["phone"], customer.id)
            customer.phone = fields["phone"]
            customer.phone_digits = fields["phone"].lstrip("+")
        for key in ("name", "email", "address", "notes", "credit_limit", "language", *GST_FIELDS):
            if key in fields:
                setattr(customer, key, fields[key])
        if fields.get("archived") and not customer.archived:
            owed = ledger.balance(session, customer.id)
            if owed != 0:
                raise Conflict(
                    _(
                        "%(name)s cannot be archived with a balance of %(amount)s; "
                        "settle it first.",
                        name=customer.name,
                        amount=_money(session, owed),
                    ),
                    code="has_balance",
                    details={"balance": money_str(owed)},
                )
            customer.archived = True
        elif "archived" in fields and not fields["archived"]:
            customer.archived = False
        after = snapshot(customer)
        if after != before:
            customer.updated_at = utcnow()
            audit.record(
                session,
                "customer.update",
                user_id=user.id,
                entity="customer",
                entity_id=customer.id,
                before=before,
                after=after,
            )
    return customer


def get_customer(session: Session, customer_id: int) -> Customer:
    """Return a customer or raise NotFound."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


# ---------------------------------------------------------------- search


@dataclass(frozen=True)
class _NameIndex:
    key: tuple[Any, ...]
    choices: list[str]  # distinct processed names and words (names repeat a lot in a shop)
    owners: list[tuple[int, ...]]  # the customers behind each choice
    archived: frozenset[int]


_index_lock = threading.Lock()
_name_index: dict[str, _NameIndex] = {}


def _index_key(session: Session) -> tuple[Any, ...]:
    """A fingerprint that changes with any insert or update of customers (any process)."""
    count, top, changed = session.execute(
        select(func.count(), func.max(Customer.id), func.max(Customer.updated_at))
    ).one()
    return (count, top, str(changed))


def _names(session: Session) -> _NameIndex:
    """Return the fuzzy index of names (whole names and their words), rebuilt on any change."""
    url = str(engine_of(session).url)
    key = _index_key(session)
    cached = _name_index.get(url)
    if cached is not None and cached.key == key:
        return cached
    by_text: dict[str, list[int]] = {}
    archived: set[int] = set()
    for customer_id, name, is_archived in session.execute(
        select(Customer.id, Customer.name, Customer.archived)
    ):
        if is_archived:
            archived.add(customer_id)
        whole = utils.default_process(name)
        by_text.setdefault(whole, []).append(customer_id)
        words = whole.split()
        if len(words) > 1:
            for word in set(words):
                if len(word) >= MIN_FUZZY_LENGTH:
                    by_text.setdefault(word, []).append(customer_id)
    choices = list(by_text)
    owners = [tuple(by_text[text]) for text in choices]
    built = _NameIndex(key, choices, owners, frozenset(archived))
    with _index_lock:
        _name_index[url] = built
    return built


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _phone_query(q: str) -> str | None:
    """Return the digits to look for when the query is a phone number (or a part of one)."""
    if not PHONE_CHARS_RE.match(q):
        return None
    digits = re.sub(r"\D", "", q)
    return digits or None


def _gstin_query(q: str) -> str | None:
    """Return the GSTIN (or a part of one) to look for when the query could be one."""
    value = "".join(q.split()).upper()
    return value if GSTIN_QUERY_RE.fullmatch(value) else None


def _by_name_page(
    session: Session, stmt: Select[Customer], page: int, per_page: int
) -> tuple[list[Customer], int]:
    """One page of a customer query in name order, with the count of all its rows."""
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    items = session.scalars(
        stmt.order_by(func.lower(Customer.name), Customer.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(items), total


def search_customers(
    session: Session,
    q: str = "",
    *,
    include_archived: bool = False,
    archived_only: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Customer], int]:
    """Find customers by phone (any format, partial digits), GSTIN (or a part of one: a
    business customer) or name (prefix, then fuzzy)."""
    q = limits.search_text(q)
    wanted_state: bool | None = True if archived_only else (None if include_archived else False)
    base = select(Customer)
    if wanted_state is not None:
        base = base.where(Customer.archived.is_(wanted_state))
    digits = _phone_query(q) if q else None
    if not q or digits is not None:
        if digits is not None:
            if len(digits) < MIN_PHONE_DIGITS:
                return [], 0
            exact = None
            with contextlib.suppress(ValidationError):
                exact = normalise_phone(q, load_settings(session).phone_region)
            # A leading trunk 0 (09876…) is not part of the stored number.
            needle = _escape_like(digits.lstrip("0") or digits)
            cond = Customer.phone_digits.like(f"%{needle}%", escape="\\")
            base = base.where(or_(cond, Customer.phone == exact) if exact else cond)
        return _by_name_page(session, base, page, per_page)
    gstin_part = _gstin_query(q)
    if gstin_part is not None:
        # Letters and digits only (checked above), so nothing needs escaping in the pattern.
        by_gstin = _by_name_page(
            session, base.where(Customer.gstin.like(f"%{gstin_part}%")), page, per_page
        )
        if by_gstin[1]:
            return by_gstin

    ranked = _rank_by_name(session, q, wanted_state)
    total = len(ranked)
    wanted = ranked[(page - 1) * per_page : page * per_page]
    if not wanted:
        return [], total
    found = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(wanted)))}
    return [found[i] for i in wanted if i in found], total


def _rank_by_name(session: Session, q: str, archived: bool | None) -> list[int]:
    """Return customer ids: names starting with the query first, then fuzzy matches by score."""
    pattern = _escape_like(q)
    prefix_stmt = select(Customer.id).where(
        or_(
            Customer.name.ilike(f"{pattern}%", escape="\\"),
            Customer.name.ilike(f"% {pattern}%", escape="\\"),
        )
    )
    if archived is not None:
        prefix_stmt = prefix_stmt.where(Customer.archived.is_(archived))
    ranked = list(
        session.scalars(
            prefix_stmt.order_by(
                Customer.name.ilike(f"{pattern}%", escape="\\").desc(),
                func.lower(Customer.name),
                Customer.id,
            ).limit(MAX_MATCHES)
        )
    )
    query = utils.default_process(q)
    if len(query) < MIN_FUZZY_LENGTH:
        return ranked
    index = _names(session)
    best: dict[int, float] = {}
    # Typos are mostly swapped, missing or wrong letters: OSA (Levenshtein with adjacent
    # transpositions) over names and their words ranks "Rmaesh" -> "Ramesh" above "Rakesh".
    # Several words may come in any order ("kumar ramesh"): token-sort ratio over whole names.
    passes = [(OSA.normalized_similarity, FUZZY_CUTOFF / 100, 100.0)]
    if " " in query:
        passes.append((fuzz.token_sort_ratio, FUZZY_CUTOFF, 1.0))
    for scorer, cutoff, scale in passes:
        for _choice, score, position in process.extract(
            query,
            index.choices,
            scorer=scorer,
            processor=None,
            score_cutoff=cutoff,
            limit=MAX_MATCHES * 3,
        ):
            for owner in index.owners[position]:
                if archived is not None and (owner in index.archived) != archived:
                    continue
                best[owner] = max(best.get(owner, 0.0), score * scale)
    seen = set(ranked)
    fuzzy = sorted((cid for cid in best if cid not in seen), key=lambda cid: (-best[cid], cid))
    return (ranked + fuzzy)[:MAX_MATCHES]


# ---------------------------------------------------------------- the customer page


@dataclass(frozen=True)
class CustomerSummary:
    """What the customer page and `GET /api/customers/<id>` show above the history."""

    customer: Customer
    balance: int
    available: int | None  # credit still allowed; None: no limit
    aging: dict[str, int]
    last_visit: datetime | None
    total_spent: int
    invoices: int
    oldest_due: datetime | None


def summary(session: Session, customer_id: int) -> CustomerSummary:
    """Return a customer's balance, credit left, aging, last visit and total spent."""
    customer = get_customer(session, customer_id)
    owed = ledger.balance(session, customer.id)
    rows = session.execute(
        select(LedgerEntry.created_at, LedgerEntry.amount)
        .where(LedgerEntry.customer_id == customer.id)
        .order_by(LedgerEntry.id)
    ).all()
    open_parts = ledger.open_debits((r[0], r[1]) for r in rows)
    last_visit, spent, count = session.execute(
        select(
            func.max(Invoice.created_at),
            func.coalesce(func.sum(Invoice.total), 0),
            func.count(Invoice.id),
        ).where(Invoice.customer_id == customer.id, Invoice.status != "void")
    ).one()
    return CustomerSummary(
        customer=customer,
        balance=owed,
        available=ledger.available_credit(customer.credit_limit, owed),
        aging=ledger.age_buckets(open_parts, ledger.local_today()),
        last_visit=last_visit,
        total_spent=int(spent or 0),
        invoices=int(count or 0),
        oldest_due=open_parts[0][0] if open_parts else None,
    )


def reminder_text(summary_: CustomerSummary, settings: ShopSettings) -> str:
    """Compose the polite reminder a shop sends (amount due, oldest bill date, shop contact),
    in the customer's language, else the shop's documents' language (bilingual: both)."""
    customer = summary_.customer
    values = {
        "name": customer.name,
        "shop": settings.shop_name,
        "amount": format_money(summary_.balance, settings.currency, settings.locale),
    }
    oldest = summary_.oldest_due
    payee = upi.payee_of(settings)
    link = None
    if payee is not None and summary_.balance > 0:
        # The UPI app opens with the amount due filled in (docs/DESIGN.md "UPI").
        link = upi.khata_link(payee, customer.id, summary_.balance, ledger.local_today())

    def write(say: Callable[..., str]) -> str:
        if oldest:
            day = to_local(oldest).strftime(date_format(settings.locale))
            greeting = say(
                lazy(
                    "Namaste %(name)s, this is a reminder from %(shop)s: %(amount)s is due on "
                    "your account (oldest unpaid bill of %(date)s)."
                ),
                date=day,
                **values,
            )
        else:
            greeting = say(
                lazy(
                    "Namaste %(name)s, this is a reminder from %(shop)s: %(amount)s is due on "
                    "your account."
                ),
                **values,
            )
        parts = [greeting, say(lazy("Please pay at your convenience."))]
        if settings.phone:
            parts.append(say(lazy("For any question call us on %(phone)s."), phone=settings.phone))
        parts.append(say(lazy("Thank you!")))
        if payee is not None and link is not None:
            parts.append(say(lazy("Pay by UPI to %(vpa)s: %(link)s"), vpa=payee.vpa, link=link))
        return " ".join(parts)

    return compose(customer_language(customer.language, settings.documents_language), write)
