"""Benchmark of public search (issue 6): Whoosh + jieba at 100,000 documents on one core.

Generates BENCH_DOCS (default 100,000) realistic Chinese documents — challenges, provider
listings and solutions whose titles come from the scenarios the policies name and whose text is
made of real sentences from shared/seeds/ (001–004, simplified Chinese) — and indexes them with
the application's own schema and analyzer (`marketplace.search.index.make_schema`) in one
process. It prints the indexing throughput, then times a few hundred mixed queries (broad one-word
queries with tens of thousands of hits, two-word and compound queries, English and digits,
filtered queries, deep pages, typos) two ways:

  * before — the straightforward way: a new searcher per query, MultifieldParser, every hit
    collected (limit=None) to count them and build the facets with `groupedby`, Whoosh's
    highlighter on the stored full text;
  * after  — `marketplace.search.query` as the site runs it: the process's searcher kept open,
    top-k collection with block-quality skipping, totals and facets from per-searcher doc-id
    sets, snippets from a short stored excerpt.

Both run against the same index. It prints median, p95 and max in milliseconds. Nothing is
asserted. Environment: BENCH_DOCS, BENCH_QUERIES (default 300), BENCH_BEFORE_QUERIES (default
60: the slow way is slow; 0 skips it), BENCH_SEEDS (the seed texts, default ../shared/seeds), BENCH_DIR (keep the index there instead of a temporary directory).

    .venv/bin/python bench/search.py
"""

import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from config import Config  # noqa: E402
from marketplace import create_app  # noqa: E402
from marketplace.search import analysis  # noqa: E402
from marketplace.search import query as search_query  # noqa: E402
from marketplace.search.documents import EXCERPT_CHARS  # noqa: E402
from marketplace.search.index import _doc_fields, make_schema  # noqa: E402

SEEDS = Path(os.environ.get("BENCH_SEEDS") or Path(__file__).resolve().parents[2] / "shared" / "seeds")
DOCS = int(os.environ.get("BENCH_DOCS", 100_000))
QUERIES = int(os.environ.get("BENCH_QUERIES", 300))
BEFORE_QUERIES = int(os.environ.get("BENCH_BEFORE_QUERIES", 60))

DOMAINS = ["数字治理", "普惠民生", "医疗", "教育", "养老", "文旅", "交通", "社区", "经济"]
DEPARTMENTS = ["区科委", "区大数据中心", "区卫生健康委", "区民政局", "区教育局", "区文化旅游局", "区建管委",
               "区市场监管局", "区商务委"] + [f"{n}街道" for n in ["天平路", "湖南路", "斜土路", "枫林路", "长桥",
                                                          "田林", "虹梅路", "康健新村", "徐家汇", "凌云路",
                                                          "龙华", "漕河泾", "华泾"]]
STATUSES = ["征集中", "已截止", "评审中", "赛马中", "公示中", "已挂帅", "流标"]
SCENARIOS = ["便捷就医服务2.0", "智能分诊导诊", "院内导航", "医疗收费电子票据", "为老服务一键通", "智慧养老",
             "数字小区", "社区云", "一网通办智能预审", "免申即享", "一网统管算法", "智慧菜场", "智慧工地监管",
             "消防AI作战", "数字景区无感入园", "红色场馆数字化", "信息化标杆校", "精准助残", "数字人民币",
             "数据中心PUE评估", "5G智慧园区", "数字孪生城市", "适老化改造", "城市运行体征监测", "公共数据开放"]
SUFFIXES = ["应用场景建设", "试点项目", "平台升级", "解决方案", "场景揭榜", "服务能力提升", "数字化改造", "系统建设"]
COMPANY = ["上海{}科技有限公司", "上海{}信息技术有限公司", "{}数字科技股份有限公司", "上海{}网络科技有限公司"]
BRANDS = ["智汇", "云启", "数联", "慧医", "银龄", "城脑", "数盾", "星图", "天枢", "海纳", "易通", "明途", "润泽",
          "华数", "申通", "汇智", "远景", "博睿", "卓越", "和光"]

QUERY_MIX = (
    # broad one-word queries: tens of thousands of hits each
    ["服务", "数字化", "平台", "数据", "建设", "养老", "医疗", "社区", "场景", "智慧"] * 6
    # compound and two-word queries
    + ["智慧养老", "便捷就医", "一网通办", "一网统管", "免申即享", "数字孪生", "智慧 养老", "就医 导航",
       "社区 养老 服务", "数据 开放 共享", "适老化", "智能预审", "无感入园", "信息化标杆校", "精准助残"] * 3
    # English, digits, mixed
    + ["5G", "AI", "PUE", "2.0", "AI 分诊", "5G 园区"] * 3
    # rare words and typos (zero hits: did-you-mean)
    + ["红色场馆", "电子票据", "智惠养老", "一网通半", "赛马制", "数字人民币"] * 2
)
FILTERS = [{}, {}, {}, {"type": "challenge"}, {"domain": "养老"}, {"type": "solution", "domain": "医疗"},
           {"status": "征集中"}]


def seed_sentences():
    out = []
    for path in sorted(SEEDS.glob("00[1-4]_*.txt")):
        for sentence in re.split(r"(?<=[。；！？])|\n", path.read_text(encoding="utf-8")):
            sentence = sentence.strip()
            if 12 <= len(sentence) <= 160:
                out.append(sentence)
    return out


def generate(n, rng):
    sentences = seed_sentences()
    for i in range(n):
        kind = rng.choices(["challenge", "provider", "solution"], [6, 2, 2])[0]
        scenario = rng.choice(SCENARIOS)
        domain = rng.choice(DOMAINS)
        body = "".join(rng.sample(sentences, rng.randint(2, 5)))
        if kind == "challenge":
            dept = rng.choice(DEPARTMENTS)
            fields = {"title": f"{scenario}{rng.choice(SUFFIXES)}（第{i % 97 + 1}批）", "domain": [domain],
                      "status": rng.choice(STATUSES), "department": dept,
                      "content": "", "excerpt": body[:EXCERPT_CHARS], "subtitle": f"{dept} · {domain}"}
            fields["content"] = "\n".join([fields["title"], body, dept, domain])
        elif kind == "provider":
            name = rng.choice(COMPANY).format(rng.choice(BRANDS) + rng.choice(BRANDS)) + f"{i}"
            domains = rng.sample(DOMAINS, rng.randint(1, 3))
            fields = {"title": name, "domain": domains, "status": "在库", "expires": "20991231",
                      "content": "\n".join([name, "、".join(domains), f"典型案例：{scenario}。", body]),
                      "excerpt": f"典型案例：{scenario}。{body}"[:EXCERPT_CHARS], "subtitle": "、".join(domains)}
        else:
            fields = {"title": f"{scenario}{rng.choice(['一体化解决方案', '平台', 'SaaS 服务', '系统'])}",
                      "domain": [domain], "expires": "20991231", "excerpt": body[:EXCERPT_CHARS], "subtitle": domain,
                      "content": ""}
            fields["content"] = "\n".join([fields["title"], body, domain])
        yield kind, i + 1, fields


def build(path, rng):
    from whoosh import index as whoosh_index

    ix = whoosh_index.create_in(path, make_schema())
    writer = ix.writer(limitmb=256, procs=1)
    started = time.perf_counter()
    chars = 0
    for kind, doc_id, fields in generate(DOCS, rng):
        chars += len(fields["content"])
        writer.add_document(**_doc_fields(kind, doc_id, fields))
    added = time.perf_counter()
    writer.commit(optimize=True)
    done = time.perf_counter()
    return ix, added - started, done - added, chars


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def report(label, times):
    ms = [t * 1000 for t in times]
    print(f"  {label:<8} n={len(ms):>4}  median {statistics.median(ms):7.1f} ms   p95 {pct(ms, 95):7.1f} ms"
          f"   max {max(ms):7.1f} ms")


class BenchIndex:
    """What query._run needs from marketplace.search.index.SearchIndex, without a database."""

    def __init__(self, ix):
        self.ix = ix
        self._searcher = ix.searcher()
        self.cache = {}

    def searcher(self):
        if not self._searcher.up_to_date():
            self._searcher = self.ix.searcher()
            self.cache = {}
        return self._searcher


def before(ix, q, filters):
    """The straightforward way (what the issue measured at 20,000 documents)."""
    from whoosh import highlight
    from whoosh.qparser import MultifieldParser
    from whoosh.query import And, Term

    with ix.searcher() as searcher:
        parsed = MultifieldParser(["title", "content"], ix.schema).parse(q)
        if filters:
            parsed = And([parsed] + [Term(k, v) for k, v in filters.items()])
        results = searcher.search(parsed, limit=None, groupedby=["type", "domain", "status", "department"])
        results.formatter = highlight.HtmlFormatter(tagname="mark")
        facets = {name: {k: len(v) for k, v in results.groups(name).items()} for name in
                  ["type", "domain", "status", "department"]}
        page = [(hit["key"], hit.highlights("title"), hit.highlights("content", text=hit.get("excerpt", "")))
                for hit in results[:10]]
        return len(results), facets, page


def after(bench_index, q, filters, page=1):
    result = search_query.SearchResult(query=q, page=page, filters=filters)
    words = analysis.query_words(q)[:search_query.MAX_WORDS]
    return search_query._run(bench_index, result, words, filters)


def main():
    rng = random.Random(20261122)

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        TESTING = True

    app = create_app(BenchConfig)
    workdir = os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="search-bench-")
    os.makedirs(workdir, exist_ok=True)
    analysis.configure(os.path.join(workdir, "jieba-cache"))
    print(f"search benchmark: {DOCS:,} documents, index in {workdir}")

    ix_path = os.path.join(workdir, "index")
    os.makedirs(ix_path, exist_ok=True)
    ix, add_s, commit_s, chars = build(ix_path, rng)
    size = sum(f.stat().st_size for f in Path(ix_path).iterdir())
    print(f"indexing: {DOCS / (add_s + commit_s):,.0f} docs/s overall ({add_s:.1f} s analysing and adding, "
          f"{commit_s:.1f} s commit+optimize; {chars / DOCS:.0f} chars/doc; index {size / 2**20:.0f} MiB)")

    queries = []
    for _ in range(QUERIES):
        q = rng.choice(QUERY_MIX)
        f = rng.choice(FILTERS)
        page = rng.choice([1, 1, 1, 1, 2, 5])
        queries.append((q, f, page))

    with app.test_request_context():
        bench_index = BenchIndex(ix)
        after(bench_index, "养老", {})  # warm: facet sets are built once per searcher
        times, totals = [], []
        broad = []
        for q, f, page in queries:
            started = time.perf_counter()
            result = after(bench_index, q, f, page)
            elapsed = time.perf_counter() - started
            times.append(elapsed)
            totals.append(result.total)
            if not f and q in QUERY_MIX[:10]:
                broad.append(elapsed)
        print(f"after (site code, searcher kept open), {len(times)} mixed queries; hits per query median "
              f"{statistics.median(totals):,.0f}, max {max(totals):,}:")
        report("all", times)
        report("broad", broad)

        cold = BenchIndex(ix)
        started = time.perf_counter()
        after(cold, "养老", {})
        print(f"  first query after a refresh (builds facet sets): {(time.perf_counter() - started) * 1000:.0f} ms")

        with open("/proc/self/status") as fh:
            rss = int(re.search(r"VmRSS:\s+(\d+)", fh.read()).group(1)) / 1024
        print(f"  process RSS after the queries: {rss:.0f} MB (jieba, the index's readers and per-searcher caches)")
        if not BEFORE_QUERIES:
            return
        times, broad = [], []
        for q, f, _page in queries[:BEFORE_QUERIES]:
            started = time.perf_counter()
            before(ix, q, f)
            elapsed = time.perf_counter() - started
            times.append(elapsed)
            if not f and q in QUERY_MIX[:10]:
                broad.append(elapsed)
        print(f"before (new searcher, limit=None, groupedby facets, Whoosh highlighter), "
              f"first {len(times)} of the same queries:")
        report("all", times)
        if broad:
            report("broad", broad)


if __name__ == "__main__":
    main()
