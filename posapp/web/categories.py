"""The category list for admins: product counts, add, rename, delete when unused."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from posapp.errors import DomainError
from posapp.extensions import db
from posapp.services import categories
from posapp.web import admin_required

bp = Blueprint("categories", __name__)


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
def create() -> Response | tuple[str, int]:
    """Add a category."""
    try:
        category = categories.create_category(db.session, request.form, current_user.id)
    except DomainError as exc:
        return _page(
            exc.status,
            error=exc.message,
            add_values={"name": request.form.get("name", "")},
            add_fields=exc.details.get("fields", {"name": exc.message}),
        )
    flash(f"Added the category {category.name}.", "success")
    return redirect(url_for("categories.index"))


@bp.post("/<int:category_id>/rename")
@admin_required
def rename(category_id: int) -> Response | tuple[str, int]:
    """Rename a category; its products follow."""
    try:
        category = categories.rename_category(
            db.session, category_id, request.form, current_user.id
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _page(
            exc.status,
            error=exc.message,
            editing=category_id,
            edit_value=request.form.get("name", ""),
            edit_error=exc.details.get("fields", {}).get("name", exc.message),
        )
    flash(f"Renamed to {category.name}.", "success")
    return redirect(url_for("categories.index"))


@bp.post("/<int:category_id>/delete")
@admin_required
def delete(category_id: int) -> Response | tuple[str, int]:
    """Delete a category no product uses."""
    try:
        name = categories.delete_category(db.session, category_id, current_user.id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _page(exc.status, error=exc.message)
    flash(f"Deleted the category {name}.", "info")
    return redirect(url_for("categories.index"))
