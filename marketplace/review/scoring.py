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


# --- computed criteria (issue 13) -------------------------------------------------------------

class ScoringError(ValueError):
    """A computed criterion cannot be scored (a zero or missing price, a missing metric value)."""


def price_scores(prices: dict, max_points) -> tuple[dict, Decimal]:
    """综合评分法 price score: the lowest valid price is the benchmark and gets full marks; every
    other entry gets benchmark / its price × max_points. `prices`: {entry_id: Decimal yuan}.

    Returns ({entry_id: points (unrounded)}, benchmark). A zero, negative or missing price is not a
    price: it raises ScoringError naming the entries, rather than dividing by it.
    """
    if not prices:
        raise ScoringError("没有可计算报价得分的方案")
    invalid = sorted(eid for eid, price in prices.items() if price is None or Decimal(price) <= 0)
    if invalid:
        raise ScoringError(f"方案报价缺失或为零，无法计算报价得分：{invalid}", )
    benchmark = min(Decimal(p) for p in prices.values())
    with localcontext() as ctx:
        ctx.prec = 40
        return {eid: benchmark / Decimal(price) * Decimal(max_points) for eid, price in prices.items()}, benchmark


# A metric formula is declarative data, never code:
#   {"type": "thresholds", "thresholds": [{"at_most": "1.25", "points": 10}, ...], "otherwise": 0}
#       the first band whose bound the value meets scores (bands use either at_most or at_least);
#   {"type": "linear", "best": "1.2", "worst": "1.5", "points": 10}
#       best → full points, worst → 0, straight line between, clamped (best may be above or below worst).
FORMULA_TYPES = ("thresholds", "linear")
FORMULA_BOUND = Decimal("1e12")  # bounds and values alike: no exponent can overflow the arithmetic


def _decimal(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise ScoringError(f"{where} 应为数字")
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        raise ScoringError(f"{where} 应为数字") from None
    if not number.is_finite() or abs(number) >= FORMULA_BOUND:
        raise ScoringError(f"{where} 应为绝对值小于 10 的 12 次方的数字")
    return number


def check_formula(formula, max_points) -> dict:
    """Validate a metric formula against the schema above; returns it normalised (strings for numbers)."""
    if not isinstance(formula, dict) or formula.get("type") not in FORMULA_TYPES:
        raise ScoringError("计算公式的 type 应为 thresholds 或 linear")
    max_points = Decimal(max_points)
    unit = formula.get("unit", "")
    if not isinstance(unit, str) or len(unit) > 20:
        raise ScoringError("计算公式的 unit 应为不超过 20 个字符的文字")
    if formula["type"] == "linear":
        extra = set(formula) - {"type", "best", "worst", "unit"}
        if extra:
            raise ScoringError(f"计算公式含有未知的字段：{sorted(extra)[0]}")
        best, worst = _decimal(formula.get("best"), "best"), _decimal(formula.get("worst"), "worst")
        if best == worst:
            raise ScoringError("best 与 worst 不能相同")
        return {"type": "linear", "best": str(best), "worst": str(worst), "unit": unit}
    extra = set(formula) - {"type", "thresholds", "otherwise", "unit"}
    if extra:
        raise ScoringError(f"计算公式含有未知的字段：{sorted(extra)[0]}")
    bands = formula.get("thresholds")
    if not isinstance(bands, list) or not 1 <= len(bands) <= 20:
        raise ScoringError("thresholds 应为 1–20 个分档")
    out, sides = [], set()
    for index, band in enumerate(bands):
        if not isinstance(band, dict) or len(band) != 2 or "points" not in band:
            raise ScoringError(f"第 {index + 1} 档应为 {{at_most 或 at_least, points}}")
        side = "at_most" if "at_most" in band else "at_least" if "at_least" in band else None
        if side is None:
            raise ScoringError(f"第 {index + 1} 档缺少 at_most 或 at_least")
        sides.add(side)
        points = _decimal(band["points"], f"第 {index + 1} 档的 points")
        if not 0 <= points <= max_points:
            raise ScoringError(f"第 {index + 1} 档的分数应在 0–{max_points} 之间")
        out.append({side: str(_decimal(band[side], f"第 {index + 1} 档的界值")), "points": str(points)})
    if len(sides) > 1:
        raise ScoringError("同一公式的分档须统一使用 at_most 或 at_least")
    otherwise = _decimal(formula.get("otherwise", 0), "otherwise")
    if not 0 <= otherwise <= max_points:
        raise ScoringError(f"otherwise 应在 0–{max_points} 之间")
    return {"type": "thresholds", "thresholds": out, "otherwise": str(otherwise), "unit": unit}


def metric_score(formula: dict, value, max_points) -> Decimal:
    """The points a declared metric value earns under a (checked) formula, within [0, max_points]."""
    if value is None:
        raise ScoringError("缺少申报的指标值")
    value, max_points = Decimal(value), Decimal(max_points)
    if formula["type"] == "linear":
        best, worst = Decimal(formula["best"]), Decimal(formula["worst"])
        with localcontext() as ctx:
            ctx.prec = 40
            fraction = (value - worst) / (best - worst)
        fraction = min(Decimal(1), max(Decimal(0), fraction))
        return fraction * max_points
    for band in formula["thresholds"]:
        if "at_most" in band and value <= Decimal(band["at_most"]):
            return Decimal(band["points"])
        if "at_least" in band and value >= Decimal(band["at_least"]):
            return Decimal(band["points"])
    return Decimal(formula["otherwise"])


# --- per-evaluator normalisation (shown beside the raw aggregate, never instead of it) ----------

NORMALISE_MIN = 3


def zscores(totals: dict, minimum=NORMALISE_MIN) -> dict | None:
    """One evaluator's totals {entry_id: total} as z-scores (mean 0, population sd 1).

    None with fewer than `minimum` totals (too few to say anything about an evaluator's scale);
    all zero when the evaluator gave every entry the same total.
    """
    if len(totals) < minimum:
        return None
    values = [Decimal(v) for v in totals.values()]
    m, sd = mean(values), std_dev(values)
    if sd == 0:
        return {eid: Decimal(0) for eid in totals}
    with localcontext() as ctx:
        ctx.prec = 40
        return {eid: (Decimal(v) - m) / sd for eid, v in totals.items()}


def normalised_means(totals_by_evaluator: dict, minimum=NORMALISE_MIN) -> dict | None:
    """{entry_id: mean z-score across evaluators}; evaluators with too few totals are left out.
    `totals_by_evaluator`: {evaluator_id: {entry_id: total}}. None when no evaluator qualifies."""
    per_entry = {}
    for totals in totals_by_evaluator.values():
        z = zscores(totals, minimum)
        if z is None:
            continue
        for eid, value in z.items():
            per_entry.setdefault(eid, []).append(value)
    if not per_entry:
        return None
    return {eid: mean(values) for eid, values in per_entry.items()}
