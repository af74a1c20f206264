"""Work that must only happen once the transaction has committed (emails, index updates).

`after_commit(fn)` queues fn on the current session; a rollback discards the queue.
"""

import logging

from sqlalchemy import event

log = logging.getLogger(__name__)
_KEY = "after_commit_callbacks"


def after_commit(fn):
    from marketplace.extensions import db

    db.session().info.setdefault(_KEY, []).append(fn)


def _run(session):
    callbacks = session.info.pop(_KEY, [])
    for fn in callbacks:
        try:
            fn()
        except Exception:  # a side effect must never undo or fail a committed action
            log.exception("after-commit callback failed")


def _discard(session, *args):
    session.info.pop(_KEY, None)


def install(db):
    event.listen(db.session, "after_commit", _run)
    event.listen(db.session, "after_soft_rollback", _discard)
