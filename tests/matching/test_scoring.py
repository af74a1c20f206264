"""The points of a match are a pure function of the facts: every reason counted, nothing else."""

import pytest

from marketplace.matching import scoring
from marketplace.matching.scoring import Facts


@pytest.mark.parametrize("facts", [
    Facts(covered_domains=["医疗"]),
    Facts(covered_domains=["医疗", "养老"], best_similarity=3.2, top_similarity=6.4, closest_solution="甲"),
    Facts(covered_domains=["医疗"], best_similarity=6.4, top_similarity=6.4, closest_solution="乙",
          cases_in_domain=5, excellent=True, projects_done=4, projects_ongoing=9),
])
def test_score_is_the_sum_of_the_listed_reasons(facts):
    reasons = scoring.reasons_for(facts)
    assert scoring.total(reasons) == sum(r.points for r in reasons)
    assert all(r.points > 0 for r in reasons)


def test_points_of_each_factor_and_their_caps():
    reasons = {r.factor: r.points for r in scoring.reasons_for(Facts(
        covered_domains=["医疗"], best_similarity=3.0, top_similarity=6.0, closest_solution="甲",
        cases_in_domain=5, excellent=True, projects_done=1, projects_ongoing=9))}
    assert reasons == {"domains": 20, "similarity": 20, "cases": 15, "excellent": 10, "results": 5, "ongoing": 6}


def test_no_similarity_no_reason():
    factors = [r.factor for r in scoring.reasons_for(Facts(covered_domains=["医疗"], top_similarity=5.0))]
    assert factors == ["domains"]


def test_closest_gets_full_similarity_points_and_any_hit_at_least_one():
    assert scoring.similarity_points(5.0, 5.0) == scoring.SIMILARITY_POINTS
    assert scoring.similarity_points(0.001, 5.0) == 1
    assert scoring.similarity_points(0, 5.0) == 0
