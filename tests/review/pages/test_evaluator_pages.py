"""The evaluator's pages: assignments, the conflict declaration before any entry, the sheet
(draft, errors in Chinese, submit and lock) and the blind round."""

import io
import re

from werkzeug.datastructures import FileStorage

from marketplace.extensions import db
from marketplace.files.operations import store_upload
from marketplace.review.models import PanelMember
from tests.review.pages.conftest import (
    alerts,
    audit,
    field_errors,
    form_errors,
    page,
    round_plan,
    submit,
    text,
    visible,
)


def _fields(body):
    return set(re.findall(r'name="([pc]-\d+-\d+)"', body))


def _value(body, name):
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', body)
    return match and match.group(1)


def test_assignments_and_the_declaration_before_any_entry(world, flow, browser):
    w = world(n_providers=3, n_evaluators=3)
    f = flow(w)
    round_id = w.rounds[0].id
    f.set_panel(round_id, w.evaluators)
    evaluator = browser(w.evaluators[0])
    listing = page(evaluator, "/review")
    assert w.challenge.title in listing and f'href="/review/rounds/{round_id}"' in listing
    waiting = page(evaluator, f"/review/rounds/{round_id}")
    assert "本轮评审尚未开始" in waiting and "方案摘要" not in waiting

    f.open(round_id)
    listing = page(evaluator, "/review")
    assert "待签署回避声明" in listing
    declaration = page(evaluator, f"/review/rounds/{round_id}")
    assert "签署回避声明" in declaration
    for index in range(3):
        assert f"方案摘要 {index}" not in declaration  # no entry text before the declaration
    assert not _fields(declaration)
    for org, _user, _app in w.providers:  # each provider can be named, with a label
        assert f'for="conflict-{org.id}"' in declaration and org.name in declaration
    for submission in w.submissions:  # nor by the entry page
        assert evaluator.get(f"/submissions/{submission.id}").status_code == 404
    # Scores cannot be saved before the declaration either.
    refused = submit(evaluator, f"/review/rounds/{round_id}/sheet",
                     {f"p-{w.submissions[0].id}-{f.criteria(round_id)[0].id}": "50", "action": "save"},
                     page_url=f"/review/rounds/{round_id}", follow=False)
    assert refused.status_code == 409 and "请先签署回避声明" in visible(text(refused))

    # Declaring a conflict with provider 1: its entry disappears from the sheet.
    conflicted = w.providers[1][0]
    f.declare(w.evaluators[0], round_id, conflicts=[conflicted.id])
    sheet = page(evaluator, f"/review/rounds/{round_id}")
    assert "方案摘要 0" in sheet and "方案摘要 2" in sheet and "方案摘要 1" not in sheet
    assert not any(name.split("-")[1] == str(w.submissions[1].id) for name in _fields(sheet))
    assert conflicted.name not in sheet
    assert evaluator.get(f"/submissions/{w.submissions[1].id}").status_code == 404
    assert "方案摘要 0" in page(evaluator, f"/submissions/{w.submissions[0].id}")
    assert audit("round.declaration")[-1].after["conflict_provider_ids"] == [conflicted.id]
    # Signed once: a second declaration is refused.
    again = evaluator.post(f"/review/rounds/{round_id}/declaration",
                           data={"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', sheet).group(1)})
    assert again.status_code == 409 and "回避声明已签署" in visible(text(again))


def test_draft_errors_submit_and_lock(world, flow, browser):
    w = world(n_providers=2, n_evaluators=3)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id)
    f.declare(w.evaluators[0], round_id)
    evaluator = browser(w.evaluators[0])
    url = f"/review/rounds/{round_id}"
    plan, price = f.criteria(round_id)  # 技术方案 60% of 100; 报价 40% of 10
    a, b = (s.id for s in w.submissions)
    sheet = page(evaluator, url)
    assert _fields(sheet) == {f"{k}-{s}-{c}" for k in "pc" for s in (a, b) for c in (plan.id, price.id)}
    for name in _fields(sheet):  # every input is labelled
        assert f'for="{name}"' in sheet
    assert 'value="save"' in sheet and 'value="submit"' in sheet

    # A draft with a gap is kept; coming back shows the values and the totals so far.
    saved = submit(evaluator, f"{url}/sheet", {f"p-{a}-{plan.id}": "55.5", f"c-{a}-{plan.id}": "思路清晰",
                                               f"p-{b}-{price.id}": "6", "action": "save"}, page_url=url)
    assert ("success", "草稿已保存") in alerts(text(saved))
    back = page(evaluator, url)
    assert _value(back, f"p-{a}-{plan.id}") == "55.50" and _value(back, f"c-{a}-{plan.id}") == "思路清晰"
    assert _value(back, f"p-{b}-{price.id}") == "6.00" and _value(back, f"p-{a}-{price.id}") == ""
    assert re.search(rf'data-total-for="{a}">33.30<', back) and re.search(rf'data-total-for="{b}">24.00<', back)

    # Out of range or not a number: Chinese errors at the score and at the top of the form, the
    # typed values still in the sheet (issue 16), nothing of that post stored.
    for bad in ("11", "-1", "abc", "5.555"):
        response = submit(evaluator, f"{url}/sheet", {f"p-{a}-{plan.id}": "70", f"p-{b}-{price.id}": bad,
                                                      "action": "save"}, page_url=url)
        body = text(response)
        assert response.status_code == 422, bad
        assert field_errors(body) == {f"p-{b}-{price.id}": "“报价”的分数应在 0–10 之间，最多两位小数"}, bad
        assert form_errors(body).startswith("未保存："), bad
        assert _value(body, f"p-{b}-{price.id}") == bad and _value(body, f"p-{a}-{plan.id}") == "70"
    back = page(evaluator, url)
    assert _value(back, f"p-{a}-{plan.id}") == "55.50" and _value(back, f"p-{b}-{price.id}") == "6.00"

    # Incomplete: cannot be submitted (the typed values are saved).
    incomplete = submit(evaluator, f"{url}/sheet", {f"p-{a}-{plan.id}": "56", "action": "submit"}, page_url=url)
    messages = form_errors(text(incomplete))
    assert incomplete.status_code == 422
    assert "草稿已保存，但还不能提交" in messages and "尚未评分" in messages
    assert "“技术方案”尚未评分" in field_errors(text(incomplete))[f"p-{b}-{plan.id}"]
    assert _value(page(evaluator, url), f"p-{a}-{plan.id}") == "56.00"

    # An extreme score (top 10%: ≥ 9 of 10) needs a comment.
    full = {f"p-{a}-{plan.id}": "56", f"p-{a}-{price.id}": "9.5", f"p-{b}-{plan.id}": "40", f"p-{b}-{price.id}": "5",
            "action": "submit"}
    missing = submit(evaluator, f"{url}/sheet", full, page_url=url)
    messages = form_errors(text(missing))
    assert "请填写评语" in messages and "最低或最高 10%" in messages
    assert db.session.query(PanelMember).filter_by(evaluator_id=w.evaluators[0].id).one().sheet_status.value == "draft"

    done = submit(evaluator, f"{url}/sheet", {**full, f"c-{a}-{price.id}": "报价明显低于预算"}, page_url=url)
    assert ("success", "评分表已提交并锁定") in alerts(text(done))
    locked = page(evaluator, url)
    assert "提交并锁定" in locked and 'value="submit"' not in locked and 'value="save"' not in locked
    assert all(re.search(rf'name="{name}"[^>]*disabled', locked) for name in _fields(locked))
    assert _value(locked, f"c-{a}-{price.id}") == "报价明显低于预算"
    assert "已提交" in page(evaluator, "/review")
    # A hand-made post to a locked sheet is refused and changes nothing.
    late = submit(evaluator, f"{url}/sheet", {**full, f"p-{a}-{plan.id}": "99", "action": "save"}, page_url=url,
                  follow=False)
    assert late.status_code == 409 and "已提交并锁定" in visible(text(late))
    assert _value(page(evaluator, url), f"p-{a}-{plan.id}") == "56.00"
    event = audit("round.sheet_submit")[-1]
    assert event.after["totals"] == {str(a): "71.60", str(b): "44.00"}


def test_a_blind_round_hides_the_provider_on_the_sheet_the_entry_page_and_the_files(world, flow, browser):
    w = world(n_providers=2, n_evaluators=3, rounds=[round_plan(blind=True)])
    owner = w.providers[0][1]
    # Files were attachable only before the deadline; put one in place as it would have been.
    stored = store_upload(owner, FileStorage(io.BytesIO(b"%PDF-1.4 provider name inside"), filename="上海某公司-方案.pdf"),
                          owner_type="submission", owner_id=w.submissions[0].id)
    db.session.commit()
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id)
    f.declare(w.evaluators[0], round_id)
    evaluator = browser(w.evaluators[0])
    names = [org.name for org, _u, _a in w.providers]
    sheet = page(evaluator, f"/review/rounds/{round_id}")
    assert "盲评" in sheet and "方案 A" in sheet and "方案 B" in sheet
    for name in names:
        assert name not in sheet
    assert "上海某公司" not in sheet
    links = re.findall(r'href="(/submissions/\d+)"', sheet)
    assert sorted(links) == sorted(f"/submissions/{s.id}" for s in w.submissions)
    for link in links:
        detail = page(evaluator, link)
        assert "匿名方案（盲评）" in detail
        for name in names:
            assert name not in detail
        assert "上海某公司" not in detail
    detail = page(evaluator, f"/submissions/{w.submissions[0].id}")
    assert f"附件-{stored.id}.pdf" in detail
    download = evaluator.get(f"/files/{stored.id}")
    assert download.status_code == 200
    assert "上海某公司" not in download.headers["Content-Disposition"]
    assert f"{stored.id}.pdf" in download.headers["Content-Disposition"]
    # The admin still sees who is who, and the real file name.
    admin_detail = page(f.admin, f"/submissions/{w.submissions[0].id}")
    assert names[0] in admin_detail and "上海某公司-方案.pdf" in admin_detail


def test_evaluators_probing_rounds_and_entries_they_are_not_on_get_404(world, flow, browser):
    w = world(n_providers=2, n_evaluators=4)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id, w.evaluators[:3])
    outsider = browser(w.evaluators[3])
    assert "暂无评审任务" in page(outsider, "/review")
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(outsider.get("/review"))).group(1)
    for url in (f"/review/rounds/{round_id}", f"/review/rounds/{round_id + 1}", "/review/rounds/999999"):
        assert outsider.get(url).status_code == 404
    for url in (f"/review/rounds/{round_id}/declaration", f"/review/rounds/{round_id}/sheet"):
        assert outsider.post(url, data={"csrf_token": csrf, "action": "save"}).status_code == 404
    for submission in w.submissions:
        response = outsider.get(f"/submissions/{submission.id}")
        assert response.status_code == 404 and "方案摘要" not in text(response)
    top = max(s.id for s in w.submissions)
    for probe in range(top + 1, top + 4):
        assert outsider.get(f"/submissions/{probe}").status_code == 404


def test_posts_without_csrf_are_refused_with_400(world, flow, browser):
    w = world(n_providers=2, n_evaluators=3)
    f = flow(w)
    round_id = w.rounds[0].id
    evaluator = browser(w.evaluators[0])
    panel = f.admin.post(f"/admin/rounds/{round_id}/panel",
                         data={f"r{round_id}-evaluator_ids": [str(e.id) for e in w.evaluators]})
    assert panel.status_code == 400 and "安全令牌" in visible(text(panel))
    assert not db.session.query(PanelMember).count()
    assert f.admin.post(f"/admin/rounds/{round_id}/draw", data={f"d{round_id}-size": "3"}).status_code == 400
    f.open(round_id)
    for url, data in ((f"/admin/rounds/{round_id}/close", {}),
                      (f"/admin/rounds/{round_id}/sheets/{w.evaluators[0].id}/return", {"reason": "x"}),
                      ("/admin/experts", {"user_id": str(w.evaluators[0].id), "domains": ["养老"]})):
        assert f.admin.post(url, data=data).status_code == 400, url
    for url, data in ((f"/review/rounds/{round_id}/declaration", {}),
                      (f"/review/rounds/{round_id}/sheet", {"action": "save"})):
        response = evaluator.post(url, data=data)
        assert response.status_code == 400 and "安全令牌" in visible(text(response)), url
    assert db.session.query(PanelMember).filter(PanelMember.declared_at.is_not(None)).count() == 0


def test_a_sheet_refused_because_it_was_submitted_elsewhere_keeps_what_was_typed(world, flow, browser):
    """Issue 16: two tabs; the sheet was submitted in one, the other still sends its scores. The
    refusal (409) says why at the top of the form and shows every typed score and comment."""
    w = world(n_providers=2, n_evaluators=3)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id)
    url = f"/review/rounds/{round_id}"
    f.declare(w.evaluators[0], round_id)
    stale = browser(w.evaluators[0])
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page(stale, url)).group(1)
    f.score(w.evaluators[0], round_id, lambda sid, c: c.max_points / 2, declare=False)
    plan = f.criteria(round_id)[0]
    a = w.submissions[0].id
    response = stale.post(f"{url}/sheet", data={"csrf_token": csrf, "action": "save", f"p-{a}-{plan.id}": "61.5",
                                                 f"c-{a}-{plan.id}": "在另一个标签页里写的评语"})
    body = text(response)
    assert response.status_code == 409
    assert "评分表已提交并锁定" in form_errors(body)
    assert _value(body, f"p-{a}-{plan.id}") == "61.5" and _value(body, f"c-{a}-{plan.id}") == "在另一个标签页里写的评语"


def test_a_refused_declaration_keeps_the_ticks(world, flow, browser):
    w = world(n_providers=3, n_evaluators=3)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id)
    evaluator = browser(w.evaluators[0])
    url = f"/review/rounds/{round_id}"
    ticked = w.providers[1][0].id
    response = submit(evaluator, f"{url}/declaration", {"conflict_provider_ids": [str(ticked), "999999"]},
                      page_url=url)
    body = text(response)
    assert response.status_code == 422 and "conflict_provider_ids" in field_errors(body)
    assert re.search(rf'id="conflict-{ticked}" checked', body)
    assert not re.search(rf'id="conflict-{w.providers[0][0].id}" checked', body)
    db.session.expire_all()
    assert db.session.query(PanelMember).filter_by(evaluator_id=w.evaluators[0].id).one().declared_at is None
