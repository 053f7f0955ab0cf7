"""Generate the reference files kept in docs/: the OpenAPI document, a Postman collection and
the database schema as SQL for SQLite and PostgreSQL.

`python app.py export-docs` writes them; tests/services/test_docgen.py regenerates them and fails
when the committed copies differ, so they cannot drift from the code.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import Engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

POSTMAN_SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
# Made by the catalog migration on SQLite only (raw SQL, not models): the full-text search
# tables and the shadow tables SQLite keeps for them.
FTS_TABLES = ("products_fts", "products_trgm")
FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")
# SQLite cannot reflect this expression index, so the comparison skips it (the model has it).
UNREFLECTABLE_INDEXES = {"uq_products_active_name"}


def _is_fts(name: str) -> bool:
    return any(name == t or name.startswith(t + "_") for t in FTS_TABLES)


def build_docs_app() -> tuple[Flask, tempfile.TemporaryDirectory[str]]:
    """Create the app on a throwaway data dir (migrated to head); never the shop's database."""
    from posapp import create_app

    tmp = tempfile.TemporaryDirectory(prefix="tillbook-docs-")
    app = create_app({"DATA_DIR": tmp.name, "LOG_TO_FILE": False, "AUTO_BACKUP": False})
    return app, tmp


# ---------------------------------------------------------------- schema.sql


def model_migration_diff(engine: Engine, metadata: Any) -> list[Any]:
    """Return the differences between the models and a database migrated to head."""
    with engine.connect() as connection, warnings.catch_warnings():
        # (the expression index is skipped on purpose, see UNREFLECTABLE_INDEXES)
        warnings.filterwarnings("ignore", message=".*expression-based")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            change
            for change in compare_metadata(context, metadata)
            if not (
                isinstance(change, tuple)
                and change[0] in ("add_index", "remove_index")
                and change[1].name in UNREFLECTABLE_INDEXES
            )
            and not (
                isinstance(change, tuple)
                and change[0] == "remove_table"
                and _is_fts(change[1].name)
            )
        ]


CONSTRAINT_STARTS = ("PRIMARY KEY", "FOREIGN KEY", "UNIQUE", "CONSTRAINT", "CHECK")


def _stable_constraints(sql: str) -> str:
    """Sort the table constraints closing a CREATE TABLE: their order means nothing, and the
    batch migrations recreate tables from a set, so it changes from run to run."""
    lines = sql.split("\n")
    if len(lines) < 3 or not lines[0].startswith("CREATE TABLE") or lines[-1].strip() != ")":
        return sql
    body = lines[1:-1]
    start = len(body)
    while start > 0 and body[start - 1].strip().startswith(CONSTRAINT_STARTS):
        start -= 1
    if len(body) - start < 2:
        return sql
    tail = sorted(line.rstrip().rstrip(",") for line in body[start:])
    tail = [line + "," for line in tail[:-1]] + tail[-1:]
    return "\n".join([lines[0], *body[:start], *tail, lines[-1]])


def _sqlite_schema(engine: Engine) -> list[str]:
    """Read back what the migrations created in SQLite, statement by statement."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                "AND name NOT LIKE 'sqlite_%'"
            )
        ).all()
    order = {"table": 0, "index": 1, "trigger": 2, "view": 3}
    statements = []
    for kind, name, _table, sql in sorted(rows, key=lambda r: (r[2], order.get(r[0], 9), r[1])):
        if kind == "table" and _is_fts(name) and name not in FTS_TABLES:
            continue  # shadow tables: SQLite makes them with the virtual table
        statements.append(_stable_constraints(sql.strip()) + ";")
    return statements


def _postgresql_schema(metadata: Any) -> list[str]:
    dialect = postgresql.dialect()
    statements = []
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip() + ";")
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            statements.append(str(CreateIndex(index).compile(dialect=dialect)).strip() + ";")
    return statements


def schema_sql(app: Flask) -> str:
    """Render the schema for SQLite (read from a migrated database) and PostgreSQL (the models,
    checked equal to the migrations first)."""
    from posapp.extensions import db

    with app.app_context():
        diff = model_migration_diff(db.engine, db.metadata)
        if diff:
            raise RuntimeError(f"models and migrations differ; add a migration first: {diff}")
        with db.engine.connect() as connection:
            head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        sqlite = _sqlite_schema(db.engine)
        pg = _postgresql_schema(db.metadata)
    header = [
        "-- TillBook database schema, generated by `python app.py export-docs`: do not edit.",
        f"-- Migration head: {head}. Money columns hold integer minor units (paise/cents),",
        "-- quantities integer thousandths (`*_milli`), tax rates basis points (`*_bp`);",
        "-- times are naive UTC.",
        "",
    ]
    sections = [
        "-- ==================================================================== SQLite",
        "-- What the migrations create (read back from a freshly migrated database).",
        "",
        *(s + "\n" for s in sqlite),
        "-- ================================================================ PostgreSQL",
        "-- The same tables for PostgreSQL (the models, checked equal to the migrations; the",
        "-- SQLite full-text search tables above have no PostgreSQL counterpart).",
        "",
        *(s + "\n" for s in pg),
    ]
    lines = "\n".join(header + sections).splitlines()
    # SQLAlchemy's DDL ends lines with a space after each comma; drop it.
    return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"


# ---------------------------------------------------------------- Postman


def _example(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    ref = schema.get("$ref", "")
    target = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema
    examples = target.get("examples")
    return examples[0] if examples else {}


def _url(path: str, operation: dict[str, Any]) -> dict[str, Any]:
    segments = [
        f":{part[1:-1]}" if part.startswith("{") else part for part in path.strip("/").split("/")
    ]
    url: dict[str, Any] = {
        "raw": "{{baseUrl}}/" + "/".join(segments),
        "host": ["{{baseUrl}}"],
        "path": segments,
    }
    variables, query = [], []
    for param in operation.get("parameters", []):
        value = param["schema"].get("default", (param["schema"].get("examples") or [""])[0])
        entry = {
            "key": param["name"],
            "value": ""
            if value is None
            else str(value).lower()
            if isinstance(value, bool)
            else str(value),
        }
        if param.get("description"):
            entry["description"] = param["description"]
        if param["in"] == "header":
            continue  # a request header (Idempotency-Key): _request_item lists it
        if param["in"] == "path":
            entry["value"] = "1"
            variables.append(entry)
        else:
            entry["disabled"] = not param.get("required", False)
            query.append(entry)
    if variables:
        url["variable"] = variables
    if query:
        url["query"] = query
    return url


def _test_event(*lines: str) -> dict[str, Any]:
    return {"listen": "test", "script": {"type": "text/javascript", "exec": list(lines)}}


def status_test(statuses: list[int]) -> str:
    """The test script line every request carries: it answers one of its documented statuses."""
    listed = ", ".join(str(code) for code in statuses)
    return (
        'pm.test("answers a documented status", function () {'
        f" pm.expect(pm.response.code).to.be.oneOf([{listed}]); }});"
    )


def _request_item(spec: dict[str, Any], path: str, method: str, op: dict[str, Any]) -> dict:
    request: dict[str, Any] = {
        "method": method.upper(),
        "header": [{"key": "Accept", "value": "application/json"}],
        "url": _url(path, op),
        "description": op.get("description", ""),
    }
    for param in op.get("parameters", []):
        if param["in"] == "header":
            request["header"].append(
                {
                    "key": param["name"],
                    "value": "{{$guid}}",
                    "description": param.get("description", ""),
                    "disabled": True,
                }
            )
    if not op.get("security"):
        request["auth"] = {"type": "noauth"}
    body = op.get("requestBody")
    if body is not None:
        example = _example(spec, body["content"]["application/json"]["schema"])
        if op["operationId"] == "login":
            example = {"username": "{{username}}", "password": "{{password}}"}
        request["header"].append({"key": "Content-Type", "value": "application/json"})
        request["body"] = {
            "mode": "raw",
            "raw": json.dumps(example, indent=2, ensure_ascii=False),
            "options": {"raw": {"language": "json"}},
        }
    item: dict[str, Any] = {"name": op["summary"], "request": request}
    if op["operationId"] == "login":
        item["event"] = [
            _test_event(
                'pm.test("logged in", function () { pm.response.to.have.status(200); });',
                "// Every other request sends this token as its bearer (collection auth).",
                'pm.collectionVariables.set("token", pm.response.json().token);',
            )
        ]
    elif op["operationId"] == "refresh":
        item["event"] = [
            _test_event(
                'pm.test("refreshed", function () { pm.response.to.have.status(200); });',
                "// The old token has ended: the new one replaces it.",
                'pm.collectionVariables.set("token", pm.response.json().token);',
            )
        ]
    else:
        statuses = sorted(int(code) for code in op["responses"])
        item["event"] = [_test_event(status_test(statuses))]
    return item


def postman_collection(spec: dict[str, Any], base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """Turn the OpenAPI document into a Postman v2.1 collection: log in first, then any request."""
    folders: dict[str, list[dict[str, Any]]] = {tag["name"]: [] for tag in spec["tags"]}
    login: dict[str, Any] | None = None
    logout: dict[str, Any] | None = None
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if op["tags"] == ["till"]:
                continue  # a page's cookie session and CSRF token, not the collection's token
            item = _request_item(spec, path, method, op)
            if op["operationId"] == "login":
                login = item
            elif op["operationId"] == "logout":
                logout = item  # last: it ends the token every other request sends
            else:
                folders[op["tags"][0]].append(item)
    assert login is not None and logout is not None, "the API has no login or logout"
    return {
        "info": {
            "name": spec["info"]["title"],
            "description": "Run **Log in** first: it stores the token in the collection variable "
            "`token`, which every other request sends as its bearer token. Set `baseUrl`, "
            "`username` and `password` in the collection variables. **Log out** comes last: it "
            "ends the token. Each request's test checks it answered a documented status.\n\n"
            "Generated from /api/v1/openapi.json by `python app.py export-docs`.",
            "version": spec["info"]["version"],
            "schema": POSTMAN_SCHEMA,
        },
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}],
        },
        "variable": [
            {"key": "baseUrl", "value": base_url},
            {"key": "username", "value": "admin"},
            {"key": "password", "value": ""},
            {"key": "token", "value": ""},
        ],
        "item": [
            {**login, "name": "Log in"},
            *({"name": tag, "item": items} for tag, items in folders.items() if items),
            {**logout, "name": "Log out"},
        ],
    }


# ---------------------------------------------------------------- all of it


def render_all(app: Flask) -> dict[str, str]:
    """Return every generated file's name (under docs/) and text."""
    from posapp.api.openapi import build_spec

    with app.app_context():
        spec = build_spec(app)
    return {
        "openapi.json": json.dumps(spec, indent=2, ensure_ascii=False) + "\n",
        "tillbook.postman_collection.json": json.dumps(
            postman_collection(spec), indent=2, ensure_ascii=False
        )
        + "\n",
        "schema.sql": schema_sql(app),
    }


def write_all(out_dir: Path) -> list[Path]:
    """Generate the files into out_dir; return their paths."""
    app, tmp = build_docs_app()
    try:
        files = render_all(app)
        from posapp.extensions import db

        with app.app_context():
            db.engine.dispose()
    finally:
        tmp.cleanup()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.items():
        path = out_dir / name
        path.write_text(content, encoding="utf-8", newline="\n")
        written.append(path)
    return written
