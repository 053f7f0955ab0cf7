"""Admin -> HQ at the shop: enrol this shop at its owner's HQ, see the sync, sync now."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from posapp import start_hq_push
from posapp.errors import DomainError
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import hq_apply, hq_client
from posapp.web import admin_required
from posapp.web.forms import field_errors, or_reshow

bp = Blueprint("hq_link", __name__, url_prefix="/hq-link")
log = logging.getLogger(__name__)


def _page(
    status: int = 200,
    *,
    error: str | None = None,
    fields: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> tuple[str, int]:
    state = hq_client.status(db.session)
    last_sync, last_attempt = state.link.last_sync, state.link.last_attempt
    return render_template(
        "hq_link/index.html",
        state=state,
        pull=hq_apply.state(db.session),
        last_sync=datetime.fromisoformat(last_sync) if last_sync else None,
        last_attempt=datetime.fromisoformat(last_attempt) if last_attempt else None,
        last_error=hq_client.error_text(state.link.last_error),
        values=values or {},
        fields=fields or {},
        error=error,
    ), status


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """The shop's link to HQ: the enrolment form, or the sync's state."""
    return _page()


@bp.post("/enrol")
@admin_required
def enrol() -> Response:
    """Enrol with HQ's address and the one-time code (or the QR's text)."""
    done = or_reshow(
        lambda: hq_client.enrol(
            db.session,
            request.form.get("url", ""),
            request.form.get("code", ""),
            current_user.id,
            current_app.config["VERSION"],
        ),
        lambda exc: _page(
            exc.status if exc.status < 500 else 422,
            error=exc.message,
            fields=field_errors(exc),
            values={"url": request.form.get("url", "")},  # the code is not shown back
        ),
    )
    pusher = current_app.extensions.get("hq_pusher")
    if pusher is not None:
        pusher.wake()
    elif not current_app.config["TESTING"] and current_app.config.get("HQ_PUSH_THREAD", True):
        start_hq_push(current_app._get_current_object())  # type: ignore[attr-defined]
    flash(
        _("This shop is enrolled at %(name)s. Its records are being sent.", name=done.hq_name)
        if done.hq_name
        else _("This shop is enrolled at HQ. Its records are being sent."),
        "success",
    )
    return redirect(url_for("hq_link.index"))


@bp.post("/sync")
@admin_required
def sync_now() -> Response:
    """Push everything waiting now, never holding the page while HQ is slow to answer.

    With the push loop running, it is woken and the page answers at once. Without it (the
    loop is off, or not started yet), the push runs on a thread the page waits for a few
    seconds at most (HQ_SYNC_WAIT_SECONDS); a slower HQ finishes in the background and the
    page shows the outcome on the next visit.
    """
    if not hq_client.status(db.session).link.enrolled:
        flash(_("This shop is not enrolled at an HQ."), "warning")
        return redirect(url_for("hq_link.index"))
    pusher = current_app.extensions.get("hq_pusher")
    if pusher is not None:
        pusher.wake()  # also after a 401 stopped it: an admin asks to try again
        flash(_("Sync started: the changes waiting are being sent to HQ."), "info")
        return redirect(url_for("hq_link.index"))
    db.session.remove()  # the push thread writes the outcome; this request holds nothing open
    outcome = _push_for_at_most(current_app.config.get("HQ_SYNC_WAIT_SECONDS", SYNC_WAIT))
    if outcome is None:
        flash(
            _(
                "HQ is slow to answer: the sync goes on in the background. This page shows "
                "how it went when you open it again."
            ),
            "info",
        )
    elif isinstance(outcome, hq_client.HqRefused):
        flash(str(hq_client.CREDENTIAL_REFUSED), "danger")
    elif isinstance(outcome, hq_client.HqUnavailable | DomainError):
        flash(_("Not synced: %(reason)s", reason=outcome.message), "warning")
    else:
        flash(_("Synced: HQ holds everything up to number %(seq)s.", seq=outcome.acked), "success")
    return redirect(url_for("hq_link.index"))


SYNC_WAIT = 5.0  # seconds "Sync now" waits for HQ before answering (the push goes on)
Outcome = hq_client.PushResult | hq_client.HqRefused | hq_client.HqUnavailable | DomainError


def _push_for_at_most(seconds: float) -> Outcome | None:
    """Push on a thread of its own; its outcome, or None if it is still running after
    `seconds` (it then ends by itself, storing its result or error for the page)."""
    engine = db.engine
    found: list[Outcome] = []

    def run() -> None:
        session = Session(engine, expire_on_commit=False)
        try:
            found.append(hq_client.push(session))
        except (hq_client.HqRefused, hq_client.HqUnavailable, DomainError) as exc:
            found.append(exc)
        except Exception:  # the log has the details; the page says it failed
            log.exception("Sync now failed")
            found.append(DomainError(_("The sync failed; TillBook's log has the details.")))
        finally:
            session.close()

    worker = threading.Thread(target=run, name="hq-sync-now", daemon=True)
    current_app.extensions["hq_sync_now"] = worker  # tests join it
    worker.start()
    worker.join(seconds)
    return found[0] if found else None
