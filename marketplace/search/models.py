"""The change log every server's index catches up from (the database is the truth)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.db import UTCDateTime, utcnow
from marketplace.extensions import db


class SearchChange(db.Model):
    """Something that may change a public search document: written in the same transaction
    as the change itself, so a rolled-back change never reaches any index."""

    __tablename__ = "search_changes"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused after pruning

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    # A source kind from documents.SOURCES: challenge, organisation, partner_application, solution.
    doc_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SearchPrune(db.Model):
    """One row: change ids up to `pruned_through` have been deleted. An index whose mark is
    below it missed changes and rebuilds from the database."""

    __tablename__ = "search_prune"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    pruned_through: Mapped[int] = mapped_column(sa.BigInteger, default=0)
