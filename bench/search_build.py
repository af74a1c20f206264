"""Search index build throughput (issue 15): BENCH_ROWS challenges (default 20,000; bench/
challenge_list.py's generator, bulk-inserted through the real schema) indexed by
`marketplace.search.index.SearchIndex.rebuild` with 1 and with BENCH_PROCS (default every core)
processes. Prints documents per second and the load average. Nothing is asserted.

    BENCH_ROWS=20000 .venv/bin/python bench/search_build.py
"""

import os
import resource
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
os.environ.setdefault("BENCH_ROWS", "20000")

import challenge_list  # noqa: E402

from marketplace.search.index import get_index  # noqa: E402


def _cpu():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main():
    tmp = tempfile.mkdtemp(prefix="bench-search-build-")
    app, seconds = challenge_list.build(f"sqlite:///{tmp}/build.db")
    print(f"{challenge_list.ROWS:,} challenges built in {seconds:.0f} s")
    procs = [1, int(os.environ.get("BENCH_PROCS") or os.cpu_count() or 1)]
    with app.app_context():
        index = get_index(app)
        index.rebuild(procs=1)  # warm-up: jieba's dictionary, the database's pages
        for n in procs:
            cpu = _cpu()
            started = time.perf_counter()
            count = index.rebuild(procs=n)
            elapsed = time.perf_counter() - started
            cpu = _cpu() - cpu
            # CPU seconds (this process and its sub-writers) do not depend on how busy the machine
            # is: documents per CPU-second × free cores is what an idle machine would do.
            print(f"procs={n}: {count:,} documents in {elapsed:.1f} s = {count / elapsed:,.0f} documents/s; "
                  f"{cpu:.1f} CPU-s = {count / cpu:,.0f} documents per CPU-second (load {os.getloadavg()[0]:.1f})",
                  flush=True)


if __name__ == "__main__":
    main()
