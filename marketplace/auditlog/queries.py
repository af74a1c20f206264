"""Reading the audit log: one query and one presentation used by the page, the API and the export.

Sealed means sealed, for the admin too: until a challenge's entries are opened (the challenge has
left `published` for one of AFTER_DEADLINE_STATES), an event about one of its entries — the
entry itself, a file attached to it, or an event whose details name it — shows only that an
entry event happened on that challenge: action, time, sequence and challenge. No actor, no
organisation, no object id, no details, no source address. The stored event is unchanged (it is
hashed as written) and reads in full once the entries are opened.

Filters that match on what a sealed event hides (person, organisation, object id) leave sealed
events out entirely; otherwise filtering by a provider's email would reveal that it entered.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import request

from marketplace.audit import labels
from marketplace.audit.models import AuditEvent
from marketplace.core.timeutil import SHANGHAI
from marketplace.extensions import db

# Keys in an event's details that name an entry.
_ENTRY_KEYS = ("submission_id", "winner_submission_id", "submission_ids")


def _still_sealed():
    from marketplace.challenges.models import Challenge
    from marketplace.challenges.states import AFTER_DEADLINE_STATES

    return Challenge.state.not_in(AFTER_DEADLINE_STATES)


def sealed_challenge_expr():
    """SQL: the challenge id when the event is about an entry that is still sealed, else NULL.

    Correlated to AuditEvent; decided in the database for a whole page at once (no N+1)."""
    from marketplace.challenges.models import Challenge
    from marketplace.files.models import StoredFile
    from marketplace.submissions.models import Submission

    of_submission = (
        sa.select(Submission.challenge_id)
        .join(Challenge, Challenge.id == Submission.challenge_id)
        .where(Submission.id == AuditEvent.object_id, _still_sealed())
        .scalar_subquery()
    )
    of_file = (
        sa.select(Submission.challenge_id)
        .join(Challenge, Challenge.id == Submission.challenge_id)
        .join(StoredFile, sa.and_(StoredFile.owner_type == "submission", StoredFile.owner_id == Submission.id))
        .where(StoredFile.id == AuditEvent.object_id, _still_sealed())
        .scalar_subquery()
    )
    return sa.case(
        (AuditEvent.object_type == "submission", of_submission),
        (AuditEvent.object_type == "file", of_file),
        else_=sa.null(),
    )


@dataclass
class EventRow:
    """An audit event as a reader may see it now."""

    event: AuditEvent
    sealed_challenge_id: int | None = None

    @property
    def sealed(self) -> bool:
        return self.sealed_challenge_id is not None

    def __getattr__(self, name):
        # seq, created_at, action, hash, prev_hash, scheme: never hidden.
        return getattr(self.event, name)

    def _shown(self, name):
        return None if self.sealed else getattr(self.event, name)

    @property
    def actor_id(self):
        return self._shown("actor_id")

    @property
    def actor_label(self):
        return "（密封期内不显示）" if self.sealed else self.event.actor_label

    @property
    def object_type(self):
        return "submission" if self.sealed else self.event.object_type

    @property
    def object_id(self):
        return self._shown("object_id")

    @property
    def before(self):
        return self._shown("before")

    @property
    def after(self):
        return self._shown("after")

    @property
    def source_ip(self):
        return self._shown("source_ip")

    @property
    def challenge_id(self):
        return self.sealed_challenge_id

    @property
    def action_label(self):
        return labels.action_label(self.event.action)

    @property
    def object_text(self):
        if self.sealed:
            return f"榜单 #{self.sealed_challenge_id} 的揭榜方案（密封中，截止后可见）"
        text = labels.object_label(self.event.object_type)
        return f"{text} #{self.event.object_id}" if self.event.object_id else text

    @property
    def changes(self):
        return [] if self.sealed else labels.changes(self.event.before, self.event.after)

    @property
    def changes_text(self):
        return "" if self.sealed else labels.changes_text(self.event.before, self.event.after)


def _named_entries(details) -> set[int]:
    found = set()
    for part in details:
        if not isinstance(part, dict):
            continue
        for key in _ENTRY_KEYS:
            value = part.get(key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, int) and not isinstance(item, bool):
                    found.add(item)
    return found


def present(events) -> list[EventRow]:
    """Decide for a page of events which are sealed: two queries for the whole page."""
    from marketplace.challenges.models import Challenge
    from marketplace.submissions.models import Submission

    events = list(events)
    if not events:
        return []
    ids = [e.id for e in events]
    sealed = dict(db.session.execute(
        sa.select(AuditEvent.id, sealed_challenge_expr()).where(AuditEvent.id.in_(ids))
    ).all())
    named = {e.id: _named_entries((e.before, e.after)) for e in events if sealed.get(e.id) is None}
    wanted = set().union(*named.values()) if named else set()
    if wanted:
        sealed_entries = dict(db.session.execute(
            sa.select(Submission.id, Submission.challenge_id)
            .join(Challenge, Challenge.id == Submission.challenge_id)
            .where(Submission.id.in_(wanted), _still_sealed())
        ).all())
        for event_id, entry_ids in named.items():
            hit = next((sealed_entries[i] for i in sorted(entry_ids) if i in sealed_entries), None)
            if hit is not None:
                sealed[event_id] = hit
    return [EventRow(e, sealed.get(e.id)) for e in events]


def _like(text):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "%" + escaped + "%"


def events_query(*, object_type=None, object_id=None, action=None, actor_id=None,
                 date_from=None, date_to=None, person=None, organisation=None, challenge=None):
    from marketplace.accounts.models import Organisation, User

    query = sa.select(AuditEvent)
    hides_sealed = False
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
        hides_sealed = True
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
        hides_sealed = True
    if person:
        pattern = _like(person)
        named = sa.select(User.id).where(User.name.ilike(pattern, escape="\\"))
        query = query.where(sa.or_(AuditEvent.actor_label.ilike(pattern, escape="\\"), AuditEvent.actor_id.in_(named)))
        hides_sealed = True
    if organisation:
        orgs = sa.select(Organisation.id).where(Organisation.name.ilike(_like(organisation), escape="\\"))
        members = sa.select(User.id).where(User.organisation_id.in_(orgs))
        query = query.where(sa.or_(
            AuditEvent.actor_id.in_(members),
            sa.and_(AuditEvent.object_type == "organisation", AuditEvent.object_id.in_(orgs)),
        ))
        hides_sealed = True
    if challenge:
        query = query.where(_about_challenges(challenge))
    if date_from:
        query = query.where(AuditEvent.created_at >= _day_start(date_from))
    if date_to:
        query = query.where(AuditEvent.created_at < _day_start(date_to + timedelta(days=1)))
    if hides_sealed:
        query = query.where(sealed_challenge_expr().is_(None))
    return query.order_by(AuditEvent.seq.desc())


def _about_challenges(challenge):
    """Events about the challenges whose id is `challenge` or whose title contains it, and about
    their entries, entry files, questions, rounds, notices and objections."""
    from marketplace.challenges.models import Challenge, Question
    from marketplace.files.models import StoredFile
    from marketplace.notices.models import Notice, Objection
    from marketplace.review.models import EvaluationRound
    from marketplace.submissions.models import Submission

    text = str(challenge).strip()
    if text.isdigit() and 0 < int(text) < 2**31:
        ids = sa.select(Challenge.id).where(sa.or_(Challenge.id == int(text), Challenge.title.ilike(_like(text), escape="\\")))
    else:
        ids = sa.select(Challenge.id).where(Challenge.title.ilike(_like(text), escape="\\"))
    entries = sa.select(Submission.id).where(Submission.challenge_id.in_(ids))
    by_type = {
        "challenge": ids,
        "submission": entries,
        "file": sa.select(StoredFile.id).where(sa.or_(
            sa.and_(StoredFile.owner_type == "submission", StoredFile.owner_id.in_(entries)),
            sa.and_(StoredFile.owner_type == "challenge", StoredFile.owner_id.in_(ids)),
        )),
        "question": sa.select(Question.id).where(Question.challenge_id.in_(ids)),
        "round": sa.select(EvaluationRound.id).where(EvaluationRound.challenge_id.in_(ids)),
        "notice": sa.select(Notice.id).where(Notice.challenge_id.in_(ids)),
        "objection": sa.select(Objection.id).where(Objection.challenge_id.in_(ids)),
    }
    return sa.or_(*(sa.and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(sub))
                    for kind, sub in by_type.items()))


def _day_start(day):
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _int_arg(name):
    value = request.args.get(name, type=int)
    return value if value and 0 < value < 2**31 else None


def _date_arg(name):
    from datetime import date

    try:
        value = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    # Out-of-range days (0001-01-01, 9999-12-31) would overflow when turned into UTC bounds.
    return value if date(1900, 1, 1) <= value <= date(9000, 1, 1) else None


def _text_arg(name, limit=100):
    return (request.args.get(name) or "").strip()[:limit] or None


def events_query_from_args():
    return events_query(
        object_type=_text_arg("object_type", 40),
        object_id=_int_arg("object_id"),
        action=_text_arg("action", 64),
        actor_id=_int_arg("actor_id"),
        person=_text_arg("person"),
        organisation=_text_arg("organisation"),
        challenge=_text_arg("challenge"),
        date_from=_date_arg("date_from"),
        date_to=_date_arg("date_to"),
    )


def event_json(row: EventRow) -> dict:
    """The API form of an event as its reader may see it now."""
    from marketplace.core.timeutil import isoformat

    return {
        "id": row.id, "seq": row.seq, "created_at": isoformat(row.created_at),
        "actor_id": row.actor_id, "actor": None if row.sealed else row.actor_label, "action": row.action,
        "object_type": row.object_type, "object_id": row.object_id,
        "before": row.before, "after": row.after, "source_ip": row.source_ip,
        "prev_hash": row.prev_hash, "hash": row.hash,
        "sealed": row.sealed, "challenge_id": row.challenge_id, "action_label": row.action_label,
    }
