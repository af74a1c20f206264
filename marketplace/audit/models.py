from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.db import UTCDateTime
from marketplace.extensions import db

GENESIS_HASH = "0" * 64


class AuditEvent(db.Model):
    """One append-only event of the hash chain. Never updated or deleted by the application."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)  # no FK: history outlives rows
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None] = mapped_column(sa.Integer)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    source_ip: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditChainHead(db.Model):
    """A single row: the chain's last sequence number and hash.

    Appending updates this row first, which serialises writers on PostgreSQL and SQLite alike,
    and lets `verify` notice that the newest events were deleted.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS_HASH)
    last_event_id: Mapped[int | None] = mapped_column(sa.Integer)
