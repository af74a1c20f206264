"""Periodic jobs: one run per job and period however many schedulers fire, failures recorded."""

from datetime import timedelta

import sqlalchemy as sa

from marketplace import tasks
from marketplace.core.db import utcnow
from marketplace.jobs import JobRun
from marketplace.notifications.models import EmailOutbox
from marketplace.notifications.outbox import queue_email
from marketplace.notifications.states import OutboxState


def _runs(db, job):
    db.session.expire_all()
    return db.session.scalars(sa.select(JobRun).where(JobRun.job == job)).all()


def test_a_second_scheduler_in_the_same_period_skips(app, db, monkeypatch):
    calls = []
    monkeypatch.setitem(tasks.PERIODIC_JOBS, "probe", tasks.Job(every=300, run=lambda now: calls.append(now)))
    now = utcnow().replace(minute=1, second=0)
    assert tasks.run_job("probe", now=now) is True
    assert tasks.run_job("probe", now=now + timedelta(minutes=2)) is None  # same 5-minute period
    assert tasks.run_job("probe", now=now + timedelta(minutes=5)) is True
    assert len(calls) == 2
    assert [r.ok for r in _runs(db, "probe")] == [True, True]


def test_a_failing_job_is_recorded_and_its_work_rolled_back(app, db, monkeypatch, caplog):
    def broken(now):
        queue_email("x@example.cn", "标题", "正文")
        db.session.flush()
        raise RuntimeError("boom")

    monkeypatch.setitem(tasks.PERIODIC_JOBS, "broken", tasks.Job(every=60, run=broken))
    assert tasks.run_job("broken") is False
    (run,) = _runs(db, "broken")
    assert run.ok is False and "boom" in run.error and run.finished_at is not None
    assert db.session.scalar(sa.select(sa.func.count(EmailOutbox.id))) == 0
    assert "job broken failed" in caplog.text


def test_the_outbox_sweep_sends_what_is_due(app, db, mailbox):
    row = queue_email("sweep@example.cn", "标题", "正文")
    db.session.commit()
    assert tasks.run_job("outbox-sweep") is True
    db.session.expire_all()
    assert db.session.get(EmailOutbox, row.id).state == OutboxState.sent
    assert len(mailbox.to("sweep@example.cn")) == 1


def test_every_periodic_job_runs_on_an_empty_platform(app, db):
    for name in tasks.PERIODIC_JOBS:
        assert tasks.run_job(name) is True, name
    beat = app.extensions["celery"].conf.beat_schedule
    assert set(beat) == set(tasks.PERIODIC_JOBS)
    assert all(entry["task"] == "marketplace.run_job" for entry in beat.values())
