from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime, enum_type, utcnow
from marketplace.extensions import db
from marketplace.meetings.states import (
    LIVE_STATES,
    MAX_ATTENDEES,
    EventKind,
    EventState,
    RegistrationState,
)

_LIVE_SQL = "state IN ({})".format(", ".join(f"'{s.value}'" for s in LIVE_STATES))


class Event(IdMixin, TimestampMixin, db.Model):
    """A roadshow, matchmaking meeting or contest with a venue, a capacity in seats and a
    registration deadline."""

    __tablename__ = "events"
    __audit_type__ = "event"
    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("registration_deadline <= starts_at", name="deadline_before_start"),
        sa.Index("ix_events_state_starts", "state", "starts_at"),
    )

    organiser_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "event_kind"))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    venue: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(sa.Integer)
    requires_approval: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    state: Mapped[EventState] = mapped_column(enum_type(EventState, "event_state"), default=EventState.draft)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organiser: Mapped[Organisation | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    challenge_rows: Mapped[list["EventChallenge"]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    registrations: Mapped[list["Registration"]] = relationship(back_populates="event", order_by="Registration.id")

    @property
    def challenge_ids(self) -> list[int]:
        return sorted(row.challenge_id for row in self.challenge_rows)

    def is_past(self, now=None) -> bool:
        return (now or utcnow()) >= self.ends_at

    def registration_open(self, now=None) -> bool:
        return self.state == EventState.published and (now or utcnow()) < self.registration_deadline


class EventChallenge(db.Model):
    """A challenge (榜单) the event presents, e.g. the roadshow of its entries."""

    __tablename__ = "event_challenges"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True,
                                              index=True)

    challenge = relationship("Challenge")


class Registration(IdMixin, TimestampMixin, db.Model):
    """An organisation's registration for an event, with its number of attendees. The waitlist
    is served in id order (first come, first served)."""

    __tablename__ = "event_registrations"
    __audit_type__ = "event_registration"
    __table_args__ = (
        sa.CheckConstraint(f"attendees BETWEEN 1 AND {MAX_ATTENDEES}", name="attendees_range"),
        sa.Index("uq_event_registrations_live_per_org", "event_id", "organisation_id", unique=True,
                 sqlite_where=sa.text(_LIVE_SQL), postgresql_where=sa.text(_LIVE_SQL)),
        sa.Index("ix_event_registrations_event_state", "event_id", "state", "id"),
    )

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    attendees: Mapped[int] = mapped_column(sa.Integer)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    state: Mapped[RegistrationState] = mapped_column(enum_type(RegistrationState, "registration_state"))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once by the day-before reminder job: it never tells anyone twice.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="registrations")
    organisation: Mapped[Organisation] = relationship()
    registered_by: Mapped[User | None] = relationship()
