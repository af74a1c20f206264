"""The index keeper (marketplace/search/keeper.py): each server's index gets built in the
background — by the process gunicorn's master or `flask run` starts, or one a search that fell
back to the database starts — never by a request, and one keeper per directory at a time."""

import importlib.util
import pathlib
import shutil
import subprocess

import pytest

from marketplace import scheduler
from marketplace.search import keeper
from marketplace.search.query import search
from tests.search.conftest import keys

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def spawned(monkeypatch):
    calls = []
    monkeypatch.setattr(keeper, "spawn", lambda *args, **kw: calls.append(args) or object())
    keeper._nudged_at.clear()
    yield calls
    keeper._nudged_at.clear()


def test_the_watching_keeper_builds_a_missing_index_and_then_catches_up(app, publish, index, index_dir):
    challenge = publish(title="社区养老驿站智能化", domain="养老", required_domains=["养老"])
    shutil.rmtree(index_dir)
    index.reset()
    assert search("养老驿站").rebuilding
    assert keeper.watch(app, every=0.01, rounds=2) == 2
    result = search("养老驿站")
    assert not result.rebuilding and keys(result) == [("challenge", challenge.id)]


def test_one_keeper_per_index_directory(app, publish, index, index_dir, spawned, monkeypatch):
    shutil.rmtree(index_dir)
    index.reset()
    monkeypatch.setitem(app.config, "SEARCH_KEEPER", True)
    with keeper.keeper_lock(app.config["SEARCH_INDEX_DIR"]) as mine:
        assert mine and keeper.keeper_running(app.config["SEARCH_INDEX_DIR"])
        # Another keeper holds the directory: a one-shot `ensure --if-free` leaves it alone, a
        # watching one waits, and a search that falls back starts nobody.
        assert keeper.ensure_once(app, if_free=True) == (False, None)
        assert keeper.watch(app, every=0.01, rounds=1) == 0
        assert search("养老").rebuilding and spawned == []
    assert not keeper.keeper_running(app.config["SEARCH_INDEX_DIR"])
    assert keeper.ensure_once(app, if_free=True) == (True, "missing")


def test_a_search_that_falls_back_starts_a_keeper_at_most_once_in_a_while(app, index, index_dir, spawned,
                                                                            monkeypatch):
    shutil.rmtree(index_dir)
    index.reset()
    assert search("养老").rebuilding and spawned == []  # SEARCH_KEEPER off (tests)
    monkeypatch.setitem(app.config, "SEARCH_KEEPER", True)
    for _ in range(3):
        assert search("养老").rebuilding
    assert spawned == [("--if-free",)]  # and nothing was built in this process
    assert index.needs_rebuild() == "missing"


def test_ensure_command(app, publish, index, index_dir):
    runner = app.test_cli_runner()
    assert "已是最新" in runner.invoke(args=["search", "ensure"]).output
    shutil.rmtree(index_dir)
    index.reset()
    result = runner.invoke(args=["search", "ensure"])
    assert result.exit_code == 0 and "原因：missing" in result.output
    with keeper.keeper_lock(app.config["SEARCH_INDEX_DIR"]):
        result = runner.invoke(args=["search", "ensure", "--if-free"])
    assert result.exit_code == 0 and "另一个索引维护进程" in result.output


def _gunicorn_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Server:
    class log:  # noqa: N801 (gunicorn's server.log)
        @staticmethod
        def info(*args):
            pass

        @staticmethod
        def error(*args):
            pass


class _Process:
    pid = 4242
    terminated = False

    def poll(self):
        return None if not self.terminated else 0

    def terminate(self):
        self.terminated = True

    def wait(self, timeout=None):
        return 0


def test_gunicorn_master_starts_the_keeper_once_and_stops_it(monkeypatch):
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda command, **kw: started.append((command, kw)) or _Process())
    monkeypatch.delenv("SEARCH_KEEPER", raising=False)
    conf = _gunicorn_conf()
    conf.when_ready(_Server())
    (command, options), = started
    assert command[-4:] == ["search", "ensure", "--watch", "30"]
    assert options["start_new_session"] and "--app" in command
    conf.on_exit(_Server())
    assert conf._keeper.terminated
    monkeypatch.setenv("SEARCH_KEEPER", "0")
    conf = _gunicorn_conf()
    conf.when_ready(_Server())
    assert len(started) == 1 and conf._keeper is None


def test_flask_run_starts_a_keeper_and_tests_do_not(app, monkeypatch):
    started = []
    monkeypatch.setattr(keeper, "spawn", lambda *args: started.append(args) or _Process())
    monkeypatch.setattr(scheduler, "_search_keeper", None)
    monkeypatch.setattr(scheduler, "started_by_flask_run", lambda: True)
    assert scheduler.maybe_start_search_keeper(app) is None and started == []  # TESTING
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "SEARCH_KEEPER", True)
    monkeypatch.setattr("atexit.register", lambda *args: None)
    assert scheduler.maybe_start_search_keeper(app) is not None
    assert scheduler.maybe_start_search_keeper(app) is not None
    assert started == [("--watch", str(keeper.WATCH_EVERY))]


def test_gunicorn_master_loads_jieba_once_for_its_workers_and_workers_drop_its_connections(app, monkeypatch):
    import gc
    from types import SimpleNamespace

    from flask import Flask
    from sqlalchemy.engine import Engine

    from marketplace.search import index as index_module

    loaded, frozen, disposed = [], [], []
    monkeypatch.setattr(index_module, "preload_for_workers", lambda a: loaded.append(a))
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(Engine, "dispose", lambda self, close=True: disposed.append(close))
    monkeypatch.setenv("SEARCH_KEEPER", "0")
    monkeypatch.delenv("WEB_PRELOAD", raising=False)
    conf = _gunicorn_conf()
    assert conf.preload_app
    server = _Server()
    server.app = SimpleNamespace(wsgi=lambda: app)
    conf.when_ready(server)
    assert loaded == [app] and frozen == [True]
    conf.post_fork(server, None)
    assert disposed and set(disposed) == {False}  # the master's pooled connections are left to it
    # Another app under the same settings (bench/bare_app.py): nothing loaded, nothing disposed.
    loaded.clear(), frozen.clear(), disposed.clear()
    server.app = SimpleNamespace(wsgi=lambda: Flask("bare"))
    conf.when_ready(server)
    conf.post_fork(server, None)
    assert loaded == frozen == disposed == []
    # WEB_PRELOAD=0: every worker imports the app itself, as before.
    monkeypatch.setenv("WEB_PRELOAD", "0")
    conf = _gunicorn_conf()
    server.app = SimpleNamespace(wsgi=lambda: app)
    conf.when_ready(server)
    conf.post_fork(server, None)
    assert not conf.preload_app and loaded == frozen == disposed == []
