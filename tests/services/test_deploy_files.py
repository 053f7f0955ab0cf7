"""Server-mode files: Dockerfile, docker-compose.yml, .dockerignore, and the env settings they use.

No Docker engine runs in CI, so the files are checked by reading them: what a broken edit
would lose (non-root user, health check, volume, the database wiring) fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from posapp.config import load_secret_key, normalise_database_url

ROOT = Path(__file__).resolve().parents[2]


def dockerfile() -> dict[str, list[str]]:
    """Return the Dockerfile's instructions by keyword (continuation lines joined)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.setdefault(keyword.upper(), []).append(rest.strip())
    return found


def test_dockerfile_runs_waitress_as_a_non_root_user_with_a_health_check() -> None:
    steps = dockerfile()
    assert steps["FROM"] == ["python:3.11-slim"]
    user = steps["USER"][-1]
    assert user not in ("root", "0") and "root" not in user
    command = json.loads(steps["CMD"][-1])
    assert command[:3] == ["python", "app.py", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert "--lan" in command  # serve refuses a network address without it
    port = command[command.index("--port") + 1]
    assert steps["EXPOSE"] == [port]
    health = steps["HEALTHCHECK"][-1]
    assert f"127.0.0.1:{port}/api/health" in health
    assert json.loads(steps["VOLUME"][-1]) == ["/data"]
    assert any("TILLBOOK_DATA_DIR=/data" in env for env in steps["ENV"])
    # Days are counted in the machine's zone: India's by default, with the zone files there.
    assert any("TZ=Asia/Kolkata" in env.split() for env in steps["ENV"])
    assert any("install" in run and "tzdata" in run.split() for run in steps["RUN"])


def test_dockerfile_copies_what_exists_and_dockerignore_keeps_the_rest_out() -> None:
    steps = dockerfile()
    for copy in steps["COPY"]:
        for source in copy.split()[:-1]:
            assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for entry in (".git", "tests", ".venv", "*.db", ".env", "TillBook-data"):
        assert entry in ignored, entry


def test_compose_runs_the_app_on_a_healthy_postgres_with_volumes() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    db, app = services["db"], services["app"]
    assert db["image"] == "postgres:15"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    pg_volume = db["volumes"][0].split(":")
    assert pg_volume[1] == "/var/lib/postgresql/data" and pg_volume[0] in compose["volumes"]
    assert "?" in db["environment"]["POSTGRES_PASSWORD"]  # compose stops if it is not set

    assert app["build"] == "."
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    url = app["environment"]["DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@db:5432/" in url
    env = db["environment"]
    assert f"://{env['POSTGRES_USER']}:" in url and url.endswith(f"/{env['POSTGRES_DB']}")
    assert "TILLBOOK_SECRET_KEY" in app["environment"]
    data_volume = app["volumes"][0].split(":")
    assert data_volume[1] == "/data" and data_volume[0] in compose["volumes"]
    assert app["ports"] == ["8000:8000"]


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("mysql://u:p@h/d?charset=utf8mb4", "mysql+pymysql://u:p@h/d?charset=utf8mb4"),
        ("postgresql+psycopg://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("sqlite:////data/tillbook.db", "sqlite:////data/tillbook.db"),
    ],
)
def test_hosting_platforms_driverless_urls_get_the_shipped_driver(given: str, used: str) -> None:
    assert normalise_database_url(given) == used


def test_secret_key_from_the_environment_wins_and_must_be_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLBOOK_SECRET_KEY", "k" * 40)
    assert load_secret_key(tmp_path) == "k" * 40
    assert not (tmp_path / "secret_key").exists()  # nothing written when the env gives it
    monkeypatch.setenv("TILLBOOK_SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="at least 32"):
        load_secret_key(tmp_path)
    monkeypatch.setenv("TILLBOOK_SECRET_KEY", "")
    made = load_secret_key(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{64}", made) and load_secret_key(tmp_path) == made
