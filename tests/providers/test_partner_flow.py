"""Provider sign-up → application → admin decisions, as people click through the pages."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.audit.models import AuditEvent
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.providers.models import PartnerApplication
from tests import factories
from tests.conftest import login
from tests.page_helpers import field_errors, page, redirect_path, submit, text, token

GOOD_CODE = factories.valid_credit_code(9_000_001)


def _signup_data(**overrides):
    data = {
        "organisation_name": "上海数字小区科技有限公司",
        "credit_code": GOOD_CODE,
        "contact_name": "王经理",
        "phone": "021-64000000",
        "email": "wang@shuzi.example.cn",
        "password": "strong-password-1",
        "confirm": "strong-password-1",
    }
    data.update(overrides)
    return data


def _counts():
    return (db.session.scalar(sa.select(sa.func.count(Organisation.id))),
            db.session.scalar(sa.select(sa.func.count(User.id))),
            db.session.scalar(sa.select(sa.func.count(AuditEvent.id))))


def _actions(object_type=None, object_id=None):
    query = sa.select(AuditEvent.action).order_by(AuditEvent.seq)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    return db.session.scalars(query).all()


def _apply_data(**overrides):
    data = {"credit_code": GOOD_CODE, "domains": ["社区", "数字治理"],
            "qualifications": "ISO 27001；CMMI 3 级", "reference_cases": "数字小区试点（2024，某街道）"}
    data.update(overrides)
    return data


# --- sign-up --------------------------------------------------------------------------------

def test_signup_creates_the_account_then_the_provider_logs_in_and_applies(client):
    response = submit(client, "/signup", _signup_data(credit_code=GOOD_CODE.lower()))
    assert response.status_code == 302
    assert redirect_path(response) == "/login?next=/partner/apply"
    assert "注册已提交" in page(client, "/login")
    response = client.post(redirect_path(response), data={
        "email": "wang@shuzi.example.cn", "password": "strong-password-1", "csrf_token": token(client, "/login")})
    assert redirect_path(response) == "/partner/apply"  # signed in, straight on to the application
    body = page(client, "/partner/apply")
    assert "王经理" in body
    assert GOOD_CODE in body  # the code is carried over, normalised to upper case
    user = db.session.scalar(sa.select(User).where(User.email == "wang@shuzi.example.cn"))
    assert user.role.value == "provider" and user.organisation.credit_code == GOOD_CODE
    assert {"organisation.sign_up", "user.sign_up"} <= set(_actions())


@pytest.mark.parametrize("code, message", [
    (GOOD_CODE[:-1] + ("0" if GOOD_CODE[-1] != "0" else "1"), "校验位不正确"),
    ("12345", "应为 18 位"),
    ("91310104MA1FL0000I", "不允许的字符"),
    ("", "必填"),
])
def test_signup_bad_credit_code_shows_message_at_field(client, code, message):
    before = _counts()
    response = submit(client, "/signup", _signup_data(credit_code=code))
    assert response.status_code == 200
    errors = field_errors(text(response))
    assert list(errors) == ["credit_code"], errors
    assert message in errors["credit_code"][0]
    assert _counts() == before
    # the other answers are kept, the password is not echoed back
    assert "上海数字小区科技有限公司" in text(response)
    assert "strong-password-1" not in text(response)
    # still anonymous
    assert client.get("/partner/apply").status_code == 302


def test_signup_duplicate_code_and_email(client, provider):
    org, user, _ = provider
    before = _counts()
    response = submit(client, "/signup", _signup_data(credit_code=org.credit_code))
    assert field_errors(text(response)) == {"credit_code": ["该统一社会信用代码已被其他单位注册"]}
    response = submit(client, "/signup", _signup_data(organisation_name=org.name))
    assert field_errors(text(response)) == {"organisation_name": ["已存在同名单位"]}
    assert _counts() == before


def test_signup_other_field_errors_in_chinese(client):
    response = submit(client, "/signup", _signup_data(email="not-an-email", password="short", confirm="other",
                                                      contact_name=""))
    errors = field_errors(text(response))
    assert set(errors) == {"email", "password", "confirm", "contact_name"}
    for messages in errors.values():
        assert all(re.search(r"[\u4e00-\u9fff]", m) for m in messages), messages


def test_logged_in_user_visiting_signup_or_login_is_sent_home(client, login_as, provider):
    login_as(provider[1])
    assert redirect_path(client.get("/signup")) == "/workbench"
    assert redirect_path(client.get("/login")) == "/workbench"


# --- the whole admission story ---------------------------------------------------------------

def test_signup_apply_admit_directory(client, new_client, admin):
    submit(client, "/signup", _signup_data())
    login(client, "wang@shuzi.example.cn", "strong-password-1")
    body = page(client, "/partner/application")
    assert "尚未申请" in body and 'href="/partner/apply"' in body

    response = submit(client, "/partner/apply", _apply_data())
    assert redirect_path(response) == "/partner/application"
    body = page(client, "/partner/application")
    assert "待审核" in body and "申请已提交" in body
    app = db.session.scalar(sa.select(PartnerApplication))
    assert app.domains == ["数字治理", "社区"]
    # a second application while one is pending is refused with a message
    page(client, "/partner/apply")
    response = submit(client, "/partner/apply", _apply_data())
    assert "不能重复申请" in page(client, redirect_path(response))
    assert db.session.scalar(sa.select(sa.func.count(PartnerApplication.id))) == 1

    # admin is told and reviews it
    browser = new_client()

    login(browser, admin)
    body = page(browser, "/admin/")
    assert 'data-testid="unread-count">1<' in body
    body = page(browser, "/admin/partner-applications")
    assert "上海数字小区科技有限公司" in body
    body = page(browser, f"/admin/partner-applications/{app.id}")
    assert "准入清单" in body and "驳回申请" in body

    # a validity end in the past is a field error (422), nothing changes
    past = (today_shanghai() - timedelta(days=1)).isoformat()
    response = submit(browser, f"/admin/partner-applications/{app.id}/admit", {"valid_until": past},
                      page_url=f"/admin/partner-applications/{app.id}")
    assert response.status_code == 422
    assert field_errors(text(response)) == {"valid_until": ["有效期截止日期必须晚于今天"]}
    for bad in ("", "2024-13-45", "明天", "2100-01-02"):
        response = submit(browser, f"/admin/partner-applications/{app.id}/admit", {"valid_until": bad},
                          page_url=f"/admin/partner-applications/{app.id}")
        assert response.status_code == 422, bad
        errors = field_errors(text(response))
        assert list(errors) == ["valid_until"] and re.search(r"[\u4e00-\u9fff]", errors["valid_until"][0]), errors
    db.session.expire_all()
    assert app.state.value == "applied"
    assert "上海数字小区科技有限公司" not in page(client, "/providers")

    until = (today_shanghai() + timedelta(days=365)).isoformat()
    response = submit(browser, f"/admin/partner-applications/{app.id}/admit", {"valid_until": until},
                      page_url=f"/admin/partner-applications/{app.id}")
    assert response.status_code == 302
    body = page(browser, redirect_path(response))
    assert "已准入" in body and "已入库" in body

    # public directory, provider's own status, audit and inbox
    anon = new_client()
    assert "上海数字小区科技有限公司" in page(anon, "/providers")
    assert "上海数字小区科技有限公司" in page(anon, "/providers?domain=社区")
    assert "上海数字小区科技有限公司" not in page(anon, "/providers?domain=教育")
    body = page(client, "/partner/application")
    assert "已入库" in body and until in body
    assert 'data-testid="unread-count">1<' in body
    inbox = page(client, "/notifications")
    assert "伙伴清单申请已通过" in inbox
    assert _actions("partner_application", app.id) == ["partner_application.submit", "partner_application.admit"]

    # once admitted the provider can list a solution, which then shows in the catalogue
    response = submit(client, "/my/solutions/new", {"title": "数字小区综合管理平台", "domain": "社区",
                                                    "summary": "门禁、停车、物业一体化"})
    assert response.status_code == 302
    assert "数字小区综合管理平台" in page(anon, "/catalogue")


def test_reject_then_reapply(client, new_client, admin):
    org, user, app = factories.create_provider("applied", admin=admin)

    browser = new_client()
    login(browser, admin)
    detail = f"/admin/partner-applications/{app.id}"
    # a rejection needs a reason
    response = submit(browser, f"{detail}/reject", {"reject-reason": ""}, page_url=detail)
    assert response.status_code == 422
    assert field_errors(text(response)) == {"reject-reason": ["请填写理由"]}
    # Only spaces is nothing typed: the form says so, as for an empty field (issue 9).
    response = submit(browser, f"{detail}/reject", {"reject-reason": "   "}, page_url=detail)
    assert response.status_code == 422
    assert field_errors(text(response)) == {"reject-reason": ["请填写理由"]}
    response = submit(browser, f"{detail}/reject", {"reject-reason": "缺少等保测评材料"}, page_url=detail)
    assert response.status_code == 302
    assert "未通过" in page(browser, "/admin/partner-applications?state=rejected")

    login(client, user)
    body = page(client, "/partner/application")
    assert "缺少等保测评材料" in body and "重新申请" in body
    assert 'data-testid="status-reason">缺少等保测评材料<' in body
    assert "伙伴清单申请未通过" in page(client, "/notifications")
    body = page(client, "/partner/apply")
    assert "缺少等保测评材料" in body  # the reason is shown while re-applying
    assert "ISO 27001" in body  # previous answers are pre-filled
    response = submit(client, "/partner/apply", _apply_data(credit_code=org.credit_code,
                                                            qualifications="ISO 27001；等保三级测评报告"))
    assert response.status_code == 302
    assert "待审核" in page(client, "/partner/application")
    apps = db.session.scalars(sa.select(PartnerApplication).order_by(PartnerApplication.id)).all()
    assert [a.state.value for a in apps] == ["rejected", "applied"]
    assert "partner_application.reject" in _actions("partner_application", app.id)
    # the admin sees the history of both applications
    assert "缺少等保测评材料" in page(browser, f"/admin/partner-applications/{apps[1].id}")


def test_apply_with_someone_elses_code_or_no_domain(client, login_as, admin):
    other, _, _ = factories.create_provider(admin=admin)
    org = factories.create_org("provider")
    user = factories.create_user("provider", org=org)
    login_as(user)
    response = submit(client, "/partner/apply", _apply_data(credit_code=other.credit_code))
    assert response.status_code == 200
    assert "credit_code" in field_errors(text(response))
    response = submit(client, "/partner/apply", _apply_data(credit_code=org.credit_code, domains=[]))
    assert field_errors(text(response)) == {"domains": ["请至少选择一个能力领域"]}
    response = submit(client, "/partner/apply", _apply_data(credit_code=org.credit_code, domains=["火星"]))
    assert list(field_errors(text(response))) == ["domains"]
    assert db.session.scalar(sa.select(sa.func.count(PartnerApplication.id)).where(
        PartnerApplication.organisation_id == org.id)) == 0


def test_suspend_reinstate_remove(client, new_client, admin, provider):
    org, user, app = provider
    from marketplace.providers import operations as provider_ops

    solution = provider_ops.create_solution(user, title="为老服务一键通", domain="养老", summary="紧急呼叫")
    db.session.commit()
    anon = new_client()
    assert org.name in page(anon, "/providers") and solution.title in page(anon, "/catalogue")


    login(client, admin)
    detail = f"/admin/partner-applications/{app.id}"
    body = page(client, detail)
    assert "暂停资格" in body and "移出清单" in body and "准入清单" not in body

    response = submit(client, f"{detail}/suspend", {"suspend-reason": ""}, page_url=detail)
    assert response.status_code == 422 and "suspend-reason" in field_errors(text(response))
    response = submit(client, f"{detail}/suspend", {"suspend-reason": "涉嫌虚假宣传，核查中"}, page_url=detail)
    assert response.status_code == 302
    body = page(client, detail)
    assert "已暂停" in body and "恢复资格" in body
    assert org.name not in page(anon, "/providers")
    assert solution.title not in page(anon, "/catalogue")
    page(anon, f"/providers/{org.id}", status=404)
    assert org.name in page(client, "/admin/partner-applications?state=suspended")

    response = submit(client, f"{detail}/reinstate", {"reinstate-note": "核查无问题"}, page_url=detail)
    assert response.status_code == 302
    assert org.name in page(anon, "/providers") and solution.title in page(anon, "/catalogue")

    response = submit(client, f"{detail}/remove", {"remove-reason": "严重违约"}, page_url=detail)
    assert response.status_code == 302
    body = page(client, detail)
    assert "已移出" in body and "当前状态下没有可执行的操作" in body
    assert org.name not in page(anon, "/providers")
    assert org.name in page(client, "/admin/partner-applications?state=removed")

    assert _actions("partner_application", app.id) == [
        "partner_application.submit", "partner_application.admit", "partner_application.suspend",
        "partner_application.reinstate", "partner_application.remove"]
    audit = page(client, f"/admin/audit?object_type=partner_application&object_id={app.id}")
    for action in ("suspend", "reinstate", "remove"):
        assert f"partner_application.{action}" in audit

    # the provider was told each time, and sees the count in the header
    provider_browser = new_client()
    login(provider_browser, user)
    body = page(provider_browser, "/partner/application")
    titles = db.session.scalars(sa.select(Notification.title).where(Notification.user_id == user.id)).all()
    assert {"伙伴清单资格已暂停", "伙伴清单资格已恢复", "已被移出伙伴清单"} <= set(titles)
    assert f'data-testid="unread-count">{len(titles)}<' in body
    assert "严重违约" in body
    inbox = page(provider_browser, "/notifications")
    assert "涉嫌虚假宣传" in inbox and "已被移出伙伴清单" in inbox
    # removed providers may apply again
    assert 'href="/partner/apply"' in body


@pytest.mark.parametrize("state, action, data", [
    ("applied", "suspend", {"suspend-reason": "x"}),
    ("applied", "reinstate", {}),
    ("applied", "remove", {"remove-reason": "x"}),
    ("admitted", "admit", {"valid_until": "2099-01-01"}),
    ("admitted", "reject", {"reject-reason": "x"}),
    ("admitted", "reinstate", {}),
    ("rejected", "admit", {"valid_until": "2099-01-01"}),
    ("rejected", "suspend", {"suspend-reason": "x"}),
    ("suspended", "suspend", {"suspend-reason": "x"}),
    ("suspended", "admit", {"valid_until": "2099-01-01"}),
    ("removed", "reinstate", {}),
    ("expired", "suspend", {"suspend-reason": "x"}),
    ("expired", "reinstate", {}),
])
def test_illegal_transition_is_a_409_with_the_reason_on_the_page(client, login_as, admin, state, action, data):
    org, _, app = factories.create_provider(state, admin=admin)
    before = _counts()
    login_as(admin)
    detail = f"/admin/partner-applications/{app.id}"
    response = submit(client, f"{detail}/{action}", data, page_url=detail)
    assert response.status_code == 409, text(response)[:500]
    body = text(response)
    # Not a bare 409 page: the application's page as it is now, this form shown with the reason.
    assert '<html lang="zh-CN">' in body and "状态冲突" not in body and app.organisation.name in body
    reason = re.search(r'data-testid="form-errors"><div>([^<]+)</div>', body)
    assert reason and re.search(r"[\u4e00-\u9fff]", reason.group(1))
    assert f'action="{detail}/{action}"' in body
    db.session.expire_all()
    assert db.session.get(PartnerApplication, app.id).state.value == ("admitted" if state == "expired" else state)
    # only the admin's own login event was added
    assert _counts()[2] == before[2] + 1


def test_admin_application_tabs(client, login_as, admin):
    names = {state: factories.create_provider(state, admin=admin, name=f"标签页服务商-{state}")[0].name
             for state in ("applied", "admitted", "rejected", "suspended", "expired", "removed")}
    login_as(admin)
    for state, name in names.items():
        body = page(client, f"/admin/partner-applications?state={state}")
        assert name in body, state
        others = [n for s, n in names.items() if s != state]
        assert not any(n in body for n in others), state
    body = page(client, "/admin/partner-applications")  # default tab: pending
    assert names["applied"] in body and names["admitted"] not in body
    body = page(client, "/admin/partner-applications?state=all")
    assert all(n in body for n in names.values())
    body = page(client, "/admin/partner-applications?state=bogus")
    assert names["applied"] in body
    body = page(client, "/admin/partner-applications?state=all&q=rejected")
    assert names["rejected"] in body and names["applied"] not in body
    page(client, "/admin/partner-applications/999999", status=404)


def test_old_application_detail_has_no_actions(client, login_as, admin):
    org, user, first = factories.create_provider("rejected", admin=admin)
    from marketplace.providers import operations as provider_ops

    provider_ops.apply_for_partner_list(user, credit_code=org.credit_code, domains=["养老"],
                                        qualifications="q", reference_cases="r")
    db.session.commit()
    login_as(admin)
    body = page(client, f"/admin/partner-applications/{first.id}")
    assert "当前状态下没有可执行的操作" in body and "本单位历次申请" in body


def test_admin_created_provider_without_code_can_apply(client, login_as, admin):
    """An organisation the admin created without a 统一社会信用代码 gives it when applying."""
    org = factories.create_org("provider", with_code=False)
    user = factories.create_user("provider", org=org)
    login_as(user)
    body = page(client, "/partner/apply")
    assert 'name="credit_code"' in body
    response = submit(client, "/partner/apply", _apply_data(credit_code=""))
    assert list(field_errors(text(response))) == ["credit_code"]
    code = factories.valid_credit_code()
    response = submit(client, "/partner/apply", _apply_data(credit_code=code))
    assert redirect_path(response) == "/partner/application"
    db.session.refresh(org)
    assert org.credit_code == code


def test_two_admins_decide_at_once_the_second_keeps_the_reason_typed(admin, new_client):
    """Another admin admitted the application meanwhile: the rejection typed on the stale page
    comes back on the page as it is now, the reason still in its box and why at the form's top."""
    _org, _user, application = factories.create_provider(state="applied", admin=admin)
    url = f"/admin/partner-applications/{application.id}"
    first, second = new_client(), new_client()
    login(first, admin)
    login(second, factories.create_user("admin", name="另一位管理员"))
    stale = token(second, url)  # the second admin has the page open
    admitted = submit(first, f"{url}/admit", {"valid_until": (today_shanghai() + timedelta(days=365)).isoformat()},
                      page_url=url)
    assert admitted.status_code == 302
    refused = second.post(f"{url}/reject", data={"csrf_token": stale, "reject-reason": "资质证明材料不全"})
    body = text(refused)
    assert refused.status_code == 409 and "状态冲突" not in re.sub(r"<[^>]+>", " ", body)
    assert 'data-testid="form-errors"' in body and "资质证明材料不全" in body  # the reason typed is kept
    db.session.refresh(application)
    assert application.state.value == "admitted" and "partner.reject" not in _actions("partner_application")
