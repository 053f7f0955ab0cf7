"""The admin's Scale labels page: how the shop's weighing scales lay out their EAN-13 labels."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.extensions import db
from posapp.i18n import _
from posapp.services import scale_labels
from posapp.services.settings import load_settings
from posapp.web import admin_required
from posapp.web.forms import field_errors, or_reshow

bp = Blueprint("scale_settings", __name__, url_prefix="/settings/scale")


def _page(
    status: int = 200,
    *,
    error: str | None = None,
    fields: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> tuple[str, int]:
    # The worked example always shows the saved layout: a refused form changed nothing.
    settings = load_settings(db.session)
    layout = scale_labels.layout_of(settings)
    code, parts = scale_labels.worked_example(layout, settings.currency, settings.locale)
    return render_template(
        "settings/scale.html",
        values=values if values is not None else scale_labels.form_values(settings),
        fields=fields or {},
        error=error,
        layout=layout,
        example=code,
        parts=parts,
        value_options=list(scale_labels.VALUES.items()),
        digit_options=[(str(d), _("%(num)s digits", num=d)) for d in scale_labels.ITEM_DIGITS],
    ), status


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """Show the scale label layout with a worked example."""
    return _page()


@bp.post("/")
@admin_required
def save() -> Response:
    """Save the layout (checked whole; nothing is written when a field is wrong)."""
    changed = or_reshow(
        lambda: scale_labels.update_settings(db.session, request.form, current_user.id),
        lambda exc: _page(
            exc.status, error=exc.message, fields=field_errors(exc), values=request.form.to_dict()
        ),
    )
    flash(_("Scale label settings saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("scale_settings.index"))
