"""The life of a challenge, in one place.

Operations of each area change only their own area and announce what happened (`events.py` of
the area). This module listens and makes every move that crosses areas, in the order a challenge
lives them:

1. drafted or edited     → review writes its evaluation plan (rounds, criteria)
2. deadline passed       → closed; 流标 below `min_submissions`; department and entrants told
3. first round opened    → the challenge is `evaluating`
4. a round published     → (closing a round only computes results for review; the panel signs
                           the report and the admin publishes: review/operations.py)
                           → after the proposal round of a multi-slot challenge the race starts
                           (`racing`): each racer gets a pilot project (试点) with the unified
                           milestones; a mid-term round's eliminated racers' pilots end (末位淘汰);
                           after the last round the challenge goes to `notice` and the notice
                           (公示) opens
5. objection upheld      → the challenge goes back to `evaluating`, the last round reopens
6. award confirmed       → `awarded`, and the winner's project enters the key-project library
                           (after a race: the winner's pilot becomes it; the other pilots close)
7. winner withdrawn      → 递补 (before the contract only): the winner's project ends, the
                           challenge goes back to `notice` and a new notice proposes the
                           next-ranked entry; its award (6.) makes the substitute's project

Receivers run synchronously inside the acting request's transaction: a move that fails undoes
the act that triggered it. Notification subscribers (each area's `notifications.py`) are wired
here too; where a notice depends on a move made here (closed vs 流标, advanced into the race),
the receiver below calls it after the move, so that one act sends one notice to each person.
"""

from marketplace.audit.operations import record
from marketplace.cases import notifications as case_notes
from marketplace.challenges import events as challenge_events
from marketplace.challenges import notifications as challenge_notes
from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.states import ChallengeState
from marketplace.core.timeutil import today_shanghai
from marketplace.notices import events as notice_events
from marketplace.notices import notifications as notice_notes
from marketplace.notices import operations as notice_ops
from marketplace.projects import notifications as project_notes
from marketplace.projects import operations as project_ops
from marketplace.providers import notifications as provider_notes
from marketplace.review import events as review_events
from marketplace.review import notifications as review_notes
from marketplace.review import operations as review_ops
from marketplace.submissions import notifications as submission_notes
from marketplace.submissions import operations as submission_ops
from marketplace.submissions import queries as submission_queries

S = ChallengeState


# 1. drafted or edited
def on_plan_written(challenge, *, plan, **_):
    review_ops.write_plan(challenge, plan)


# 2. deadline passed
def on_challenge_closed(challenge, **_):
    # Entries of providers suspended or removed by now do not count (and are not evaluated).
    excluded = submission_ops.exclude_delisted_entries(challenge)
    count = submission_queries.live_count(challenge)
    # What the close counted, for the auditors (the close itself is recorded before this count).
    record(None, "challenge.entries_counted", challenge,
           after={"submissions": count, "excluded": len(excluded), "min_submissions": challenge.min_submissions})
    if count < challenge.min_submissions:
        challenge_ops.fail_challenge(challenge, count=count)
    challenge_notes.closed(challenge, count, excluded)


# 3. first round opened
def on_round_opened(round_, *, actor, **_):
    if round_.challenge.state == S.closed:
        challenge_ops.start_evaluation(actor, round_.challenge)


# 4. a round published
def on_round_published(round_, *, actor, ranked, advanced, eliminated, **_):
    challenge = round_.challenge
    race_started = False
    if round_.is_last:
        challenge_ops.open_notice(actor, challenge)
        notice_ops.publish_notice(actor, challenge, round_, ranked)
    elif challenge.race_slots > 1 and challenge.state == S.evaluating:
        challenge_ops.start_race(actor, challenge)
        race_started = True
        started_on = today_shanghai()
        for submission in advanced:
            project_ops.start_pilot(actor, challenge, submission, started_on=started_on)
    elif challenge.state == S.racing:
        # A mid-term round: 末位淘汰, the eliminated racers' pilots end now.
        reason = f"末位淘汰（{round_.name}）"
        for project in project_ops.challenge_projects(challenge.id):
            if project.submission_id in {s.id for s in eliminated}:
                project_ops.end_pilot(actor, project, reason=reason)
    review_notes.round_published(round_, advanced=advanced, eliminated=eliminated, race_started=race_started)


# 5. objection upheld
def on_objection_upheld(objection, *, actor, **_):
    challenge = objection.challenge
    challenge_ops.reopen_evaluation(actor, challenge, reason=objection.resolution_note)
    review_ops.reopen_last_round(actor, challenge, objection.panel_note, objection.rescore_evaluator_ids)
    notice_notes.objection_resolved(objection)


# 6. award confirmed
def on_award_confirmed(challenge, *, actor, winner, **_):
    challenge_ops.award(actor, challenge)
    project = project_ops.create_project_from_award(actor, challenge, winner)
    for pilot in project_ops.challenge_projects(challenge.id):
        if pilot.id != project.id and pilot.kind.value == "pilot":
            project_ops.end_pilot(actor, pilot, reason="赛马未胜出，试点结束")
    record(actor, "challenge.award_result", challenge, after={"winner_submission_id": winner.id,
                                                               "project_id": project.id})
    notice_notes.awarded(challenge, winner=winner, project=project)


# 7. winner withdrawn or disqualified (递补)
def on_winner_withdrawn(challenge, *, actor, notice, withdrawn, substitute, cause, reason, **_):
    label = notice_ops.SUBSTITUTE_CAUSES[cause]
    project_ops.withdraw_award_project(actor, challenge, reason=f"{withdrawn.provider.name}{label}：{reason}")
    challenge_ops.reopen_notice(actor, challenge, reason=f"递补公示：原挂帅单位{label}（{reason}）")
    new_notice = notice_ops.publish_substitute_notice(actor, challenge, notice, substitute, cause=cause, reason=reason)
    notice_notes.substituted(challenge, notice=new_notice, withdrawn=withdrawn, substitute=substitute)


MOVES = [
    (challenge_events.plan_written, on_plan_written),
    (challenge_events.challenge_closed, on_challenge_closed),
    (review_events.round_opened, on_round_opened),
    (review_events.round_published, on_round_published),
    (notice_events.objection_upheld, on_objection_upheld),
    (notice_events.award_confirmed, on_award_confirmed),
    (notice_events.winner_withdrawn, on_winner_withdrawn),
]


def connect():
    """Wire the moves and the notification subscribers (idempotent: blinker keeps one of each),
    and the rules lower services ask of higher areas."""
    for signal, receiver in [*MOVES, *provider_notes.SUBSCRIPTIONS, *challenge_notes.SUBSCRIPTIONS,
                             *submission_notes.SUBSCRIPTIONS, *review_notes.SUBSCRIPTIONS,
                             *notice_notes.SUBSCRIPTIONS, *project_notes.SUBSCRIPTIONS,
                             *case_notes.SUBSCRIPTIONS]:
        signal.connect(receiver)
    _wire_rules()


def _wire_rules():
    # Lower areas cannot import the rules of higher ones; they are handed them here.
    from marketplace.challenges.permissions import can_read_challenge_file
    from marketplace.files.operations import register_reader
    from marketplace.notices.permissions import can_read_objection_file
    from marketplace.projects.permissions import (
        can_read_pilot_evidence_file,
        can_read_project_file,
        hides_pilot_evidence_file_name,
    )
    from marketplace.review.permissions import evaluator_access
    from marketplace.submissions.permissions import (
        can_read_submission_file,
        hides_submission_file_name,
        register_evaluator_access,
    )

    register_evaluator_access(evaluator_access)
    register_reader("challenge", can_read_challenge_file)
    register_reader("submission", can_read_submission_file, hides_submission_file_name)
    register_reader("objection", can_read_objection_file)
    register_reader("project", lambda user, stored: stored.removed_at is None and can_read_project_file(user, stored))
    # Progress-report attachments: the project's people, and evaluators of a racer's entry (pilot
    # evidence of confirmed reports, blind and conflict rules as for the entry).
    register_reader("progress_report",
                    lambda user, stored: stored.removed_at is None and (
                        can_read_project_file(user, stored) or can_read_pilot_evidence_file(user, stored)),
                    hides_pilot_evidence_file_name)
