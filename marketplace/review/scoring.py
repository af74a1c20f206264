"""Score arithmetic (DOMAIN.md step 5). Pure functions of their inputs: no database.

Decimal throughout; only results are rounded, half-up to two places.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

TWO_PLACES = Decimal("0.01")
DEFAULT_DEVIATION_MARGIN = Decimal("20")
TRIMMED_MIN = 5


def round2(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def evaluator_total(points: dict, criteria) -> Decimal:
    """Σ(points / max × weight) on a 0–100 scale. `criteria`: iterable of (id, weight, max_points)."""
    with localcontext() as ctx:
        ctx.prec = 40
        return sum((Decimal(points[cid]) / Decimal(max_points) * Decimal(weight)
                    for cid, weight, max_points in criteria), Decimal(0))


def mean(values):
    with localcontext() as ctx:
        ctx.prec = 40
        return sum(values, Decimal(0)) / len(values)


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    middle = n // 2
    if n % 2:
        return ordered[middle]
    with localcontext() as ctx:
        ctx.prec = 40
        return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class Aggregate:
    value: Decimal          # unrounded
    method: str             # the method actually used
    note: str | None = None

    @property
    def score(self) -> Decimal:
        return round2(self.value)


def aggregate(totals, method: str) -> Aggregate:
    """Combine the evaluators' totals for one entry.

    `trimmed_mean` is 去掉一个最高分和一个最低分: drop one highest and one lowest, then average;
    with fewer than five totals it falls back to the mean and says so.
    """
    totals = [Decimal(t) for t in totals]
    if not totals:
        raise ValueError("no totals to aggregate")
    if method == "mean":
        return Aggregate(mean(totals), "mean")
    if method == "median":
        return Aggregate(median(totals), "median")
    if method == "trimmed_mean":
        if len(totals) < TRIMMED_MIN:
            return Aggregate(mean(totals), "mean",
                             f"有效评分 {len(totals)} 个，少于 {TRIMMED_MIN} 个，未去掉最高分和最低分，按平均分计算")
        ordered = sorted(totals)
        return Aggregate(mean(ordered[1:-1]), "trimmed_mean")
    raise ValueError(f"unknown aggregation {method!r}")


def std_dev(values) -> Decimal:
    """Population standard deviation (the spread among the panel's totals)."""
    values = [Decimal(v) for v in values]
    if len(values) < 2:
        return Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 40
        m = mean(values)
        return (sum(((v - m) ** 2 for v in values), Decimal(0)) / len(values)).sqrt()


def deviations(totals_by_evaluator: dict, aggregate_value: Decimal, margin=DEFAULT_DEVIATION_MARGIN):
    """Evaluators whose total differs from the aggregate by more than `margin` points (评分偏离)."""
    return sorted(eid for eid, total in totals_by_evaluator.items()
                  if abs(Decimal(total) - aggregate_value) > Decimal(margin))


@dataclass(order=False)
class RankInput:
    entry_id: int
    score: Decimal            # the aggregate (unrounded or rounded; compared as given)
    tie_break: Decimal        # the named criterion's aggregate contribution
    submitted_at: object      # earlier final submission wins a remaining tie
    extra: dict = field(default_factory=dict)


def rank(entries):
    """Order entries best first: score, then the tie-break criterion, then the earlier final
    submission, then the lower id. Returns [(rank, entry)] with ranks 1..n."""
    ordered = sorted(entries, key=lambda e: (-round2(e.score), -round2(e.tie_break), e.submitted_at, e.entry_id))
    return [(position, entry) for position, entry in enumerate(ordered, start=1)]


def needs_comment(points, max_points) -> bool:
    """A score in the bottom or top 10% of the range needs a comment."""
    points, max_points = Decimal(points), Decimal(max_points)
    return points <= max_points * Decimal("0.1") or points >= max_points * Decimal("0.9")


def advancing(ranked, *, advance_top=None, threshold=None, default_all=True):
    """Ids of entries that advance: the top K and/or those at or above the threshold."""
    chosen = []
    for position, entry in ranked:
        if advance_top is not None and position > advance_top:
            continue
        if threshold is not None and round2(entry.score) < Decimal(threshold):
            continue
        if advance_top is None and threshold is None and not default_all:
            continue
        chosen.append(entry.entry_id)
    return chosen
