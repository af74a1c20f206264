from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime, enum_type
from marketplace.extensions import db
from marketplace.matching.states import InvitationState


class Invitation(IdMixin, TimestampMixin, db.Model):
    """A department inviting a recommended provider to take its published challenge (邀请揭榜)."""

    __tablename__ = "invitations"
    __audit_type__ = "invitation"
    __table_args__ = (sa.UniqueConstraint("challenge_id", "provider_id"),)

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    state: Mapped[InvitationState] = mapped_column(enum_type(InvitationState, "invitation_state"),
                                                   default=InvitationState.invited)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    challenge = relationship("Challenge")
    provider: Mapped[Organisation] = relationship()
    invited_by: Mapped[User | None] = relationship()
