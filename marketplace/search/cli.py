"""`flask --app wsgi search reindex | ensure | catch-up | prune`."""

import click

from marketplace.extensions import db


@click.group("search")
def search_group():
    """Full-text search index tools."""


@search_group.command("reindex")
def reindex():
    """Rebuild this server's index from scratch from the database."""
    from marketplace.search.index import get_index, rebuild_index

    count = rebuild_index()
    info = get_index().last_rebuild
    click.echo(f"搜索索引已重建：共 {count} 条公开文档，用时 {info['seconds']:.1f} 秒，"
               f"{info['documents'] / max(info['seconds'], 1e-6):.0f} 条/秒（{get_index().path}）")


@search_group.command("ensure")
@click.option("--watch", "every", type=click.IntRange(min=1), default=None, metavar="SECONDS",
              help="keep checking every SECONDS (the keeper gunicorn and flask run start); ends with its parent")
@click.option("--if-free", is_flag=True, help="do nothing when a keeper already looks after this index")
def ensure(every, if_free):
    """Rebuild if the index is missing, damaged or out of date, else catch up."""
    from flask import current_app

    from marketplace.search import keeper

    app = current_app._get_current_object()
    if every:
        keeper.watch(app, every)
        return
    ran, reason = keeper.ensure_once(app, if_free=if_free)
    if not ran:
        click.echo("另一个索引维护进程正在处理本机索引")
    else:
        click.echo(f"搜索索引已重建（原因：{reason}）" if reason else "搜索索引已是最新")


@search_group.command("catch-up")
def catch_up():
    """Apply pending changes from the change log (normally done after every commit)."""
    from marketplace.search.index import get_index

    done = get_index().catch_up(budget=600)
    click.echo("搜索索引已是最新" if done else "索引正被其他进程写入，稍后会自动补齐")


@search_group.command("prune")
@click.option("--days", default=7, show_default=True, help="keep this many days of changes")
def prune(days):
    """Delete old change-log rows; an index that has not seen them rebuilds itself."""
    from marketplace.search.index import prune_changes

    deleted = prune_changes(days)
    db.session.commit()
    click.echo(f"已清理 {deleted} 条搜索变更记录")
