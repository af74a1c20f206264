"""The transactional outbox: an email is a row written with the action and sent by a task after
commit; a mail server that is down delays it, never loses it, and nothing is sent twice."""

import threading
from datetime import timedelta

import sqlalchemy as sa

from marketplace.core.db import utcnow
from marketplace.notifications.models import EmailOutbox
from marketplace.notifications.operations import notify
from marketplace.notifications.outbox import claim, queue_email
from marketplace.notifications.states import OutboxState
from marketplace.tasks import send_outbox
from tests import factories


def _rows(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(EmailOutbox).order_by(EmailOutbox.id)).all()


def test_notify_writes_one_outbox_row_per_recipient_in_the_transaction(app, db, mailbox):
    a = factories.create_user("evaluator", email="a@example.cn")
    b = factories.create_user("evaluator", email="b@example.cn")
    db.session.commit()
    notify([a, b, a], "test.kind", "评审任务", "请评审")
    pending = _rows(db)
    assert sorted(r.to_address for r in pending) == ["a@example.cn", "b@example.cn"]
    assert all(r.state == OutboxState.pending for r in pending)
    assert mailbox.envelopes == []
    db.session.commit()
    rows = _rows(db)
    assert [r.state for r in rows] == [OutboxState.sent, OutboxState.sent]
    assert all(r.attempts == 1 and r.sent_at is not None for r in rows)
    assert len(mailbox.to("a@example.cn")) == 1 and len(mailbox.to("b@example.cn")) == 1
    assert mailbox.to("a@example.cn")[0]["Message-ID"] == f"<outbox-{rows[0].id}@marketplace.local>"


def test_rolled_back_action_leaves_no_row(app, db, mailbox):
    user = factories.create_user("evaluator")
    db.session.commit()
    notify([user], "test.kind", "评审任务")
    db.session.rollback()
    assert _rows(db) == []
    assert send_outbox() == 0
    assert mailbox.envelopes == []


def test_mail_server_down_then_back_sends_exactly_once(app, db, smtp_server, dead_smtp, monkeypatch):
    user = factories.create_user("evaluator", email="later@example.cn")
    db.session.commit()
    notify([user], "test.kind", "截止提醒")
    db.session.commit()  # the task runs now and finds nobody listening
    (row,) = _rows(db)
    assert row.state == OutboxState.pending and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=20)

    smtp_server.handler.clear()
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server.port)
    assert send_outbox() == 0  # not due yet: the backoff holds
    later = utcnow() + timedelta(minutes=5)
    assert send_outbox(now=later) == 1
    assert send_outbox(now=later + timedelta(hours=1)) == 0
    (row,) = _rows(db)
    assert row.state == OutboxState.sent and row.attempts == 2 and row.last_error is None
    assert [e.rcpt_tos for e in smtp_server.handler.envelopes] == [["later@example.cn"]]


def test_backoff_doubles_and_gives_up_after_the_last_attempt(app, db, dead_smtp, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    queue_email("nobody@example.cn", "标题", "正文")
    db.session.commit()
    now = utcnow()
    pauses = []
    for _ in range(3):
        send_outbox(now=now)
        (row,) = _rows(db)
        pauses.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert row.state == OutboxState.failed and row.attempts == 3
    assert pauses[0] == timedelta(seconds=30) and pauses[1] == timedelta(seconds=60)
    assert send_outbox(now=now + timedelta(days=1)) == 0


def test_a_refused_message_is_not_retried(app, db, mailbox):
    mailbox.reject_with = "550 5.1.1 mailbox unavailable"
    queue_email("gone@example.cn", "标题", "正文")
    db.session.commit()
    send_outbox()
    (row,) = _rows(db)
    assert row.state == OutboxState.failed and row.attempts == 1 and "550" in row.last_error


def test_a_sent_row_cannot_be_claimed_again(app, db, mailbox):
    row = queue_email("once@example.cn", "标题", "正文")
    db.session.commit()
    assert send_outbox([row.id]) == 1
    assert claim(row.id) is None
    db.session.rollback()
    assert send_outbox([row.id]) == 0
    assert len(mailbox.to("once@example.cn")) == 1


def test_under_flask_run_the_request_only_hands_emails_to_the_scheduler_thread(app, db, mailbox, monkeypatch):
    """`make run` has no worker: the embedded scheduler's thread sends, never the request."""
    from marketplace import scheduler

    started = threading.Event()
    started.set()
    monkeypatch.setattr(scheduler, "_started", started)
    user = factories.create_user("evaluator", email="embedded@example.cn")
    db.session.commit()
    notify([user], "test.kind", "评审任务")
    db.session.commit()
    (row,) = _rows(db)
    assert row.state == OutboxState.pending and mailbox.envelopes == []
    assert scheduler._wake.is_set()

    assert scheduler.deliver_pending(app) == 1
    (row,) = _rows(db)
    assert row.state == OutboxState.sent and len(mailbox.to("embedded@example.cn")) == 1
    assert scheduler.deliver_pending(app) == 0
    scheduler._wake.clear()
