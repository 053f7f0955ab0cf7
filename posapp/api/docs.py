"""API: the OpenAPI document and the readable API page generated from it."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, render_template
from markupsafe import Markup, escape

from posapp.api.base import bp
from posapp.api.openapi import build_spec, property_rows, type_parts
from posapp.apidoc import HTML, JSON_DOC, documented


def spec() -> dict[str, Any]:
    """Return the app's OpenAPI document, built once per app (routes do not change)."""
    cached = current_app.extensions.get("tillbook_openapi")
    if cached is None:
        cached = current_app.extensions["tillbook_openapi"] = build_spec(current_app)
    found: dict[str, Any] = cached
    return found


def _inline(text: str) -> Markup:
    """Escape a line of the description and set its `code` spans."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))  # noqa: S704


def intro_html(description: str) -> Markup:
    """Render the spec's description (paragraphs and `* ` bullets) as escaped HTML."""
    blocks = []
    for block in description.strip().split("\n\n"):
        items = re.split(r"\n?^\* ", block, flags=re.MULTILINE)
        if block.startswith("* "):
            lis = "".join(f"<li>{_inline(' '.join(i.split()))}</li>" for i in items if i.strip())
            blocks.append(f'<ul class="mb-0">{lis}</ul>')
        else:
            blocks.append(f"<p>{_inline(' '.join(block.split()))}</p>")
    return Markup("".join(blocks))  # noqa: S704  (every piece was escaped above)


@bp.get("/openapi.json")
@documented({200: JSON_DOC})
def openapi_json() -> dict[str, Any]:
    """Return this API's OpenAPI 3.1 document."""
    return spec()


@bp.get("/docs")
@documented({200: HTML})
def docs_page() -> str:
    """Show the API reference as a page, generated from the OpenAPI document."""
    return render_template(
        "api/docs.html",
        spec=spec(),
        intro=intro_html(spec()["info"]["description"]),
        type_parts=type_parts,
        property_rows=property_rows,
    )
