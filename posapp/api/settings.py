"""API: the shop settings (docs/API.md "Settings").

`GET /api/settings` answers every key to an admin and the till's keys (`schemas.TILL_SETTINGS`)
to a cashier. `PUT /api/settings` (admins) changes only the keys sent, by the settings' own
names: the body is laid over the saved settings page form and goes through the page's own
validation (`shop_settings.validate_form`) and audited save (`shop_settings.save_changes`), so
the API can store nothing the page would refuse. Keys outside `schemas.WRITABLE_SETTINGS` are
refused, never ignored: a script must not believe it changed something it did not.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from posapp.api import schemas as s
from posapp.api.base import bp, caller, json_body, requires
from posapp.apidoc import documented
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.money import money_str, qty_str
from posapp.services import limits, scale_labels, shop_settings, upi
from posapp.services.settings import ShopSettings, load_settings

# Every name a setting has in the API, to tell a misspelt key from one set on its own page.
KNOWN_SETTINGS = frozenset(s.SETTING_API_NAMES.get(f.name, f.name) for f in fields(ShopSettings))
FLAGS = frozenset((*shop_settings.BOOLEANS, "scale_price_check", "upi_qr_on_documents"))
# The scale labels page's keys: checked by that page's rules, audited as `settings.scale`.
SCALE_KEYS = frozenset(scale_labels.FORM_FIELDS)
# The UPI page's keys: checked by that page's rules, audited as `settings.upi`.
UPI_KEYS = frozenset(upi.SETTING_KEYS)


def settings_json(settings: ShopSettings, *, admin: bool) -> dict[str, Any]:
    """Serialise the settings: all of them for an admin, the till's subset for a cashier."""
    body: dict[str, Any] = {}
    for item in fields(ShopSettings):
        name = s.SETTING_API_NAMES.get(item.name, item.name)
        if not admin and name not in s.TILL_SETTINGS:
            continue
        value = getattr(settings, item.name)
        # A quantity like every other in the API: "5" whole, "2.500" with thousandths.
        if name == "low_stock_default":
            value = qty_str(value, "pcs")
        elif name == "new_customer_credit_limit":
            value = money_str(value)  # money as everywhere in the API: "2000.00"
        elif name == "upi_ids":
            value = upi.api_value(settings)
        body[name] = value
    return body


def parse_update(
    body: dict[str, Any], current: ShopSettings
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Typed values to save: (the settings page's, the scale labels page's, the UPI page's),
    each page's saved form with `body` laid over it.

    Refuses (422, every key at once) keys the API may not set, values of the wrong kind (a
    list or an object is not text; only true/false or the page's words are a switch) and
    whatever the pages themselves would refuse.
    """
    errors: dict[str, str] = {}
    form: dict[str, Any] = dict(shop_settings.form_values(current))
    scale_form: dict[str, Any] = dict(scale_labels.form_values(current))
    upi_form: dict[str, Any] = dict(upi.form_values(current))
    for key, value in body.items():
        target = scale_form if key in SCALE_KEYS else upi_form if key in UPI_KEYS else form
        if key == "upi_ids" and value is not None:
            upi.form_from_api(value, upi_form, errors)
        elif key not in s.WRITABLE_SETTINGS:
            errors[key] = (
                _("This setting is changed on its own page in the app, not through the API.")
                if key in KNOWN_SETTINGS
                else _("There is no such setting.")
            )
        elif value is None:
            continue  # null leaves the setting as it is, as in the other partial updates
        elif key in FLAGS:
            target[key] = value  # the page's check (parse_flag) refuses numbers and other words
        else:
            try:
                target[key] = limits.text_value(value, key)
            except ValidationError as exc:
                errors[key] = exc.message
    new_gstin = body.get("tax_number")
    if isinstance(new_gstin, str) and new_gstin.strip() and body.get("state_code") is None:
        # A new GSTIN sent without a state brings its own state (the page defaults the same).
        form["state_code"] = ""
    values: dict[str, Any] = {}
    scale_values: dict[str, Any] = {}
    upi_values: dict[str, Any] = {}
    try:
        values = shop_settings.validate_form(form)
    except ValidationError as exc:
        errors = {**exc.fields, **errors}
    if SCALE_KEYS & body.keys():
        try:
            scale_values = scale_labels.validate_form(scale_form)
        except ValidationError as exc:
            errors = {**exc.fields, **errors}
    if UPI_KEYS & body.keys():
        try:
            upi_values = upi.validate_form(upi_form)
        except ValidationError as exc:
            errors = {**_api_upi_fields(exc.fields), **errors}
    if errors:
        raise ValidationError(_("Some settings need fixing; nothing was saved."), fields=errors)
    return values, scale_values, upi_values


def _api_upi_fields(fields_: dict[str, str]) -> dict[str, str]:
    # The page names a row's fields upi_vpa_N / upi_label_N; the API's list is upi_ids.N.
    named: dict[str, str] = {}
    for key, message in fields_.items():
        for prefix, part in (("upi_vpa_", "vpa"), ("upi_label_", "label")):
            if key.startswith(prefix):
                key = f"upi_ids.{key.removeprefix(prefix)}.{part}"
        named[key] = message
    return named


@bp.get("/settings")
@documented({200: s.Settings})
@requires()
def get_settings() -> dict[str, Any]:
    """The shop settings: every key for an admin, what a till needs for a cashier."""
    return settings_json(load_settings(db.session), admin=caller().is_admin)


@bp.put("/settings")
@documented({200: s.Settings}, body=s.SettingsUpdate)
@requires("admin")
def update_settings() -> dict[str, Any]:
    """Change only the settings sent (checked as the settings page checks them, audited)."""
    values, scale_values, upi_values = parse_update(json_body(), load_settings(db.session))
    shop_settings.save_groups(
        db.session,
        [
            (values, shop_settings.AUDIT_ACTION),
            (scale_values, scale_labels.AUDIT_ACTION),
            (upi_values, upi.AUDIT_ACTION),
        ],
        caller().id,
    )
    return settings_json(load_settings(db.session), admin=True)
