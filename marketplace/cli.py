"""Command-line tools: `flask --app wsgi create-admin | seed-demo | audit verify`."""

import sys

import click
import sqlalchemy as sa

from marketplace.extensions import db


def register_commands(app):
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(audit_group)
    app.cli.add_command(notify_due)
    app.cli.add_command(remind_events)
    from marketplace.search.cli import search_group

    app.cli.add_command(search_group)


@click.command("create-admin")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="平台管理员", show_default=True)
def create_admin(email, password, name):
    """Create a platform admin account (the same address and password rules as everywhere)."""
    from marketplace.accounts.emails import InvalidEmail, normalise_email
    from marketplace.accounts.models import Role, User
    from marketplace.accounts.operations import create_user
    from marketplace.core.errors import ValidationFailed

    if len(password) < 8:
        raise click.BadParameter("密码至少 8 个字符", param_hint="--password")
    try:
        email = normalise_email(email)
    except InvalidEmail as exc:
        raise click.BadParameter(f"{exc}（登录页不会接受它）", param_hint="EMAIL") from None
    if db.session.scalar(sa.select(User).where(User.email == email)):
        click.echo(f"账号 {email} 已存在", err=True)
        sys.exit(1)
    try:
        user = create_user(None, email=email, password=password, name=name, role=Role.admin)
    except ValidationFailed as exc:
        if "password" in exc.fields:
            raise click.BadParameter(exc.fields["password"], param_hint="--password") from None
        click.echo("; ".join(f"{k}: {v}" for k, v in exc.fields.items()), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"已创建平台管理员 {user.email}（id {user.id}）")


@click.command("seed-demo")
def seed_demo():
    """Load realistic demo data (idempotent) and print one account per role."""
    from marketplace.demo import DEMO_PASSWORD, seed

    accounts = seed()
    db.session.commit()
    click.echo(f"演示数据已就绪。演示账号（密码均为 {DEMO_PASSWORD}）：")
    for role, email in accounts.items():
        click.echo(f"  {role:<12} {email}")


@click.group("audit")
def audit_group():
    """Audit log tools."""


@audit_group.command("verify")
def audit_verify():
    """Recompute the hash chain; exit 1 and name the first bad event if history was altered."""
    from marketplace.audit.operations import verify_chain

    result = verify_chain()
    if result.ok:
        click.echo(f"审计链完整：共 {result.events} 条事件")
        return
    click.echo(f"审计链被破坏：第一个异常事件 id={result.first_bad_id}（{result.reason}）", err=True)
    sys.exit(1)


@click.command("notify-due")
def notify_due():
    """For cron: close challenges past their deadline, remind followers and entrants 24 hours
    before a deadline, and expire partner listings whose validity has passed."""
    from marketplace.challenges.operations import close_due_challenges, remind_due
    from marketplace.projects.operations import warn_due_milestones
    from marketplace.providers.operations import expire_due_listings

    closed = close_due_challenges()
    reminded = remind_due()
    expired = expire_due_listings()
    milestones = warn_due_milestones()  # owners: 3 days before the due date and the day after
    db.session.commit()
    click.echo(f"已截止榜单 {closed} 个，发送截止提醒 {reminded} 个，到期伙伴资格 {expired} 个，里程碑提醒 {milestones} 条")


@click.command("remind-events")
def remind_events():
    """Day-before reminders for events starting within 24 hours (idempotent; hourly is enough)."""
    from marketplace.meetings.operations import remind_upcoming_events

    count = remind_upcoming_events()
    db.session.commit()
    click.echo(f"已提醒 {count} 个报名")
