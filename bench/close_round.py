"""Closing a big evaluation round (issue 15): BENCH_ENTRIES entries (default 200) × BENCH_PANEL
evaluators (15) × BENCH_CRITERIA criteria (10), all sheets submitted, bulk-inserted through the
real schema (the app's migrations). It times `review.operations.close_round` with its commit
(results, notice, notifications, audit) and then the results page as the admin sees it, and
prints the statements each ran. SQLite by default; BENCH_DATABASE_URL for PostgreSQL (wiped:
its name must contain "bench", or BENCH_WIPE_OK=1). Nothing is asserted.

    .venv/bin/python bench/close_round.py
"""

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from config import Config  # noqa: E402
from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402

ENTRIES = int(os.environ.get("BENCH_ENTRIES", "200"))
PANEL = int(os.environ.get("BENCH_PANEL", "15"))
CRITERIA = int(os.environ.get("BENCH_CRITERIA", "10"))
PAGE_RUNS = int(os.environ.get("BENCH_REPS", "10"))


def _reset(url):
    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":
        if "bench" not in (engine.url.database or "") and not os.environ.get("BENCH_WIPE_OK"):
            sys.exit(f"refusing to wipe {engine.url.database!r}")
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


class Counter:
    def __init__(self):
        self.n = 0

    def __call__(self, *args):
        self.n += 1


def build(app):
    from marketplace.accounts.models import Organisation, User
    from marketplace.challenges.models import Challenge
    from marketplace.review.models import Criterion, EvaluationRound, PanelMember, RoundEntry, Score
    from marketplace.review.operations import _label
    from marketplace.submissions.models import Submission

    rng = random.Random(15)
    now = datetime.now(UTC).replace(microsecond=0)

    def insert(model, rows):
        result = db.session.execute(model.__table__.insert().returning(model.__table__.c.id), rows)
        return [r[0] for r in result]

    dept = insert(Organisation, [{"name": "区大数据中心", "kind": "department", "created_at": now}])[0]
    providers = insert(Organisation, [{"name": f"服务商{i:03d}", "kind": "provider", "created_at": now}
                                      for i in range(ENTRIES)])
    admin = insert(User, [{"email": "admin@bench.example", "name": "管理员", "password_hash": "x", "role": "admin",
                           "created_at": now}])[0]
    evaluators = insert(User, [{"email": f"expert{i}@bench.example", "name": f"专家{i}", "password_hash": "x",
                                "role": "evaluator", "created_at": now} for i in range(PANEL)])
    challenge = insert(Challenge, [{
        "department_id": dept, "title": "城市运行一网统管场景", "domain": "城市治理", "description": "基准",
        "pain_points": "", "outcomes": "", "contact": "", "budget_fen": 100_000_000, "deadline": now - timedelta(days=3),
        "race_slots": 1, "min_submissions": 1, "notice_days": 5, "state": "evaluating",
        "published_at": now - timedelta(days=40), "closed_at": now - timedelta(days=3), "created_at": now,
        "updated_at": now}])[0]
    round_id = insert(EvaluationRound, [{"challenge_id": challenge, "position": 1, "name": "方案评审",
                                         "aggregation": "mean", "min_panel": 3, "status": "open", "opened_at": now,
                                         "blind": False}])[0]
    criteria = insert(Criterion, [{"round_id": round_id, "position": i + 1, "name": f"标准{i + 1}",
                                   "weight": 100 // CRITERIA + (100 % CRITERIA if i == 0 else 0), "max_points": 100}
                                  for i in range(CRITERIA)])
    submissions = insert(Submission, [{
        "challenge_id": challenge, "provider_id": p, "state": "submitted", "version": 1, "summary": "方案",
        "technical_plan": "技术路线", "price_fen": 50_000_000, "timeline": "三个月", "team": "",
        "submitted_at": now - timedelta(days=4, seconds=i), "created_at": now, "updated_at": now}
        for i, p in enumerate(providers)])
    insert(RoundEntry, [{"round_id": round_id, "submission_id": s, "label": _label(i)}
                        for i, s in enumerate(submissions)])
    members = insert(PanelMember, [{"round_id": round_id, "evaluator_id": e, "assigned_at": now, "declared_at": now,
                                    "sheet_status": "submitted", "submitted_at": now} for e in evaluators])
    rows = [{"member_id": m, "submission_id": s, "criterion_id": c, "points_centi": rng.randrange(5000, 10001),
             "comment": "", "updated_at": now} for m in members for s in submissions for c in criteria]
    for start in range(0, len(rows), 5000):
        db.session.execute(Score.__table__.insert(), rows[start:start + 5000])
    db.session.commit()
    return admin, round_id, len(rows)


def run(name, url):
    _reset(url)
    tmp = tempfile.mkdtemp(prefix="bench-close-")

    class Cfg(Config):
        TESTING = True
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_DIR = os.path.join(tmp, "uploads")
        SEARCH_INDEX_DIR = os.path.join(tmp, "index")
        RATELIMIT_ENABLED = False
        WTF_CSRF_ENABLED = False

    app = create_app(Cfg)
    app.login_manager.session_protection = None  # the bench client signs in by session, without /login
    with app.app_context():
        from flask_migrate import upgrade

        from marketplace.accounts.models import User
        from marketplace.review import operations as ops
        from marketplace.review.models import EvaluationRound

        upgrade(revision="heads")
        started = time.perf_counter()
        admin_id, round_id, scores = build(app)
        print(f"\n## {name}: {ENTRIES} entries × {PANEL} evaluators × {CRITERIA} criteria = {scores:,} scores "
              f"(built in {time.perf_counter() - started:.1f} s; load {os.getloadavg()[0]:.1f})")
        admin, round_ = db.session.get(User, admin_id), db.session.get(EvaluationRound, round_id)
        counter = Counter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        started = time.perf_counter()
        ops.close_round(admin, round_)
        db.session.commit()
        close_ms = (time.perf_counter() - started) * 1000
        sa.event.remove(db.engine, "before_cursor_execute", counter)
        print(f"close_round + commit: {close_ms:.0f} ms, {counter.n} statements")
        session_id = admin.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    assert client.get(f"/rounds/{round_id}/results").status_code == 200
    times = []
    with app.app_context():
        counter = Counter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
    for _ in range(PAGE_RUNS):
        started = time.perf_counter()
        response = client.get(f"/rounds/{round_id}/results")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with app.app_context():
        sa.event.remove(db.engine, "before_cursor_execute", counter)
    print(f"results page: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms over {PAGE_RUNS} "
          f"({counter.n // PAGE_RUNS} statements each; load {os.getloadavg()[0]:.1f})")


def main():
    tmp = tempfile.mkdtemp(prefix="bench-close-db-")
    run("SQLite", f"sqlite:///{tmp}/close.db")
    if os.environ.get("BENCH_DATABASE_URL"):
        run("PostgreSQL", os.environ["BENCH_DATABASE_URL"])


if __name__ == "__main__":
    main()
