"""The index is derived: updated after commit, never by a rolled-back change, rebuilt from the
database by `flask search reindex`, when lost or corrupt, and when the dictionary changes."""

import shutil
from datetime import UTC, datetime

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


def test_deleted_index_directory_is_rebuilt(publish, index, index_dir, client):
    challenge = publish(title="数字小区与社区云", domain="社区", required_domains=["社区"])
    assert search("社区云").total == 1
    shutil.rmtree(index_dir)
    assert keys(search("社区云")) == [("challenge", challenge.id)]
    shutil.rmtree(index_dir)
    index.reset()
    response = client.get("/search?q=社区云")
    assert response.status_code == 200 and "数字小区" in response.get_data(as_text=True)


def test_corrupt_index_directory_is_rebuilt(publish, index, index_dir, client):
    challenge = publish(title="免申即享政策兑现", domain="经济", required_domains=["经济"])
    assert search("免申即享").total == 1
    index.reset()
    for path in index_dir.iterdir():
        path.write_bytes(b"\x00garbage")
    response = client.get("/api/v1/search?q=免申即享")
    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()["items"]] == [challenge.id]


def test_changed_dictionary_triggers_a_rebuild(publish, index, monkeypatch):
    challenge = publish(title="一网统管算法")
    assert search("统管").total == 1
    state = index.state()
    assert state.dict_hash == analysis.dictionary_hash() and state.schema == index_module.SCHEMA_VERSION
    index.reset()
    monkeypatch.setattr(analysis, "dictionary_hash", lambda: "changed")
    rebuilt = []
    original = index.rebuild
    monkeypatch.setattr(index, "rebuild", lambda *a, **k: rebuilt.append(1) or original(*a, **k))
    assert keys(search("统管")) == [("challenge", challenge.id)]
    assert rebuilt and index.state().dict_hash == "changed"


def test_pruned_changes_force_a_rebuild(publish, index):
    """A server whose index missed changes that were pruned since rebuilds from the database."""
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
    assert keys(search("养老驿站")) == [("challenge", challenge.id)]
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


def test_damaged_segment_is_rebuilt(publish, index, index_dir):
    """The table of contents opens but a segment file is garbage: rebuilt, not a 500."""
    challenge = publish(title="城市运行体征监测")
    assert search("体征监测").total == 1
    index.reset()
    for path in index_dir.iterdir():
        if path.suffix in (".pst", ".trm", ".col"):
            path.write_bytes(b"\x00garbage")
    assert keys(search("体征监测")) == [("challenge", challenge.id)]


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
