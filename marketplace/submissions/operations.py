"""Taking the list (揭榜): sealed entries with versions and receipts, enforced by the server clock."""

import sqlalchemy as sa
from flask import current_app

from marketplace.accounts.models import Role
from marketplace.audit.operations import record
from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.core.money import yuan_to_fen
from marketplace.core.timeutil import format_datetime
from marketplace.extensions import db
from marketplace.files import operations as file_ops
from marketplace.providers import queries as provider_queries
from marketplace.providers.operations import provider_standing
from marketplace.providers.states import PartnerState
from marketplace.submissions import events
from marketplace.submissions.models import Submission, SubmissionVersion
from marketplace.submissions.queries import is_live
from marketplace.submissions.states import SUBMISSION_MACHINE, SubmissionState

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


# A provider whose listing lapsed keeps its entry (it was eligible when it entered); one that
# was suspended or removed (or is back to applying after a removal) may no longer touch it, and
# at the close its entry is not counted.
_KEEPS_ENTRY = (PartnerState.admitted, PartnerState.expired)
_BARRED_REASONS = {
    PartnerState.suspended: "贵单位的伙伴清单资格已被暂停",
    PartnerState.removed: "贵单位已被移出伙伴清单",
}


def delisted_reason(organisation_id) -> str | None:
    """Why this provider's entries no longer stand (None: they do)."""
    listing = provider_queries.latest_application(organisation_id)
    if listing is None or listing.effective_state in _KEEPS_ENTRY:
        return None
    return _BARRED_REASONS.get(listing.effective_state, "贵单位当前不在伙伴清单中")


def _lock_open(challenge):
    """Serialise with the close and with every other entry write on this challenge, then judge
    the deadline by the server clock, to the second, at the moment the lock is held: a receipt
    is only handed out by a transaction the close will wait for. Returns that moment."""
    challenge_ops.lock_challenge(challenge)
    now = utcnow()
    challenge_ops.close_if_due(challenge, now)
    if challenge.state != ChallengeState.published or now >= challenge.deadline:
        raise Conflict(f"揭榜已截止（截止时间 {format_datetime(challenge.deadline, '%Y-%m-%d %H:%M:%S')}），不能再提交或修改")
    return now


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
    now = _lock_open(challenge)
    problems = eligibility_problems(actor, challenge)
    if problems:
        raise NotAllowed("不符合揭榜条件：" + "；".join(problems))
    existing = db.session.scalar(sa.select(Submission.id).where(
        Submission.challenge_id == challenge.id, Submission.provider_id == actor.organisation_id, is_live()))
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
    events.entry_submitted.send(submission, actor=actor)
    return submission, version


def _lock_changeable(actor, submission, *, withdrawing=False):
    """Take the challenge lock, then re-read the entry: parallel changes to one entry run one
    after the other, each on the version the previous one left (no duplicate version number,
    one withdrawal). Returns the server time the change is received."""
    now = _lock_open(submission.challenge)
    db.session.refresh(submission)
    if submission.state != SubmissionState.submitted:
        raise Conflict(f"方案{submission.state.label}，不能修改")
    if not withdrawing:
        reason = delisted_reason(submission.provider_id)
        if reason:
            raise NotAllowed(f"{reason}，不能再修改方案或上传、删除附件；截止时本方案不计入有效方案")
    return now


def _unchanged(submission, *, summary, technical_plan, price_yuan, timeline, team):
    return (submission.summary, submission.technical_plan, submission.price_fen, submission.timeline,
            submission.team) == (summary, technical_plan, yuan_to_fen(price_yuan), timeline, team or "")


def update_entry(actor, submission, *, summary, technical_plan, price_yuan, timeline, team=""):
    """Edit before the deadline: a new version; every earlier version is kept. A change that
    changes nothing is refused rather than recorded as a version."""
    now = _lock_changeable(actor, submission)
    if _unchanged(submission, summary=summary, technical_plan=technical_plan, price_yuan=price_yuan,
                  timeline=timeline, team=team):
        raise ValidationFailed("没有修改：提交的内容与当前版本完全相同，未生成新版本", code="no_changes")
    before = _values_snapshot(submission)
    submission.summary, submission.technical_plan, submission.timeline = summary, technical_plan, timeline
    submission.price_fen, submission.team = yuan_to_fen(price_yuan), team or ""
    submission.version += 1
    submission.submitted_at = now
    version = _snapshot_version(actor, submission, "edited", now)
    record(actor, "submission.update", submission, before=before, after=_values_snapshot(submission))
    return submission, version


def withdraw_entry(actor, submission):
    """Withdraw before the deadline (a suspended provider may still withdraw)."""
    now = _lock_changeable(actor, submission, withdrawing=True)
    before = _values_snapshot(submission)
    submission.state, submission.withdrawn_at = SUBMISSION_MACHINE.target(submission.state, "withdraw"), now
    record(actor, "submission.withdraw", submission, before=before, after=_values_snapshot(submission))
    return submission


def attach_file(actor, submission, upload):
    """Attach a file before the deadline: stored with its SHA-256, and a new version (receipt).
    An entry holds at most UPLOAD_MAX_FILES_PER_ENTRY files of UPLOAD_MAX_BYTES_PER_ENTRY in all."""
    now = _lock_changeable(actor, submission)
    files = file_ops.live_files(OWNER_TYPE, submission.id)
    max_files = current_app.config["UPLOAD_MAX_FILES_PER_ENTRY"]
    if len(files) >= max_files:
        raise ValidationFailed(fields={"file": f"每份方案最多 {max_files} 个附件，请先删除不需要的附件"})
    max_total = current_app.config["UPLOAD_MAX_BYTES_PER_ENTRY"]
    used = sum(f.size for f in files)
    stored = file_ops.store_upload(
        actor, upload, owner_type=OWNER_TYPE, owner_id=submission.id, room=max_total - used,
        room_message=f"每份方案附件合计不能超过 {file_ops.megabytes(max_total)} MB"
                     f"（已用 {file_ops.megabytes(used)} MB），请先删除不需要的附件")
    db.session.flush()
    submission.version += 1
    submission.submitted_at = now
    version = _snapshot_version(actor, submission, "file_added", now)
    record(actor, "submission.attach", submission, after={"version": submission.version, "file_id": stored.id,
                                                          "sha256": stored.sha256})
    return stored, version


def remove_attachment(actor, submission, stored):
    """Remove a file before the deadline: a new version; the file is gone for everyone, for good."""
    now = _lock_changeable(actor, submission)
    db.session.refresh(stored)
    if stored.removed_at is not None:
        raise Conflict("该附件已删除")
    file_ops.remove_file(actor, stored)
    db.session.flush()
    submission.version += 1
    submission.submitted_at = now
    version = _snapshot_version(actor, submission, "file_removed", now)
    record(actor, "submission.detach", submission, after={"version": submission.version, "file_id": stored.id})
    return version


def exclude_delisted_entries(challenge) -> list[tuple[Submission, str]]:
    """At the close: the live entries of providers then suspended or removed are not counted.
    Returns (entry, reason) for each, so that its provider can be told."""
    out = []
    for submission in challenge_submissions(challenge):
        reason = delisted_reason(submission.provider_id)
        if reason is None:
            continue
        before = _values_snapshot(submission)
        submission.state, submission.excluded_reason = SUBMISSION_MACHINE.target(submission.state, "exclude"), reason
        record(None, "submission.exclude", submission, before=before,
               after={**_values_snapshot(submission), "reason": reason})
        out.append((submission, reason))
    return out


def own_submission(user, challenge):
    if user is None or not user.is_authenticated or user.role != Role.provider:
        return None
    return db.session.scalar(sa.select(Submission).where(
        Submission.challenge_id == challenge.id, Submission.provider_id == user.organisation_id, is_live()))


def provider_submissions(organisation_id):
    return db.session.scalars(sa.select(Submission).where(Submission.provider_id == organisation_id)
                              .order_by(Submission.id.desc())).all()


def challenge_submissions(challenge):
    from marketplace.submissions.queries import live_entries_query

    return db.session.scalars(live_entries_query(challenge.id).order_by(Submission.submitted_at)).all()
