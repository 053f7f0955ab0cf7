"""The shop side of shared customers: ask HQ what a customer owes at every shop.

When the shop is enrolled and HQ answers within LOOKUP_SECONDS, the customer's page shows
"Due at all shops" under the shop's own balance (which is always shown: it is the shop's own
ledger). HQ answers only while the owner shares customers across shops; otherwise, when the
shop is not enrolled, or HQ cannot be reached, nothing here stops the page.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from posapp.models.base import utcnow
from posapp.services import hq_client
from posapp.services.settings import load_hq

DUE_PATH = "/hq/api/v1/customers/due"
LOOKUP_SECONDS = 3.0  # a customer's page never waits longer for HQ
MAX_SHOPS = 500  # an answer naming more shops than this is not believed


@dataclass(frozen=True)
class SharedDue:
    """HQ's answer: `state` "shown" (with the figures), "off" (nothing to show) or
    "unreachable" (enrolled and sharing may be on, but HQ did not answer)."""

    state: str
    due: int = 0
    shops: list[tuple[str, int]] = field(default_factory=list)
    at: datetime | None = None


def _read(body: dict[str, Any]) -> tuple[int, list[tuple[str, int]]] | None:
    """The due and the shops of HQ's answer; None when it is not the documented shape."""
    due, shops = body.get("due"), body.get("shops")
    if not isinstance(due, int) or isinstance(due, bool):
        return None
    if not isinstance(shops, list) or len(shops) > MAX_SHOPS:
        return None
    found = []
    for shop in shops:
        if not isinstance(shop, dict) or not isinstance(shop.get("name"), str):
            return None
        amount = shop.get("due")
        if not isinstance(amount, int) or isinstance(amount, bool):
            return None
        found.append((shop["name"][:120], amount))
    return due, found


def due_at_all_shops(
    session: Session, phone_digits: str, opener: hq_client.Opener | None = None
) -> SharedDue:
    """Ask HQ for this phone number's due at every shop (GET, LOOKUP_SECONDS at most).

    The session's transaction ends before HQ is asked: no read stays open for the wait.
    """
    link = load_hq(session)
    session.rollback()
    if not link.enrolled or not phone_digits:
        return SharedDue("off")
    query = urllib.parse.urlencode({"phone": phone_digits})
    try:
        answer = hq_client.call(
            opener or hq_client.default_opener(),
            "GET",
            f"{link.url.rstrip('/')}{DUE_PATH}?{query}",
            None,
            link.credential,
            timeout=LOOKUP_SECONDS,
        )
    except (hq_client.HqUnavailable, ValueError):
        return SharedDue("unreachable")
    if answer.status == 403 and answer.error_code == "customers_not_shared":
        return SharedDue("off")
    read = _read(answer.body) if answer.status == 200 else None
    if read is None:
        return SharedDue("unreachable")
    return SharedDue("shown", read[0], read[1], utcnow())
