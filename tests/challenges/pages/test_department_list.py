"""A department's own challenge list (/dept/challenges, issue 16 item 7): entry counts only once
the deadline has passed (sealed before it), and the questions still waiting for an answer."""

import re
from decimal import Decimal

from marketplace.challenges import operations as challenge_ops
from marketplace.extensions import db
from marketplace.submissions import operations as submission_ops
from tests import factories
from tests.challenges.pages.conftest import ENTRY, make_challenge, page, pass_deadline, visible


def _row(body, challenge_id):
    match = re.search(rf'<tr data-challenge="{challenge_id}">(.*?)</tr>', body, re.S)
    assert match, challenge_id
    cells = dict(re.findall(r'<td data-testid="([\w-]+)">(.*?)</td>', match.group(1), re.S))
    return {k: visible(v).strip() for k, v in cells.items()}


def test_entry_counts_after_the_deadline_only_and_unanswered_questions(browser_for, dept, admin, provider):
    _, provider_user, _ = provider
    entry = {**ENTRY, "price_yuan": Decimal(ENTRY["price_yuan"])}
    open_one = make_challenge(dept, admin=admin, title="开放中的榜单", domain="医疗", required_domains=["医疗"])
    closed_one = make_challenge(dept, admin=admin, title="已截止的榜单", domain="医疗", required_domains=["医疗"])
    for challenge in (open_one, closed_one):
        submission_ops.submit_entry(provider_user, challenge, **entry)
    asked = [challenge_ops.ask_question(provider_user, open_one, text=f"问题{n}") for n in range(3)]
    db.session.commit()
    challenge_ops.answer_question(dept, asked[0], text="答复")
    db.session.commit()
    pass_deadline(closed_one)

    body = page(browser_for(dept), "/dept/challenges")
    sealed = _row(body, open_one.id)
    assert sealed["entry-count"] == "截止后可见" and sealed["unanswered"] == "2 条"
    unsealed = _row(body, closed_one.id)
    assert unsealed["entry-count"] == "1 份" and unsealed["unanswered"] == "无"
    assert f'href="/challenges/{closed_one.id}/submissions"' in body
    assert f'href="/challenges/{open_one.id}/submissions"' not in body
    # Another department's list never shows these.
    other = factories.create_user("department", org=factories.create_org("department", name="区教育局"))
    assert "开放中的榜单" not in page(browser_for(other), "/dept/challenges")
