"""People are told by email when SMTP is configured, after the action commits; a failed email
never fails the action. Tested against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.operations import set_user_active
from marketplace.core.errors import InvalidTransition
from marketplace.core.mail import send_mail
from marketplace.core.timeutil import today_shanghai
from marketplace.notifications.models import Notification
from marketplace.providers import operations as provider_ops
from marketplace.providers.models import PartnerApplication
from marketplace.providers.states import PartnerState
from tests import factories

ADMITTED_TITLE = "伙伴清单申请已通过"


def _notes(db, user, kind=None):
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.scalars(query).all()


def _applied(name="上海颐康智慧养老科技有限公司"):
    admin = factories.create_user("admin", email="office@example.gov.cn", name="区数据局")
    org, user, app = factories.create_provider("applied", admin=admin, name=name)
    return admin, org, user, app


def _admit(admin, app):
    valid_until = today_shanghai() + timedelta(days=365)
    provider_ops.admit_application(admin, app, valid_until=valid_until)
    return valid_until


def test_admission_emails_the_provider_after_commit(app, db, mailbox):
    admin, org, user, application = _applied()
    mailbox.clear()  # the admins' "new application" emails
    valid_until = _admit(admin, application)
    assert mailbox.envelopes == []  # nothing leaves before the commit
    db.session.commit()

    received = mailbox.to(user.email)
    assert len(received) == 1
    message = received[0]
    assert ADMITTED_TITLE in message["Subject"]
    assert "揭榜挂帅场景平台" in message["Subject"]
    assert message["To"] == user.email
    assert "揭榜挂帅场景平台" in str(message["From"])
    assert message["Message-ID"] and message["Date"]
    part = message.get_body(("plain",))
    assert part.get_content_charset() == "utf-8"
    text = part.get_content()
    assert user.name in text
    assert str(valid_until) in text
    assert app.config["PUBLIC_BASE_URL"] + "/partner/application" in text
    # on the wire the Chinese subject is RFC 2047 encoded, as any mail client expects
    raw = mailbox.envelopes[0].original_content or mailbox.envelopes[0].content
    subject_line = next(line for line in raw.splitlines() if line.lower().startswith(b"subject:"))
    assert subject_line.isascii() and b"=?utf-8?" in subject_line.lower()
    assert mailbox.envelopes[0].mail_from.endswith("noreply@localhost")
    # the admin is not told about their own decision by email
    assert mailbox.to(admin.email) == []


def test_new_application_emails_every_active_admin(app, db, mailbox):
    other_admin = factories.create_user("admin", email="second@example.gov.cn")
    retired = factories.create_user("admin", email="retired@example.gov.cn")
    set_user_active(other_admin, retired, False)
    db.session.commit()
    mailbox.clear()
    admin, org, user, application = _applied()
    addresses = sorted(a for e in mailbox.envelopes for a in e.rcpt_tos)
    assert "second@example.gov.cn" in addresses and "office@example.gov.cn" in addresses
    assert "retired@example.gov.cn" not in addresses
    assert all("新的伙伴清单申请待审核" in m["Subject"] for m in mailbox.messages)


def test_every_active_user_of_the_organisation_is_told(app, db, mailbox):
    admin, org, user, application = _applied()
    colleague = factories.create_user("provider", org=org, email="colleague@example.cn")
    mailbox.clear()
    _admit(admin, application)
    db.session.commit()
    assert len(mailbox.to(user.email)) == 1
    assert len(mailbox.to("colleague@example.cn")) == 1
    assert len(_notes(db, colleague, "partner.admitted")) == 1


def test_inactive_users_get_nothing(app, db, mailbox):
    admin, org, user, application = _applied()
    inactive = factories.create_user("provider", org=org, email="left@example.cn")
    set_user_active(admin, inactive, False)
    db.session.commit()
    mailbox.clear()
    _admit(admin, application)
    db.session.commit()
    assert mailbox.to("left@example.cn") == []
    assert _notes(db, inactive) == []
    assert len(mailbox.to(user.email)) == 1


def test_no_email_when_the_transaction_rolls_back(app, db, mailbox):
    admin, org, user, application = _applied()
    mailbox.clear()
    _admit(admin, application)
    db.session.rollback()
    assert mailbox.envelopes == []
    # the discarded email does not ride along with the next commit either
    provider_ops.reject_application(admin, db.session.get(PartnerApplication, application.id), reason="材料不全")
    db.session.commit()
    subjects = [m["Subject"] for m in mailbox.to(user.email)]
    assert len(subjects) == 1 and "未通过" in subjects[0]
    assert not any(ADMITTED_TITLE in s for s in subjects)
    assert _notes(db, user, "partner.admitted") == []


def test_refused_action_sends_nothing(app, db, mailbox):
    admin, org, user, application = _applied()
    mailbox.clear()
    with pytest.raises(InvalidTransition):
        provider_ops.suspend_provider(admin, org, reason="核查中")  # applied → suspend is not allowed
    db.session.rollback()
    db.session.commit()
    assert mailbox.envelopes == []


def test_failed_email_never_fails_the_action(app, db, dead_smtp):
    admin, org, user, application = _applied()  # the admins' emails fail here already
    _admit(admin, application)
    db.session.commit()  # must not raise
    db.session.expire_all()
    assert db.session.get(PartnerApplication, application.id).state == PartnerState.admitted
    notes = _notes(db, user, "partner.admitted")
    assert len(notes) == 1 and notes[0].title == ADMITTED_TITLE
    assert notes[0].read_at is None


def test_server_refusing_the_message_never_fails_the_action(app, db, mailbox):
    admin, org, user, application = _applied()
    mailbox.clear()
    mailbox.reject_with = "550 5.1.1 mailbox unavailable"
    _admit(admin, application)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(PartnerApplication, application.id).state == PartnerState.admitted
    assert len(_notes(db, user, "partner.admitted")) == 1
    assert mailbox.envelopes == []


def test_without_smtp_host_only_the_inbox(app, db, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server.port)
    smtp_server.handler.clear()
    admin, org, user, application = _applied()
    _admit(admin, application)
    db.session.commit()
    assert smtp_server.handler.envelopes == []
    assert len(_notes(db, user, "partner.admitted")) == 1


def test_send_mail_directly(app, mailbox):
    config = dict(app.config)
    assert send_mail(config, "someone@example.cn", "【揭榜挂帅场景平台】测试标题", "正文：便捷就医服务2.0") is True
    (message,) = mailbox.to("someone@example.cn")
    assert message["Subject"] == "【揭榜挂帅场景平台】测试标题"
    assert message.get_body(("plain",)).get_content().strip() == "正文：便捷就医服务2.0"


def test_send_mail_to_a_closed_port_returns_false(app, dead_smtp):
    assert send_mail(dict(app.config), "someone@example.cn", "标题", "正文") is False
