"""Tokens: issue, use, revoke, expiry, deactivated accounts, rate limiting; GET /me."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import ApiToken
from marketplace.core.db import utcnow
from tests.api.conftest import assert_error, assert_time, has_chinese
from tests.conftest import ApiClient
from tests.factories import PASSWORD


def _token(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_token_for_good_credentials(client, admin):
    response = _token(client, admin.email)
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body["token"], str) and len(body["token"]) >= 20
    assert_time(body["expires_at"])
    me = ApiClient(client, body["token"]).get("/me")
    assert me.status_code == 200
    assert me.get_json()["email"] == admin.email


def test_email_is_case_insensitive(client, admin):
    assert _token(client, "  " + admin.email.upper() + " ").status_code == 200


@pytest.mark.parametrize("email,password", [
    ("admin@example.gov.cn", "wrong-password"),
    ("nobody@example.cn", PASSWORD),
])
def test_bad_credentials_are_401(client, admin, email, password):
    assert_error(_token(client, email, password), 401, "invalid_credentials")


def test_missing_fields_are_422(client, admin):
    error = assert_error(client.post("/api/v1/auth/token", json={}), 422)
    assert {"email", "password"} <= set(error["fields"])
    assert_error(client.post("/api/v1/auth/token", json={"email": "not-an-email", "password": "x"}), 422,
                 field="email")


def test_token_issue_is_audited(client, admin, db):
    from marketplace.audit.models import AuditEvent

    _token(client, admin.email)
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "user.token_issued" in actions


def test_revoked_token_is_401(client, admin):
    token = _token(client, admin.email).get_json()["token"]
    api = ApiClient(client, token)
    response = api.delete("/auth/token")
    assert response.status_code == 200
    assert response.get_json()["revoked"] is True
    assert_error(api.get("/me"), 401, "invalid_token")
    assert_error(api.delete("/auth/token"), 401)


def test_revoking_needs_a_token(api):
    assert_error(api().delete("/auth/token"), 401)


def test_other_tokens_survive_a_revocation(api, admin):
    first, second = api(admin), api(admin)
    assert first.delete("/auth/token").status_code == 200
    assert second.get("/me").status_code == 200


def test_expired_token_is_401(api, admin, db):
    client = api(admin)
    assert client.get("/me").status_code == 200
    row = db.session.scalars(sa.select(ApiToken)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_error(client.get("/me"), 401, "invalid_token")


def test_deactivated_users_token_is_401(api, admin, create_user):
    user = create_user(role="evaluator")
    theirs = api(user)
    assert theirs.get("/me").status_code == 200
    response = api(admin).post(f"/users/{user.id}/deactivate")
    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    assert_error(theirs.get("/me"), 401)


def test_deactivated_user_cannot_get_a_token(client, api, admin, create_user):
    user = create_user(role="evaluator")
    api(admin).post(f"/users/{user.id}/deactivate")
    assert_error(_token(client, user.email), 401, "invalid_credentials")
    assert api(admin).post(f"/users/{user.id}/activate").status_code == 200
    assert _token(client, user.email).status_code == 200


def test_token_endpoint_is_rate_limited(client, admin):
    for _ in range(10):
        assert _token(client, admin.email, "wrong-password").status_code == 401
    response = _token(client, admin.email, "wrong-password")
    error = assert_error(response, 429)
    assert has_chinese(error["message"])
    # even the right password is refused while the limit holds
    assert _token(client, admin.email).status_code == 429


def test_rate_limit_counts_failures_per_source_address(app, client, admin, create_user, monkeypatch):
    # successful logins from one address do not count (a whole office signs in through one
    # NAT address); failures do, against any account (600 an hour by default)
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_ADDRESS", "10 per hour")
    for _ in range(3):
        assert _token(client, admin.email).status_code == 200
    for n in range(10):
        assert _token(client, f"nobody{n}@example.cn", "wrong-password").status_code == 401
    assert_error(_token(client, admin.email), 429)


def test_me_carries_role_and_organisation(api, create_provider, department_user, admin, evaluator):
    org, user, _ = create_provider()
    body = api(user).get("/me").get_json()
    assert body["id"] == user.id
    assert body["role"] == "provider"
    assert body["organisation_id"] == org.id
    assert body["organisation"]["name"] == org.name
    assert body["organisation"]["kind"] == "provider"
    assert "password_hash" not in body and "password" not in body
    assert_time(body["created_at"])
    assert api(department_user).get("/me").get_json()["organisation"]["kind"] == "department"
    assert api(admin).get("/me").get_json()["role"] == "admin"
    assert api(evaluator).get("/me").get_json()["organisation"] is None
