"""HQ mode's tables: the shops enrolled at this HQ and every record they pushed.

Tenancy: every HQ row carries its shop's id, and every HQ query filters by it unless it
says "all shops" (services/hq.py). A record's identity is (shop_id, kind, record_id): the
shop's own primary key, unique only inside that shop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from posapp.extensions import Model
from posapp.models.base import utcnow

# JSONB on PostgreSQL: compact, and queryable by the HQ reports that come later.
PAYLOAD_TYPE = JSON().with_variant(JSONB(), "postgresql")


class HqShop(Model):
    """A shop of this HQ: its one-time enrolment code, its credential and its sync state.

    Only SHA-256 hashes of the code and the credential are kept: both are long random
    secrets, so a plain hash cannot be guessed back, and a stolen database enrols nobody.
    """

    __tablename__ = "hq_shops"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID, made at HQ
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enrolment_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime] = mapped_column()
    # When the shop enrolled with the code (None: not yet); a used code never works again.
    code_used_at: Mapped[datetime | None] = mapped_column(default=None)
    credential_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    # The highest contiguous changeset seq stored: the shop pushes from acked_seq + 1.
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_contact: Mapped[datetime | None] = mapped_column(default=None)
    # The shop's clock minus HQ's at its last push: shown, never used to order anything.
    shop_clock_skew_seconds: Mapped[int | None] = mapped_column(BigInteger, default=None)
    gstin: Mapped[str] = mapped_column(String(15), default="")
    version: Mapped[str] = mapped_column(String(32), default="")


class HqRecord(Model):
    """The latest version HQ holds of one record of one shop (the highest seq wins)."""

    __tablename__ = "hq_records"

    shop_id: Mapped[str] = mapped_column(ForeignKey("hq_shops.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(PAYLOAD_TYPE)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
