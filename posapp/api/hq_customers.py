"""HQ mode's API for shared customers: a shop asks one phone number's due at every shop.

`GET /hq/api/v1/customers/due?phone=<digits>` with the shop's bearer credential (as a push).
Answers only while the owner shares customers across shops (403 `customers_not_shared`
otherwise): what a customer owes elsewhere is the owner's to share, not a shop's to ask.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, request
from flask.typing import ResponseReturnValue

from posapp.api.errors import api_error_response
from posapp.errors import AuthError, DomainError, Forbidden
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import hq, hq_reports

bp = Blueprint("hq_customers_api", __name__, url_prefix="/hq/api/v1/customers")


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> ResponseReturnValue:
    """Answer a refused request in the API's envelope."""
    db.session.rollback()
    return api_error_response(exc.code, exc.message, exc.status, exc.details)


@bp.before_request
def shop_credential() -> None:
    """Only an enrolled shop may ask (its bearer credential), never a browser's session."""
    scheme, _space, credential = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise AuthError(
            _("Send the shop's credential: 'Authorization: Bearer <credential>'."),
            code="hq_credential_invalid",
        )
    hq.shop_by_credential(db.session, credential.strip())


@bp.get("/due")
def due() -> dict[str, Any]:
    """One phone number's total due at every shop, and each shop's part (paise)."""
    if not hq_reports.customers_shared(db.session):
        raise Forbidden(
            _("The owner does not share customers across shops."), code="customers_not_shared"
        )
    return hq_reports.customer_due(db.session, request.args.get("phone", ""))


def register(app: Flask) -> None:
    """Add the lookup to an app in HQ mode (no CSRF: shops authenticate by credential)."""
    from posapp.extensions import csrf

    app.register_blueprint(bp)
    csrf.exempt(bp)
