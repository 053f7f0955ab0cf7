"""The customer display: pairing a screen by code, its page, and the till's live bill.

`/display/` needs no login: a screen that holds a live display token (an HttpOnly cookie,
path /display) sees the page; any other sees only the pairing form. The till's own calls
(`code`, `publish`) need the logged-in cashier. See services/displays.py (pairing) and
services/display_mirror.py (the state in memory, the long poll and its cap).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sansio.blueprints import BlueprintSetupState
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from posapp.documents.qr import qr_png
from posapp.errors import DomainError, Forbidden, NotFound
from posapp.extensions import db
from posapp.i18n import _
from posapp.maintenance.gate import gate
from posapp.models import DisplayDevice
from posapp.services import display_mirror, displays
from posapp.web import shop_settings
from posapp.web.auth import client_address

bp = Blueprint("display", __name__, url_prefix="/display")

COOKIE = "tillbook_display"
COOKIE_PATH = "/display"
COOKIE_AGE = timedelta(days=400)  # the longest a browser keeps a cookie
LOOPBACK = ("127.0.0.1", "::1")  # where the desktop window's requests come from
CODES_KEY = "tillbook_display_codes"
BOARD_KEY = "tillbook_display_board"


@bp.record_once
def _create_state(setup: BlueprintSetupState) -> None:
    app = setup.app
    app.extensions[CODES_KEY] = displays.PairingCodes()
    app.extensions[BOARD_KEY] = display_mirror.MirrorBoard(
        max_waiting=int(app.config.get("DISPLAY_MAX_WAITING", display_mirror.DEFAULT_MAX_WAITING))
    )


def board() -> display_mirror.MirrorBoard:
    """This app's live bills (one per till)."""
    return current_app.extensions[BOARD_KEY]


def pairing_codes() -> displays.PairingCodes:
    """This app's live pairing codes."""
    return current_app.extensions[CODES_KEY]


def _device() -> DisplayDevice | None:
    return displays.device_for_token(db.session, request.cookies.get(COOKIE, ""))


def _pair_page(
    status: int = 200,
    *,
    error: str = "",
    fields: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    response = make_response(
        render_template("display/pair.html", error=error, fields=fields or {}, values=values or {}),
        status,
    )
    if request.cookies.get(COOKIE):  # a revoked or unknown token: forget it
        response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


@bp.get("/")
def index() -> Response:
    """The customer's screen once paired; the pairing form before (or after a revoke)."""
    device = _device()
    if device is None:
        return _pair_page()
    settings = shop_settings()
    return make_response(render_template("display/show.html", device=device, settings=settings))


@bp.post("/pair")
def pair() -> Response:
    """Take the code shown at the till and a name for this screen; set the display cookie."""
    values = {"code": request.form.get("code", "")[:20], "name": request.form.get("name", "")[:80]}
    try:
        _device_row, token = displays.pair(
            db.session, pairing_codes(), values["code"], values["name"], client_address()
        )
    except DomainError as exc:
        fields = exc.details.get("fields", {}) if isinstance(exc.details, dict) else {}
        return _pair_page(exc.status, error=exc.message, fields=fields, values=values)
    return _set_token(redirect(url_for("display.index"), code=303), token)


def _not_paired() -> tuple[dict[str, Any], int]:
    return {
        "error": {
            "code": "not_paired",
            "message": _("This screen is not paired (or was revoked): pair it again."),
            "details": {},
        }
    }, 401


def _set_token(response: Response, token: str) -> Response:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(COOKIE_AGE.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response


@bp.get("/claim/<ticket>")
def claim(ticket: str) -> Response:
    """The desktop's second window pairs itself with the ticket in its address (once)."""
    paired = displays.pair_by_ticket(db.session, pairing_codes(), ticket)
    if paired is None:
        return _pair_page(
            404,
            error=_("This window's pairing has expired or was used: type a code from the till."),
        )
    return _set_token(redirect(url_for("display.index"), code=303), paired[1])


@bp.post("/desktop")
@login_required
def desktop() -> dict[str, Any]:
    """A one-time address for the desktop app's customer display window (this computer only)."""
    if request.remote_addr not in LOOPBACK:
        raise Forbidden(_("The second window opens only on the computer TillBook runs on."))
    ticket = pairing_codes().issue_ticket(current_user.id)
    return {"url": url_for("display.claim", ticket=ticket)}


def _version_arg() -> int:
    """The version the display has: -1 (answer at once) when missing or unreadable."""
    raw = request.args.get("after", "")
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 18:
        return -1
    return int(raw)


@bp.get("/state")
def state() -> tuple[dict[str, Any], int] | Response:
    """The paired till's bill: at once when the display's version is old, else the next one
    (up to 25 s). `wait=0` never waits (the page's fallback while the server is busy)."""
    device = _device()
    if device is None:
        return _not_paired()
    till = device.user_id
    # The wait holds no database connection: the till's sales need them more.
    db.session.remove()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    timeout = 0.0 if request.args.get("wait") == "0" else display_mirror.MAX_WAIT_SECONDS
    published = board().wait(till, _version_arg(), timeout, stop=lambda: gate(app).is_closed)
    if timeout and _device() is None:  # revoked while it waited: not one more bill
        return _not_paired()
    answer = published.answer()
    upi = published.state.get("upi") or {}
    answer["qr_url"] = url_for("display.qr", v=published.version) if upi.get("link") else None
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"  # every answer is news; never cache one
    return response


@bp.get("/qr.png")
def qr() -> Response:
    """The QR of the UPI link the paired till publishes now (404 when there is none)."""
    device = _device()
    if device is None:
        raise NotFound(_("This screen is not paired."))
    upi = board().latest(device.user_id).state.get("upi") or {}
    link = upi.get("link")
    if not link:
        raise NotFound(_("The till shows no UPI payment now."))
    response = Response(qr_png(link, box_size=10), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/code")
@login_required
def code() -> dict[str, Any]:
    """A fresh one-time pairing code for this cashier's till (5 minutes)."""
    issued = pairing_codes().issue(current_user.id)
    lan_url = current_app.config.get("LAN_URL")
    base = lan_url.rstrip("/") if lan_url else request.host_url.rstrip("/")
    return {
        "code": issued.code,
        "expires_in": int(displays.CODE_LIFETIME.total_seconds()),
        "url": base + url_for("display.index"),
        "shared": bool(lan_url),
    }


@bp.post("/publish")
@login_required
def publish() -> dict[str, Any]:
    """The till's bill as its displays show it (CSRF header required)."""
    parsed = display_mirror.parse_state(request.get_json(silent=True))
    return {"version": board().publish(current_user.id, parsed)}
