"""Accessibility and phones (issue 16, items 4 and 5), on the seeded demo as each role sees it.

axe-core (vendored in static/vendor/axe/, never fetched) runs on every main page of every role at
1366 px and at 390 px and must find no serious or critical violation (WCAG 2.1 A/AA and axe's best
practices). The CSP forbids inline scripts, so axe is evaluated through Playwright, which the CSP
does not govern. Also checked: the skip link moves focus to the main content, the score sheet is a
card per criterion on a phone, and the challenge list's filters fold into 筛选 there.
"""

from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from marketplace.challenges.models import Challenge
from marketplace.demo import DEMO_PASSWORD
from marketplace.extensions import db as _db
from marketplace.projects.models import Acceptance, Project
from marketplace.review.models import EvaluationRound, EvaluationTemplate
from marketplace.submissions.models import Submission
from tests.demo_world import _clean, _seeded_once  # noqa: F401  (the seeded demo, once per module)
from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: F401  (same browser set-up as the other tests)

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag',
      values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""

ADMIN, DEPARTMENT, PROVIDER, EVALUATOR = ("admin@demo.gov.cn", "dsj@demo.gov.cn", "yilian@demo-provider.cn",
                                          "expert1@demo.gov.cn")
SCORING_EVALUATOR = "expert8@demo.gov.cn"  # in the demo's open round with a draft sheet (expert 1 has yet to declare)



def _challenge(state):
    return _db.session.scalar(sa.select(Challenge.id).where(Challenge.state == state).order_by(Challenge.id))


def _own_entry():
    return _db.session.scalar(sa.select(Submission.id).join(Challenge).where(Challenge.state == "published")
                              .where(Submission.provider.has(name="上海数智医联科技有限公司")))


def _open_round():
    return _db.session.scalar(sa.select(EvaluationRound.id).where(EvaluationRound.status == "open"))


def _notice_round():
    return _db.session.scalar(sa.select(EvaluationRound.id).where(
        EvaluationRound.challenge_id == _challenge("notice"), EvaluationRound.status == "closed"))


def _project(stage):
    return _db.session.scalar(sa.select(Project.id).where(Project.stage == stage).order_by(Project.id))


def _acceptance():
    return _db.session.scalar(sa.select(Acceptance.id).order_by(Acceptance.id))


# Every main page of every role; {…} is filled from the demo data.
PAGES = {
    None: ["/", "/challenges", "/challenges/{published}", "/notices", "/challenges/{notice}/notice", "/providers", "/catalogue",
           "/cases", "/excellent-providers", "/search?q=养老", "/login", "/signup"],
    ADMIN: ["/workbench", "/admin/", "/admin/audit", "/admin/challenges", "/admin/challenges/{evaluating}/evaluation",
            "/admin/dashboard", "/admin/experts", "/admin/organisations", "/admin/users", "/admin/users/new",
            "/admin/partner-applications", "/projects", "/projects/{project_acceptance}", "/rounds/{notice_round}/results",
            "/challenges/{notice}/notice", "/challenges/{awarded}/substitute", "/challenges/{closed}/submissions",
            "/admin/evaluation-templates/{template}/versions", "/notifications", "/account"],
    DEPARTMENT: ["/workbench", "/dept/challenges", "/challenges/new", "/projects", "/projects/new", "/projects/{project_feasibility}",
                 "/challenges/{awarded}", "/notifications"],
    PROVIDER: ["/workbench", "/my/submissions", "/submissions/{own_entry}", "/submissions/{own_entry}/versions/1",
               "/my/solutions", "/my/solutions/new", "/partner/application", "/projects", "/notifications"],
    EVALUATOR: ["/workbench", "/review", "/review/rounds/{open_round}", "/projects", "/acceptances/{acceptance}", "/notifications"],
    SCORING_EVALUATOR: ["/review/rounds/{open_round}"],
}

FILLERS = {
    "published": lambda: _challenge("published"), "notice": lambda: _challenge("notice"),
    "evaluating": lambda: _challenge("evaluating"), "closed": lambda: _challenge("closed"),
    "awarded": lambda: _challenge("awarded"), "notice_round": _notice_round, "open_round": _open_round,
    "own_entry": _own_entry, "acceptance": _acceptance,
    "template": lambda: _db.session.scalar(sa.select(EvaluationTemplate.family_id).order_by(EvaluationTemplate.id)),
    "project_acceptance": lambda: _project("acceptance"), "project_feasibility": lambda: _project("feasibility"),
}


def _fill(path):
    names = [part.split("}")[0] for part in path.split("{")[1:]]
    values = {name: FILLERS[name]() for name in names}
    assert all(values.values()), f"the demo lacks what {path} needs: {values}"
    return path.format(**values)


# The audit log page is being rewritten for issue 16 item 2 (its scroll region gets a tabindex and a
# label there); until that lands its 390 px check may fail. Not strict: it passes once it is fixed.
PENDING = {}  # pages with a known violation, marked xfail until fixed (none now)

CASES = [pytest.param(role, path, id=f"{(role or 'visitor').split('@')[0]}:{path}",
                      marks=[pytest.mark.xfail(reason=PENDING[path], strict=False)] if path in PENDING else [])
         for role, paths in PAGES.items() for path in paths]


@pytest.fixture(scope="module")
def sessions(browser, live_server):
    """One logged-in browser context per role for the whole module."""
    contexts = {}

    def _page(role):
        if role not in contexts:
            context = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai")
            context.set_default_timeout(15_000)
            page = context.new_page()
            if role is not None:
                page.goto("/login")
                page.fill("input[name=email]", role)
                page.fill("input[name=password]", DEMO_PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                assert "/login" not in page.url, f"{role} could not log in"
            contexts[role] = (context, page)
        return contexts[role][1]

    yield _page
    for context, _unused in contexts.values():
        context.close()


@pytest.mark.parametrize(("role", "path"), CASES)
def test_no_serious_or_critical_axe_violations(sessions, role, path):
    page = sessions(role)
    url = _fill(path)
    axe = AXE.read_text(encoding="utf-8")
    found = {}
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        page.evaluate(axe)
        violations = page.evaluate(RUN_AXE)
        if violations:
            found[width] = violations
    assert not found, f"{url} as {role or 'visitor'}: " + "; ".join(
        f"{width}px: {' / '.join(v)}" for width, v in found.items())


def test_skip_link_moves_focus_to_the_main_content(sessions):
    page = sessions(None)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/challenges")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is inside the content, not back in the header
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")


def test_score_sheet_is_a_card_per_criterion_on_a_phone(sessions):
    page = sessions(SCORING_EVALUATOR)
    url = _fill("/review/rounds/{open_round}")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    table = page.locator(".score-table").first
    expect(table.locator("thead")).to_be_hidden()
    comment = table.locator(".score-comment input").first
    assert comment.bounding_box()["width"] > 300  # was 25 px
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(comment).to_be_enabled()
    first_row, second_row = table.locator("tr.score-row").nth(0), table.locator("tr.score-row").nth(1)
    assert second_row.bounding_box()["y"] >= first_row.bounding_box()["y"] + first_row.bounding_box()["height"]


def test_challenge_filters_fold_into_a_toggle_on_a_phone(sessions):
    page = sessions(None)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/challenges")
    toggle = page.locator("details.list-filters > summary")
    expect(toggle).to_have_text("筛选")
    expect(page.get_by_label("发榜单位")).to_be_hidden()
    toggle.click()
    expect(page.get_by_label("发榜单位")).to_be_visible()
    page.get_by_label("领域").select_option("医疗")
    page.get_by_role("button", name="筛选").last.click()
    expect(page.locator("details.list-filters")).to_have_attribute("open", "")  # a filter is set: stays open
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/challenges")
    expect(toggle).to_be_hidden()
    expect(page.get_by_label("发榜单位")).to_be_visible()


@pytest.mark.parametrize(("role", "path"), [
    (PROVIDER, "/workbench"), (PROVIDER, "/challenges"), (PROVIDER, "/challenges/{published}"),
    (PROVIDER, "/submissions/{own_entry}"), (SCORING_EVALUATOR, "/workbench"),
    (SCORING_EVALUATOR, "/review/rounds/{open_round}")])
def test_provider_and_evaluator_pages_do_not_scroll_sideways_on_a_phone(sessions, role, path):
    """At 390 px only a table's own scroll region may scroll sideways, never the page (a visually
    hidden header inside the entry page's version table made it 612 px wide)."""
    page = sessions(role)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(_fill(path))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_refused_score_says_why_under_its_input_on_a_phone(sessions):
    page = sessions(SCORING_EVALUATOR)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(_fill("/review/rounds/{open_round}"))
    score = page.locator(".score-input:not([disabled])").first
    score.fill("999")
    page.locator("button[value=save]").click()
    page.wait_for_load_state()
    refused = page.locator(".score-input.is-invalid").first
    reason = page.locator(f"#{refused.get_attribute('aria-describedby')}")
    box, under = refused.bounding_box(), reason.bounding_box()
    assert under["y"] >= box["y"] + box["height"] - 1 and under["x"] >= box["x"] - 1  # under the input
    assert under["width"] > 200  # not squeezed into the label column (was 56 px, four characters a line)
