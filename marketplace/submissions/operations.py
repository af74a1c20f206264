"""Taking the list (揭榜): sealed entries with versions and receipts, enforced by the server clock."""

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.audit.operations import record
from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotAllowed
from marketplace.core.money import yuan_to_fen
from marketplace.core.timeutil import format_datetime
from marketplace.extensions import db
from marketplace.files import operations as file_ops
from marketplace.notifications.operations import notify, organisation_users
from marketplace.providers import queries as provider_queries
from marketplace.providers.operations import provider_standing
from marketplace.submissions.models import Submission, SubmissionState, SubmissionVersion

OWNER_TYPE = "submission"


def eligibility_problems(user, challenge) -> list[str]:
    """Why this user's organisation may not take this challenge (empty: it may)."""
    if user is None or not user.is_authenticated:
        return ["请先以服务商账号登录"]
    if user.role != Role.provider:
        return ["只有服务商可以揭榜"]
    problems = provider_standing(user.organisation)
    if not problems:
        listing = provider_queries.latest_application(user.organisation_id)
        missing = [d for d in challenge.required_domains if d not in listing.domains]
        if missing:
            problems.append(f"贵单位入库的能力领域未覆盖本榜单要求的领域：{'、'.join(missing)}")
    return problems


def _ensure_open(challenge, now):
    """The deadline is enforced here, by the server clock, to the second."""
    challenge_ops.close_if_due(challenge, now)
    if challenge.state != ChallengeState.published or now >= challenge.deadline:
        raise Conflict(f"揭榜已截止（截止时间 {format_datetime(challenge.deadline, '%Y-%m-%d %H:%M:%S')}），不能再提交或修改")


def _snapshot_version(actor, submission, change, now):
    files = [file_ops.file_json(f) for f in file_ops.live_files(OWNER_TYPE, submission.id)]
    version = SubmissionVersion(
        submission_id=submission.id, version=submission.version, change=change, summary=submission.summary,
        technical_plan=submission.technical_plan, price_fen=submission.price_fen, timeline=submission.timeline,
        team=submission.team, files=files, created_at=now, created_by_id=actor.id)
    db.session.add(version)
    return version


def receipt(submission, version: SubmissionVersion | None = None):
    """回执: entry number, version, server time, the SHA-256 of each file."""
    version = version or submission.versions[-1]
    return {
        "id": submission.id, "entry_number": submission.entry_number, "version": version.version,
        "received_at": version.created_at, "status": submission.state.value, "files": version.files,
    }


def _values_snapshot(submission):
    return {"version": submission.version, "price_fen": submission.price_fen, "state": submission.state}


def submit_entry(actor, challenge, *, summary, technical_plan, price_yuan, timeline, team=""):
    """An eligible provider submits its entry before the deadline; one live entry per provider."""
    now = utcnow()
    problems = eligibility_problems(actor, challenge)
    if problems:
        raise NotAllowed("不符合揭榜条件：" + "；".join(problems))
    _ensure_open(challenge, now)
    existing = db.session.scalar(sa.select(Submission.id).where(
        Submission.challenge_id == challenge.id, Submission.provider_id == actor.organisation_id,
        Submission.state == SubmissionState.submitted))
    if existing is not None:
        raise Conflict("贵单位已提交过方案，请修改已有方案（每家服务商只能有一份有效方案）")
    submission = Submission(
        challenge_id=challenge.id, provider_id=actor.organisation_id, submitted_by_id=actor.id,
        state=SubmissionState.submitted, version=1, summary=summary, technical_plan=technical_plan,
        price_fen=yuan_to_fen(price_yuan), timeline=timeline, team=team or "", submitted_at=now)
    db.session.add(submission)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # a concurrent request won the race; the unique index decided
        db.session.rollback()
        raise Conflict("贵单位已提交过方案（每家服务商只能有一份有效方案）") from None
    version = _snapshot_version(actor, submission, "created", now)
    challenge_ops.follow_challenge(actor, challenge)
    record(actor, "submission.submit", submission, after=_values_snapshot(submission))
    notify(organisation_users(actor.organisation_id), "submission.received", "揭榜方案已提交",
           f"榜单“{challenge.title}”的方案已收到（第 {submission.version} 版），回执编号 {submission.entry_number}。",
           link=f"/submissions/{submission.id}")
    return submission, version


def _ensure_changeable(actor, submission, now):
    if submission.state != SubmissionState.submitted:
        raise Conflict("方案已撤回，不能修改")
    _ensure_open(submission.challenge, now)


def update_entry(actor, submission, *, summary, technical_plan, price_yuan, timeline, team=""):
    """Edit before the deadline: a new version; every earlier version is kept."""
    now = utcnow()
    _ensure_changeable(actor, submission, now)
    before = _values_snapshot(submission)
    submission.summary, submission.technical_plan, submission.timeline = summary, technical_plan, timeline
    submission.price_fen, submission.team = yuan_to_fen(price_yuan), team or ""
    submission.version += 1
    submission.submitted_at = now
    version = _snapshot_version(actor, submission, "edited", now)
    record(actor, "submission.update", submission, before=before, after=_values_snapshot(submission))
    return submission, version


def withdraw_entry(actor, submission):
    now = utcnow()
    _ensure_changeable(actor, submission, now)
    before = _values_snapshot(submission)
    submission.state, submission.withdrawn_at = SubmissionState.withdrawn, now
    record(actor, "submission.withdraw", submission, before=before, after=_values_snapshot(submission))
    return submission


def attach_file(actor, submission, upload):
    """Attach a file before the deadline: stored with its SHA-256, and a new version (receipt)."""
    now = utcnow()
    _ensure_changeable(actor, submission, now)
    stored = file_ops.store_upload(actor, upload, owner_type=OWNER_TYPE, owner_id=submission.id)
    db.session.flush()
    submission.version += 1
    submission.submitted_at = now
    version = _snapshot_version(actor, submission, "file_added", now)
    record(actor, "submission.attach", submission, after={"version": submission.version, "file_id": stored.id,
                                                          "sha256": stored.sha256})
    return stored, version


def remove_attachment(actor, submission, stored):
    now = utcnow()
    _ensure_changeable(actor, submission, now)
    file_ops.remove_file(actor, stored)
    db.session.flush()
    submission.version += 1
    submission.submitted_at = now
    version = _snapshot_version(actor, submission, "file_removed", now)
    record(actor, "submission.detach", submission, after={"version": submission.version, "file_id": stored.id})
    return version


def own_submission(user, challenge):
    if user is None or not user.is_authenticated or user.role != Role.provider:
        return None
    return db.session.scalar(sa.select(Submission).where(
        Submission.challenge_id == challenge.id, Submission.provider_id == user.organisation_id,
        Submission.state == SubmissionState.submitted))


def provider_submissions(organisation_id):
    return db.session.scalars(sa.select(Submission).where(Submission.provider_id == organisation_id)
                              .order_by(Submission.id.desc())).all()


def challenge_submissions(challenge):
    from marketplace.submissions.queries import live_entries_query

    return db.session.scalars(live_entries_query(challenge.id).order_by(Submission.submitted_at)).all()
