"""Command-line tools: `flask --app wsgi create-admin | seed-demo | audit verify | audit checkpoint |
notify-due | jobs run | backup | restore`."""

import sys

import click
import sqlalchemy as sa

from marketplace.extensions import db


def register_commands(app):
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(audit_group)
    app.cli.add_command(notify_due)
    app.cli.add_command(jobs_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(remind_events)
    from marketplace.search.cli import search_group

    app.cli.add_command(search_group)
    app.cli.add_command(templates_group)


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


@click.group("templates")
def templates_group():
    """Evaluation templates (评审方案模板)."""


@templates_group.command("seed")
def templates_seed():
    """Add the shipped evaluation templates that are missing (by key; an admin's edits are kept)."""
    from marketplace.review.templates import seed_templates

    added = seed_templates()
    db.session.commit()
    click.echo(f"已导入 {added} 个内置评审方案模板")


@click.group("audit")
def audit_group():
    """Audit log tools."""


@audit_group.command("verify")
def audit_verify():
    """Recompute the hash chain; exit 1 and name the first bad event if history was altered."""
    from marketplace.audit.operations import verify_chain

    result = verify_chain()
    if result.ok:
        click.echo(result.message)
        return
    click.echo(result.message, err=True)
    sys.exit(1)


@audit_group.command("checkpoint")
def audit_checkpoint():
    """Publish today's checkpoint (seq, head hash, time): table, public page, file, auditors' mail.
    Safe to run more than once a day: the second run prints the day's existing checkpoint."""
    from marketplace.audit.checkpoints import publish_checkpoint

    checkpoint = publish_checkpoint()
    click.echo(f"审计链检查点 {checkpoint.day.isoformat()}：第 {checkpoint.seq} 号事件，链头哈希 {checkpoint.head_hash}")


@click.command("notify-due")
def notify_due():
    """Run the due-date work now: close challenges past their deadline, remind followers and
    entrants 24 hours before a deadline, expire partner listings, warn about milestones. The
    scheduler (celery beat, or `flask run`'s embedded one) already does this every few minutes."""
    from marketplace.challenges.operations import close_due_challenges, remind_due
    from marketplace.projects.operations import warn_due_milestones
    from marketplace.providers.operations import expire_due_listings

    closed = close_due_challenges()
    reminded = remind_due()
    expired = expire_due_listings()
    milestones = warn_due_milestones()  # owners: 3 days before the due date and the day after
    db.session.commit()
    click.echo(f"已截止榜单 {closed} 个，发送截止提醒 {reminded} 个，到期伙伴资格 {expired} 个，里程碑提醒 {milestones} 条")


@click.group("jobs")
def jobs_group():
    """The periodic jobs (celery beat runs them; these commands run one by hand)."""


@jobs_group.command("list")
def jobs_list():
    """Each job and its period."""
    from marketplace.tasks import PERIODIC_JOBS, job_interval

    for name in PERIODIC_JOBS:
        click.echo(f"{name:<24} 每 {job_interval(name)} 秒")


@jobs_group.command("run")
@click.argument("name")
def jobs_run(name):
    """Run one job now (skipped when it already ran in its current period)."""
    from marketplace.tasks import PERIODIC_JOBS, run_job

    if name not in PERIODIC_JOBS:
        raise click.BadParameter(f"没有名为 {name} 的任务（可用：{', '.join(PERIODIC_JOBS)}）", param_hint="NAME")
    result = run_job(name)
    click.echo({True: "已完成", False: "失败（见日志）", None: "本周期已运行过，跳过"}[result])
    if result is False:
        sys.exit(1)


@click.command("backup")
@click.argument("path", type=click.Path(file_okay=False))
def backup_command(path):
    """Write the database (JSON lines, any database kind), the uploads and a SHA-256 manifest into
    the new directory PATH."""
    from marketplace.backup import BackupError, backup

    try:
        manifest = backup(path)
    except BackupError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    head = manifest["audit_head"] or {}
    click.echo(f"已备份到 {path}：{sum(manifest['tables'].values())} 行，{len(manifest['files'])} 个文件，"
               f"审计链头 seq={head.get('seq')} {head.get('last_hash', '')[:16]}…")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def restore_command(path):
    """Restore a backup into an empty database (migrated here first) and an empty upload
    directory, check the audit head and the files' SHA-256, then rebuild the search index."""
    from flask_migrate import upgrade

    from marketplace.backup import BackupError, restore
    from marketplace.search.index import get_index

    upgrade()
    try:
        manifest = restore(path)
    except BackupError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        sys.exit(1)
    db.session.commit()
    index = get_index()
    index.rebuild(fresh=True)
    index.catch_up()
    head = manifest["audit_head"] or {}
    click.echo(f"已恢复：审计链头 seq={head.get('seq')} 与备份一致，{len(manifest['files'])} 个文件 SHA-256 一致，"
               f"本机搜索索引已重建（其他服务器请运行 flask --app wsgi search reindex）")
@click.command("remind-events")
def remind_events():
    """Day-before reminders for events starting within 24 hours (idempotent; hourly is enough)."""
    from marketplace.meetings.operations import remind_upcoming_events

    count = remind_upcoming_events()
    db.session.commit()
    click.echo(f"已提醒 {count} 个报名")
