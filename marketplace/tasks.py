"""Side work after commit and the periodic jobs, on Celery.

With `REDIS_URL` set, tasks go through Redis to `celery worker` processes and `celery beat`
(Procfile `scheduler`) triggers PERIODIC_JOBS. Without it (`make run`, the tests) the same tasks
run eagerly in-process after commit, and `flask run` starts an embedded scheduler thread
(marketplace.scheduler) for the jobs. Every job is safe to run twice: each takes a unique
(job, period) row in job_runs first, and the work itself is idempotent.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from celery import Celery, Task, shared_task
from flask import current_app

from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.jobs import JobRun

log = logging.getLogger(__name__)


def init_celery(app):
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            # A fresh application context, hence a fresh database session, also when the task
            # runs eagerly inside a request's after-commit callback.
            with app.app_context():
                return self.run(*args, **kwargs)

    redis_url = app.config["REDIS_URL"]
    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=redis_url or "memory://",
        task_always_eager=not redis_url,
        task_ignore_result=True,
        # A worker killed in the middle of a task leaves its message in Redis for another one.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 300},
        # Publishing after commit must not hang the request when Redis is away: the row stays
        # pending and the outbox sweep sends it later.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        worker_hijack_root_logger=False,
        timezone="UTC",
        beat_schedule={
            name: {"task": "marketplace.run_job", "schedule": job_interval(name, app.config), "args": (name,)}
            for name in PERIODIC_JOBS
        },
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


# --- emails -----------------------------------------------------------------------------------

def enqueue_delivery(ids, celery=None):
    """After commit: hand the new outbox rows to a worker; under `flask run` without Redis to the
    embedded scheduler's thread (never the request's); in tests, send them now (eager).

    Through this app's own Celery instance, not the process default: a process may hold several
    apps (tests do), and an eager task must run in the app whose request queued it."""
    from marketplace import scheduler

    if scheduler.running():
        scheduler.deliver_soon(ids)
        return
    celery = celery or current_app.extensions["celery"]
    celery.tasks["marketplace.deliver_outbox"].delay(list(ids))


@shared_task(name="marketplace.deliver_outbox", autoretry_for=(sa.exc.OperationalError,),
             retry_backoff=True, max_retries=5)
def deliver_outbox(ids=None):
    return send_outbox(ids)


def send_outbox(ids=None, now=None):
    """Send the due pending messages (those among `ids`, or all); one transaction per message,
    so a crash loses at most the message in flight, which stays pending and is sent again."""
    from marketplace.core.mail import MailError, deliver_mail
    from marketplace.notifications.outbox import claim, due_ids, mark_attempt_failed, mark_sent

    config = current_app.config
    sent = 0
    for outbox_id in due_ids(ids, now):
        db.session.rollback()
        row = claim(outbox_id, now)
        if row is None:
            db.session.rollback()
            continue
        try:
            deliver_mail(config, row.to_address, row.subject, row.body,
                         message_id=f"<outbox-{row.id}@marketplace.local>")
        except MailError as exc:
            log.warning("email %s to %s failed (attempt %s): %s", row.id, row.to_address, row.attempts + 1, exc)
            mark_attempt_failed(row, str(exc), permanent=exc.permanent, now=now)
        else:
            mark_sent(row, now)
            sent += 1
        db.session.commit()
    return sent


# --- periodic jobs ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    every: int  # seconds
    run: object  # callable(now) -> a count for the log; the job_run commits after it


def _close_due(now):
    from marketplace.challenges.operations import close_due_challenges

    return close_due_challenges(now)


def _remind_due(now):
    from marketplace.challenges.operations import remind_due

    return remind_due(now)


def _milestones(now):
    from marketplace.projects.operations import warn_due_milestones

    return warn_due_milestones()


def _expire_listings(now):
    from marketplace.providers.operations import expire_due_listings

    return expire_due_listings()


def _prune(now):
    from marketplace.search.index import prune_changes

    deleted = prune_changes(7)  # as `flask search prune`
    deleted += db.session.execute(sa.delete(JobRun).where(JobRun.started_at < now - timedelta(days=7))).rowcount
    return deleted


def _audit_checkpoint(now):
    # Hourly, though it publishes once per Beijing day: the first run after midnight makes the
    # day's checkpoint and the rest find it (a unique day key, so two schedulers are safe too).
    from marketplace.audit.checkpoints import publish_checkpoint

    publish_checkpoint(now=now)
    return 1


def _event_reminders(now):
    from marketplace.meetings.operations import remind_upcoming_events

    return remind_upcoming_events(now)


def _outbox_sweep(now):
    db.session.commit()
    return send_outbox(None, now)


# The one list of periodic jobs: celery beat (production) and the embedded scheduler (`flask
# run`) both read it.
PERIODIC_JOBS = {
    "close-due-challenges": Job(every=300, run=_close_due),
    "deadline-reminders": Job(every=300, run=_remind_due),
    "milestone-warnings": Job(every=3600, run=_milestones),
    "expire-listings": Job(every=3600, run=_expire_listings),
    "prune": Job(every=86400, run=_prune),
    "outbox-sweep": Job(every=60, run=_outbox_sweep),
    "audit-checkpoint": Job(every=3600, run=_audit_checkpoint),
    "event-reminders": Job(every=3600, run=_event_reminders),
}


def job_interval(name, config=None) -> int:
    """The job's period in seconds; JOB_INTERVALS="outbox-sweep=5,…" overrides it (tests, demos)."""
    config = config if config is not None else current_app.config
    overrides = dict(item.split("=", 1) for item in config["JOB_INTERVALS"].replace(" ", "").split(",") if "=" in item)
    return int(overrides.get(name, PERIODIC_JOBS[name].every))


@shared_task(name="marketplace.run_job")
def run_job_task(name):
    return run_job(name)


def run_job(name, now=None):
    """Run job `name` once for the current period; None when this period already ran (another
    scheduler got there first), else True/False for success. A failure is logged and recorded."""
    from marketplace import metrics

    job = PERIODIC_JOBS[name]
    now = now or utcnow()
    run = JobRun(job=name, period=int(now.timestamp()) // job_interval(name), started_at=utcnow())
    db.session.add(run)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        log.info("job %s already ran in this period", name)
        return None
    run_id = run.id
    try:
        result = job.run(now)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s failed", name)
        metrics.JOB_FAILURES.labels(job=name).inc()
        ok, error = False, f"{type(exc).__name__}: {exc}"[:500]
    else:
        log.info("job %s done: %s", name, result)
        ok, error = True, None
    db.session.execute(sa.update(JobRun).where(JobRun.id == run_id).values(ok=ok, error=error, finished_at=utcnow()))
    db.session.commit()
    return ok
