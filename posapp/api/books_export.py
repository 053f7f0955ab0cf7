"""API: the books of a date range as a Tally XML import file (admins only)."""

from __future__ import annotations

from flask import Response, request, stream_with_context
from pydantic import BaseModel, Field

from posapp.api.base import bp, caller, requires
from posapp.apidoc import XML, Day, documented
from posapp.extensions import db
from posapp.services import tally
from posapp.services.settings import load_settings


class TallyQuery(BaseModel):
    from_: Day = Field(alias="from", description="First day, inclusive (YYYY-MM-DD).")
    to: Day = Field(description="Last day, inclusive; on or after `from`.")


@bp.get("/books/tally.xml")
@documented({200: XML}, query=TallyQuery)
@requires("admin")
def tally_xml() -> Response:
    """The journal of from..to as Tally XML: ledger masters, then one voucher per entry.

    Import it in Tally Prime (Import → Vouchers). Customers are ledgers under Sundry Debtors,
    suppliers under Sundry Creditors; a debit has ISDEEMEDPOSITIVE Yes and a negative AMOUNT.
    """
    start, end = tally.parse_range(request.args.get("from"), request.args.get("to"))
    company = load_settings(db.session).shop_name
    chunks, mimetype, name = tally.download(db.session, "xml", start, end, company, caller().id)
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
