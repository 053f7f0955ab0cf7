"""The category list for admins: product counts, add, rename, delete when unused."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.extensions import db
from posapp.i18n import _
from posapp.services import categories
from posapp.web import admin_required
from posapp.web.forms import field_errors, or_reshow

bp = Blueprint("categories", __name__, url_prefix="/products/categories")


def _page(
    status: int = 200,
    *,
    error: str | None = None,
    add_values: dict[str, str] | None = None,
    add_fields: dict[str, str] | None = None,
    editing: int | None = None,
    edit_value: str = "",
    edit_error: str | None = None,
) -> tuple[str, int]:
    return render_template(
        "products/categories.html",
        rows=categories.list_categories(db.session),
        error=error,
        add_values=add_values or {},
        add_fields=add_fields or {},
        editing=editing,
        edit_value=edit_value,
        edit_error=edit_error,
    ), status


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """List categories with their product counts."""
    return _page()


@bp.post("/")
@admin_required
def create() -> Response:
    """Add a category."""
    category = or_reshow(
        lambda: categories.create_category(db.session, request.form, current_user.id),
        lambda exc: _page(
            exc.status,
            error=exc.message,
            add_values={"name": request.form.get("name", "")},
            add_fields=field_errors(exc) or {"name": exc.message},
        ),
    )
    flash(_("Added the category %(name)s.", name=category.name), "success")
    return redirect(url_for("categories.index"))


@bp.post("/<int:category_id>/rename")
@admin_required
def rename(category_id: int) -> Response:
    """Rename a category; its products follow."""
    category = or_reshow(
        lambda: categories.rename_category(db.session, category_id, request.form, current_user.id),
        lambda exc: _page(
            exc.status,
            error=exc.message,
            editing=category_id,
            edit_value=request.form.get("name", ""),
            edit_error=field_errors(exc).get("name", exc.message),
        ),
        reraise={404},
    )
    flash(_("Renamed to %(name)s.", name=category.name), "success")
    return redirect(url_for("categories.index"))


@bp.post("/<int:category_id>/delete")
@admin_required
def delete(category_id: int) -> Response:
    """Delete a category no product uses."""
    name = or_reshow(
        lambda: categories.delete_category(db.session, category_id, current_user.id),
        lambda exc: _page(exc.status, error=exc.message),
        reraise={404},
    )
    flash(_("Deleted the category %(name)s.", name=name), "info")
    return redirect(url_for("categories.index"))
