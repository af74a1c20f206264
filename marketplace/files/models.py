from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime
from marketplace.extensions import db


class StoredFile(IdMixin, TimestampMixin, db.Model):
    """An uploaded file. The bytes live under UPLOAD_DIR by a random key, never under static/;
    they are served only through /files/<id> after the owner object's permission check."""

    __tablename__ = "files"
    __audit_type__ = "file"
    __table_args__ = (sa.Index("ix_files_owner", "owner_type", "owner_id"),)

    owner_type: Mapped[str] = mapped_column(sa.String(40))  # challenge | submission
    owner_id: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(255))
    kind: Mapped[str] = mapped_column(sa.String(10))  # pdf, docx, xlsx, pptx, png, jpg, zip
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
