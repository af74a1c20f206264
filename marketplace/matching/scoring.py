"""The points of a match, as a pure function of what was found about the provider.

Every score is the sum of its reasons' points, and only reasons with points are listed (apart
from the domains, which every eligible provider covers): the panel shows nothing it did not
count. Points are integers so the sum is exact.
"""

from dataclasses import dataclass, field

DOMAINS_POINTS = 20          # covers every required domain (the condition to appear at all)
SIMILARITY_POINTS = 40       # the provider whose catalogue solution is closest to the challenge text
CASE_POINTS, CASE_CAP = 5, 15              # each best-practice case in the challenge's domains
EXCELLENT_POINTS = 10        # listed in the excellent-provider directory (优秀服务商目录)
DONE_POINTS, DONE_CAP = 5, 15              # each project that passed acceptance (验收) or runs (运营)
ONGOING_POINTS, ONGOING_CAP = 2, 6         # each project still under way


@dataclass
class Reason:
    factor: str
    detail: str
    points: int


@dataclass
class Facts:
    """What the queries found about one provider for one challenge."""

    covered_domains: list[str]
    best_similarity: float = 0.0      # BM25 of its closest catalogue solution
    top_similarity: float = 0.0       # the best BM25 among all candidates (the scale)
    closest_solution: str | None = None
    cases_in_domain: int = 0
    excellent: bool = False
    projects_done: int = 0
    projects_ongoing: int = 0
    extra: list[Reason] = field(default_factory=list)


def similarity_points(best, top):
    if best <= 0 or top <= 0:
        return 0
    return max(1, round(SIMILARITY_POINTS * min(best, top) / top))


def reasons_for(facts: Facts) -> list[Reason]:
    reasons = [Reason("domains", f"覆盖本榜单要求的全部领域：{'、'.join(facts.covered_domains) or '（未限定）'}",
                      DOMAINS_POINTS)]
    points = similarity_points(facts.best_similarity, facts.top_similarity)
    if points:
        reasons.append(Reason("similarity", f"解决方案“{facts.closest_solution}”与榜单内容相近"
                              f"（BM25 {facts.best_similarity:.2f}，最高 {facts.top_similarity:.2f}）", points))
    if facts.cases_in_domain:
        reasons.append(Reason("cases", f"最佳实践案例库中有 {facts.cases_in_domain} 个相关领域案例",
                              min(CASE_CAP, CASE_POINTS * facts.cases_in_domain)))
    if facts.excellent:
        reasons.append(Reason("excellent", "列入优秀服务商目录", EXCELLENT_POINTS))
    if facts.projects_done:
        reasons.append(Reason("results", f"已有 {facts.projects_done} 个项目通过验收",
                              min(DONE_CAP, DONE_POINTS * facts.projects_done)))
    if facts.projects_ongoing:
        reasons.append(Reason("ongoing", f"有 {facts.projects_ongoing} 个揭榜项目正在实施",
                              min(ONGOING_CAP, ONGOING_POINTS * facts.projects_ongoing)))
    reasons.extend(facts.extra)
    return reasons


def total(reasons) -> int:
    return sum(r.points for r in reasons)
