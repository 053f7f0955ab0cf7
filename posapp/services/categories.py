"""The managed category list: counts of products, add, rename (unique, any case), delete unused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from posapp.errors import Conflict, NotFound, ValidationError
from posapp.i18n import _, ngettext
from posapp.models import Category, Product
from posapp.models.base import write_transaction
from posapp.services import audit

NAME_LIMIT = 80


@dataclass(frozen=True)
class CategoryRow:
    """A category with how many products (active and archived) use it."""

    id: int
    name: str
    active: int
    archived: int

    @property
    def used(self) -> bool:
        """True while any product, even an archived one, is in the category."""
        return self.active + self.archived > 0


def list_categories(session: Session) -> list[CategoryRow]:
    """Return every category, by name, with its active and archived product counts."""
    # SUM(CASE ...) rather than COUNT(...) FILTER (...), which MariaDB does not have.
    active = func.coalesce(func.sum(case((Product.archived.is_(False), 1), else_=0)), 0)
    archived = func.coalesce(func.sum(case((Product.archived.is_(True), 1), else_=0)), 0)
    rows = session.execute(
        select(Category.id, Category.name, active, archived)
        .outerjoin(Product, Product.category_id == Category.id)
        .group_by(Category.id, Category.name)
        .order_by(func.lower(Category.name))
    )
    return [CategoryRow(cid, name, int(a), int(b)) for cid, name, a, b in rows]


def _name(data: Mapping[str, Any]) -> str:
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        raise ValidationError(_("Enter a category name."), field="name")
    if len(name) > NAME_LIMIT:
        raise ValidationError(_("At most %(limit)s characters.", limit=NAME_LIMIT), field="name")
    return name


def _check_free(session: Session, name: str, category_id: int | None) -> None:
    clash = session.scalar(select(Category).where(func.lower(Category.name) == func.lower(name)))
    if clash is not None and clash.id != category_id:
        raise Conflict(
            _("There is already a category named %(name)s.", name=repr(clash.name)),
            code="duplicate",
            details={"fields": {"name": _("This name is taken (letter case does not count).")}},
        )


def create_category(session: Session, data: Mapping[str, Any], user_id: int | None) -> Category:
    """Add a category; its name must be new, whatever the letter case."""
    name = _name(data)
    with write_transaction(session):
        _check_free(session, name, None)
        category = Category(name=name)
        session.add(category)
        session.flush()
        audit.record(
            session,
            "category.create",
            user_id=user_id,
            entity="category",
            entity_id=category.id,
            after={"name": name},
        )
    return category


def rename_category(
    session: Session, category_id: int, data: Mapping[str, Any], user_id: int | None
) -> Category:
    """Rename a category (its products follow); the new name must be free, any letter case."""
    name = _name(data)
    with write_transaction(session):
        category = session.get(Category, category_id)
        if category is None:
            raise NotFound(_("No such category."))
        _check_free(session, name, category.id)
        before = category.name
        if before != name:
            category.name = name
            audit.record(
                session,
                "category.rename",
                user_id=user_id,
                entity="category",
                entity_id=category.id,
                before={"name": before},
                after={"name": name},
            )
    return category


def delete_category(session: Session, category_id: int, user_id: int | None) -> str:
    """Delete a category no product uses (archived ones included); return its name."""
    with write_transaction(session):
        category = session.get(Category, category_id)
        if category is None:
            raise NotFound(_("No such category."))
        used = int(
            session.scalar(
                select(func.count()).select_from(Product).where(Product.category_id == category_id)
            )
            or 0
        )
        if used:
            raise Conflict(
                ngettext(
                    "%(name)s still has %(num)s product (archived ones count too). Move them "
                    "to another category first.",
                    "%(name)s still has %(num)s products (archived ones count too). Move them "
                    "to another category first.",
                    used,
                    name=category.name,
                ),
                code="in_use",
            )
        name = category.name
        session.delete(category)
        audit.record(
            session,
            "category.delete",
            user_id=user_id,
            entity="category",
            entity_id=category_id,
            before={"name": name},
        )
    return name
