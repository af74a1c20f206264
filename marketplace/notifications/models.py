from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime, enum_type, utcnow
from marketplace.extensions import db
from marketplace.notifications.states import OutboxState


class Notification(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(500))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_read(self):
        return self.read_at is not None


class EmailOutbox(IdMixin, TimestampMixin, db.Model):
    """One outgoing email, written in the transaction of the action that caused it and sent by a
    task after commit: a rolled-back action leaves no row, a mail server that is down leaves the
    row pending until a later attempt succeeds."""

    __tablename__ = "email_outbox"
    __table_args__ = (sa.Index("ix_email_outbox_due", "state", "next_attempt_at"),)

    to_address: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[OutboxState] = mapped_column(enum_type(OutboxState, "outbox_state"), default=OutboxState.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

