"""Browser tests: Playwright's sync API driving Debian's chromium against a live server.

Skipped unless E2E=1 (and /usr/bin/chromium exists). No browser is ever downloaded:
`playwright install` is not needed, the system chromium is launched by path.

Fixtures:
- `live_server`: the session `app` served by werkzeug in a background thread; its base URL.
- `browser`: one chromium for the whole session.
- `new_page`: `new_page()` opens a page in a fresh browser context (its own cookies), so an
  admin and a provider can be logged in side by side; `page` is the first such page.
On failure every open page is saved as a PNG under test-results/. A response with status 500
or more, or an uncaught JavaScript error, fails the test that caused it.
"""

import os
import re
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler

from tests.served import served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent.parent / "test-results"
TIMEOUT_MS = 10_000


def _skip_reason():
    if os.environ.get("E2E") != "1":
        return "browser tests run only with E2E=1"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


try:
    import playwright.sync_api  # noqa: F401
except ImportError:  # requirements-dev.txt has it; without E2E=1 its absence must not break the suite
    if os.environ.get("E2E") != "1":
        collect_ignore_glob = ["test_*.py"]


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when in ("setup", "call"):
        item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(request):
    reports = request.node.stash.get(_REPORTS, {})
    return any(r.failed for r in reports.values())


class _RequestHandler(WSGIRequestHandler):
    """Logs page requests (shown with a failing test), not the static files around them."""

    def log_request(self, code="-", size="-"):
        if not self.path.startswith("/static/"):
            super().log_request(code, size)


@pytest.fixture(scope="session")
def live_server(app):
    with served(app, request_handler=_RequestHandler) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """`new_page()` → a page in its own browser context, relative URLs resolve to the live server."""
    contexts, pages, problems = [], [], []

    def _new_page():
        context = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("response", lambda r: problems.append(f"{r.status} {r.request.method} {r.url}")
                if r.status >= 500 else None)
        page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
        contexts.append(context)
        pages.append(page)
        return page

    yield _new_page

    if _failed(request):
        RESULTS.mkdir(exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        for index, page in enumerate(pages):
            try:
                page.screenshot(path=str(RESULTS / f"{stem}-{index}.png"), full_page=True)
            except Exception as exc:  # a crashed page must not hide the real failure
                print(f"screenshot of page {index} failed: {exc}")
    for context in contexts:
        context.close()
    assert not problems, "server errors or JavaScript errors in the browser:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page):
    return new_page()
