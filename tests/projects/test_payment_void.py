"""Payments carry a date and a voucher number (凭证号) and are voided with a reason, never edited
or deleted: a voided payment stays on the list, no longer counts toward what was paid, and the
never-above-approved rule still holds — in the operation, the API, the page, and under two
requests at the same moment."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.projects import operations as ops
from marketplace.projects.models import Payment, Project
from marketplace.projects.states import ProjectStage
from tests.conftest import login
from tests.page_helpers import field_errors, page, submit

S = ProjectStage


def test_date_and_voucher_are_recorded(make_project, dept):
    project = make_project(S.build, budget="1000.00")
    yesterday = today_shanghai() - timedelta(days=1)
    payment = ops.record_payment(dept[1], project, amount_yuan=Decimal("100.00"), paid_on=yesterday,
                                 voucher_no=" 记-2026-118 ")
    assert payment.paid_on == yesterday and payment.voucher_no == "记-2026-118"
    default = ops.record_payment(dept[1], project, amount_yuan=Decimal("1.00"))
    assert default.paid_on == today_shanghai() and default.voucher_no == ""
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "project.payment")
                               .order_by(AuditEvent.id)).first()
    assert event.after["voucher_no"] == "记-2026-118" and event.after["paid_on"] == yesterday.isoformat()


def test_bad_date_and_duplicate_voucher_are_refused_at_the_field(make_project, dept):
    project = make_project(S.build, budget="1000.00")
    with pytest.raises(ValidationFailed) as caught:
        ops.record_payment(dept[1], project, amount_yuan=Decimal("1.00"), paid_on=today_shanghai() + timedelta(days=1))
    assert "不能晚于今天" in caught.value.fields["paid_on"]
    db.session.rollback()
    ops.record_payment(dept[1], project, amount_yuan=Decimal("1.00"), voucher_no="记-001")
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        ops.record_payment(dept[1], project, amount_yuan=Decimal("2.00"), voucher_no="记-001")
    assert "已登记" in caught.value.fields["voucher_no"]
    db.session.rollback()
    assert db.session.get(Project, project.id).paid_fen == 100


def test_void_with_a_reason_frees_the_amount_and_keeps_the_row(make_project, dept, provider):
    project = make_project(S.build, budget="1000.00")
    wrong = ops.record_payment(dept[1], project, amount_yuan=Decimal("1000.00"), voucher_no="记-001")
    db.session.commit()
    with pytest.raises(ValidationFailed):
        ops.record_payment(dept[1], project, amount_yuan=Decimal("0.01"))
    db.session.rollback()
    with pytest.raises(ValidationFailed) as caught:
        ops.void_payment(dept[1], wrong, reason=" ")
    assert "reason" in caught.value.fields
    ops.void_payment(dept[1], wrong, reason="金额录入错误，应为 800 元")
    db.session.commit()
    assert wrong.voided and wrong.void_reason == "金额录入错误，应为 800 元" and wrong.voided_by_id == dept[1].id
    assert project.paid_fen == 0
    with pytest.raises(Conflict, match="已作废"):
        ops.void_payment(dept[1], wrong, reason="再作废一次")
    db.session.rollback()
    # the same voucher number may be entered again once its payment is voided
    ops.record_payment(dept[1], project, amount_yuan=Decimal("800.00"), voucher_no="记-001")
    db.session.commit()
    with pytest.raises(ValidationFailed):  # still never above the approved amount
        ops.record_payment(dept[1], project, amount_yuan=Decimal("200.01"))
    db.session.rollback()
    rows = ops.payments(db.session.get(Project, project.id))
    assert [(p.amount_fen, p.voided) for p in rows] == [(100000, True), (80000, False)]
    live = db.session.scalar(sa.select(sa.func.sum(Payment.amount_fen)).where(
        Payment.project_id == project.id, Payment.voided_at.is_(None)))
    assert db.session.get(Project, project.id).paid_fen == live == 80000
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "payment.void")).one()
    assert event.object_type == "payment" and event.object_id == wrong.id
    assert event.before == {"voided": False, "paid_fen": 100000} and event.after["paid_fen"] == 0


def test_the_api_keeps_the_contract_and_voids(api, make_project, dept, provider, other_dept):
    project = make_project(S.build, budget="1000.00")
    d = api(dept[1])
    made = d.post(f"/projects/{project.id}/payments", json={"amount_yuan": "600.00", "note": "首付款"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["paid_on"] == today_shanghai().isoformat() and body["voucher_no"] == "" and body["voided"] is False
    future = d.post(f"/projects/{project.id}/payments", json={"amount_yuan": "1.00", "paid_on": "2999-01-01"})
    assert future.status_code == 422 and "paid_on" in future.get_json()["error"]["fields"]
    bad = d.post(f"/projects/{project.id}/payments", json={"amount_yuan": "1.00", "paid_on": "昨天"})
    assert bad.status_code == 422 and "paid_on" in bad.get_json()["error"]["fields"]
    pid = body["id"]
    assert api(provider[1]).post(f"/payments/{pid}/void", json={"reason": "x"}).status_code == 403
    assert api(other_dept[1]).post(f"/payments/{pid}/void", json={"reason": "x"}).status_code == 404
    assert d.post(f"/payments/{pid}/void", json={}).status_code == 422
    voided = d.post(f"/payments/{pid}/void", json={"reason": "重复登记"})
    assert voided.status_code == 200 and voided.get_json()["voided"] is True
    assert voided.get_json()["budget"]["paid_yuan"] == "0.00"
    assert d.post(f"/payments/{pid}/void", json={"reason": "重复登记"}).status_code == 409
    listed = api(provider[1]).get(f"/projects/{project.id}/payments").get_json()
    assert listed["items"][0]["void_reason"] == "重复登记" and listed["budget"]["paid_yuan"] == "0.00"
    assert d.post("/payments/999999/void", json={"reason": "x"}).status_code == 404


def test_the_page_requires_date_and_voucher_and_voids(client, new_client, make_project, dept, provider):
    project = make_project(S.build, budget="1000.00")
    url = f"/projects/{project.id}"
    login(client, dept[1])
    body = page(client, url)
    assert 'name="paid_on"' in body and 'name="voucher_no"' in body
    missing = submit(client, f"{url}/payments", {"amount_yuan": "100.00", "paid_on": "", "voucher_no": ""}, page_url=url)
    assert missing.status_code == 422
    errors = field_errors(missing.get_data(as_text=True))
    assert {"paid_on", "voucher_no"} <= set(errors)
    assert 'value="100.00"' in missing.get_data(as_text=True)  # what was typed is kept
    today = today_shanghai().isoformat()
    assert submit(client, f"{url}/payments", {"amount_yuan": "100.00", "paid_on": today, "voucher_no": "记-007"},
                  page_url=url).status_code == 302
    payment = db.session.scalars(sa.select(Payment)).one()
    body = page(client, url)
    assert "记-007" in body and f'action="/payments/{payment.id}/void"' in body
    empty = submit(client, f"/payments/{payment.id}/void", {f"v{payment.id}-reason": ""}, page_url=url)
    assert empty.status_code == 422 and "请填写作废理由" in empty.get_data(as_text=True)
    assert submit(client, f"/payments/{payment.id}/void", {f"v{payment.id}-reason": "凭证号录错"},
                  page_url=url).status_code == 302
    body = page(client, url)
    assert "已作废" in body and "凭证号录错" in body and f'action="/payments/{payment.id}/void"' not in body
    p = new_client()
    login(p, provider[1])
    assert "凭证号录错" in page(p, url)
    assert submit(p, f"/payments/{payment.id}/void", {f"v{payment.id}-reason": "x"}, page_url=url).status_code == 403


def test_two_voids_at_the_same_moment_count_once(app, make_project, dept):
    """Two requests voiding the same payment, the second arriving while the first's transaction
    is open: one voids it, the other is refused, and the project's sum goes down once (SQLite and
    PostgreSQL)."""
    project = make_project(S.build, budget="1000.00")
    keep = ops.record_payment(dept[1], project, amount_yuan=Decimal("300.00"))
    target = ops.record_payment(dept[1], project, amount_yuan=Decimal("200.00"))
    db.session.commit()
    project_id, payment_id, user_id = project.id, target.id, dept[1].id
    assert keep.id != payment_id
    first_done, results = threading.Event(), {}

    def void(name, hold):
        from marketplace.accounts.models import User

        with app.app_context():
            try:
                actor = db.session.get(User, user_id)
                payment = db.session.get(Payment, payment_id)
                if not hold:
                    first_done.wait(5)
                ops.void_payment(actor, payment, reason=name)
                if hold:
                    first_done.set()
                    time.sleep(0.5)
                db.session.commit()
                results[name] = "voided"
            except Conflict:
                db.session.rollback()
                results[name] = "refused"
            except sa.exc.OperationalError:  # SQLite: the writer gave up waiting for the lock
                db.session.rollback()
                results[name] = "busy"
            except Exception as exc:
                db.session.rollback()
                results[name] = repr(exc)
            finally:
                first_done.set()
                db.session.remove()

    threads = [threading.Thread(target=void, args=("first", True)), threading.Thread(target=void, args=("second", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results["first"] == "voided", results
    assert results["second"] in ("refused", "busy"), results
    db.session.expire_all()
    assert db.session.get(Project, project_id).paid_fen == 30000
    assert db.session.get(Payment, payment_id).void_reason == "first"
