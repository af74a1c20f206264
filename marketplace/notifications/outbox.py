"""The email outbox: rows written in the action's transaction, claimed and settled by the
delivery task (marketplace.tasks), which commits once per message."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import EmailOutbox
from marketplace.notifications.states import OUTBOX_MACHINE, OutboxState


def queue_email(to, subject, body) -> EmailOutbox:
    row = EmailOutbox(to_address=to, subject=subject, body=body, state=OutboxState.pending,
                      attempts=0, next_attempt_at=utcnow())
    db.session.add(row)
    return row


def due_ids(ids=None, now=None, limit=500):
    """Pending messages whose next attempt is due (optionally only among `ids`)."""
    now = now or utcnow()
    query = (sa.select(EmailOutbox.id)
             .where(EmailOutbox.state == OutboxState.pending, EmailOutbox.next_attempt_at <= now)
             .order_by(EmailOutbox.id).limit(limit))
    if ids is not None:
        query = query.where(EmailOutbox.id.in_(list(ids)))
    return db.session.scalars(query).all()


def claim(outbox_id, now=None):
    """Lock one due pending message for this transaction, or None when it is sent, not due, or
    being sent by another worker right now. PostgreSQL: FOR UPDATE SKIP LOCKED, so workers never
    wait for each other. SQLite has no row locks: a no-op UPDATE takes its database write lock
    first, so a second thread waits and then sees the message already sent."""
    now = now or utcnow()
    query = sa.select(EmailOutbox).where(EmailOutbox.id == outbox_id, EmailOutbox.state == OutboxState.pending,
                                         EmailOutbox.next_attempt_at <= now)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:
        db.session.execute(sa.update(EmailOutbox).where(EmailOutbox.id == outbox_id)
                           .values(attempts=EmailOutbox.attempts))
    return db.session.scalars(query.execution_options(populate_existing=True)).first()


def backoff(attempts) -> timedelta:
    """30 s, 1 min, 2 min, … doubling up to an hour between attempts."""
    base = current_app.config["OUTBOX_RETRY_SECONDS"]
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def mark_sent(row: EmailOutbox, now=None):
    row.state = OUTBOX_MACHINE.target(row.state, "send")
    row.attempts += 1
    row.sent_at = now or utcnow()
    row.last_error = None
    db.session.flush()


def mark_attempt_failed(row: EmailOutbox, error: str, permanent=False, now=None):
    """Count the attempt; retry later with a growing pause, or give up when the server refused
    the message for good or the attempts are used up."""
    now = now or utcnow()
    row.attempts += 1
    row.last_error = error[:500]
    if permanent or row.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        row.state = OUTBOX_MACHINE.target(row.state, "give_up")
    else:
        row.state = OUTBOX_MACHINE.target(row.state, "retry")
        row.next_attempt_at = now + backoff(row.attempts)
    db.session.flush()


def queue_depth():
    """{state: count} for the metrics."""
    rows = db.session.execute(sa.select(EmailOutbox.state, sa.func.count()).group_by(EmailOutbox.state)).all()
    counts = {state.value: 0 for state in OutboxState}
    counts.update({OutboxState(state).value: n for state, n in rows})
    return counts
