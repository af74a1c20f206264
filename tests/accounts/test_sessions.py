"""Web sessions can be revoked: logout, a password change and a deactivation end every other
session of the user (a per-user session version checked on each request)."""

import sqlalchemy as sa

from marketplace.accounts import operations as account_ops
from marketplace.accounts.models import ApiToken
from tests.conftest import ApiClient, login
from tests.factories import PASSWORD
from tests.page_helpers import submit

NEW_PASSWORD = "Huangpu-river-2026"


def _signed_in(client):
    return client.get("/account").status_code == 200


def _copy_session(source, target):
    """What an attacker who copied the cookie (shared computer, malware, a proxy log) holds."""
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value)
    return target


def test_logout_ends_a_copied_session_cookie(client, new_client, create_user):
    user = create_user("evaluator")
    login(client, user)
    thief = _copy_session(client, new_client())
    assert _signed_in(thief)
    assert submit(client, "/logout", page_url="/account").status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(thief)


def test_logout_ends_the_sessions_on_other_devices(new_client, create_user):
    user = create_user("evaluator")
    office, phone = new_client(), new_client()
    login(office, user)
    login(phone, user)
    submit(phone, "/logout", page_url="/account")
    assert not _signed_in(office)
    login(office, user)  # signing in again works
    assert _signed_in(office)


def test_logout_is_audited(client, create_user, db):
    from marketplace.audit.models import AuditEvent

    user = create_user("evaluator")
    login(client, user)
    submit(client, "/logout", page_url="/account")
    assert "user.logout" in db.session.scalars(sa.select(AuditEvent.action)).all()


def test_password_change_ends_other_sessions_and_tokens_but_not_ones_own(new_client, create_user, db):
    user = create_user("evaluator")
    mine, elsewhere = new_client(), new_client()
    login(mine, user)
    login(elsewhere, user)
    token, _ = account_ops.issue_token(user)
    db.session.commit()
    api = ApiClient(elsewhere, token)
    assert api.get("/me").status_code == 200

    response = submit(mine, "/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                         "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert _signed_in(mine)
    assert not _signed_in(elsewhere)
    assert api.get("/me").status_code == 401
    assert db.session.scalars(sa.select(ApiToken.revoked_at)).all() != [None]


def test_deactivation_ends_sessions_for_good(client, new_client, admin, create_user, db):
    user = create_user("evaluator")
    login(client, user)
    admin_browser = new_client()
    login(admin_browser, admin)
    submit(admin_browser, f"/admin/users/{user.id}/deactivate", page_url="/admin/users")
    assert not _signed_in(client)
    # reactivating the account does not bring the old session back
    submit(admin_browser, f"/admin/users/{user.id}/activate", page_url="/admin/users")
    db.session.refresh(user)
    assert user.is_active
    assert not _signed_in(client)
    login(client, user)
    assert _signed_in(client)


def test_deactivation_through_the_api_ends_web_sessions(client, api, admin, create_user):
    user = create_user("evaluator")
    login(client, user)
    assert api(admin).post(f"/users/{user.id}/deactivate").status_code == 200
    assert api(admin).post(f"/users/{user.id}/activate").status_code == 200
    assert not _signed_in(client)

