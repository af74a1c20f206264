"""Entries that cannot be bent: a suspended or removed provider's entry is frozen and not
counted; removed attachments are gone for good; a file missing on disk is a 410, not a 500;
quotas per entry; a change that changes nothing is not a version; blind rounds warn providers."""

import io
import logging
import os
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.challenges.models import Challenge
from marketplace.challenges.states import ChallengeState
from marketplace.extensions import db as _db
from marketplace.files import operations as file_ops
from marketplace.files.models import StoredFile
from marketplace.notifications.models import Notification
from marketplace.providers import operations as provider_ops
from marketplace.submissions import operations as submission_ops
from marketplace.submissions.models import Submission, SubmissionState
from tests.challenges.conftest import (
    assert_error,
    audit_count,
    entry_payload,
    move_deadline,
    notification_count,
    pdf_bytes,
    png_bytes,
    upload,
)
from tests.conftest import csrf_token


def _attach(as_user, submission, name="方案.pdf", data=None):
    response = upload(as_user, f"/submissions/{submission.id}/attachments", data or pdf_bytes(), name)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _on_disk(stored_id):
    return os.path.isfile(file_ops.file_path(_db.session.get(StoredFile, stored_id)))


def _close(challenge):
    move_deadline(challenge, -timedelta(seconds=1))
    from marketplace.challenges import operations as challenge_ops

    challenge_ops.close_due_challenges()
    _db.session.commit()
    _db.session.expire_all()
    return _db.session.get(Challenge, challenge.id)


def _closed_notices(user):
    return _db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user.id, Notification.kind == "challenge.closed")).all()


# --- suspended or removed providers ---------------------------------------------------------------

@pytest.mark.parametrize("sanction", ["suspend", "remove"])
def test_a_suspended_or_removed_provider_cannot_touch_its_entry(
        api, browser, create_challenge, submit_entry, dept, provider, admin, sanction):
    org, user, _ = provider
    challenge = create_challenge(dept)
    submission = submit_entry(user, challenge)
    as_user = api(user)
    kept = _attach(as_user, submission)
    getattr(provider_ops, f"{sanction}_provider")(admin, org, reason="核查发现违约")
    _db.session.commit()
    word = "暂停" if sanction == "suspend" else "移出"

    for response in (
        as_user.put(f"/submissions/{submission.id}", json={"summary": "暂停后修改"}),
        upload(as_user, f"/submissions/{submission.id}/attachments", pdf_bytes(), "补充.pdf"),
        as_user.post(f"/challenges/{create_challenge(dept, title='另一榜单').id}/submissions", json=entry_payload()),
    ):
        error = assert_error(response, 403)
        assert word in error["message"], error

    web = browser(user)
    page = web.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert 'data-testid="delisted"' in page and word in page
    assert "修改方案</a>" not in page and 'name="file"' not in page and "删除</button>" not in page
    edit = web.post(f"/submissions/{submission.id}/edit", data={
        "csrf_token": csrf_token(web, f"/submissions/{submission.id}"), "summary": "页面修改", "technical_plan": "x",
        "price_yuan": "1", "timeline": "x"})
    assert edit.status_code == 403 and word in edit.get_data(as_text=True)
    removal = web.post(f"/submissions/{submission.id}/attachments/{kept['id']}/remove",
                       data={"csrf_token": csrf_token(web, f"/submissions/{submission.id}")})
    assert removal.status_code == 403

    _db.session.expire_all()
    assert _db.session.get(Submission, submission.id).version == 2
    assert _db.session.get(StoredFile, kept["id"]).removed_at is None


def test_a_suspended_provider_may_still_withdraw(api, create_challenge, submit_entry, dept, provider, admin):
    org, user, _ = provider
    submission = submit_entry(user, create_challenge(dept))
    provider_ops.suspend_provider(admin, org, reason="核查中")
    _db.session.commit()
    response = api(user).post(f"/submissions/{submission.id}/withdraw")
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"


def test_at_the_close_a_delisted_providers_entry_is_not_counted_and_it_is_told(
        api, create_challenge, submit_entry, dept, provider, rival, create_provider, admin):
    suspended_org, suspended_user, _ = provider
    removed_org, removed_user, _ = rival
    _, good_user, _ = create_provider(admin=admin)
    challenge = create_challenge(dept, min_submissions=2)
    excluded = [submit_entry(suspended_user, challenge), submit_entry(removed_user, challenge)]
    submit_entry(good_user, challenge)
    provider_ops.suspend_provider(admin, suspended_org, reason="核查中")
    provider_ops.remove_provider(admin, removed_org, reason="严重违约")
    _db.session.commit()

    challenge = _close(challenge)
    assert challenge.state == ChallengeState.failed  # one valid entry of the two required
    assert "有效方案 1 份" in challenge.status_reason
    for submission, word in zip(excluded, ("暂停", "移出"), strict=True):
        _db.session.refresh(submission)
        assert submission.state == SubmissionState.excluded and word in submission.excluded_reason
        assert audit_count("submission.exclude", submission.id) == 1
    # One close notice per entrant: the excluded ones are told why theirs did not count.
    for user, word in ((suspended_user, "暂停"), (removed_user, "移出")):
        (notice,) = _closed_notices(user)
        assert word in notice.body and "未计入有效方案" in notice.body
    (notice,) = _closed_notices(good_user)
    assert "1 份有效方案" in notice.body

    # The department sees only the counted entry; the excluded provider sees why, with its entry.
    listed = api(dept).get(f"/challenges/{challenge.id}/submissions").get_json()
    assert listed["total"] == 1
    own = api(suspended_user).get(f"/submissions/{excluded[0].id}").get_json()
    assert own["status"] == "excluded" and "暂停" in own["excluded_reason"]


def test_a_reinstated_provider_is_counted(create_challenge, submit_entry, dept, provider, admin):
    org, user, _ = provider
    challenge = create_challenge(dept)
    submission = submit_entry(user, challenge)
    provider_ops.suspend_provider(admin, org, reason="核查中")
    provider_ops.reinstate_provider(admin, org)
    _db.session.commit()
    assert _close(challenge).state == ChallengeState.closed
    _db.session.refresh(submission)
    assert submission.state == SubmissionState.submitted
    assert notification_count(user, "challenge.closed") == 1


# --- removed attachments --------------------------------------------------------------------------

def test_a_removed_attachment_is_deleted_and_never_served(
        api, browser, create_challenge, submit_entry, dept, provider, admin):
    _, user, _ = provider
    challenge = create_challenge(dept)
    submission = submit_entry(user, challenge)
    as_user = api(user)
    kept, removed = _attach(as_user, submission, "保留.pdf"), _attach(as_user, submission, "删除.pdf")
    web = browser(user)
    response = web.post(f"/submissions/{submission.id}/attachments/{removed['id']}/remove",
                        data={"csrf_token": csrf_token(web, f"/submissions/{submission.id}")})
    assert response.status_code == 302
    _db.session.expire_all()
    assert not _on_disk(removed["id"]) and _on_disk(kept["id"])

    assert as_user.get(f"/files/{removed['id']}").status_code == 404
    assert web.get(f"/files/{removed['id']}").status_code == 404
    move_deadline(challenge, -timedelta(seconds=1))
    for reader in (admin, dept):
        assert api(reader).get(f"/files/{removed['id']}").status_code == 404
        assert browser(reader).get(f"/files/{removed['id']}").status_code == 404
        assert api(reader).get(f"/files/{kept['id']}").status_code == 200


def test_a_removal_rolled_back_keeps_the_file(api, create_challenge, submit_entry, dept, provider):
    _, user, _ = provider
    submission = submit_entry(user, create_challenge(dept))
    attached = _attach(api(user), submission)
    stored = _db.session.get(StoredFile, attached["id"])
    submission_ops.remove_attachment(user, submission, stored)
    _db.session.rollback()
    assert _on_disk(attached["id"])
    assert api(user).get(f"/files/{attached['id']}").status_code == 200


# --- a stored file missing on disk ------------------------------------------------------------------

def test_a_file_missing_on_disk_is_410_and_logged(api, browser, create_challenge, submit_entry, dept, provider,
                                                  caplog):
    _, user, _ = provider
    submission = submit_entry(user, create_challenge(dept))
    attached = _attach(api(user), submission)
    os.remove(file_ops.file_path(_db.session.get(StoredFile, attached["id"])))

    with caplog.at_level(logging.ERROR, logger="marketplace.files.operations"):
        error = assert_error(api(user).get(f"/files/{attached['id']}"), 410)
        page = browser(user).get(f"/files/{attached['id']}")
    assert error["code"] == "gone"
    assert page.status_code == 410 and "该文件已无法获取" in page.get_data(as_text=True)
    logged = [r for r in caplog.records if r.levelno == logging.ERROR and "missing on disk" in r.getMessage()]
    assert len(logged) == 2
    # Someone who may not see the file still gets the plain 404: the 410 reveals nothing.
    assert api().get(f"/files/{attached['id']}").status_code == 404


# --- quota per entry --------------------------------------------------------------------------------

def test_the_number_of_files_per_entry_is_limited(app, api, browser, create_challenge, submit_entry, dept,
                                                  provider, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_FILES_PER_ENTRY", 2)
    _, user, _ = provider
    submission = submit_entry(user, create_challenge(dept))
    as_user = api(user)
    _attach(as_user, submission, "一.pdf")
    second = _attach(as_user, submission, "二.pdf")
    before = _stored_count(app)
    error = assert_error(upload(as_user, f"/submissions/{submission.id}/attachments", pdf_bytes(), "三.pdf"), 422,
                         field="file")
    assert "最多 2 个附件" in error["fields"]["file"]
    web = browser(user)
    page = web.post(f"/submissions/{submission.id}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(web, f"/submissions/{submission.id}"), "file": (io.BytesIO(pdf_bytes()), "三.pdf")})
    assert page.status_code == 422
    assert re.search(r'data-field="file">[^<]*最多 2 个附件', page.get_data(as_text=True))
    assert _stored_count(app) == before

    # Removing one makes room again.
    submission_ops.remove_attachment(user, submission, _db.session.get(StoredFile, second["id"]))
    _db.session.commit()
    _attach(as_user, submission, "三.pdf")


def test_the_total_size_per_entry_is_limited(app, api, create_challenge, submit_entry, dept, provider, monkeypatch):
    first, second = pdf_bytes(), png_bytes()
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES_PER_ENTRY", len(first) + len(second) - 1)
    _, user, _ = provider
    submission = submit_entry(user, create_challenge(dept))
    as_user = api(user)
    _attach(as_user, submission, "一.pdf", first)
    before = _stored_count(app)
    error = assert_error(upload(as_user, f"/submissions/{submission.id}/attachments", second, "图.png"), 422,
                         field="file")
    assert "附件合计不能超过" in error["fields"]["file"]
    assert _stored_count(app) == before  # the refused bytes were not kept
    _db.session.expire_all()
    assert _db.session.get(Submission, submission.id).version == 2


def test_quota_defaults_are_configured(app):
    assert app.config["UPLOAD_MAX_FILES_PER_ENTRY"] == 20
    assert app.config["UPLOAD_MAX_BYTES_PER_ENTRY"] == 100 * 1024 * 1024


def _stored_count(app):
    root = app.config["UPLOAD_DIR"]
    return sum(len(files) for _, _, files in os.walk(root)) if os.path.isdir(root) else 0


# --- a change that changes nothing ----------------------------------------------------------------

def test_an_empty_or_unchanged_put_is_422_and_no_version(api, browser, create_challenge, submit_entry, dept,
                                                         provider):
    _, user, _ = provider
    submission = submit_entry(user, create_challenge(dept))
    as_user = api(user)
    current = as_user.get(f"/submissions/{submission.id}").get_json()
    same = {k: current[k] for k in ("summary", "technical_plan", "price_yuan", "timeline", "team")}
    for body in ({}, same, {"summary": current["summary"]}, {"price_yuan": "990000"}, {"unknown": 1}):
        error = assert_error(as_user.put(f"/submissions/{submission.id}", json=body), 422)
        assert "没有修改" in error["message"], (body, error)
    assert audit_count("submission.update", submission.id) == 0

    web = browser(user)
    page = web.post(f"/submissions/{submission.id}/edit", data={
        "csrf_token": csrf_token(web, f"/submissions/{submission.id}/edit"), **same})
    assert page.status_code == 422
    assert re.search(r'data-testid="form-error"[^>]*>没有修改', page.get_data(as_text=True))
    _db.session.expire_all()
    assert _db.session.get(Submission, submission.id).version == 1
    assert as_user.put(f"/submissions/{submission.id}", json={"summary": "真的改了"}).get_json()["version"] == 2


# --- blind rounds: the providers are warned ---------------------------------------------------------

def test_the_entry_form_warns_when_a_round_is_blind(browser, create_challenge, dept, provider):
    from tests.challenges.conftest import challenge_values

    _, user, _ = provider
    rounds = challenge_values()["rounds"]
    blind = create_challenge(dept, title="盲评榜单", rounds=[{**rounds[0], "blind": True}])
    open_ = create_challenge(dept, title="明评榜单")
    web = browser(user)
    warned = web.get(f"/challenges/{blind.id}/submit").get_data(as_text=True)
    assert 'data-testid="blind-warning"' in warned and "请勿" in warned and "单位名称" in warned
    assert 'data-testid="blind-warning"' not in web.get(f"/challenges/{open_.id}/submit").get_data(as_text=True)
