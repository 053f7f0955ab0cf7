"""The customer page's "Due at all shops" (issue 24): JSON for static/js/hq_due.js.

The shop asks HQ (services/hq_customers.py) only when the page's script asks here, so the
customer's page itself never waits for HQ; the shop's own due is on the page already.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required

from posapp.documents.filters import localtime
from posapp.errors import NotFound
from posapp.extensions import db
from posapp.i18n import _
from posapp.models import Customer
from posapp.services import hq_customers
from posapp.services.settings import load_hq
from posapp.web import money_text, shop_settings

bp = Blueprint("hq_due", __name__, url_prefix="/customers")


@bp.app_context_processor
def due_lookup() -> dict[str, Any]:
    """`hq_due_shown()` for the customer page: only an enrolled shop asks HQ."""
    return {"hq_due_shown": lambda: load_hq(db.session).enrolled}


@bp.get("/<int:customer_id>/hq-due")
@login_required
def due(customer_id: int) -> dict[str, Any]:
    """{"state", "text"}: the customer's due at all shops in words, or why there is none."""
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("No such customer."))
    found = hq_customers.due_at_all_shops(db.session, customer.phone_digits)
    if found.state == "shown":
        text = _(
            "Due at all shops: %(amount)s (HQ, %(time)s)",
            amount=money_text(found.due),
            time=localtime(found.at, shop_settings().locale, day=False),
        )
        shops = [{"name": name, "due": money_text(amount)} for name, amount in found.shops]
        return {"state": "shown", "text": text, "shops": shops}
    if found.state == "unreachable":
        return {"state": "unreachable", "text": _("HQ not reachable"), "shops": []}
    return {"state": "off", "text": "", "shops": []}
