"""Search index build throughput (issue 15): BENCH_ROWS challenges (default 20,000; bench/
challenge_list.py's generator, bulk-inserted through the real schema) indexed by
`marketplace.search.index.SearchIndex.rebuild` with 1 and with BENCH_PROCS (default every core)
processes. Prints documents per second and the load average. Nothing is asserted.

    BENCH_ROWS=20000 .venv/bin/python bench/search_build.py
"""

import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
os.environ.setdefault("BENCH_ROWS", "20000")

import challenge_list  # noqa: E402

from marketplace.search.index import get_index  # noqa: E402


def main():
    tmp = tempfile.mkdtemp(prefix="bench-search-build-")
    app, seconds = challenge_list.build(f"sqlite:///{tmp}/build.db")
    print(f"{challenge_list.ROWS:,} challenges built in {seconds:.0f} s")
    procs = [1, int(os.environ.get("BENCH_PROCS") or os.cpu_count() or 1)]
    with app.app_context():
        index = get_index(app)
        index.rebuild(procs=1)  # warm-up: jieba's dictionary, the database's pages
        for n in procs:
            started = time.perf_counter()
            count = index.rebuild(procs=n)
            elapsed = time.perf_counter() - started
            print(f"procs={n}: {count:,} documents in {elapsed:.1f} s = {count / elapsed:,.0f} documents/s "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
