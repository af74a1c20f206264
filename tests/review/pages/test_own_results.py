"""A provider's own score and rank (issue 16 item 7): on its entry page and in
GET /api/v1/submissions/{id} (`results`), for each round once that round's result was published
to it — never before, never another provider's score."""

import re
from decimal import Decimal

from tests.review.conftest import round_plan
from tests.review.pages.conftest import page

SHARES = (Decimal("0.9"), Decimal("0.7"), Decimal("0.5"))  # provider 0 first, then 1, then 2


def _results_table(body):
    match = re.search(r'data-testid="own-results">(.*?)</table>', body, re.S)
    return match.group(1) if match else ""


def test_each_round_shows_once_published_and_only_ones_own(world, flow, browser, api):
    w = world(n_providers=3, n_evaluators=3,
              rounds=[round_plan("初评", advance_top=2), round_plan("终评")])
    f = flow(w)
    first, final = w.rounds
    share = {s.id: SHARES[i] for i, s in enumerate(w.submissions)}
    points = lambda sid, c: Decimal(c.max_points) * share[sid]  # noqa: E731

    def entry(index):
        return page(browser(w.providers[index][1]), f"/submissions/{w.submissions[index].id}")

    def api_results(index):
        response = api(w.providers[index][1]).get(f"/submissions/{w.submissions[index].id}")
        assert response.status_code == 200
        return response.get_json()["results"]

    f.open(first.id)
    for evaluator in w.evaluators:
        f.score(evaluator, first.id, points)
    f.close(first.id)
    # Closed but not published (results under review): nothing yet.
    assert api_results(0) == [] and 'data-testid="own-results"' not in entry(0)
    f.publish(first.id)

    # Round 1 published: each provider sees its own score and rank, the eliminated one too.
    assert api_results(0) == [{"round_id": first.id, "round": "初评", "position": 1, "score": "90.00", "rank": 1,
                               "of": 3, "advanced": True}]
    third = api_results(2)
    assert [(r["score"], r["rank"], r["of"], r["advanced"]) for r in third] == [("50.00", 3, 3, False)]
    table = _results_table(entry(1))
    assert "初评" in table and "70.00" in table and "2 / 3" in table and "晋级" in table
    assert "90.00" not in table and "50.00" not in table  # never the others' scores

    # The final round: scored and closed, but not in the results until it is published (notice).
    f.open(final.id, evaluators=w.evaluators)
    for evaluator in w.evaluators:
        f.score(evaluator, final.id, points)
    f.close(final.id)
    assert [r["round"] for r in api_results(0)] == ["初评"]
    f.publish(final.id)
    results = api_results(1)
    assert [(r["round"], r["score"], r["rank"], r["of"]) for r in results] == [("初评", "70.00", 2, 3),
                                                                             ("终评", "70.00", 2, 2)]
    assert "终评" in _results_table(entry(1)) and "见结果公示" in _results_table(entry(1))
    # Not the owner (the department after the deadline): no results field at all.
    department_view = api(w.department).get(f"/submissions/{w.submissions[0].id}").get_json()
    assert "results" not in department_view
