from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.db import UTCDateTime
from marketplace.extensions import db

GENESIS_HASH = "0" * 64

# How an event's hash was made. Events written before the chain was keyed keep plain SHA-256
# (they stay verifiable); every event from the head's `keyed_from_seq` on is HMAC-SHA256 under
# AUDIT_HMAC_KEY.
SCHEME_SHA256 = "sha256"
SCHEME_HMAC = "hmac-sha256"


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
    scheme: Mapped[str] = mapped_column(sa.String(16), default=SCHEME_HMAC, server_default=SCHEME_SHA256)


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
    # The first keyed event. Earlier events are legacy SHA-256; later ones must be HMAC, so a
    # forger cannot "downgrade" events to the unkeyed scheme. Checkpoints carry this number under
    # their MAC, so raising it in the database is noticed too.
    keyed_from_seq: Mapped[int] = mapped_column(sa.BigInteger, default=1, server_default="1")


class AuditCheckpoint(db.Model):
    """A daily anchor of the chain: (seq, head hash, time), one per Beijing day.

    Published on the public site, appended to a file and mailed to the auditors, so that dropping
    the newest events and resetting the head is noticed. `mac` (HMAC under the audit key) stops a
    database writer from forging a checkpoint to match a rewritten chain.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, unique=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    head_hash: Mapped[str] = mapped_column(sa.String(64))
    event_id: Mapped[int | None] = mapped_column(sa.Integer)
    keyed_from_seq: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mac: Mapped[str] = mapped_column(sa.String(64))
