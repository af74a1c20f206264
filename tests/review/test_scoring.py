"""Score arithmetic (DOMAIN.md step 5) — pure functions, tested exhaustively."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from statistics import median as py_median
from statistics import pstdev

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.review import scoring

D = Decimal


def test_evaluator_total_is_weighted_share_of_max():
    criteria = [(1, 60, 100), (2, 40, 50)]
    assert scoring.evaluator_total({1: 80, 2: 25}, criteria) == D(48) + D(20)
    assert scoring.evaluator_total({1: 100, 2: 50}, criteria) == D(100)
    assert scoring.evaluator_total({1: 0, 2: 0}, criteria) == D(0)


def test_evaluator_total_keeps_decimals_exact():
    # 7/9 × 60 is a repeating decimal: the total keeps it, only results are rounded.
    total = scoring.evaluator_total({1: D("7"), 2: D("2.5")}, [(1, 60, 9), (2, 40, 10)])
    assert scoring.round2(total) == D("56.67")
    assert total != D("56.67")


@pytest.mark.parametrize("value, expected", [
    ("1.005", "1.01"), ("1.004", "1.00"), ("2.675", "2.68"), ("99.995", "100.00"), ("0.125", "0.13"),
])
def test_round_half_up(value, expected):
    assert scoring.round2(D(value)) == D(expected)


def test_mean_median():
    assert scoring.aggregate([D(80), D(90), D(70)], "mean").score == D("80.00")
    assert scoring.aggregate([D(80), D(90), D(70)], "median").score == D("80.00")
    assert scoring.aggregate([D(80), D(90), D(70), D(60)], "median").score == D("75.00")


def test_trimmed_mean_drops_one_highest_and_one_lowest():
    result = scoring.aggregate([D(60), D(70), D(80), D(90), D(100)], "trimmed_mean")
    assert result.method == "trimmed_mean" and result.note is None
    assert result.score == D("80.00")
    # Only one of two equal highest scores is dropped.
    assert scoring.aggregate([D(100), D(100), D(80), D(70), D(10)], "trimmed_mean").score == D("83.33")


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_trimmed_mean_below_five_falls_back_to_mean_and_says_so(n):
    totals = [D(50 + 10 * i) for i in range(n)]
    result = scoring.aggregate(totals, "trimmed_mean")
    assert result.method == "mean"
    assert "少于 5 个" in result.note
    assert result.score == scoring.round2(sum(totals) / n)


def test_unknown_method_and_empty_totals_are_refused():
    with pytest.raises(ValueError):
        scoring.aggregate([D(1)], "max")
    with pytest.raises(ValueError):
        scoring.aggregate([], "mean")


totals_strategy = st.lists(st.decimals(min_value=0, max_value=100, places=2, allow_nan=False), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(totals_strategy)
def test_aggregates_match_reference_implementations(totals):
    assert scoring.aggregate(totals, "mean").score == scoring.round2(sum(totals) / len(totals))
    assert scoring.aggregate(totals, "median").score == scoring.round2(D(py_median(totals)))
    trimmed = scoring.aggregate(totals, "trimmed_mean")
    if len(totals) >= 5:
        rest = sorted(totals)[1:-1]
        assert trimmed.score == scoring.round2(sum(rest) / len(rest))
    else:
        assert trimmed.method == "mean"
    for method in ("mean", "median", "trimmed_mean"):
        score = scoring.aggregate(totals, method).score
        assert min(totals) - D("0.01") <= score <= max(totals) + D("0.01")


@settings(max_examples=100, deadline=None)
@given(totals_strategy)
def test_std_dev_matches_population_stdev(totals):
    expected = D(str(pstdev([float(t) for t in totals]))) if len(totals) > 1 else D(0)
    assert abs(scoring.std_dev(totals) - expected) < D("0.0001")


def test_deviation_flags_use_the_margin():
    totals = {1: D(80), 2: D(82), 3: D(55), 4: D("100.01")}
    assert scoring.deviations(totals, D(80)) == [3, 4]
    assert scoring.deviations(totals, D(80), margin=D(30)) == []
    assert scoring.deviations({1: D(60)}, D(80)) == []  # exactly 20 apart is not "more than"


def _entry(entry_id, score, tie, minutes):
    return scoring.RankInput(entry_id, D(score), D(tie), datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes))


def test_rank_by_score_then_tie_break_criterion_then_earlier_submission():
    entries = [
        _entry(1, "80.00", "30", 5),
        _entry(2, "90.00", "10", 9),
        _entry(3, "80.00", "35", 9),   # same score as 1, better on the named criterion
        _entry(4, "80.00", "30", 1),   # same score and criterion as 1, submitted earlier
    ]
    ranked = scoring.rank(entries)
    assert [(position, e.entry_id) for position, e in ranked] == [(1, 2), (2, 3), (3, 4), (4, 1)]


def test_rank_compares_rounded_scores():
    # 80.004 and 80.001 both show as 80.00: the tie-break decides, as a reader of the table expects.
    ranked = scoring.rank([_entry(1, "80.004", "1", 0), _entry(2, "80.001", "2", 0)])
    assert [e.entry_id for _, e in ranked] == [2, 1]


@pytest.mark.parametrize("points, maximum, needed", [
    (0, 100, True), (10, 100, True), ("10.01", 100, False), (50, 100, False), ("89.99", 100, False),
    (90, 100, True), (100, 100, True), (1, 10, True), (5, 10, False), (9, 10, True),
])
def test_comment_needed_in_bottom_and_top_ten_percent(points, maximum, needed):
    assert scoring.needs_comment(D(str(points)), maximum) is needed


def test_advancing_by_top_k_threshold_or_both():
    ranked = scoring.rank([_entry(i, str(100 - 10 * i), "0", i) for i in range(1, 6)])  # 90, 80, 70, 60, 50
    assert scoring.advancing(ranked, advance_top=2) == [1, 2]
    assert scoring.advancing(ranked, threshold=D("70")) == [1, 2, 3]
    assert scoring.advancing(ranked, advance_top=2, threshold=D("85")) == [1]
    assert scoring.advancing(ranked) == [1, 2, 3, 4, 5]
    assert scoring.advancing(ranked, advance_top=4) == [1, 2, 3, 4]  # 末位淘汰: the last one drops out
