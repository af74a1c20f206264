"""Read side of evaluation: results tables, progress, an entry's stage."""

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from marketplace.challenges.states import ChallengeState
from marketplace.extensions import db
from marketplace.review.models import PanelMember, RoundEntry
from marketplace.review.states import RoundStatus


def conflicted_with_all_clause():
    """SQL twin of operations.conflicted_with_all for a query over PanelMember: declared, and no
    entry of the round is left to score (every entry's provider is a declared conflict or the
    evaluator's own organisation). Such a member owes no sheet: done for the round."""
    from marketplace.accounts.models import User
    from marketplace.review.models import DeclaredConflict
    from marketplace.submissions.models import Submission

    # Correlated to the outer query's panel member explicitly: nested two deep, automatic
    # correlation would not reach it (and count everyone's declared conflicts).
    declared = (sa.select(DeclaredConflict.provider_id).where(DeclaredConflict.member_id == PanelMember.id)
                .correlate(PanelMember))
    own_org = (sa.select(User.organisation_id).where(User.id == PanelMember.evaluator_id)
               .correlate(PanelMember).scalar_subquery())
    to_score = (sa.select(RoundEntry.id).join(Submission, Submission.id == RoundEntry.submission_id)
                .where(RoundEntry.round_id == PanelMember.round_id, Submission.provider_id.not_in(declared),
                       sa.or_(own_org.is_(None), Submission.provider_id != own_org))
                .correlate(PanelMember))
    return sa.and_(PanelMember.declared_at.is_not(None), ~sa.exists(to_score))


def own_results(submission):
    """The provider's own score and rank in each round whose result was published to it: an
    earlier round once published (the provider was told whether it advanced), the last round
    only while the result notice is public (withdrawn after an upheld objection: gone again).
    Only its own entry; of the others, nothing but how many were ranked."""
    notice_public = submission.challenge.state in (ChallengeState.notice, ChallengeState.awarded)
    out = []
    for round_ in submission.challenge.rounds:
        if round_.status != RoundStatus.closed or (round_.is_last and not notice_public):
            continue
        mine = db.session.scalar(sa.select(RoundEntry).where(
            RoundEntry.round_id == round_.id, RoundEntry.submission_id == submission.id))
        if mine is None or mine.score_centi is None:
            continue
        ranked = db.session.scalar(sa.select(sa.func.count()).select_from(RoundEntry).where(
            RoundEntry.round_id == round_.id, RoundEntry.rank.is_not(None)))
        out.append({"round_id": round_.id, "round_name": round_.name, "position": round_.position,
                     "score": f"{Decimal(mine.score_centi) / 100:.2f}", "rank": mine.rank, "of": ranked,
                     "advanced": mine.advanced, "final": round_.is_last})
    return out


def progress(round_):
    """Who has signed and submitted, without any score."""
    from marketplace.review.operations import conflicted_with_all

    rows = db.session.scalars(sa.select(PanelMember).where(PanelMember.round_id == round_.id).order_by(PanelMember.id))
    return [{"evaluator_id": m.evaluator_id, "name": m.evaluator.name, "declared": m.declared_at is not None,
             "sheet_status": m.sheet_status.value, "sheet_status_label": m.sheet_status.label,
             "submitted_at": m.submitted_at, "return_reason": m.return_reason,
             "conflicted_with_all": conflicted_with_all(m), "report_signed_at": m.report_signed_at,
             "report_refused": m.report_refused} for m in rows]


def panel_points(panel) -> dict:
    """{member id: {(submission id, criterion id): points_centi}} of every sheet of a panel in
    one query of plain rows (30,000 Score objects cost seconds to build)."""
    from marketplace.review.models import Score

    out = {m.id: {} for m in panel}
    rows = db.session.execute(sa.select(Score.member_id, Score.submission_id, Score.criterion_id, Score.points_centi)
                              .where(Score.member_id.in_(list(out))))
    for member_id, submission_id, criterion_id, points in rows:
        out[member_id][(submission_id, criterion_id)] = points
    return out


def preload_round(panel, entries):
    """Load the entries' submissions with their providers, and the panel's evaluators, in a few
    queries and attach them, so entry.submission.provider and member.evaluator cost nothing
    afterwards (a close of 200 entries made 400 lazy loads)."""
    from sqlalchemy.orm.attributes import set_committed_value

    from marketplace.accounts.models import User
    from marketplace.submissions.models import Submission

    wanted = [e.submission_id for e in entries]
    submissions = {}
    for start in range(0, len(wanted), 500):
        for sub in db.session.scalars(sa.select(Submission).where(Submission.id.in_(wanted[start:start + 500]))
                                      .options(joinedload(Submission.provider))):
            submissions[sub.id] = sub
    for entry in entries:
        if entry.submission_id in submissions:
            set_committed_value(entry, "submission", submissions[entry.submission_id])
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([m.evaluator_id for m in panel])))}
    for member in panel:
        set_committed_value(member, "evaluator", users.get(member.evaluator_id))


def panel_names(round_) -> dict:
    """{evaluator id: name} of a round's panel in one query."""
    from marketplace.accounts.models import User

    return dict(db.session.execute(
        sa.select(PanelMember.evaluator_id, User.name).join(User, User.id == PanelMember.evaluator_id)
        .where(PanelMember.round_id == round_.id).order_by(PanelMember.id)).all())


def results_rows(round_):
    from marketplace.submissions.models import Submission

    # Each row names its provider: joined, not a query per entry (200 entries, 400 queries).
    entries = db.session.scalars(sa.select(RoundEntry).where(RoundEntry.round_id == round_.id)
                                 .options(joinedload(RoundEntry.submission).joinedload(Submission.provider))
                                 .order_by(RoundEntry.rank, RoundEntry.label)).all()
    rows = []
    for e in entries:
        d = e.details or {}
        rows.append({
            "submission_id": e.submission_id, "label": e.label, "provider_org_id": e.submission.provider_id,
            "provider_name": e.submission.provider.name,
            "score": None if e.score_centi is None else f"{e.score_centi / 100:.2f}", "rank": e.rank,
            "advanced": e.advanced, "flags": d.get("flags", []), "evaluator_totals": d.get("evaluator_totals", {}),
            "spread": d.get("spread"), "conflicts": d.get("conflicts", []), "method": d.get("method"),
            "tie_break": d.get("tie_break"), "deviating_evaluators": d.get("deviating_evaluators", []),
            "computed": d.get("computed", {}), "normalised": d.get("normalised"), "price_yuan": d.get("price_yuan"),
            "metric_doubts": d.get("metric_doubts", []),
        })
    return rows


def my_assignments(user):
    return db.session.scalars(sa.select(PanelMember).where(PanelMember.evaluator_id == user.id)
                              .order_by(PanelMember.id.desc())).all()
