"""The shop settings page's rules: validate a whole form at once, save it audited, the logo."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.gst import parse_gstin, parse_state_code, state_label, state_of
from posapp.i18n import DOCUMENT_LANGUAGES, _, lazy
from posapp.models.base import write_transaction
from posapp.money import format_money, money_str, parse_money, parse_signed_quantity, qty_str
from posapp.services import audit, hosts
from posapp.services.issued import LOGO_NAME
from posapp.services.settings import (
    STOCK_POLICIES,
    ShopSettings,
    load_settings,
    save_settings,
)
from posapp.vocabulary import form_flag
from posapp.winfs import FileInUse, replace_with_retry, unlink_with_retry

AUDIT_ACTION = "settings.change"
LOGO_DIR = "logos"  # <data dir>/logos/<content name>.png, one file per logo ever uploaded
LEGACY_LOGO_FILE = "logo.png"  # the one logo file of earlier versions
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_BOX = (400, 200)
# Far beyond any real logo; refusing earlier keeps a decompression bomb from being decoded.
LOGO_MAX_PIXELS = 40_000_000
EXAMPLE_MINOR = 12_345_650  # 1,23,456.50 in the default format

# Only what works in a web address and a file name: the number goes in both (/api/invoice/<n>,
# the PDF's name), so GST/A made the invoice unreachable and the file name a path.
PREFIX_RE = re.compile(r"[A-Z0-9-]{1,10}")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TEXT_LIMITS = {
    "shop_name": 120,
    "address": 300,
    "phone": 30,
    "email": 120,
    "receipt_footer": 200,
}
BOOLEANS = (
    *("prices_include_tax", "split_tax", "round_off", "composition_scheme"),
    "new_customer_no_credit_limit",
    "devanagari_digits",
)
RECEIPT_WIDTHS = (58, 80)
# Whole percentages from 0 to 100: the discount audit threshold and the cashier's limits.
PERCENT_FIELDS = (
    *("discount_audit_percent", "cashier_max_line_discount_percent"),
    "cashier_max_bill_discount_percent",
)
# The invoice PDF layouts: one template each over the same invoice data.
INVOICE_LAYOUTS = {
    "a4": lazy("Classic A4"),
    "a5": lazy("Compact A5"),
    "receipt": lazy("Receipt (58/80 mm)"),
}
# The form's field names, in page order (low_stock_default is shown as a quantity).
FORM_FIELDS = (
    *("shop_name", "address", "phone", "email", "tax_number", "state_code"),
    *("currency", "locale"),
    *("invoice_prefix", "fy_start_month", "invoice_layout", "documents_language"),
    "discount_audit_percent",
    *("cashier_max_line_discount_percent", "cashier_max_bill_discount_percent"),
    *("receipt_width_mm", "receipt_footer", "allowed_hosts"),
    *("low_stock_default", "stock_policy", "new_customer_credit_limit", *BOOLEANS),
)


def stock_values(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Validate the low-stock default and the stock policy (shared with the stock page)."""
    values: dict[str, Any] = {}
    policy = str(data.get("stock_policy") or "").strip()
    if "stock_policy" not in data:
        pass  # a form or client that does not send the policy leaves it as it is
    elif policy in STOCK_POLICIES:
        values["stock_policy"] = policy
    else:
        errors["stock_policy"] = _('Choose "block" or "warn" for a sale when stock is short.')
    try:
        milli = parse_signed_quantity(
            str(data.get("low_stock_default") or "0"), "kg", "low_stock_default"
        )
    except ValidationError as exc:
        errors["low_stock_default"] = exc.message
    else:
        if milli < 0:
            errors["low_stock_default"] = _("The low-stock default cannot be negative.")
        values["low_stock_default_milli"] = milli
    return values


def gst_values(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Validate the shop's GSTIN, its state and the composition flag (docs/DESIGN.md, GST).

    A GSTIN starts with the state it was issued in, so with one set the state is that state:
    left empty it is taken from the GSTIN, and a different one is refused (the shop would
    otherwise charge CGST+SGST and IGST on the wrong side of a state border). The composition
    scheme is a GST registration, so it needs the GSTIN.
    """
    values: dict[str, Any] = {}
    gstin = ""
    try:
        gstin = values["tax_number"] = parse_gstin(data.get("tax_number"), "tax_number")
    except ValidationError as exc:
        errors["tax_number"] = exc.message
    try:
        state = parse_state_code(data.get("state_code"), "state_code")
    except ValidationError as exc:
        errors["state_code"] = exc.message
    else:
        if gstin and not state:
            state = state_of(gstin)
        elif gstin and state != state_of(gstin):
            errors["state_code"] = _(
                "The GSTIN was issued in %(state)s: the shop's state must be that state "
                "(or leave it empty).",
                state=state_label(state_of(gstin)),
            )
        values["state_code"] = state
    values["composition_scheme"] = form_flag(data, "composition_scheme", errors)
    if values["composition_scheme"] and not gstin and "tax_number" not in errors:
        errors["composition_scheme"] = _(
            "The composition scheme is a GST registration: type the shop's GSTIN too."
        )
    return values


def credit_values(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Validate the credit limit new customers get, or the "no limit" choice.

    The amount is checked even with "no limit" ticked, so a typo is never saved silently to
    surface the day the box is cleared.
    """
    if "new_customer_credit_limit" not in data:
        return {}  # a form from before this setting (or another page's subset) keeps it
    values: dict[str, Any] = {
        "new_customer_no_credit_limit": form_flag(data, "new_customer_no_credit_limit", errors)
    }
    try:
        values["new_customer_credit_limit"] = parse_money(
            data.get("new_customer_credit_limit"), field="new_customer_credit_limit"
        )
    except ValidationError as exc:
        errors["new_customer_credit_limit"] = exc.message
    return values


def _locale(raw: str) -> str | None:
    try:
        return str(Locale.parse(raw.replace("-", "_")))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


def validate_form(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check every field of the settings form; return typed values or raise with all errors."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, limit in TEXT_LIMITS.items():
        text = str(data.get(key) or "").strip()
        if len(text) > limit:
            errors[key] = _("At most %(count)s characters.", count=limit)
        values[key] = text
    if not values["shop_name"]:
        errors["shop_name"] = _("Type the shop's name.")
    values.update(gst_values(data, errors))
    if values["email"] and "email" not in errors and not EMAIL_RE.fullmatch(values["email"]):
        errors["email"] = _("Type an email address like shop@example.com, or leave it empty.")
    currency = str(data.get("currency") or "").strip().upper()
    if currency not in list_currencies():
        errors["currency"] = _("Type a known three-letter currency code, e.g. INR or USD.")
    values["currency"] = currency
    locale = _locale(str(data.get("locale") or "").strip())
    if locale is None:
        errors["locale"] = _("Type a known locale, e.g. en_IN, hi_IN or en_US.")
    values["locale"] = locale
    prefix = str(data.get("invoice_prefix") or "").strip().upper()
    if not PREFIX_RE.fullmatch(prefix):
        errors["invoice_prefix"] = _(
            "1 to 10 characters: letters A–Z, digits or - (no /: the number goes in web "
            "addresses and file names)."
        )
    values["invoice_prefix"] = prefix
    month = str(data.get("fy_start_month") or "").strip()
    if not month.isdecimal() or not 1 <= int(month) <= 12:
        errors["fy_start_month"] = _("Choose a month from 1 (January) to 12 (December).")
    else:
        values["fy_start_month"] = int(month)
    width = str(data.get("receipt_width_mm") or "").strip()
    if not width.isdecimal() or int(width) not in RECEIPT_WIDTHS:
        errors["receipt_width_mm"] = _("Choose 58 mm or 80 mm.")
    else:
        values["receipt_width_mm"] = int(width)
    layout = str(data.get("invoice_layout") or "").strip()
    if layout not in INVOICE_LAYOUTS:
        errors["invoice_layout"] = _("Choose classic A4, compact A5 or the receipt.")
    else:
        values["invoice_layout"] = layout
    if "documents_language" in data:  # added later: a form without it leaves it be
        language = str(data.get("documents_language") or "").strip()
        if language not in DOCUMENT_LANGUAGES:
            errors["documents_language"] = _("Choose English, Hindi or both.")
        else:
            values["documents_language"] = language
    for key in PERCENT_FIELDS:
        if key != "discount_audit_percent" and key not in data:
            continue  # the cashier limits, added later: a form without them leaves them be
        threshold = str(data.get(key) or "").strip()
        if not re.fullmatch(r"[0-9]{1,3}", threshold) or int(threshold) > 100:
            errors[key] = _("A whole percentage from 0 to 100.")
        else:
            values[key] = int(threshold)
    try:
        values["allowed_hosts"] = ", ".join(hosts.parse_names(str(data.get("allowed_hosts") or "")))
    except ValidationError as exc:
        errors["allowed_hosts"] = exc.message
    for key in ("prices_include_tax", "split_tax", "round_off", "devanagari_digits"):
        values[key] = form_flag(data, key, errors)
    values.update(stock_values(data, errors))
    values.update(credit_values(data, errors))
    if errors:
        raise ValidationError(_("Some settings need fixing; nothing was saved."), fields=errors)
    return values


def save_changes(
    session: Session,
    values: Mapping[str, Any],
    action: str,
    user_id: int | None,
    *,
    entity: str = "settings",
) -> dict[str, tuple[str, str]]:
    """Save settings in one write transaction and audit only the keys that changed.

    The one audited way to change settings: every page and service that saves some calls it.
    """
    with write_transaction(session):
        changed = save_settings(session, **values)
        if changed:
            audit.record(
                session,
                action,
                user_id=user_id,
                entity=entity,
                before={k: old for k, (old, _) in changed.items()},
                after={k: new for k, (_, new) in changed.items()},
            )
    return changed


def save_groups(
    session: Session,
    groups: list[tuple[Mapping[str, Any], str]],
    user_id: int | None,
) -> None:
    """Save several pages' settings in one write transaction, each group audited (only the
    keys that changed) under its own page's action (the settings API's PUT)."""
    with write_transaction(session):
        for values, action in groups:
            changed = save_settings(session, **values)
            if changed:
                audit.record(
                    session,
                    action,
                    user_id=user_id,
                    entity="settings",
                    before={k: old for k, (old, _) in changed.items()},
                    after={k: new for k, (_, new) in changed.items()},
                )


def update_shop_settings(
    session: Session, data: Mapping[str, Any], user_id: int | None
) -> dict[str, tuple[str, str]]:
    """Validate the whole settings form and save it; nothing is written if any field is wrong."""
    return save_changes(session, validate_form(data), AUDIT_ACTION, user_id)


def form_values(settings: ShopSettings) -> dict[str, str]:
    """The form's values as the page shows them, from saved settings."""
    values = {key: str(getattr(settings, key)) for key in FORM_FIELDS if hasattr(settings, key)}
    values["low_stock_default"] = qty_str(settings.low_stock_default_milli, "pcs")
    values["new_customer_credit_limit"] = money_str(settings.new_customer_credit_limit)
    for key in BOOLEANS:
        values[key] = "1" if getattr(settings, key) else ""
    return values


def money_example(currency: str, locale: str) -> str:
    """Format the example amount 123456.50 the way the shop's money will look."""
    return format_money(EXAMPLE_MINOR, currency, locale)


def logo_path(data_dir: Path, name: str) -> Path | None:
    """Where the logo with content name `name` lives (`<data dir>/logos/<name>.png`).

    None for anything but a content name (16 hex digits), so a hand-edited setting or
    snapshot can never name another file.
    """
    if not LOGO_NAME.fullmatch(name or ""):
        return None
    return Path(data_dir) / LOGO_DIR / f"{name}.png"


def _content_name(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()[:16]


def _keep(data_dir: Path, png: bytes) -> str:
    """Store a logo by its content (never overwriting a file) and return its name."""
    name = _content_name(png)
    target = logo_path(data_dir, name)
    assert target is not None
    if target.exists():
        return name  # the same content is already kept
    target.parent.mkdir(parents=True, exist_ok=True)
    # A unique temporary name, then a rename: a half-written logo is never seen.
    tmp = target.with_name(f"{target.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(png)
    try:
        replace_with_retry(tmp, target)
    except FileInUse:
        # Another request kept the same content first and a reader holds it open (Windows):
        # the file there is already this logo.
        unlink_with_retry(tmp)
        if not target.exists():
            raise
    return name


def _legacy_logo(data_dir: Path, name: str) -> bytes | None:
    """The single `logo.png` of earlier versions, when it is the logo called `name`; it is
    then kept by content too, so later uploads never lose it."""
    try:
        content = (Path(data_dir) / LEGACY_LOGO_FILE).read_bytes()
    except FileNotFoundError:
        return None
    if _content_name(content) != name:
        return None
    # On failure it is still readable from logo.png, and kept at the next read or upload.
    with contextlib.suppress(OSError):
        _keep(data_dir, content)
    return content


def logo_data_uri(data_dir: Path, name: str) -> str | None:
    """The logo called `name` as a data: URI for receipts and PDFs, or None without one.

    Documents pass the name in their snapshot, pages showing today's logo the setting's.
    """
    path = logo_path(data_dir, name)
    if path is None:
        return None
    try:
        content: bytes | None = path.read_bytes()
    except FileNotFoundError:
        content = _legacy_logo(data_dir, name)
    if content is None:
        return None
    return "data:image/png;base64," + base64.b64encode(content).decode("ascii")


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, field="logo", code="bad_logo")


def _prepared_logo(content: bytes) -> Image.Image:
    """Open an upload by its content; only PNG and JPEG; shrink it into the logo box."""
    if not content:
        raise _refuse(_("Choose a PNG or JPEG file to upload."))
    if len(content) > LOGO_MAX_BYTES:
        raise _refuse(_("The logo file is larger than 2 MB; choose a smaller one."))
    try:
        with Image.open(io.BytesIO(content)) as probe:
            kind = probe.format
            if probe.width * probe.height > LOGO_MAX_PIXELS:
                raise _refuse(_("The image is too large in pixels for a logo."))
            probe.verify()
        if kind not in ("PNG", "JPEG"):
            raise _refuse(_("Only PNG and JPEG images can be a logo."))
        # verify() leaves the image unusable, so decode it again from the start.
        image: Image.Image = Image.open(io.BytesIO(content))
        image.load()
        image = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(_("That file is not a PNG or JPEG image.")) from None
    if image.mode in ("P", "PA", "LA", "RGBA") or "transparency" in image.info:
        image = image.convert("RGBA")
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    return image


def save_logo(
    session: Session, data_dir: Path, content: bytes, user_id: int | None
) -> tuple[int, int]:
    """Check, shrink and keep an uploaded logo as PNG by its content; return its size.

    Documents issued earlier keep their own logo file: nothing is overwritten or deleted.
    """
    image = _prepared_logo(content)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    png = buffer.getvalue()
    with write_transaction(session):
        before = load_settings(session).logo
        if before:
            _legacy_logo(data_dir, before)  # an earlier version's logo.png, kept by content
        digest = _keep(data_dir, png)
        save_settings(session, logo=digest)
        audit.record(
            session,
            AUDIT_ACTION,
            user_id=user_id,
            entity="settings",
            before={"logo": before},
            after={"logo": digest},
        )
    return image.size


def remove_logo(session: Session, data_dir: Path, user_id: int | None) -> bool:
    """Stop printing the logo on new documents; return whether there was one.

    The file stays: documents issued with it still print it.
    """
    with write_transaction(session):
        before = load_settings(session).logo
        if not before:
            return False
        _legacy_logo(data_dir, before)
        save_settings(session, logo="")
        audit.record(
            session,
            AUDIT_ACTION,
            user_id=user_id,
            entity="settings",
            before={"logo": before},
            after={"logo": ""},
        )
    return True
