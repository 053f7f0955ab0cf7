"""HQ mode's tables: the shops enrolled at this HQ and every record they pushed.

Tenancy: every HQ row carries its shop's id, and every HQ query filters by it unless it
says "all shops" (services/hq.py). A record's identity is (shop_id, kind, record_id): the
shop's own primary key, unique only inside that shop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
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
    # The last hq_down seq the shop says it has applied (it sends it with each pull).
    pulled_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The highest changeset the shop held at its last push (it sends it with each push):
    # minus acked_seq, what was still waiting at the shop then.
    shop_top_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class HqRecord(Model):
    """The latest version HQ holds of one record of one shop (the highest seq wins)."""

    __tablename__ = "hq_records"

    shop_id: Mapped[str] = mapped_column(ForeignKey("hq_shops.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(PAYLOAD_TYPE)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


# SQLite makes only an INTEGER primary key its rowid (autoincrement); BIGINT elsewhere.
SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class HqDown(Model):
    """One item HQ sends down to one shop, or to every shop (`shop_id` NULL).

    `seq` is the order of creation, global at HQ; a shop pulls the items after the last seq
    it applied. Writers take the "hq_down" counter's row lock first (services/hq_down.py), so
    seqs commit in order and a reader never sees a later seq before an earlier one.
    Kinds: "product" (key: the product's code), "settings" (key "shop"), "transfer" (key:
    the transfer's id).
    """

    __tablename__ = "hq_down"
    # A seq once handed out is never handed out again (SQLite would reuse a deleted top one).
    __table_args__ = (
        Index("ix_hq_down_kind_key", "kind", "item_key"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(SEQ_TYPE, primary_key=True, autoincrement=True)
    shop_id: Mapped[str | None] = mapped_column(ForeignKey("hq_shops.id"), default=None, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    item_key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(PAYLOAD_TYPE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(default=None)  # the HQ user's id


class HqTransfer(Model):
    """Stock sent from one shop to another, made at HQ: numbered TR-000001 in HQ's series.

    Its state is derived, never stored: each side is applied when HQ holds that shop's
    stock movement record whose ref is the number (the shop applied the item and pushed).
    """

    __tablename__ = "hq_transfers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID, made at HQ
    number: Mapped[str] = mapped_column(String(16), unique=True)
    from_shop_id: Mapped[str] = mapped_column(ForeignKey("hq_shops.id"), index=True)
    to_shop_id: Mapped[str] = mapped_column(ForeignKey("hq_shops.id"), index=True)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(PAYLOAD_TYPE)  # [{"code", "qty_milli"}]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by: Mapped[int | None] = mapped_column(default=None)
