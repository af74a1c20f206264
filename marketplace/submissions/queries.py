"""The live entries of a challenge: written once, used by every area above submissions."""

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.submissions.models import Submission, SubmissionState


def is_live():
    """The condition of an entry that counts: submitted, not withdrawn or excluded. The one
    place that says so; queries of other areas join on it."""
    return Submission.state == SubmissionState.submitted


def live_entries_query(challenge_id):
    """Entries that count."""
    return sa.select(Submission).where(Submission.challenge_id == challenge_id, is_live())


def live_entries(challenge) -> list[Submission]:
    return db.session.scalars(live_entries_query(challenge.id).order_by(Submission.id)).all()


def live_count(challenge) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(live_entries_query(challenge.id).subquery()))


def live_counts(challenge_ids) -> dict[int, int]:
    """{challenge id: live entries} for several challenges in one query (absent: none). Callers
    show it only after the deadline: before it the entries are sealed."""
    if not challenge_ids:
        return {}
    rows = db.session.execute(sa.select(Submission.challenge_id, sa.func.count()).where(
        Submission.challenge_id.in_(challenge_ids), is_live())
        .group_by(Submission.challenge_id))
    return dict(rows.all())


def live_provider_ids_query(challenge_id):
    return live_entries_query(challenge_id).with_only_columns(Submission.provider_id)


def live_provider_ids(challenge) -> set[int]:
    return set(db.session.scalars(live_provider_ids_query(challenge.id)))


def entrant_users(challenge) -> list[User]:
    """Active users of the providers with a live entry."""
    return db.session.scalars(sa.select(User).where(
        User.organisation_id.in_(live_provider_ids_query(challenge.id)), User.is_active)).all()
