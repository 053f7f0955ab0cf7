"""The generated reference files in docs/ are up to date, and say what they should."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from posapp.cli import main
from posapp.extensions import db

pytestmark = pytest.mark.one_backend(
    "the generated reference files (the schema is compiled for each dialect)"
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
GENERATED = ("openapi.json", "tillbook.postman_collection.json", "schema.sql")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the real command (`app.py export-docs`) into a temp dir."""
    out = tmp_path_factory.mktemp("docs")
    result = CliRunner().invoke(main, ["export-docs", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("name", GENERATED)
def test_the_committed_file_is_what_the_code_generates(fresh: Path, name: str) -> None:
    committed = (DOCS / name).read_text(encoding="utf-8")
    assert committed == (fresh / name).read_text(encoding="utf-8"), (
        f"docs/{name} is stale: run `python app.py export-docs` and commit the result"
    )


def test_the_committed_openapi_is_what_the_app_serves(client, fresh: Path) -> None:  # type: ignore[no-untyped-def]
    served = client.get("/api/openapi.json").get_json()
    assert served == json.loads((fresh / "openapi.json").read_text(encoding="utf-8"))


def test_the_schema_covers_every_table_in_both_dialects(app, fresh: Path) -> None:  # type: ignore[no-untyped-def]
    text = (fresh / "schema.sql").read_text(encoding="utf-8")
    sqlite, _, postgres = text.partition("-- " + "=" * 64 + " PostgreSQL")
    assert "SQLite" in sqlite and postgres
    for table in db.metadata.tables:
        assert re.search(rf"CREATE TABLE \"?{table}\"? \(", sqlite), table
        assert re.search(rf"CREATE TABLE {table} \(", postgres), table
    assert "CREATE VIRTUAL TABLE products_fts USING fts5" in sqlite
    assert "SERIAL" in postgres and "TIMESTAMP WITHOUT TIME ZONE" in postgres
    assert "WHERE archived = false" in postgres  # the partial unique index of active names
    assert re.search(r"Migration head: [0-9a-f]{12}\.", text)


def test_the_postman_collection_logs_in_then_uses_the_token(fresh: Path) -> None:
    collection = json.loads((fresh / "tillbook.postman_collection.json").read_text("utf-8"))
    spec = json.loads((fresh / "openapi.json").read_text("utf-8"))
    info = collection["info"]
    assert info["schema"] == "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    assert collection["auth"] == {
        "type": "bearer",
        "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}],
    }
    variables = {v["key"] for v in collection["variable"]}
    assert {"baseUrl", "token", "username", "password"} <= variables

    login = collection["item"][0]
    assert login["name"] == "Log in"
    assert login["request"]["method"] == "POST"
    assert login["request"]["url"]["raw"] == "{{baseUrl}}/api/v1/auth/login"
    assert login["request"]["auth"] == {"type": "noauth"}
    assert json.loads(login["request"]["body"]["raw"]) == {
        "username": "{{username}}",
        "password": "{{password}}",
    }
    script = "\n".join(login["event"][0]["script"]["exec"])
    assert login["event"][0]["listen"] == "test"
    assert 'pm.collectionVariables.set("token", pm.response.json().token)' in script

    logout = collection["item"][-1]  # last: it ends the token
    assert logout["name"] == "Log out"
    assert logout["request"]["url"]["raw"] == "{{baseUrl}}/api/v1/auth/logout"
    folders = collection["item"][1:-1]
    requests = [login, logout] + [item for folder in folders for item in folder["item"]]
    sent = {(r["request"]["method"], r["request"]["url"]["raw"]) for r in requests}
    for path, ops in spec["paths"].items():
        raw = "{{baseUrl}}" + re.sub(r"\{([^}]+)\}", r":\1", path)
        for method, op in ops.items():
            # The till's endpoints take a page's cookie session, not the collection's token.
            assert ((method.upper(), raw) in sent) is (op["tags"] != ["till"])
    checkout = next(r for r in requests if r["request"]["url"]["raw"].endswith("/invoice/create"))
    assert json.loads(checkout["request"]["body"]["raw"])["discount"] == "10%"
    assert "auth" not in checkout["request"]  # inherits the collection's bearer token
