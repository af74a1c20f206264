from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime
from marketplace.extensions import db


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
