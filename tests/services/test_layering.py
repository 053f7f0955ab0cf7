"""The layers import one way, and views never write (docs/ARCHITECTURE.md).

`money/errors -> models -> services -> documents/web/api -> create_app -> cli -> app.py`:
a service or model that imported a view, the API, a document, maintenance or the factory
would tie the Flask-free core to the web app. A view that opened a write transaction or wrote
an audit entry itself would keep a rule (what is audited, in which transaction) out of the
services, where the CLI, the API and the tests use it too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "posapp"
# Modules above services and models: importing one from below inverts the layers.
ABOVE = ("posapp.web", "posapp.api", "posapp.documents", "posapp.maintenance", "posapp.cli")
# What only a service may call: the write transaction and the audit log's writer.
WRITES = ("write_transaction(", "audit.record(")


def _modules(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (PACKAGE / folder).rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """Every import in a module as (module, names imported from it), nested ones included."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _upward(module: str, names: list[str]) -> bool:
    if module == "posapp":
        # `from posapp import create_app` (the factory) or `from posapp import web`.
        return any(name == "create_app" or f"posapp.{name}" in ABOVE for name in names) or not names
    return any(module == above or module.startswith(above + ".") for above in ABOVE)


@pytest.mark.parametrize("path", _modules("services", "models"), ids=lambda p: p.name)
def test_services_and_models_import_nothing_above_them(path: Path) -> None:
    wrong = [module for module, names in _imports(path) if _upward(module, names)]
    assert wrong == [], f"{path.relative_to(PACKAGE.parent)} imports {wrong}"


@pytest.mark.parametrize("path", _modules("web", "api"), ids=lambda p: p.name)
def test_views_never_write(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [call for call in WRITES if call in text]
    assert found == [], f"{path.relative_to(PACKAGE.parent)} calls {found}: move it to a service"


@pytest.mark.parametrize("path", _modules("maintenance"), ids=lambda p: p.name)
def test_maintenance_never_imports_the_factory(path: Path) -> None:
    """create_app hands itself over (maintenance.database.set_app_builder) instead."""
    wrong = [
        module
        for module, names in _imports(path)
        if (module == "posapp" and ("create_app" in names or not names))
        or module.startswith(("posapp.cli", "posapp.web", "posapp.desktop"))
    ]
    assert wrong == [], f"{path.relative_to(PACKAGE.parent)} imports {wrong}"


def test_only_the_settings_store_touches_the_settings_table() -> None:
    """services/settings.py is the one place that knows the table (ORM and raw SQL alike)."""
    store = PACKAGE / "services" / "settings.py"
    touching = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == store or "migrations" in path.parts or "models" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        imported = any(
            "Setting" in names for module, names in _imports(path) if module == "posapp.models"
        )
        if imported or any(sql in text for sql in ("FROM settings", "INTO settings")):
            touching.append(str(path.relative_to(PACKAGE.parent)))
    assert touching == [], f"{touching} touch the settings table: go through services/settings"


def test_the_checks_see_an_upward_import_and_a_write() -> None:
    """The checks above would pass on an empty list: make sure they catch what they should."""
    assert _upward("posapp", ["create_app"])
    assert _upward("posapp.web.backups", [])
    assert _upward("posapp.maintenance.jobs", ["backup_now"])
    assert not _upward("posapp.services.settings", ["load_settings"])
    assert not _upward("posapp", ["models"])
    assert len(_modules("services")) > 20 and len(_modules("web", "api")) > 20
