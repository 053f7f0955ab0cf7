"""A step a caller runs inside a service's write transaction, after the service has written.

The API's idempotency keys use it: the remembered answer is written in the same transaction as
the invoice, payment, order or stock movement it describes, so a key exists exactly when the
records do, whatever fails in between; an order's delivery uses it to mark the order delivered
in the transaction that writes its invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

# Called with the service's session and what it wrote (flushed, ids known), before the commit;
# an exception rolls everything back.
Within = Callable[[Session, T], None]
