"""Telling people: an inbox row and an outbox email in the same transaction; a task sends the
email after it commits (marketplace.tasks)."""

import sqlalchemy as sa
from flask import current_app, render_template

from marketplace.accounts.models import Role, User
from marketplace.core.aftercommit import after_commit
from marketplace.core.db import utcnow
from marketplace.core.errors import NotFound
from marketplace.core.mail import smtp_configured
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.notifications.outbox import queue_email
from marketplace.tasks import enqueue_delivery


def notify(users, kind, title, body="", link=None):
    """Put a notification in each active user's inbox and, when SMTP is configured, an email in
    the outbox, both in the caller's transaction; the delivery task is queued for after commit."""
    recipients = {u.id: u for u in users if u is not None and u.is_active}.values()
    created = []
    for user in recipients:
        note = Notification(user_id=user.id, kind=kind, title=title, body=body, link=link)
        db.session.add(note)
        created.append(note)
    if created and smtp_configured(current_app.config):
        base_url = current_app.config["PUBLIC_BASE_URL"]
        emails = [
            queue_email(user.email, f"【揭榜挂帅场景平台】{title}",
                        render_template("emails/notification.txt", user=user, title=title, body=body,
                                        link=link, base_url=base_url))
            for user in recipients
        ]
        db.session.flush()  # the ids the task is given
        ids = [e.id for e in emails]
        celery = current_app.extensions["celery"]
        after_commit(lambda: enqueue_delivery(ids, celery))
    return created


def admins():
    return db.session.scalars(sa.select(User).where(User.role == Role.admin, User.is_active)).all()


def organisation_users(organisation_id):
    return db.session.scalars(
        sa.select(User).where(User.organisation_id == organisation_id, User.is_active)
    ).all()


def unread_count(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def inbox_query(user, unread_only=False):
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.id.desc())


def get_own_notification(user, notification_id) -> Notification:
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound()
    return note


def mark_read(user, note: Notification):
    if note.read_at is None:
        note.read_at = utcnow()
    return note


def mark_all_read(user):
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
