"""The embedded scheduler: without Redis, `flask run` runs the periodic jobs in a thread, so the
one-command setup closes deadlines and sends reminders like production (where celery beat does).

The same thread sends the emails a request queued: `deliver_soon(ids)` hands the outbox ids over
and wakes it, so no request waits for an SMTP server (production hands them to the worker)."""

import logging
import threading
import time

import click

log = logging.getLogger(__name__)
_started = threading.Event()
_wake = threading.Event()
_pending_lock = threading.Lock()
_pending: list[int] = []
TICK_SECONDS = 5


def running() -> bool:
    return _started.is_set()


def deliver_soon(ids) -> None:
    """Queue outbox ids for the scheduler thread and wake it (called after commit)."""
    with _pending_lock:
        _pending.extend(ids)
    _wake.set()


def deliver_pending(app) -> int:
    """Send the emails handed over since the last wake-up; how many were sent."""
    from marketplace.tasks import send_outbox

    with _pending_lock:
        ids = list(_pending)
        _pending.clear()
    if not ids:
        return 0
    with app.app_context():
        try:
            return send_outbox(ids)
        except Exception:  # the messages stay pending; the outbox sweep sends them later
            log.exception("embedded delivery of %s failed", ids)
            return 0


def started_by_flask_run() -> bool:
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name == "run"


def maybe_start(app):
    config = app.config
    if config.get("TESTING") or config["REDIS_URL"] or not config["EMBEDDED_SCHEDULER"]:
        return
    if not started_by_flask_run() or _started.is_set():
        return
    _started.set()
    threading.Thread(target=_loop, args=(app,), name="marketplace-scheduler", daemon=True).start()
    log.info("embedded scheduler started (no REDIS_URL)")


_search_keeper = None


def maybe_start_search_keeper(app):
    """`flask run` (`make run`): the search index keeper (marketplace.search.keeper) beside the
    development server, as gunicorn's master starts one beside its workers; with or without
    Redis, since each server keeps its own index directory. It ends with this process."""
    global _search_keeper
    if app.config.get("TESTING") or not app.config["SEARCH_KEEPER"] or not started_by_flask_run():
        return None
    if _search_keeper is None:
        import atexit

        from marketplace.search import keeper

        _search_keeper = keeper.spawn("--watch", str(keeper.WATCH_EVERY))
        atexit.register(keeper.stop, _search_keeper)
        log.info("search index keeper started beside flask run")
    return _search_keeper


def _loop(app):
    from marketplace.tasks import PERIODIC_JOBS, job_interval, run_job

    next_due = dict.fromkeys(PERIODIC_JOBS, 0.0)
    while True:
        _wake.wait(TICK_SECONDS)
        _wake.clear()
        deliver_pending(app)
        for name in PERIODIC_JOBS:
            if time.monotonic() < next_due[name]:
                continue
            next_due[name] = time.monotonic() + job_interval(name, app.config)
            with app.app_context():
                try:
                    run_job(name)
                except Exception:  # the thread must outlive one bad run
                    log.exception("embedded job %s failed", name)
