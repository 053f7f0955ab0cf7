"""A short TillBook API client: log in, create a product, sell it, download the invoice PDF.

Usage (an admin account: creating products is an admin's job):

    python docs/examples/api_client.py --base-url http://127.0.0.1:5000 \
        --username owner --password '...' --out invoice.pdf

The base URL and credentials may also come from TILLBOOK_URL, TILLBOOK_USER and
TILLBOOK_PASSWORD. Needs `requests` (pip install requests).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import requests


class ApiError(Exception):
    """The API answered with its error envelope."""


def call(session: requests.Session, method: str, url: str, **kwargs: object) -> dict:
    """Send one request; return the JSON body or raise ApiError with the API's message."""
    response = session.request(method, url, timeout=30, **kwargs)  # type: ignore[arg-type]
    if response.status_code >= 400:
        error = response.json().get("error", {})
        raise ApiError(
            f"{method} {url}: {response.status_code} {error.get('code')}: "
            f"{error.get('message')} {error.get('details') or ''}".rstrip()
        )
    return response.json()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base-url", default=os.environ.get("TILLBOOK_URL", "http://127.0.0.1:5000")
    )
    parser.add_argument("--username", default=os.environ.get("TILLBOOK_USER"))
    parser.add_argument("--password", default=os.environ.get("TILLBOOK_PASSWORD"))
    parser.add_argument("--out", type=Path, default=Path("invoice.pdf"), help="where the PDF goes")
    args = parser.parse_args(argv)
    if not args.username or not args.password:
        parser.error("give --username and --password (or TILLBOOK_USER / TILLBOOK_PASSWORD)")
    api = args.base_url.rstrip("/") + "/api/v1"
    session = requests.Session()

    # 1. Log in: the token goes into every later request as a bearer token.
    login = call(
        session,
        "POST",
        f"{api}/auth/login",
        json={"username": args.username, "password": args.password},
    )
    session.headers["Authorization"] = f"Bearer {login['token']}"
    print(f"logged in as {login['user']['username']} ({login['user']['role']})")

    # 2. Create a product. Money travels as strings with 2 decimals, never as floats;
    #    leaving out "code" makes the shop generate an EAN-13 barcode.
    product = call(
        session,
        "POST",
        f"{api}/products",
        json={
            "name": f"Example ball pen {int(time.time())}",
            "price": "45.00",
            "tax_rate": "18",
            "unit": "pcs",
            "stock": "10",
        },
    )
    print(
        f"created product {product['id']} {product['name']!r} code {product['code']}, "
        f"stock {product['stock']}"
    )

    # 3. Sell two of them for cash (no payments given: one cash payment of the total).
    invoice = call(
        session,
        "POST",
        f"{api}/invoice/create",
        json={"items": [{"product_id": product["id"], "quantity": "2"}]},
    )
    print(
        f"sold: invoice {invoice['number']} total {invoice['total']} "
        f"(tax {invoice['tax_total']}), status {invoice['status']}"
    )

    # 4. Download the A4 invoice PDF.
    response = session.get(f"{api}/invoice/{invoice['id']}/pdf", timeout=60)
    response.raise_for_status()
    args.out.write_bytes(response.content)
    print(f"saved {args.out} ({len(response.content)} bytes)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ApiError, requests.RequestException) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
