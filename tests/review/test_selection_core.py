"""The selection core a court would accept (issue 10), through the API and the real operations:
results for review before anything moves, the signed evaluation report, returning a flagged sheet
during review, replacing a panel member, conflicts that hold for the whole challenge, the stuck
round of an evaluator conflicted with every entry, scoped re-evaluation after an upheld objection,
and one notice per person at the award."""

import hashlib
import json
from decimal import Decimal

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.review import operations as review_ops
from tests.review.conftest import round_plan
from tests.review.test_evaluation_api import _close_and_publish, _open, _score


def _audit(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _even(e, c):
    return Decimal(c["max_points"]) / 2


def test_close_gives_results_for_review_and_publish_waits_for_every_signature(world, as_user):
    w = world(n_providers=2, n_evaluators=3, notice_days=0)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    best = w.submissions[0].id
    for evaluator in w.evaluators:
        _score(as_user, round_id, evaluator, lambda e, c: Decimal(c["max_points"]) * (
            Decimal("0.8") if e["id"] == best else Decimal("0.6")))
    closed = as_user(w.admin).post(f"/rounds/{round_id}/close")
    assert closed.status_code == 200 and closed.json["status"] == "review"
    # Nothing moved: no notice, the challenge is still being evaluated; the office sees the results.
    assert as_user(w.admin).get(f"/challenges/{w.challenge.id}").json["status"] == "evaluating"
    assert as_user(w.admin).get(f"/challenges/{w.challenge.id}/notice").status_code == 404
    results = as_user(w.department).get(f"/rounds/{round_id}/results")
    assert results.status_code == 200 and results.json["entries"][0]["submission_id"] == best
    assert as_user(w.providers[0][1]).get(f"/rounds/{round_id}/results").status_code == 404

    refused = as_user(w.admin).post(f"/rounds/{round_id}/publish")
    assert refused.status_code == 409 and "未签署评审报告" in refused.json["error"]["message"]
    report = as_user(w.evaluators[0]).get(f"/rounds/{round_id}/report").json
    assert report["status"] == "signing" and report["sha256"] is None
    assert [e["submission_id"] for e in report["entries"]] == [best, w.submissions[1].id]
    assert as_user(w.providers[0][1]).get(f"/rounds/{round_id}/report").status_code == 404

    assert as_user(w.evaluators[0]).post(f"/rounds/{round_id}/report/sign", json={}).status_code == 200
    twice = as_user(w.evaluators[0]).post(f"/rounds/{round_id}/report/sign", json={})
    assert twice.status_code == 409
    dissent = as_user(w.evaluators[1]).post(f"/rounds/{round_id}/report/sign",
                                            json={"dissent": "方案B的报价分偏低，保留意见"})
    assert dissent.status_code == 200
    no_reason = as_user(w.evaluators[2]).post(f"/rounds/{round_id}/report/sign", json={"refuse": True})
    assert no_reason.status_code == 422 and "dissent" in no_reason.json["error"]["fields"]
    assert as_user(w.admin).post(f"/rounds/{round_id}/publish").status_code == 409
    refusal = as_user(w.evaluators[2]).post(f"/rounds/{round_id}/report/sign",
                                            json={"refuse": True, "dissent": "对汇总方法有异议，拒绝签署"})
    assert refusal.status_code == 200
    frozen = refusal.json
    assert frozen["status"] == "signed" and len(frozen["sha256"]) == 64
    signatures = {s["evaluator_id"]: s for s in frozen["signatures"]}
    assert signatures[w.evaluators[1].id]["dissent"] == "方案B的报价分偏低，保留意见"
    assert signatures[w.evaluators[2].id]["refused"] is True
    # The frozen report's digest is in the audit log and matches its stored content.
    round_ = review_ops.get_round(round_id)
    canonical = json.dumps(round_.report, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(canonical.encode()).hexdigest() == frozen["sha256"]
    assert _audit("round.report_frozen")[-1].after["sha256"] == frozen["sha256"]
    assert _audit("round.report_refuse")

    published = as_user(w.admin).post(f"/rounds/{round_id}/publish")
    assert published.status_code == 200 and published.json["status"] == "closed"
    assert as_user(w.admin).get(f"/challenges/{w.challenge.id}").json["status"] == "notice"


def test_a_flagged_sheet_goes_back_to_its_evaluator_alone_during_review(world, as_user):
    w = world(n_providers=2, n_evaluators=3)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    for evaluator in w.evaluators:
        _score(as_user, round_id, evaluator, _even)
    assert as_user(w.admin).post(f"/rounds/{round_id}/close").json["status"] == "review"
    assert as_user(w.evaluators[1]).post(f"/rounds/{round_id}/report/sign", json={}).status_code == 200
    target = w.evaluators[0]
    returned = as_user(w.admin).post(f"/rounds/{round_id}/sheets/{target.id}/return",
                                     json={"reason": "方案A技术分与他人相差过大，请复核"})
    assert returned.status_code == 200 and returned.json["status"] == "draft"
    state = as_user(w.admin).get(f"/rounds/{round_id}").json
    assert state["status"] == "open"  # back to scoring; the results under review are void
    assert as_user(w.admin).get(f"/rounds/{round_id}/results").status_code == 409
    # The reason is the returned evaluator's alone.
    assert as_user(target).get(f"/rounds/{round_id}/sheet").json["return_reason"].startswith("方案A技术分")
    seen_by_other = as_user(w.evaluators[1]).get(f"/rounds/{round_id}").json["panel"]
    # Other members' rows carry their names only (no status, no return reason).
    assert all(set(p) == {"evaluator_id", "name"} for p in seen_by_other if p["evaluator_id"] != w.evaluators[1].id)
    other_notes = db.session.scalars(sa.select(Notification.body).where(
        Notification.user_id.in_([w.evaluators[1].id, w.evaluators[2].id]))).all()
    assert not any("相差过大" in body for body in other_notes)
    # The evaluator corrects and resubmits; the round closes again and signatures start afresh.
    assert as_user(target).post(f"/rounds/{round_id}/sheet/submit").status_code == 200
    assert as_user(w.admin).post(f"/rounds/{round_id}/close").json["status"] == "review"
    report = as_user(w.admin).get(f"/rounds/{round_id}/report").json
    assert all(s["signed_at"] is None for s in report["signatures"])


def test_replace_a_panel_member_while_open(world, as_user):
    w = world(n_providers=2, n_evaluators=4)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id, w.evaluators[:3])
    old, new = w.evaluators[2], w.evaluators[3]
    body = {"old_evaluator_id": old.id, "new_evaluator_id": new.id}
    assert as_user(w.department).post(f"/rounds/{round_id}/panel/replace", json=body).status_code == 403
    not_member = as_user(w.admin).post(f"/rounds/{round_id}/panel/replace",
                                       json={"old_evaluator_id": new.id, "new_evaluator_id": old.id})
    assert not_member.status_code == 422 and "old_evaluator_id" in not_member.json["error"]["fields"]
    replaced = as_user(w.admin).post(f"/rounds/{round_id}/panel/replace", json=body)
    assert replaced.status_code == 200, replaced.json
    assert {p["evaluator_id"] for p in replaced.json["panel"]} == {w.evaluators[0].id, w.evaluators[1].id, new.id}
    assert as_user(old).get(f"/rounds/{round_id}/entries").status_code == 404
    before = as_user(new).get(f"/rounds/{round_id}/entries")
    assert before.status_code == 409 and before.json["error"]["code"] == "declaration_required"
    event = _audit("round.panel_replace")[-1]
    assert (event.after["old_evaluator_id"], event.after["new_evaluator_id"]) == (old.id, new.id)
    for evaluator in (*w.evaluators[:2], new):
        _score(as_user, round_id, evaluator, _even)
    _close_and_publish(as_user, w, round_id, evaluators=[*w.evaluators[:2], new])


def test_a_conflict_declared_in_round_one_holds_in_round_two(world, as_user):
    w = world(n_providers=3, n_evaluators=3, race_slots=2, notice_days=0, rounds=[
        round_plan("方案评审"), round_plan("终期评审")])
    first, second = [r.id for r in w.rounds]
    _open(as_user, w, first)
    conflicted = w.providers[0][0].id
    _score(as_user, first, w.evaluators[0], _even, conflicts=[conflicted])
    for evaluator in w.evaluators[1:]:
        _score(as_user, first, evaluator, lambda e, c: Decimal(c["max_points"]) * (
            Decimal("0.9") if e["id"] == w.submissions[0].id else Decimal("0.5")))
    _close_and_publish(as_user, w, first)
    _open(as_user, w, second)
    # The evaluator declares no conflict this time: the earlier one still holds.
    client = as_user(w.evaluators[0])
    declared = client.post(f"/rounds/{second}/declaration", json={"conflict_provider_ids": []})
    assert declared.status_code == 200 and declared.json["conflict_provider_ids"] == [conflicted]
    entries = client.get(f"/rounds/{second}/entries").json["items"]
    assert w.submissions[0].id not in {e["id"] for e in entries}


def test_an_evaluator_conflicted_with_every_entry_does_not_block_the_round(world, as_user):
    w = world(n_providers=2, n_evaluators=4)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id, w.evaluators[:4])
    everyone = [org.id for org, _u, _a in w.providers]
    client = as_user(w.evaluators[0])
    assert client.post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": everyone}).status_code == 200
    assert client.get(f"/rounds/{round_id}/entries").json["items"] == []
    for evaluator in w.evaluators[1:]:
        _score(as_user, round_id, evaluator, _even)
    progress = {p["evaluator_id"]: p for p in as_user(w.admin).get(f"/rounds/{round_id}").json["panel"]}
    assert progress[w.evaluators[0].id]["conflicted_with_all"] is True
    closed = as_user(w.admin).post(f"/rounds/{round_id}/close")
    assert closed.status_code == 200 and closed.json["status"] == "review"


def test_upheld_objection_rescored_by_named_evaluators_only_and_a_dismissal_is_answered(world, as_user, api):
    w = world(n_providers=3, n_evaluators=3, notice_days=5)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    for evaluator in w.evaluators:
        _score(as_user, round_id, evaluator, lambda e, c: Decimal(c["max_points"]) * (
            Decimal("0.8") if e["id"] == w.submissions[0].id else Decimal("0.6")))
    _close_and_publish(as_user, w, round_id)
    first = as_user(w.providers[1][1]).post(f"/challenges/{w.challenge.id}/objections", json={"reason": "评分不公"})
    dismissed = as_user(w.admin).post(f"/objections/{first.json['id']}/resolve",
                                      json={"decision": "dismissed", "note": "经复核计分无误"})
    assert dismissed.status_code == 200
    answer = db.session.scalars(sa.select(Notification).where(
        Notification.user_id == w.providers[1][1].id, Notification.kind == "objection.resolved")).one()
    assert "驳回" in answer.body and "经复核计分无误" in answer.body

    second = as_user(w.providers[2][1]).post(f"/challenges/{w.challenge.id}/objections", json={"reason": "报价分错"})
    named = w.evaluators[1]
    upheld = as_user(w.admin).post(f"/objections/{second.json['id']}/resolve", json={
        "decision": "upheld", "note": "报价分计算有误，重新评审", "scope": "evaluators",
        "evaluator_ids": [named.id], "panel_note": "专家2请复核方案C的报价分"})
    assert upheld.status_code == 200, upheld.json
    assert "专家2请复核" not in json.dumps(upheld.json, ensure_ascii=False)  # the panel note is not public
    objector_view = as_user(w.providers[2][1]).get(f"/objections/{second.json['id']}").json
    assert "专家2请复核" not in json.dumps(objector_view, ensure_ascii=False)
    sheets = {e.id: as_user(e).get(f"/rounds/{round_id}/sheet").json for e in w.evaluators}
    assert sheets[named.id]["status"] == "draft" and "专家2请复核" in sheets[named.id]["return_reason"]
    assert {sheets[e.id]["status"] for e in w.evaluators if e.id != named.id} == {"submitted"}
    provider_notes = db.session.scalars(sa.select(Notification.body).where(
        Notification.user_id.in_([u.id for _o, u, _a in w.providers]))).all()
    assert not any("专家2请复核" in body for body in provider_notes)
    # Only the named evaluator re-scores; the round goes through review and signatures again.
    assert as_user(named).post(f"/rounds/{round_id}/sheet/submit").status_code == 200
    _close_and_publish(as_user, w, round_id)
    assert as_user(w.admin).get(f"/challenges/{w.challenge.id}").json["status"] == "notice"


def test_the_winner_gets_one_notice_for_one_award(world, as_user):
    w = world(n_providers=2, n_evaluators=3, notice_days=0)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    for evaluator in w.evaluators:
        _score(as_user, round_id, evaluator, lambda e, c: Decimal(c["max_points"]) * (
            Decimal("0.8") if e["id"] == w.submissions[0].id else Decimal("0.6")))
    _close_and_publish(as_user, w, round_id)
    mark = db.session.scalar(sa.select(sa.func.max(Notification.id)))
    assert as_user(w.admin).post(f"/challenges/{w.challenge.id}/finalize").status_code == 200
    after = db.session.scalars(sa.select(Notification).where(Notification.id > mark)).all()
    per_user = {}
    for note in after:
        per_user.setdefault(note.user_id, []).append(note.kind)
    winner_user = w.providers[0][1]
    assert per_user[winner_user.id] == ["challenge.awarded"]
    assert all(len(kinds) == 1 for kinds in per_user.values()), per_user
    assert per_user[w.department.id] == ["project.created"]
