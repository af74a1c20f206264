"""Partner list (伙伴清单): applications, admission decisions, suspend/reinstate/remove, and
who may see what."""

from datetime import timedelta

import pytest

from marketplace.core.timeutil import today_shanghai
from tests.api.conftest import assert_error, assert_page, assert_time
from tests.factories import valid_credit_code

QUALS = {"qualifications": "ISO 27001；CMMI 3 级", "reference_cases": "徐汇区为老服务一键通（2025）"}


def _future(days=365):
    return (today_shanghai() + timedelta(days=days)).isoformat()


def _apply(client, code, domains=("养老", "医疗"), **extra):
    return client.post("/partner-applications", json={"credit_code": code, "domains": list(domains), **QUALS, **extra})


# --- applying ------------------------------------------------------------------------------------

def test_provider_applies(api, provider_user):
    org = provider_user.organisation
    response = _apply(api(provider_user), org.credit_code.lower())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body["status"] == "applied"
    assert body["organisation_id"] == org.id
    assert body["credit_code"] == org.credit_code
    assert sorted(body["domains"]) == ["养老", "医疗"]
    assert body["valid_until"] is None
    assert_time(body["created_at"])


def test_application_notifies_admins(api, admin, provider_user):
    _apply(api(provider_user), provider_user.organisation.credit_code)
    items = api(admin).get("/notifications").get_json()["items"]
    assert [n["kind"] for n in items] == ["partner.applied"]


def test_provider_without_code_applies_with_a_new_one(api, create_org, create_user):
    org = create_org("provider", with_code=False)
    user = create_user("provider", org=org)
    code = valid_credit_code()
    response = _apply(api(user), code)
    assert response.status_code == 201
    assert api(user).get("/me").get_json()["organisation"]["credit_code"] == code


@pytest.mark.parametrize("code", ["", "91310104MA1FL8XQ3", "91310104MA1FL8XQ3X0", "9131010IMA1FL8XQ3X",
                                  "９１３１０１０４ＭＡ１ＦＬ８ＸＱ３Ｘ"])
def test_invalid_credit_code_is_422(api, provider_user, code):
    assert_error(_apply(api(provider_user), code), 422, "validation_failed", field="credit_code")


def test_bad_check_character_is_422(api, create_org, create_user):
    org = create_org("provider", with_code=False)
    user = create_user("provider", org=org)
    code = valid_credit_code()
    wrong = code[:17] + ("A" if code[17] != "A" else "B")
    error = assert_error(_apply(api(user), wrong), 422, field="credit_code")
    assert "校验位" in error["fields"]["credit_code"]


def test_someone_elses_code_is_422(api, provider_user, create_org):
    other = create_org("provider")
    assert_error(_apply(api(provider_user), other.credit_code), 422, field="credit_code")


def test_code_differing_from_registered_is_422(api, provider_user):
    assert_error(_apply(api(provider_user), valid_credit_code()), 422, field="credit_code")


@pytest.mark.parametrize("body,field", [
    ({"domains": []}, "domains"),
    ({"domains": ["火星"]}, "domains"),
    ({"qualifications": ""}, "qualifications"),
    ({"reference_cases": "x" * 5001}, "reference_cases"),
])
def test_application_field_errors(api, provider_user, body, field):
    payload = {"credit_code": provider_user.organisation.credit_code, "domains": ["养老"], **QUALS, **body}
    assert_error(api(provider_user).post("/partner-applications", json=payload), 422, field=field)


def test_second_live_application_is_409(api, provider_user):
    client = api(provider_user)
    assert _apply(client, provider_user.organisation.credit_code).status_code == 201
    assert_error(_apply(client, provider_user.organisation.credit_code), 409)


def test_rejected_provider_may_reapply(api, admin, create_provider):
    org, user, app = create_provider(state="rejected", admin=admin)
    response = _apply(api(user), org.credit_code)
    assert response.status_code == 201
    assert response.get_json()["id"] != app.id


@pytest.mark.parametrize("role", ["admin", "department", "evaluator"])
def test_only_providers_apply(api, create_user, role):
    assert_error(_apply(api(create_user(role=role)), valid_credit_code()), 403)


def test_anonymous_cannot_apply(api):
    assert_error(_apply(api(), valid_credit_code()), 401)


# --- reading applications ------------------------------------------------------------------------

def test_list_applications_admin_sees_all_provider_only_own(api, admin, create_provider):
    org_a, user_a, app_a = create_provider(state="applied", admin=admin)
    _, _, app_b = create_provider(state="admitted", admin=admin)
    items = assert_page(api(admin).get("/partner-applications").get_json(), total=2)
    assert {i["id"] for i in items} == {app_a.id, app_b.id}
    items = assert_page(api(admin).get("/partner-applications?status=applied").get_json(), total=1)
    assert items[0]["id"] == app_a.id
    items = assert_page(api(user_a).get("/partner-applications").get_json(), total=1)
    assert items[0]["id"] == app_a.id


def test_list_applications_other_roles_403(api, create_user):
    for role in ("department", "evaluator"):
        assert_error(api(create_user(role=role)).get("/partner-applications"), 403)


def test_list_applications_anonymous_401(api):
    assert_error(api().get("/partner-applications"), 401)


def test_get_application_visibility(api, admin, create_provider, create_user):
    org, user, app = create_provider(state="applied", admin=admin)
    _, other_user, _ = create_provider(state="admitted", admin=admin)
    colleague = create_user("provider", org=org)
    assert api(user).get(f"/partner-applications/{app.id}").get_json()["id"] == app.id
    assert api(colleague).get(f"/partner-applications/{app.id}").status_code == 200
    assert api(admin).get(f"/partner-applications/{app.id}").get_json()["status"] == "applied"
    assert_error(api(other_user).get(f"/partner-applications/{app.id}"), 404, "not_found")
    assert_error(api(create_user(role="department")).get(f"/partner-applications/{app.id}"), 404)
    assert_error(api(create_user(role="evaluator")).get(f"/partner-applications/{app.id}"), 404)
    assert_error(api().get(f"/partner-applications/{app.id}"), 401)
    assert_error(api(admin).get("/partner-applications/987654"), 404)


# --- decisions -----------------------------------------------------------------------------------

def test_admit(api, admin, applied):
    org, user, app = applied
    until = _future()
    response = api(admin).post(f"/partner-applications/{app.id}/admit", json={"valid_until": until})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == app.id
    assert body["status"] == "admitted"
    assert body["valid_until"] == until
    assert_time(body["decided_at"])
    assert api().get(f"/providers/{org.id}").status_code == 200


@pytest.mark.parametrize("value", [None, "", "not-a-date", "2026-02-30", "9999-12-31", 20270101, ["2030-01-01", "x"]])
def test_admit_bad_dates_are_422(api, admin, applied, value):
    _, _, app = applied
    body = {} if value is None else {"valid_until": value}
    assert_error(api(admin).post(f"/partner-applications/{app.id}/admit", json=body), 422, field="valid_until")


@pytest.mark.parametrize("days", [-1, 0])
def test_admit_past_or_today_is_422(api, admin, applied, days):
    _, _, app = applied
    assert_error(api(admin).post(f"/partner-applications/{app.id}/admit", json={"valid_until": _future(days)}),
                 422, field="valid_until")
    assert api(admin).get(f"/partner-applications/{app.id}").get_json()["status"] == "applied"


def test_reject(api, admin, applied):
    _, user, app = applied
    response = api(admin).post(f"/partner-applications/{app.id}/reject", json={"reason": "资质证明不全"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "rejected"
    assert body["reason"] == "资质证明不全"
    assert api(user).get(f"/partner-applications/{app.id}").get_json()["reason"] == "资质证明不全"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "长" * 2001}])
def test_reject_needs_a_reason(api, admin, applied, body):
    _, _, app = applied
    assert_error(api(admin).post(f"/partner-applications/{app.id}/reject", json=body), 422, field="reason")


@pytest.mark.parametrize("action", ["admit", "reject"])
def test_decisions_are_admin_only(api, create_user, applied, action):
    org, owner, app = applied
    body = {"valid_until": _future(), "reason": "理由"}
    for role in ("provider", "department", "evaluator"):
        assert_error(api(create_user(role=role)).post(f"/partner-applications/{app.id}/{action}", json=body), 403)
    assert_error(api(owner).post(f"/partner-applications/{app.id}/{action}", json=body), 403)
    assert_error(api().post(f"/partner-applications/{app.id}/{action}", json=body), 401)


@pytest.mark.parametrize("state", ["admitted", "rejected", "suspended", "removed", "expired"])
@pytest.mark.parametrize("action", ["admit", "reject"])
def test_deciding_twice_is_409(api, admin, create_provider, state, action):
    _, _, app = create_provider(state=state, admin=admin)
    body = {"valid_until": _future(), "reason": "理由"}
    assert_error(api(admin).post(f"/partner-applications/{app.id}/{action}", json=body), 409)


# --- listing actions -----------------------------------------------------------------------------

ALLOWED = {("admitted", "suspend"): "suspended", ("suspended", "reinstate"): "admitted",
           ("admitted", "remove"): "removed"}
STATES = ["applied", "admitted", "rejected", "suspended", "expired", "removed"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ["suspend", "reinstate", "remove"])
def test_listing_transition_table(api, admin, create_provider, state, action):
    org, _, _ = create_provider(state=state, admin=admin)
    response = api(admin).post(f"/providers/{org.id}/{action}", json={"reason": "核查投诉", "note": "已整改"})
    target = ALLOWED.get((state, action))
    if target is None:
        assert_error(response, 409)
    else:
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["id"] == org.id
        assert body["status"] == target


@pytest.mark.parametrize("action", ["suspend", "remove"])
def test_suspend_and_remove_need_a_reason(api, admin, create_provider, action):
    org, _, _ = create_provider(admin=admin)
    assert_error(api(admin).post(f"/providers/{org.id}/{action}", json={}), 422, field="reason")


def test_reinstate_note_is_optional(api, admin, create_provider):
    org, _, _ = create_provider(state="suspended", admin=admin)
    assert api(admin).post(f"/providers/{org.id}/reinstate").get_json()["status"] == "admitted"


@pytest.mark.parametrize("action", ["suspend", "reinstate", "remove"])
def test_listing_actions_on_non_providers_are_404(api, admin, create_org, department_user, action):
    body = {"reason": "理由"}
    assert_error(api(admin).post(f"/providers/{department_user.organisation_id}/{action}", json=body), 404)
    assert_error(api(admin).post(f"/providers/{create_org('provider').id}/{action}", json=body), 404)
    assert_error(api(admin).post(f"/providers/987654/{action}", json=body), 404)


@pytest.mark.parametrize("action", ["suspend", "reinstate", "remove"])
def test_listing_actions_admin_only(api, create_provider, create_user, action):
    org, owner, _ = create_provider()
    for role in ("provider", "department", "evaluator"):
        assert_error(api(create_user(role=role)).post(f"/providers/{org.id}/{action}", json={"reason": "x"}), 403)
    assert_error(api(owner).post(f"/providers/{org.id}/{action}", json={"reason": "x"}), 403)
    assert_error(api().post(f"/providers/{org.id}/{action}", json={"reason": "x"}), 401)


def test_expired_listing_is_expired_in_effect(api, admin, create_provider):
    org, user, app = create_provider(state="expired", admin=admin)
    assert api(admin).get(f"/partner-applications/{app.id}").get_json()["status"] == "expired"
    assert api(admin).get("/partner-applications?status=expired").get_json()["total"] == 1
    assert api(admin).get("/partner-applications?status=admitted").get_json()["total"] == 0
    # an expired provider may apply again
    assert _apply(api(user), org.credit_code).status_code == 201


# --- the public directory ------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["applied", "rejected", "suspended", "expired", "removed"])
def test_unlisted_provider_is_not_public(api, admin, create_provider, create_user, state):
    org, owner, _ = create_provider(state=state, admin=admin)
    for client in (api(), api(create_user(role="department")), api(create_user(role="evaluator")),
                   api(create_provider()[1])):
        assert_error(client.get(f"/providers/{org.id}"), 404, "not_found")
    assert org.id not in [p["id"] for p in api().get("/providers").get_json()["items"]]
    # the organisation itself and the admin still see it
    assert api(owner).get(f"/providers/{org.id}").get_json()["status"] == state
    assert api(admin).get(f"/providers/{org.id}").get_json()["status"] == state


def test_provider_detail(api, admin, create_provider):
    org, user, app = create_provider(domains=("养老",), admin=admin)
    api(user).post("/catalogue", json={"title": "为老服务一键通", "domain": "养老", "summary": "一键呼叫、助餐助浴"})
    body = api().get(f"/providers/{org.id}").get_json()
    assert body["id"] == org.id
    assert body["name"] == org.name
    assert body["status"] == "admitted"
    assert body["domains"] == ["养老"]
    assert [s["title"] for s in body["solutions"]] == ["为老服务一键通"]


def test_unknown_provider_is_404(api, department_user):
    assert_error(api().get("/providers/987654"), 404)
    assert_error(api().get(f"/providers/{department_user.organisation_id}"), 404)


def test_directory_lists_admitted_unexpired_only(api, admin, create_provider):
    listed = {create_provider(admin=admin)[0].id, create_provider(admin=admin)[0].id}
    for state in ("applied", "rejected", "suspended", "expired", "removed"):
        create_provider(state=state, admin=admin)
    body = api().get("/providers").get_json()
    assert_page(body, total=2)
    assert {p["id"] for p in body["items"]} == listed
    for item in body["items"]:
        assert item["status"] == "admitted"


def test_directory_domain_filter(api, admin, create_provider):
    elderly = create_provider(domains=("养老",), admin=admin)[0]
    create_provider(domains=("教育",), admin=admin)
    both = create_provider(domains=("养老", "医疗"), admin=admin)[0]
    body = api().get("/providers?domain=养老").get_json()
    assert {p["id"] for p in body["items"]} == {elderly.id, both.id}
    assert body["total"] == 2
    assert api().get("/providers?domain=交通").get_json()["total"] == 0
    # an unknown domain is ignored rather than an error
    assert api().get("/providers?domain=火星").get_json()["total"] == 3


def test_directory_name_filter(api, admin, create_provider):
    create_provider(name="上海智慧养老科技有限公司", admin=admin)
    create_provider(name="浦江教育信息有限公司", admin=admin)
    assert [p["name"] for p in api().get("/providers?q=养老").get_json()["items"]] == ["上海智慧养老科技有限公司"]
    assert api().get("/providers?q=%25").get_json()["total"] == 0


def test_directory_paging(api, admin, create_provider):
    ids = {create_provider(admin=admin)[0].id for _ in range(5)}
    first = api().get("/providers?per_page=2").get_json()
    assert first["total"] == 5 and first["page"] == 1 and len(first["items"]) == 2
    third = api().get("/providers?per_page=2&page=3").get_json()
    assert third["page"] == 3 and len(third["items"]) == 1
    seen = set()
    for page in (1, 2, 3):
        seen |= {p["id"] for p in api().get(f"/providers?per_page=2&page={page}").get_json()["items"]}
    assert seen == ids
    beyond = api().get("/providers?per_page=2&page=99").get_json()
    assert beyond["items"] == [] and beyond["total"] == 5


def test_per_page_is_capped_at_100(api, admin, create_provider):
    create_provider(admin=admin)
    body = api().get("/providers?per_page=100000").get_json()
    assert body.get("per_page", 100) <= 100
    assert len(body["items"]) == 1


def test_directory_paging_with_many(api, db):
    """101 listed providers: per_page=100000 still yields at most 100 items. (Rows written
    directly: this is a read test, and 101 trips through the operations would be slow.)"""
    from marketplace.accounts.models import Organisation, OrganisationKind
    from marketplace.core.db import utcnow
    from marketplace.providers.models import ApplicationDomain, PartnerApplication
    from marketplace.providers.states import PartnerState

    until = today_shanghai() + timedelta(days=30)
    for n in range(101):
        code = valid_credit_code()
        org = Organisation(name=f"批量服务商{n:03d}", kind=OrganisationKind.provider, credit_code=code)
        db.session.add(PartnerApplication(
            organisation=org, credit_code=code, state=PartnerState.admitted, valid_until=until,
            decided_at=utcnow(), domain_rows=[ApplicationDomain(domain="社区")]))
    db.session.commit()
    body = api().get("/providers?per_page=100000").get_json()
    assert body["total"] == 101
    assert len(body["items"]) == 100
    assert len(api().get("/providers?per_page=100000&page=2").get_json()["items"]) == 1
    assert api().get("/providers?domain=社区&per_page=50&page=3").get_json()["items"][0]["domains"] == ["社区"]
