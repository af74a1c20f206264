"""Computed criteria (issue 13): the 综合评分法 price score, metric formulas and the per-evaluator
normalisation — pure functions, tested exhaustively with hypothesis."""

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from marketplace.review import scoring

D = Decimal
prices_st = st.decimals(min_value=D("0.01"), max_value=D("99999999.99"), places=2)
price_maps = st.dictionaries(st.integers(1, 50), prices_st, min_size=1, max_size=12)
max_points_st = st.integers(1, 1000)


def test_price_score_example():
    points, benchmark = scoring.price_scores({1: D("800000"), 2: D("1000000"), 3: D("1200000")}, 30)
    assert benchmark == D("800000")
    assert points[1] == D(30)
    assert points[2] == D(24)
    assert scoring.round2(points[3]) == D("20.00")  # 800000/1200000 × 30 = 20 exactly
    assert points[3] == D(20)


def test_price_score_keeps_repeating_decimals_exact_until_rounded():
    points, _ = scoring.price_scores({1: D("3"), 2: D("7")}, 10)
    assert scoring.round2(points[2]) == D("4.29")
    assert points[2] != D("4.29")


def test_single_entry_gets_full_marks():
    points, benchmark = scoring.price_scores({9: D("123.45")}, 15)
    assert points == {9: D(15)} and benchmark == D("123.45")


@pytest.mark.parametrize("bad", [D(0), None, D("-1")])
def test_zero_or_missing_price_is_a_clear_error_not_a_division(bad):
    with pytest.raises(scoring.ScoringError, match="报价缺失或为零.*2"):
        scoring.price_scores({1: D("100"), 2: bad}, 10)


def test_no_prices_is_an_error():
    with pytest.raises(scoring.ScoringError):
        scoring.price_scores({}, 10)


@given(price_maps, max_points_st)
def test_price_score_properties(prices, max_points):
    points, benchmark = scoring.price_scores(prices, max_points)
    assert benchmark == min(prices.values())
    assert set(points) == set(prices)
    for eid, price in prices.items():
        assert D(0) < points[eid] <= max_points
        if price == benchmark:
            assert points[eid] == max_points
        # points × price = benchmark × max_points (up to the 40-digit context)
        assert abs(points[eid] * price - benchmark * max_points) < D("1e-25") * max(price, 1)
    # A lower price never scores less.
    ordered = sorted(prices, key=lambda e: prices[e])
    for a, b in zip(ordered, ordered[1:], strict=False):
        assert points[a] >= points[b]


@given(price_maps, max_points_st)
def test_equal_prices_tie_exactly(prices, max_points):
    assume(len(prices) >= 2)
    same = dict.fromkeys(prices, next(iter(prices.values())))
    points, _ = scoring.price_scores(same, max_points)
    assert set(points.values()) == {D(max_points)}


# --- metric formulas -------------------------------------------------------------------------

PUE_BANDS = {"type": "thresholds", "unit": "PUE",
             "thresholds": [{"at_most": "1.25", "points": 20}, {"at_most": "1.3", "points": 15},
                            {"at_most": "1.4", "points": 8}], "otherwise": 0}


@pytest.mark.parametrize(("value", "points"), [("1.10", 20), ("1.25", 20), ("1.26", 15), ("1.3", 15),
                                               ("1.35", 8), ("1.41", 0), ("2.5", 0)])
def test_threshold_bands(value, points):
    formula = scoring.check_formula(PUE_BANDS, 20)
    assert scoring.metric_score(formula, D(value), 20) == D(points)


def test_at_least_bands():
    formula = scoring.check_formula({"type": "thresholds", "thresholds": [
        {"at_least": "60", "points": 10}, {"at_least": "40", "points": 5}]}, 10)
    assert scoring.metric_score(formula, D(75), 10) == 10
    assert scoring.metric_score(formula, D(40), 10) == 5
    assert scoring.metric_score(formula, D(39.9), 10) == 0


def test_linear_mapping_both_directions():
    lower_is_better = scoring.check_formula({"type": "linear", "best": "1.2", "worst": "1.5"}, 10)
    assert scoring.metric_score(lower_is_better, D("1.2"), 10) == 10
    assert scoring.metric_score(lower_is_better, D("1.35"), 10) == 5
    assert scoring.metric_score(lower_is_better, D("1.1"), 10) == 10
    assert scoring.metric_score(lower_is_better, D("1.9"), 10) == 0
    higher_is_better = scoring.check_formula({"type": "linear", "best": 100, "worst": 0}, 20)
    assert scoring.metric_score(higher_is_better, D(25), 20) == 5


@pytest.mark.parametrize("formula", [
    None, "__import__('os')", {"type": "eval", "expr": "1"}, {"type": "linear", "best": 1, "worst": 1},
    {"type": "linear", "best": "x", "worst": 1}, {"type": "linear", "best": 1, "worst": 2, "expr": "1"},
    {"type": "linear", "best": "NaN", "worst": 1}, {"type": "linear", "best": True, "worst": 1},
    {"type": "linear", "best": "1e999999", "worst": "-1e999999"},
    {"type": "thresholds", "thresholds": []}, {"type": "thresholds", "thresholds": [{"at_most": 1}]},
    {"type": "thresholds", "thresholds": [{"at_most": 1, "points": 11}]},
    {"type": "thresholds", "thresholds": [{"at_most": 1, "points": 5}, {"at_least": 2, "points": 5}]},
    {"type": "thresholds", "thresholds": [{"between": 1, "points": 5}]},
])
def test_bad_formulas_are_refused(formula):
    with pytest.raises(scoring.ScoringError):
        scoring.check_formula(formula, 10)


def test_missing_metric_value_is_an_error():
    with pytest.raises(scoring.ScoringError):
        scoring.metric_score(scoring.check_formula(PUE_BANDS, 20), None, 20)


numbers = st.decimals(min_value=D("-1000"), max_value=D("1000"), places=3)


@given(numbers, numbers, numbers, max_points_st)
def test_linear_is_bounded_and_monotone(best, worst, value, max_points):
    assume(best != worst)
    formula = scoring.check_formula({"type": "linear", "best": str(best), "worst": str(worst)}, max_points)
    points = scoring.metric_score(formula, value, max_points)
    assert 0 <= points <= max_points
    closer = value + (best - value) / 2  # half-way towards best never scores less
    assert scoring.metric_score(formula, closer, max_points) >= points


@given(st.lists(st.tuples(numbers, st.integers(0, 10)), min_size=1, max_size=6), numbers)
def test_thresholds_score_a_band_value(bands, value):
    formula = scoring.check_formula({"type": "thresholds", "otherwise": 1,
                                     "thresholds": [{"at_most": str(b), "points": p} for b, p in bands]}, 10)
    points = scoring.metric_score(formula, value, 10)
    matching = [p for b, p in bands if value <= b]
    assert points == (D(matching[0]) if matching else D(1))


# --- normalisation ---------------------------------------------------------------------------

def test_zscores_need_enough_totals():
    assert scoring.zscores({1: D(80), 2: D(70)}) is None
    z = scoring.zscores({1: D(80), 2: D(70), 3: D(60)})
    assert z[2] == 0 and z[1] == z[3].copy_negate() and z[1] > 0


def test_flat_evaluator_gives_zeros():
    assert scoring.zscores({1: D(70), 2: D(70), 3: D(70)}) == {1: 0, 2: 0, 3: 0}


@given(st.dictionaries(st.integers(1, 20), st.decimals(min_value=0, max_value=100, places=2), min_size=3, max_size=10))
def test_zscores_have_mean_zero(totals):
    z = scoring.zscores(totals)
    assert abs(sum(z.values())) < D("1e-20")  # summed at the default 28-digit precision
    assert set(z) == set(totals)


def test_normalisation_removes_a_harsh_evaluators_scale():
    # The harsh evaluator ranks the entries the same way: normalised, both agree entry 1 is best.
    result = scoring.normalised_means({10: {1: D(90), 2: D(80), 3: D(70)}, 11: {1: D(45), 2: D(40), 3: D(35)}})
    assert result[1] > result[2] > result[3]
    assert scoring.normalised_means({10: {1: D(90)}}) is None
