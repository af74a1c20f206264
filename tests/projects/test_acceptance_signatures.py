"""Each acceptance panel member signs the record themselves (with an optional dissent), or their
refusal is recorded: the meeting-minutes conclusion (POST /projects/{id}/acceptance with a
conclusion) still moves the project at once — the API contract — but shows 签署未完成 until every
member has signed; the certificate lists who signed when."""

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from marketplace.extensions import db
from marketplace.projects import operations as ops
from marketplace.projects.states import AcceptanceStatus, Conclusion, ProjectStage
from tests.conftest import login
from tests.page_helpers import field_errors, page, submit
from tests.pdf_text import flat, pdf_text
from tests.projects.conftest import pdf

S = ProjectStage
CHECKLIST = [{"item": "功能按合同全部上线", "passed": True}]


@pytest.fixture
def in_acceptance(make_project, dept):
    project = make_project(S.acceptance)
    ops.add_document(dept[1], project, stage="acceptance", title="验收报告", upload=pdf())
    return project


def test_minutes_conclusion_moves_the_project_but_nobody_signs_for_the_experts(in_acceptance, dept, panel):
    acceptance = ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[u.id for u in panel],
                                        checklist=CHECKLIST, conclusion="pass")
    assert in_acceptance.stage == S.operation and acceptance.status == AcceptanceStatus.concluded
    assert all(m.signed_at is None and m.conclusion is None for m in acceptance.members)
    assert not ops.signatures_complete(acceptance)
    ops.sign_acceptance(panel[0], acceptance)  # confirms the recorded conclusion
    with pytest.raises(ValidationFailed) as caught:
        ops.sign_acceptance(panel[1], acceptance, conclusion="conditional")
    assert "dissent" in caught.value.fields
    ops.sign_acceptance(panel[1], acceptance, conclusion="conditional", dissent="性能指标仅达下限，建议持续监测")
    with pytest.raises(Conflict):
        ops.sign_acceptance(panel[0], acceptance)
    with pytest.raises(NotAllowed):
        ops.sign_acceptance(dept[1], acceptance)
    assert not ops.signatures_complete(acceptance)
    ops.sign_acceptance(panel[2], acceptance, dissent="")
    assert ops.signatures_complete(acceptance)
    assert acceptance.conclusion == Conclusion.passed  # the recorded conclusion stands; the dissent is kept
    by_user = {m.user_id: m for m in acceptance.members}
    assert by_user[panel[0].id].conclusion == Conclusion.passed
    assert by_user[panel[1].id].conclusion == Conclusion.conditional and by_user[panel[1].id].dissent
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "acceptance.sign").order_by(AuditEvent.seq)).all()
    assert [e.actor_id for e in events] == [panel[0].id, panel[1].id, panel[2].id]
    assert events[1].after["dissent"] == "性能指标仅达下限，建议持续监测" and events[1].after["confirms_record"] is True


def test_a_recorded_refusal_lets_the_panel_conclude(in_acceptance, dept, panel, provider):
    acceptance = ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[u.id for u in panel], checklist=CHECKLIST)
    with pytest.raises(NotAllowed):
        ops.record_refusal(provider[1], acceptance, user_id=panel[2].id, reason="拒签")
    with pytest.raises(ValidationFailed) as caught:
        ops.record_refusal(dept[1], acceptance, user_id=panel[2].id, reason="")
    assert "reason" in caught.value.fields
    with pytest.raises(ValidationFailed):
        ops.record_refusal(dept[1], acceptance, user_id=dept[1].id, reason="不是成员")
    ops.sign_acceptance(panel[0], acceptance, conclusion="pass")
    ops.sign_acceptance(panel[1], acceptance, conclusion="pass", dissent="文档可再完善")
    assert acceptance.status == AcceptanceStatus.open and in_acceptance.stage == S.acceptance
    ops.record_refusal(dept[1], acceptance, user_id=panel[2].id, reason="专家认为资料不足，拒绝签字")
    assert acceptance.conclusion == Conclusion.passed and in_acceptance.stage == S.operation
    with pytest.raises(Conflict):
        ops.sign_acceptance(panel[2], acceptance, conclusion="fail", note="x")
    with pytest.raises(Conflict):
        ops.record_refusal(dept[1], acceptance, user_id=panel[2].id, reason="再记一次")
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "acceptance.refusal")).one()
    assert event.after == {"member": panel[2].id, "reason": "专家认为资料不足，拒绝签字"}


def test_the_project_cannot_leave_acceptance_while_signatures_are_missing(in_acceptance, dept, panel):
    acceptance = ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[u.id for u in panel[:2]],
                                        checklist=CHECKLIST)
    ops.sign_acceptance(panel[0], acceptance, conclusion="pass")
    assert in_acceptance.stage == S.acceptance and acceptance.conclusion is None
    with pytest.raises(InvalidTransition):  # no gate around the panel
        ops.advance_project(dept[1], in_acceptance, to_stage="operation")
    ops.sign_acceptance(panel[1], acceptance, conclusion="pass")
    assert in_acceptance.stage == S.operation


def test_nobody_signing_is_not_a_conclusion(in_acceptance, dept, panel, admin):
    acceptance = ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[u.id for u in panel[:2]],
                                        checklist=CHECKLIST)
    ops.record_refusal(admin, acceptance, user_id=panel[0].id, reason="拒签")
    with pytest.raises(Conflict, match="无人签署"):
        ops.record_refusal(admin, acceptance, user_id=panel[1].id, reason="拒签")
    assert acceptance.status == AcceptanceStatus.open and in_acceptance.stage == S.acceptance


def test_the_api(api, in_acceptance, dept, panel, provider):
    d = api(dept[1])
    created = d.post(f"/projects/{in_acceptance.id}/acceptance", json={
        "panel_ids": [u.id for u in panel[:2]], "checklist": CHECKLIST, "conclusion": "pass"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["signatures_complete"] is False and all(m["signed_at"] is None for m in body["panel"])
    assert d.get(f"/projects/{in_acceptance.id}").get_json()["stage"] == "operation"  # the contract holds
    aid = body["id"]
    signed = api(panel[0]).post(f"/acceptances/{aid}/sign", json={})
    assert signed.status_code == 200, signed.get_json()
    differing = api(panel[1]).post(f"/acceptances/{aid}/sign", json={"conclusion": "fail"})
    assert differing.status_code == 422 and "dissent" in differing.get_json()["error"]["fields"]
    assert api(provider[1]).post(f"/acceptances/{aid}/refusal",
                                 json={"user_id": panel[1].id, "reason": "x"}).status_code == 403
    refused = d.post(f"/acceptances/{aid}/refusal", json={"user_id": panel[1].id, "reason": "未到场，拒绝补签"})
    assert refused.status_code == 200, refused.get_json()
    final = refused.get_json()
    assert final["signatures_complete"] is True
    assert [(m["signed_at"] is not None, m["refusal_reason"]) for m in final["panel"]] == [
        (True, None), (False, "未到场，拒绝补签")]


def test_open_acceptance_still_needs_a_conclusion_in_the_api(api, in_acceptance, dept, panel):
    created = api(dept[1]).post(f"/projects/{in_acceptance.id}/acceptance", json={
        "panel_ids": [panel[0].id], "checklist": [{"item": "功能上线"}]}).get_json()
    missing = api(panel[0]).post(f"/acceptances/{created['id']}/sign", json={})
    assert missing.status_code == 422 and "conclusion" in missing.get_json()["error"]["fields"]


def test_pages_and_certificate_show_who_signed_when(client, new_client, in_acceptance, dept, panel):
    acceptance = ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[u.id for u in panel[:2]],
                                        checklist=CHECKLIST, conclusion="pass")
    db.session.commit()
    login(client, dept[1])
    url = f"/acceptances/{acceptance.id}"
    body = page(client, url)
    assert 'data-testid="signatures-incomplete"' in body and "签署未完成" in body
    assert "签署未完成" in page(client, f"/projects/{in_acceptance.id}")
    assert "签署未完成" in flat(pdf_text(client.get(f"{url}/certificate.pdf")))
    expert = new_client()
    login(expert, panel[0])
    body = page(expert, url)
    assert 'data-testid="confirm-record"' in body and "签署验收记录" in body and "同意登记的结论（通过）" in body
    assert submit(expert, url, {"conclusion": "", "dissent": ""}).status_code == 302
    other = new_client()
    login(other, panel[1])
    response = submit(other, url, {"conclusion": "conditional", "dissent": ""})
    assert response.status_code == 422
    assert "与验收结论意见不同时须填写保留意见" in field_errors(response.get_data(as_text=True))["dissent"]
    assert submit(other, url, {"conclusion": "conditional", "dissent": "建议三个月后复查"}).status_code == 302
    body = page(client, url)
    assert "签署未完成" not in body and "建议三个月后复查" in body
    text = flat(pdf_text(client.get(f"{url}/certificate.pdf")))
    assert "签署未完成" not in text and panel[0].name in text and panel[1].name in text
    assert "建议三个月后复查" in flat(text)


def test_refusal_from_the_page(client, in_acceptance, dept, panel):
    acceptance = ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[u.id for u in panel[:2]],
                                        checklist=CHECKLIST)
    ops.sign_acceptance(panel[0], acceptance, conclusion="pass")
    db.session.commit()
    login(client, dept[1])
    url = f"/acceptances/{acceptance.id}"
    assert "记录拒签" in page(client, url)
    empty = submit(client, f"{url}/refusal", {"rf-user_id": str(panel[1].id), "rf-reason": ""}, page_url=url)
    assert empty.status_code == 422
    done = submit(client, f"{url}/refusal", {"rf-user_id": str(panel[1].id), "rf-reason": "拒绝签字"}, page_url=url)
    assert done.status_code == 302
    db.session.expire_all()
    assert in_acceptance.stage == S.operation
    assert "拒签" in page(client, url)
