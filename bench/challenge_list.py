"""Benchmark of the public challenge list (the busiest page of the site).

Builds 100,000 challenges (bulk-inserted with SQLAlchemy Core: a benchmark, not demo data) in a
schema made by the app's own migrations, on SQLite (a temporary file) and, when
BENCH_DATABASE_URL is set, on that PostgreSQL database too. Then, for each sort order (newest,
deadline, budget), without and with a domain filter, it times

  * keyset paging (`queries.public_page` with a cursor) on pages 1, 50 and 5,000,
  * OFFSET paging (`queries.listing_query(...).offset(...).limit(...)`) on the same pages,
  * the `count(*)` of the filtered set that an offset pager with a total needs per request,

and prints the median of REPS runs in milliseconds, then the query plan of the keyset query for
page 5,000 on each backend. It prints figures only: nothing about time is asserted.

    .venv/bin/python bench/challenge_list.py
    BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/test_bench .venv/bin/python bench/challenge_list.py

The PostgreSQL database is wiped (schema `public` dropped and recreated): its name must contain
"bench". Environment: BENCH_ROWS (default 100000), BENCH_REPS (default 20).
"""

import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from config import Config  # noqa: E402
from marketplace import create_app  # noqa: E402
from marketplace.accounts.models import Organisation, OrganisationKind  # noqa: E402
from marketplace.challenges import queries  # noqa: E402
from marketplace.challenges.models import Challenge  # noqa: E402
from marketplace.challenges.states import LISTED_STATES, ChallengeState  # noqa: E402
from marketplace.extensions import db  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
REPS = int(os.environ.get("BENCH_REPS", "20"))
PER_PAGE = 20
SLOW_MS = 150
PAGES = (1, 50, 5000)
SORTS = ("newest", "deadline", "budget")
FILTER_DOMAIN = "医疗"
S = ChallengeState

DEPARTMENTS = ["区科委", "区大数据中心", "区卫生健康委", "区民政局", "区教育局", "区文化旅游局", "区建管委",
               "区市场监管局", "区商务委", "徐家汇街道", "湖南路街道", "天平路街道", "枫林路街道", "长桥街道",
               "田林街道", "虹梅路街道", "康健新村街道", "斜土路街道", "漕河泾街道", "凌云路街道"]
# domain, share of rows, scenarios
DOMAINS = [
    ("数字治理", 25, ["一网统管 城市运行体征识别算法", "一网通办 智能预审", "一网通办 免申即享", "智慧工地监管",
                  "消防AI作战 无人机实景建模", "两网融合 风险监测预警"]),
    ("普惠民生", 12, ["精准助残 一人一档", "数字人民币 消费券发放", "政策找人 主动服务"]),
    ("医疗", 12, ["便捷就医服务2.0 智能分诊导诊", "院内导航", "医疗收费电子票据", "中药代煎配送区块链溯源"]),
    ("教育", 10, ["信息化标杆校 人机协同课堂", "学情分析与作业减负", "教育数字基座"]),
    ("养老", 10, ["为老服务一键通", "智慧养老院安全监测", "独居老人远程看护"]),
    ("文旅", 8, ["数字景区 无感入园", "红色场馆数字化 沉浸式导览", "数字酒店2.0"]),
    ("交通", 8, ["智慧停车 错峰共享", "非机动车乱停放治理", "公交到站预测"]),
    ("社区", 10, ["数字小区与社区云", "智慧菜场 数字化改造", "10分钟数字生活圈"]),
    ("经济", 5, ["数据中心能效评估 PUE/CUE/EUE", "产业大数据平台", "楼宇经济数字化"]),
]
# state, share of rows (mostly published or past their deadline). ROWS rows are in the states the
# public list shows, so that its page 5,000 exists; UNLISTED more are drafts, under review or cancelled.
STATES = [(S.published, 38), (S.closed, 42), (S.failed, 5), (S.evaluating, 3), (S.racing, 1), (S.notice, 1),
          (S.awarded, 10)]
UNLISTED_STATES = [(S.draft, 3), (S.pending_review, 1), (S.cancelled, 1)]
UNLISTED = ROWS // 20
# BENCH_PROPOSED_INDEXES=1: add the indexes proposed in bench/README.md (an experiment, not the schema).
PROPOSED_INDEXES = [
    ("bench_ix_published", ["published_at", "id"]), ("bench_ix_deadline", ["deadline", "id"]),
    ("bench_ix_budget", ["budget_fen", "id"]), ("bench_ix_domain_published", ["domain", "published_at", "id"]),
    ("bench_ix_domain_deadline", ["domain", "deadline", "id"]), ("bench_ix_domain_budget", ["domain", "budget_fen", "id"]),
]
FILTERS = [("—", {}), (f"domain={FILTER_DOMAIN}", {"domain": FILTER_DOMAIN}), ("status=published", {"status": "published"})]


class BenchConfig(Config):
    TESTING = True
    RATELIMIT_ENABLED = False
    SQLALCHEMY_ENGINE_OPTIONS = {}


# --- building the database ----------------------------------------------------------------------

def _reset(url):
    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":
        if "bench" not in (engine.url.database or ""):
            sys.exit(f"refusing to wipe {engine.url.database!r}: BENCH_DATABASE_URL must name a *bench* database")
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _rows(department_ids, now):
    rng = random.Random(20261122)
    domains = [d for d, _, _ in DOMAINS]
    domain_weights = [w for _, w, _ in DOMAINS]
    scenarios = {d: s for d, _, s in DOMAINS}
    departments = [(i, name) for i, name in zip(department_ids, DEPARTMENTS, strict=True)]
    for n in range(1, ROWS + UNLISTED + 1):
        domain = rng.choices(domains, domain_weights)[0]
        table = STATES if n <= ROWS else UNLISTED_STATES
        state = rng.choices([s for s, _ in table], [w for _, w in table])[0]
        department_id, department = rng.choice(departments)
        year = 2023 + rng.randrange(4)
        # Budgets cluster on round sums (many ties, as in reality): 50 000 … 5 000 000 元.
        budget_yuan = round(math.exp(rng.uniform(math.log(50_000), math.log(5_000_000))), -4)
        if state == S.published:
            published_at = now - timedelta(seconds=rng.randrange(60 * 86400))
            deadline = now + timedelta(days=rng.randint(1, 60), hours=rng.randrange(24))
        elif state in (S.draft, S.pending_review):
            published_at = None
            deadline = now + timedelta(days=rng.randint(7, 90))
        else:
            published_at = now - timedelta(days=61, seconds=rng.randrange(3 * 365 * 86400))
            deadline = published_at + timedelta(days=rng.randint(14, 60))
        deadline = deadline.replace(minute=0, second=0, microsecond=0)  # deadlines are on the hour
        closed = state not in (S.published, S.draft, S.pending_review, S.cancelled)
        yield {
            "department_id": department_id, "created_by_id": None,
            "title": f"{department}：{rng.choice(scenarios[domain])}（{year}年第{n % 97 + 1}批）",
            "domain": domain, "description": "基准测试数据", "pain_points": "", "outcomes": "", "contact": "",
            "budget_fen": int(budget_yuan) * 100, "deadline": deadline, "race_slots": rng.choice((1, 1, 1, 2, 3)),
            "min_submissions": rng.choice((1, 2, 3)), "notice_days": 5, "state": state,
            "status_reason": "撤榜" if state == S.cancelled else None, "published_at": published_at,
            "closed_at": deadline if closed else None, "reminder_sent_for": None,
            "created_at": (published_at or now) - timedelta(days=3), "updated_at": now,
        }


def build(url):
    _reset(url)
    tmp = tempfile.mkdtemp(prefix="bench-files-")

    class Cfg(BenchConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_DIR = os.path.join(tmp, "uploads")
        SEARCH_INDEX_DIR = os.path.join(tmp, "search-index")

    app = create_app(Cfg)
    started = time.perf_counter()
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(revision="heads")
        if os.environ.get("BENCH_PROPOSED_INDEXES"):
            for name, columns in PROPOSED_INDEXES:
                sa.Index(name, *[Challenge.__table__.c[c] for c in columns]).create(db.session.connection())
        now = datetime.now(UTC).replace(microsecond=0)
        org = Organisation.__table__
        db.session.execute(org.insert(), [{"name": name, "kind": OrganisationKind.department, "created_at": now}
                                          for name in DEPARTMENTS])
        by_name = dict(db.session.execute(sa.select(org.c.name, org.c.id)).all())
        department_ids = [by_name[name] for name in DEPARTMENTS]
        batch = []
        for row in _rows(department_ids, now):
            batch.append(row)
            if len(batch) == 5000:
                db.session.execute(Challenge.__table__.insert(), batch)
                batch = []
        if batch:
            db.session.execute(Challenge.__table__.insert(), batch)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
            if db.engine.dialect.name == "postgresql":
                conn.exec_driver_sql("VACUUM challenges")  # visibility map: index-only scans work
    return app, time.perf_counter() - started


# --- measuring ---------------------------------------------------------------------------------

def median_ms(fn):
    started = time.perf_counter()
    fn()  # warm-up (caches, statement compilation)
    db.session.expunge_all()
    # Runs slower than SLOW_MS are repeated 5 times, not REPS: the whole benchmark stays ~3 minutes.
    reps = REPS if (time.perf_counter() - started) * 1000 < SLOW_MS else min(REPS, 5)
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        db.session.expunge_all()
    return statistics.median(times)


def cursor_for(filters, page):
    """The cursor a reader would hold after walking to `page` (from an ordered query, not by
    walking every page): the sort key and id of the last row of the page before."""
    if page == 1:
        return None
    offset = (page - 1) * PER_PAGE - 1
    row = db.session.scalars(queries.listing_query(filters, LISTED_STATES).offset(offset).limit(1)).first()
    return None if row is None else queries.encode_cursor(row, filters.sort)


def count_listed(filters):
    """What an offset pager with a total runs on every request (as flask-sqlalchemy paginate does)."""
    sub = queries.listing_query(filters, LISTED_STATES).order_by(None).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(sub))


def measure(app):
    results = []
    with app.app_context():
        for label_filter, kwargs in FILTERS:
            for sort in SORTS:
                filters = queries.ChallengeFilters(sort=sort, **kwargs)
                total = count_listed(filters)
                last_page = max(1, math.ceil(total / PER_PAGE))
                for page in PAGES:
                    real_page = min(page, last_page)
                    cursor = cursor_for(filters, real_page)
                    keyset = median_ms(lambda f=filters, c=cursor: queries.public_page(f, cursor=c, per_page=PER_PAGE))
                    offset = (real_page - 1) * PER_PAGE
                    paged = median_ms(lambda f=filters, o=offset: db.session.scalars(
                        queries.listing_query(f, LISTED_STATES).offset(o).limit(PER_PAGE)).all())
                    # Both ways must return the same rows, or the comparison means nothing.
                    a = [c.id for c in queries.public_page(filters, cursor=cursor, per_page=PER_PAGE)[0]]
                    b = [c.id for c in db.session.scalars(
                        queries.listing_query(filters, LISTED_STATES).offset(offset).limit(PER_PAGE))]
                    label = str(page) if real_page == page else f"{page}→{real_page} (last)"
                    results.append((label_filter, sort, label, keyset, paged, "same" if a == b else "DIFFERENT"))
                results.append((label_filter, sort, "count(*)", None, median_ms(lambda f=filters: count_listed(f)),
                                f"{total:,} rows"))
    return results


def explain(app):
    """The plan of the keyset query for page 5,000 as public_page really sends it."""
    out = []
    with app.app_context():
        engine = db.engine
        for label_filter, kwargs in FILTERS:
            for sort in SORTS:
                filters = queries.ChallengeFilters(sort=sort, **kwargs)
                total = count_listed(filters)
                page = min(5000, max(1, math.ceil(total / PER_PAGE)))
                cursor = cursor_for(filters, page)
                captured = []

                def grab(conn, cursor_, statement, parameters, context, executemany, captured=captured):
                    captured.append((statement, parameters))

                sa.event.listen(engine, "before_cursor_execute", grab)
                try:
                    queries.public_page(filters, cursor=cursor, per_page=PER_PAGE)
                finally:
                    sa.event.remove(engine, "before_cursor_execute", grab)
                statement, parameters = captured[0]
                prefix = ("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) " if engine.dialect.name == "postgresql"
                          else "EXPLAIN QUERY PLAN ")
                rows = db.session.connection().exec_driver_sql(prefix + statement, parameters).all()
                lines = [str(r[-1]) for r in rows]  # PostgreSQL: one column; SQLite: (id, parent, _, detail)
                out.append((f"filter {label_filter}, sort={sort}, page={page}", lines))
                db.session.rollback()
    return out


def report(name, build_seconds, results, plans):
    extra = " + proposed indexes" if os.environ.get("BENCH_PROPOSED_INDEXES") else ""
    print(f"\n## {name}{extra}: {ROWS:,} listed challenges + {UNLISTED:,} drafts/under review/cancelled "
          f"(built in {build_seconds:.1f} s), median ms of {REPS} runs (5 when one takes > {SLOW_MS} ms)\n")
    print("| filter | sort | page | keyset | OFFSET | note |")
    print("|---|---|---|---:|---:|---|")
    for domain, sort, page, keyset, offset, note in results:
        k = "" if keyset is None else f"{keyset:.2f}"
        print(f"| {domain} | {sort} | {page} | {k} | {offset:.2f} | {note} |")
    print(f"\n### {name}: query plan of the keyset query, deepest page\n")
    for title, lines in plans:
        print(f"-- {title}")
        for line in lines:
            print(f"   {line}")


def run(name, url):
    app, seconds = build(url)
    results = measure(app)
    plans = explain(app)
    report(name, seconds, results, plans)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main():
    started = time.perf_counter()
    import platform
    import sqlite3

    print(f"# challenge list benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, SQLAlchemy {sa.__version__}")
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as tmp:
        run("SQLite", f"sqlite:///{os.path.join(tmp, 'bench.db')}")
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar()
        engine.dispose()
        run(f"PostgreSQL {version}", url)
    else:
        print("\n(BENCH_DATABASE_URL not set: PostgreSQL skipped)")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
