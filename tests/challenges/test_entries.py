"""Taking the list (揭榜): eligibility, one live entry per provider, versions and receipts."""

import hashlib

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.core.db import utcnow
from marketplace.extensions import db as _db
from marketplace.providers import operations as provider_ops
from marketplace.submissions.models import Submission, SubmissionState, SubmissionVersion
from tests.challenges.conftest import (
    ISO_0800,
    assert_error,
    audit_count,
    entry_payload,
    ooxml_bytes,
    pdf_bytes,
    png_bytes,
    upload,
)

REASONS = {
    "applied": "审核中",
    "rejected": "未通过",
    "suspended": "暂停",
    "expired": "过期",
    "removed": "移出",
}


def test_providers_not_in_good_standing_are_refused_with_the_reason(api, create_challenge, create_provider,
                                                                    admin, dept):
    challenge = create_challenge(dept)
    for state, reason in REASONS.items():
        _, user, _ = create_provider(state=state, admin=admin)
        response = api(user).post(f"/challenges/{challenge.id}/submissions", json=entry_payload())
        assert response.status_code == 403, state
        error = assert_error(response, 403)
        assert reason in error["message"], (state, error)
    assert _db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_missing_required_domain_is_refused_naming_it(api, create_challenge, create_provider, admin, dept):
    challenge = create_challenge(dept, required_domains=["医疗", "数字治理"])
    _, user, _ = create_provider(domains=("医疗", "教育"), admin=admin)
    error = assert_error(api(user).post(f"/challenges/{challenge.id}/submissions", json=entry_payload()), 403)
    assert "数字治理" in error["message"] and "医疗" not in error["message"].split("：")[-1]


def test_suspension_after_submitting_blocks_a_new_entry(api, create_challenge, create_provider, admin, dept):
    first, second = create_challenge(dept), create_challenge(dept, title="第二个榜单")
    org, user, _ = create_provider(admin=admin)
    assert api(user).post(f"/challenges/{first.id}/submissions", json=entry_payload()).status_code == 201
    provider_ops.suspend_provider(admin, org, reason="违规核查")
    _db.session.commit()
    error = assert_error(api(user).post(f"/challenges/{second.id}/submissions", json=entry_payload()), 403)
    assert "暂停" in error["message"]


def test_other_roles_cannot_submit(api, create_challenge, dept, admin, create_user):
    challenge = create_challenge(dept)
    for user in (dept, admin, create_user("evaluator")):
        assert_error(api(user).post(f"/challenges/{challenge.id}/submissions", json=entry_payload()), 403)
    assert api().post(f"/challenges/{challenge.id}/submissions", json=entry_payload()).status_code == 401


def test_cannot_submit_to_unpublished_challenges(api, create_challenge, dept, provider):
    _, user, _ = provider
    draft = create_challenge(dept, state="draft")
    pending = create_challenge(dept, state="pending_review")
    for challenge in (draft, pending):
        assert_error(api(user).post(f"/challenges/{challenge.id}/submissions", json=entry_payload()), 404)


ENTRY_CASES = [("price_yuan", "-1"), ("price_yuan", "1.234"), ("price_yuan", "很便宜"), ("price_yuan", "  "),
               ("summary", ""), ("summary", "   "), ("technical_plan", "\n"), ("timeline", None)]


def test_entry_validation(api, create_challenge, dept, provider):
    _, user, _ = provider
    challenge = create_challenge(dept)
    for field, value in ENTRY_CASES:
        body = entry_payload(**{field: value})
        if value is None:
            body.pop(field)
        response = api(user).post(f"/challenges/{challenge.id}/submissions", json=body)
        assert response.status_code == 422, (field, value, response.status_code)
        assert_error(response, 422, field=field)
    assert _db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_one_live_entry_per_provider(api, create_challenge, dept, provider):
    org, user, _ = provider
    colleague = _colleague(org)
    challenge = create_challenge(dept)
    first = api(user).post(f"/challenges/{challenge.id}/submissions", json=entry_payload())
    assert first.status_code == 201
    assert_error(api(user).post(f"/challenges/{challenge.id}/submissions", json=entry_payload()), 409)
    # A colleague of the same organisation is the same provider.
    assert_error(api(colleague).post(f"/challenges/{challenge.id}/submissions", json=entry_payload()), 409)
    # The colleague sees (and may edit) the organisation's entry.
    assert api(colleague).get(f"/submissions/{first.get_json()['id']}").status_code == 200


def _colleague(org):
    from tests import factories

    return factories.create_user("provider", org=org)


def test_the_database_refuses_a_second_live_entry(create_challenge, submit_entry, dept, provider):
    org, user, _ = provider
    challenge = create_challenge(dept)
    first = submit_entry(user, challenge)
    duplicate = Submission(challenge_id=challenge.id, provider_id=org.id, submitted_by_id=user.id,
                           state=SubmissionState.submitted, version=1, summary="重复", technical_plan="x",
                           price_fen=1, timeline="x", submitted_at=utcnow())
    _db.session.add(duplicate)
    with pytest.raises(IntegrityError):
        _db.session.flush()
    _db.session.rollback()
    # Withdrawn ones do not count: after a withdrawal a new live row is allowed.
    _db.session.execute(sa.update(Submission).where(Submission.id == first.id).values(state="withdrawn"))
    _db.session.add(Submission(challenge_id=challenge.id, provider_id=org.id, submitted_by_id=user.id,
                               state=SubmissionState.submitted, version=1, summary="新", technical_plan="x",
                               price_fen=1, timeline="x", submitted_at=utcnow()))
    _db.session.flush()
    _db.session.rollback()


def test_withdraw_then_submit_again(api, create_challenge, dept, provider):
    _, user, _ = provider
    challenge = create_challenge(dept)
    as_user = api(user)
    first = as_user.post(f"/challenges/{challenge.id}/submissions", json=entry_payload()).get_json()
    withdrawn = as_user.post(f"/submissions/{first['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert_error(as_user.post(f"/submissions/{first['id']}/withdraw"), 409)
    assert_error(as_user.put(f"/submissions/{first['id']}", json={"summary": "复活"}), 409)
    again = as_user.post(f"/challenges/{challenge.id}/submissions", json=entry_payload(summary="重新提交"))
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["id"] != first["id"] and again.get_json()["receipt"]["version"] == 1
    assert api(dept).get(f"/challenges/{challenge.id}").get_json()["submission_count"] == 1
    assert audit_count("submission.withdraw") == 1 and audit_count("submission.submit") == 2


def test_edit_makes_version_two_and_keeps_version_one(api, create_challenge, dept, provider):
    _, user, _ = provider
    challenge = create_challenge(dept)
    as_user = api(user)
    created = as_user.post(f"/challenges/{challenge.id}/submissions",
                           json=entry_payload(summary="第一版摘要", price_yuan="750000"))
    assert created.status_code == 201
    submission_id = created.get_json()["id"]
    updated = as_user.put(f"/submissions/{submission_id}", json={"summary": "第二版摘要", "price_yuan": "700000.50"})
    assert updated.status_code == 200, updated.get_json()
    data = updated.get_json()
    assert data["version"] == 2 and data["summary"] == "第二版摘要" and data["price_yuan"] == "700000.50"
    assert data["receipt"]["version"] == 2
    assert [(v["version"], v["change"], v["price_yuan"]) for v in data["versions"]] == [
        (1, "created", "750000.00"), (2, "edited", "700000.50")]
    history = _db.session.scalars(sa.select(SubmissionVersion).where(SubmissionVersion.submission_id == submission_id)
                                  .order_by(SubmissionVersion.version)).all()
    assert [v.summary for v in history] == ["第一版摘要", "第二版摘要"]
    assert history[0].created_at <= history[1].created_at
    assert_error(as_user.put(f"/submissions/{submission_id}", json={"price_yuan": "-5"}), 422, field="price_yuan")
    assert as_user.get(f"/submissions/{submission_id}").get_json()["version"] == 2


def test_receipt_has_number_version_time_and_file_hashes(api, browser, create_challenge, dept, provider):
    _, user, _ = provider
    challenge = create_challenge(dept)
    as_user = api(user)
    created = as_user.post(f"/challenges/{challenge.id}/submissions", json=entry_payload())
    assert created.status_code == 201
    receipt = created.get_json()["receipt"]
    submission_id = created.get_json()["id"]
    assert receipt["id"] == submission_id and receipt["version"] == 1 and receipt["files"] == []
    assert receipt["entry_number"] and str(submission_id) in receipt["entry_number"]
    assert ISO_0800.match(receipt["received_at"]), receipt

    contents = {"技术方案.pdf": pdf_bytes(), "架构图.png": png_bytes(), "报价单.xlsx": ooxml_bytes("xlsx")}
    for name, data in contents.items():
        response = upload(as_user, f"/submissions/{submission_id}/attachments", data, name)
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["size"] == len(data)
        assert body["name"] == name and ISO_0800.match(body["received_at"])

    receipt = as_user.get(f"/submissions/{submission_id}").get_json()["receipt"]
    assert receipt["version"] == 4
    assert {f["name"]: f["sha256"] for f in receipt["files"]} == {
        name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}
    # The page shows the same receipt to the owner.
    page = browser(user).get(f"/submissions/{submission_id}").get_data(as_text=True)
    assert receipt["entry_number"] in page and hashlib.sha256(pdf_bytes()).hexdigest() in page


def test_page_shows_an_ineligible_provider_why(browser, create_challenge, create_provider, admin, dept):
    challenge = create_challenge(dept)
    _, user, _ = create_provider(state="suspended", admin=admin)
    page = browser(user).get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert 'data-testid="ineligible"' in page and "暂停" in page
