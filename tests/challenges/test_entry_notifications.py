"""Who hears of an entry (submissions/notifications.py, subscribed to the submission events):
entries are sealed, so only the entrant's own organisation is told, once each."""

import sqlalchemy as sa

from marketplace.extensions import db as _db
from marketplace.notifications.models import Notification
from tests import factories


def test_a_submitted_entry_tells_the_entrant_organisation_only(create_challenge, submit_entry, dept, provider,
                                                               rival, admin):
    challenge = create_challenge(dept)
    org, user, _ = provider
    mate = factories.create_user("provider", org=org)
    _db.session.commit()
    last = _db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
    submission = submit_entry(user, challenge)
    notes = _db.session.scalars(sa.select(Notification).where(Notification.id > last)).all()
    assert sorted(n.user_id for n in notes) == sorted([user.id, mate.id])
    for note in notes:
        assert (note.kind, note.title, note.body, note.link) == (
            "submission.received", "揭榜方案已提交",
            f"榜单“{challenge.title}”的方案已收到（第 1 版），回执编号 {submission.entry_number}。",
            f"/submissions/{submission.id}")
