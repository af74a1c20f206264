"""The index is derived: updated after commit, never by a rolled-back change, rebuilt from the
database by `flask search reindex`, when lost or corrupt, and when the dictionary changes."""

import shutil
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import Challenge
from marketplace.extensions import db
from marketplace.search import analysis
from marketplace.search import index as index_module
from marketplace.search.index import MarkState, prune_changes
from marketplace.search.models import SearchChange
from marketplace.search.query import search
from tests.search.conftest import keys


def test_change_is_logged_in_the_same_transaction_and_applied_after_commit(publish, index):
    challenge = publish(title="智慧工地监管平台", domain="经济", required_domains=["经济"])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))
    challenge.title = "智慧菜场数字化改造"
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange)) == before + 1
    assert index.has("challenge", challenge.id)
    db.session.commit()
    assert keys(search("智慧菜场")) == [("challenge", challenge.id)]
    assert search("智慧工地").total == 0


def test_rolled_back_change_never_reaches_the_index(publish, index):
    challenge = publish(title="信息化标杆校建设", domain="教育", required_domains=["教育"])
    count = db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))
    challenge.title = "回滚后不应出现的精准助残标题"
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange)) == count
    index.catch_up()
    assert search("精准助残").total == 0
    assert keys(search("标杆校")) == [("challenge", challenge.id)]


def test_untracked_change_is_not_logged(publish):
    publish(title="红色场馆数字化")
    count = db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))
    factories_user = db.session.scalar(sa.select(Challenge))
    factories_user.reminder_sent_for = None  # no change at all
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange)) == count


def test_department_rename_reaches_its_challenges(publish, dept):
    challenge = publish(title="精准助残服务")
    dept.organisation.name = "区残联"
    db.session.commit()
    result = search("精准助残")
    assert keys(result) == [("challenge", challenge.id)]
    assert result.facets["department"] == [{"value": "区残联", "label": "区残联", "count": 1}]


def test_reindex_command_rebuilds_from_the_database(app, publish, index):
    a = publish(title="智能分诊导诊", domain="医疗", required_domains=["医疗"])
    # a row changed behind the index's back (no change logged): only a rebuild sees it
    db.session.execute(sa.update(Challenge).where(Challenge.id == a.id).values(title="院内导航与电子票据"))
    db.session.commit()
    assert search("院内导航").total == 0
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "1 条" in result.output
    assert keys(search("院内导航")) == [("challenge", a.id)]
    assert search("智能分诊").total == 0


def _no_rebuild_here(monkeypatch, index):
    """A request or a search that tried to build the index would fail the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a search or a request must never build the index")
    monkeypatch.setattr(index, "rebuild", refuse)
    return refuse


def test_deleted_index_directory_falls_back_until_the_worker_rebuilds(app, publish, index, index_dir, client,
                                                                        monkeypatch):
    challenge = publish(title="数字小区与社区云", domain="社区", required_domains=["社区"])
    assert search("社区云").total == 1
    original = index.rebuild
    _no_rebuild_here(monkeypatch, index)
    shutil.rmtree(index_dir)
    index.reset()
    result = search("社区云")
    assert result.rebuilding and keys(result) == [("challenge", challenge.id)]
    response = client.get("/search?q=社区云")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "索引重建中" in body and "数字小区" in body
    monkeypatch.setattr(index, "rebuild", original)
    assert index_module.ensure_index(app) == "missing"
    result = search("社区云")
    assert not result.rebuilding and keys(result) == [("challenge", challenge.id)]


def test_corrupt_index_directory_falls_back_until_rebuilt(app, publish, index, index_dir, client, monkeypatch):
    challenge = publish(title="免申即享政策兑现", domain="经济", required_domains=["经济"])
    assert search("免申即享").total == 1
    index.reset()
    for path in index_dir.iterdir():
        path.write_bytes(b"\x00garbage")
    original = index.rebuild
    _no_rebuild_here(monkeypatch, index)
    response = client.get("/api/v1/search?q=免申即享")
    assert response.status_code == 200
    body = response.get_json()
    assert body["rebuilding"] is True and [item["id"] for item in body["items"]] == [challenge.id]
    monkeypatch.setattr(index, "rebuild", original)
    assert index_module.ensure_index(app)
    assert api_items(client, "免申即享") == (False, [challenge.id])


def api_items(client, q):
    body = client.get(f"/api/v1/search?q={q}").get_json()
    return body["rebuilding"], [item["id"] for item in body["items"]]


def test_changed_dictionary_needs_a_rebuild_by_the_worker(app, publish, index, monkeypatch):
    challenge = publish(title="一网统管算法")
    assert search("统管").total == 1
    state = index.state()
    assert state.dict_hash == analysis.dictionary_hash() and state.schema == index_module.SCHEMA_VERSION
    index.reset()
    monkeypatch.setattr(analysis, "dictionary_hash", lambda: "changed")
    assert search("统管").rebuilding
    assert index.needs_rebuild() == "out of date"
    assert index_module.ensure_index(app) == "out of date"
    assert keys(search("统管")) == [("challenge", challenge.id)]
    assert index.state().dict_hash == "changed" and index_module.ensure_index(app) is None


def test_pruned_changes_force_a_rebuild(app, publish, index):
    """A server whose index missed changes that were pruned since rebuilds from the database
    (in the worker); meanwhile search answers from the database."""
    challenge = publish(title="数字人民币应用场景")
    assert search("数字人民币").total == 1
    # a change this index never applied (logged without the listener, so nothing caught up) …
    db.session.execute(sa.update(Challenge).where(Challenge.id == challenge.id).values(title="智慧养老驿站"))
    db.session.execute(sa.insert(SearchChange).values(doc_type="challenge", object_id=challenge.id,
                                                      created_at=datetime(2000, 1, 1, tzinfo=UTC)))
    db.session.commit()
    # … and then pruned away
    assert prune_changes(days=7) >= 1
    db.session.commit()
    result = search("养老驿站")
    assert result.rebuilding and keys(result) == [("challenge", challenge.id)]
    assert index_module.ensure_index(app) == "damaged"
    result = search("养老驿站")
    assert not result.rebuilding and keys(result) == [("challenge", challenge.id)]
    assert search("数字人民币").total == 0

def test_mark_waits_for_ids_committed_out_of_order():
    state = MarkState(safe=10)
    state.advance([12, 13], now=1000.0)  # 11 is still in flight
    assert state.safe == 10 and state.seen == {12, 13} and set(state.gaps) == {11}
    state.advance([11], now=1001.0)
    assert state.safe == 13 and not state.seen and not state.gaps
    state.advance([15], now=2000.0)  # 14 rolled back: waited for, then given up
    assert state.safe == 13
    state.advance([16], now=2000.0 + index_module.GAP_SECONDS + 1)
    assert state.safe == 16 and not state.gaps
    assert MarkState.from_json(state.to_json()).safe == 16


def test_cancel_then_reindex_keeps_it_out(publish, dept, app):
    challenge = publish(title="智慧养老服务")
    challenge_ops.cancel_challenge(dept, challenge, reason="并入其他项目")
    db.session.commit()
    app.test_cli_runner().invoke(args=["search", "reindex"])
    assert search("养老").total == 0


def test_damaged_segment_falls_back_and_is_rebuilt_by_the_worker(app, publish, index, index_dir, monkeypatch):
    """The table of contents opens but a segment file is garbage: the database answers (not a
    500, not a rebuild in the request), and the worker sees the damage and rebuilds."""
    challenge = publish(title="城市运行体征监测")
    assert search("体征监测").total == 1
    index.reset()
    for path in index_dir.iterdir():
        if path.suffix in (".pst", ".trm", ".col", ".seg"):
            path.write_bytes(b"\x00garbage")
    original = index.rebuild
    _no_rebuild_here(monkeypatch, index)
    result = search("体征监测")
    assert result.rebuilding and keys(result) == [("challenge", challenge.id)]
    monkeypatch.setattr(index, "rebuild", original)
    # (the reason names what broke first: a compound segment's directory, or, as segments are
    # now written, a separate postings file's header)
    assert index_module.ensure_index(app) in ("damaged", "unreadable (unpack requires a buffer of 4 bytes)",
                                              "unreadable (Unknown file header b'\\x00gar')")
    result = search("体征监测")
    assert not result.rebuilding and keys(result) == [("challenge", challenge.id)]


def test_multiprocess_rebuild_indexes_every_document(app, publish, index):
    titles = [f"智慧养老第{i}号驿站" for i in range(6)]
    challenges = [publish(title=title) for title in titles]
    index.rebuild(procs=2)
    assert index.doc_keys() == {f"challenge:{c.id}" for c in challenges}
    assert search("养老驿站").total == len(challenges) and not search("养老驿站").rebuilding


def test_updates_leave_deletions_that_search_handles(publish, caplog):
    """Updating a document deletes its old copy in an older segment; searching such an index
    must work on the first try (the rebuild fallback would hide a bug)."""
    challenge = publish(title="公共数据开放平台")
    for i in range(3):
        challenge.title = f"公共数据开放平台第{i}版"
        db.session.commit()
    with caplog.at_level("WARNING", logger="marketplace.search"):
        result = search("公共数据")
    assert keys(result) == [("challenge", challenge.id)] and result.facets["type"][0]["count"] == 1
    assert not [r for r in caplog.records if "search failed" in r.getMessage()]


def test_fallback_shows_only_public_challenges(app, publish, dept, index, index_dir, client):
    """While rebuilding, the database answers with the index's own visibility rules: drafts,
    challenges under review and cancelled ones never appear."""
    public = publish(title="养老助餐点位规划")
    publish(state="draft", title="养老助餐草稿")
    publish(state="pending_review", title="养老助餐待审核")
    cancelled = publish(title="养老助餐已撤销")
    challenge_ops.cancel_challenge(dept, cancelled, reason="并入其他项目")
    db.session.commit()
    shutil.rmtree(index_dir)
    index.reset()
    result = search("养老助餐")
    assert result.rebuilding and keys(result) == [("challenge", public.id)] and result.total == 1
    body = client.get("/search?q=养老助餐").get_data(as_text=True)
    assert "点位规划" in body and body.count('data-testid="search-hit"') == 1
    assert "草稿" not in body and "待审核" not in body and "已撤销" not in body
    assert api_items(client, "养老助餐") == (True, [public.id])
    assert search("养老助餐", type="provider").items == []


def test_a_search_only_reads_the_logs_top_when_nothing_is_new(publish, index, monkeypatch):
    """Before each query: one read of the change log's highest id against the index's mark; the
    catch-up (a session, the log, the writer lock) only when another process logged something."""
    challenge = publish(title="智慧菜场数字化改造")
    assert keys(search("智慧菜场")) == [("challenge", challenge.id)]
    assert index.caught_up()
    with monkeypatch.context() as patched:
        patched.setattr(index, "catch_up", lambda *args, **kwargs: pytest.fail("caught up with nothing new"))
        assert keys(search("智慧菜场")) == [("challenge", challenge.id)]
    # Changed and logged by another server (no listener in this process) …
    db.session.execute(sa.update(Challenge).where(Challenge.id == challenge.id).values(title="红色场馆数字化"))
    db.session.execute(sa.insert(SearchChange).values(doc_type="challenge", object_id=challenge.id,
                                                      created_at=datetime.now(UTC)))
    db.session.commit()
    # … so this one catches up before its next query.
    assert not index.caught_up()
    assert keys(search("红色场馆")) == [("challenge", challenge.id)] and search("智慧菜场").total == 0
    assert index.caught_up()


def test_segments_are_separate_files_read_through_the_page_cache(publish, index, index_dir):
    """No compound segment: Whoosh would copy one into every process's own memory."""
    publish(title="城市运行体征监测")
    index.catch_up()
    names = [path.name for path in index_dir.iterdir()]
    assert not [n for n in names if n.endswith(".seg")], names
    assert [n for n in names if n.endswith(".pst")] and [n for n in names if n.endswith(".trm")]
