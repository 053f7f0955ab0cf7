"""Characters that str.isdigit() accepts but int() cannot read (² ¹ ³) are bad input, not 500s."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.web.helpers import login

SUPERSCRIPT_TWO = "%C2%B2"


@pytest.mark.parametrize(
    "url",
    [
        f"/invoices/?cashier={SUPERSCRIPT_TWO}",
        f"/audit/?user={SUPERSCRIPT_TWO}",
        f"/products/labels?ids={SUPERSCRIPT_TWO}",
        f"/api/invoice/{SUPERSCRIPT_TWO}",
    ],
)
def test_superscript_digits_never_answer_500(
    client: FlaskClient,
    admin,
    admin_headers: dict[str, str],
    url: str,  # type: ignore[no-untyped-def]
) -> None:
    login(client, "admin")
    response = client.get(url, headers=admin_headers if url.startswith("/api/") else {})
    assert response.status_code < 500, (url, response.status_code)
