"""Work that must only happen once the transaction has committed (emails, index updates), and
clean-up for when it rolls back (an uploaded file whose record was never written).

`after_commit(fn)` queues fn on the current session; a rollback discards the queue and runs the
`on_rollback(fn)` callbacks instead.
"""

import logging

from sqlalchemy import event

log = logging.getLogger(__name__)
_COMMIT = "after_commit_callbacks"
_ROLLBACK = "on_rollback_callbacks"


def after_commit(fn):
    from marketplace.extensions import db

    db.session().info.setdefault(_COMMIT, []).append(fn)


def on_rollback(fn):
    from marketplace.extensions import db

    db.session().info.setdefault(_ROLLBACK, []).append(fn)


def _call_all(callbacks):
    for fn in callbacks:
        try:
            fn()
        except Exception:  # a side effect must never undo or fail a committed action
            log.exception("transaction callback failed")


def _committed(session):
    session.info.pop(_ROLLBACK, None)
    _call_all(session.info.pop(_COMMIT, []))


def _rolled_back(session, previous_transaction):
    if previous_transaction.parent is not None:  # a savepoint: the outer transaction goes on
        return
    session.info.pop(_COMMIT, None)
    _call_all(session.info.pop(_ROLLBACK, []))


def install(db):
    event.listen(db.session, "after_commit", _committed)
    event.listen(db.session, "after_soft_rollback", _rolled_back)
