"""Money in 元 is exact: Decimal in, integer fen stored, never a float."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.money import MAX_YUAN, fen_to_yuan, format_yuan, parse_yuan, yuan_to_fen


@pytest.mark.parametrize("text, expected", [
    ("1250000.00", "1250000.00"),
    ("1250000", "1250000.00"),
    ("1,250,000.5", "1250000.50"),
    ("  88.8 ", "88.80"),
    ("0", "0.00"),
    ("0.01", "0.01"),
    ("1.000", "1.00"),  # trailing zeros are not extra precision
    ("1e3", "1000.00"),
    (".5", "0.50"),
    (100, "100.00"),
    (Decimal("3.14"), "3.14"),
    (0.1, "0.10"),  # a float is read by its shortest repr, not its binary value
    ("999999999999.99", "999999999999.99"),
])
def test_parse_yuan_accepts(text, expected):
    value = parse_yuan(text)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize("value", [
    None, True, False, "", "   ", "abc", "12元", "1.2.3", "NaN", "sNaN", "Infinity", "-Infinity",
    "-1", "-0.01", "1.001", "0.005", 0.1 + 0.2, "1e-5", [], {}, "1000000000000",
    "999999999999.991",
])
def test_parse_yuan_refuses_with_a_chinese_message(value):
    with pytest.raises(ValueError) as caught:
        parse_yuan(value)
    assert "金额" in str(caught.value)


@pytest.mark.parametrize("value", [
    "1e30", "99999999999999999999999999999", "9" * 200, "1e999999999", 10 ** 40,
])
def test_parse_yuan_refuses_huge_amounts_with_value_error(value):
    # Decimal's quantize raises InvalidOperation (not a ValueError) for numbers this long;
    # the caller only expects ValueError.
    with pytest.raises(ValueError) as caught:
        parse_yuan(value)
    assert "范围" in str(caught.value)


def test_negative_zero_is_plain_zero():
    value = parse_yuan("-0")
    assert value == 0 and str(value) == "0.00"
    assert str(parse_yuan("-0.00")) == "0.00"


def test_fen_conversions():
    assert yuan_to_fen(Decimal("12.34")) == 1234
    assert isinstance(yuan_to_fen(Decimal("12.34")), int)
    assert yuan_to_fen(MAX_YUAN) == 99999999999999
    assert fen_to_yuan(1234) == Decimal("12.34")
    assert str(fen_to_yuan(5)) == "0.05"
    assert str(fen_to_yuan(0)) == "0.00"
    assert fen_to_yuan(None) is None


def test_format_yuan():
    assert format_yuan(125000000) == "1,250,000.00"
    assert format_yuan(1) == "0.01"
    assert format_yuan(0) == "0.00"
    assert format_yuan(None) == ""


@given(st.integers(min_value=0, max_value=yuan_to_fen(MAX_YUAN)))
def test_property_fen_round_trip(fen):
    yuan = fen_to_yuan(fen)
    assert parse_yuan(str(yuan)) == yuan
    assert yuan_to_fen(parse_yuan(str(yuan))) == fen
    assert yuan_to_fen(parse_yuan(format_yuan(fen))) == fen


@given(st.decimals(allow_nan=True, allow_infinity=True))
def test_property_any_decimal_parses_or_raises_value_error(value):
    try:
        result = parse_yuan(value)
    except ValueError:
        return
    assert 0 <= result <= MAX_YUAN
    assert result == result.quantize(Decimal("0.01"))


@given(st.text(max_size=40))
def test_property_any_text_parses_or_raises_value_error(text):
    try:
        result = parse_yuan(text)
    except ValueError:
        return
    assert 0 <= result <= MAX_YUAN
