"""统一社会信用代码 (GB 32100-2015): the check character, the alphabet and the shape.

The reference check below is written from the standard's text (alphabet without I O S V Z,
weights 3^i mod 31, check = 31 − Σ mod 31), not from the app's code, so the two agree by
construction only if both follow the standard.
"""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.credit_code import (
    credit_code_error,
    is_valid_credit_code,
    normalise_credit_code,
)

STANDARD_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
STANDARD_WEIGHTS = [pow(3, i, 31) for i in range(17)]
FORBIDDEN_LETTERS = "IOSVZ"


def reference_check(first17: str) -> str:
    total = sum(STANDARD_ALPHABET.index(ch) * w for ch, w in zip(first17, STANDARD_WEIGHTS, strict=True))
    return STANDARD_ALPHABET[(31 - total % 31) % 31]


def reference_valid(code) -> bool:
    return (
        isinstance(code, str)
        and len(code) == 18
        and all(ch in STANDARD_ALPHABET for ch in code)
        and reference_check(code[:17]) == code[17]
    )


# Codes printed on real business licences (published in news and annual reports) and the
# worked example often quoted for the standard.
PUBLISHED = [
    "91350100M000100Y43",
    "914403001922038216",
    "91440300708461136T",
    "9144030071526726XG",
    "91110108551385082Q",
    "91310115MA1H7KQX8C",
]

# Bodies in the real format: 登记管理部门 + 机构类别 + 行政区划 (6 digits) + 主体标识码 (9).
BODIES = [
    "91310104MA1FL0001",  # 上海 徐汇 企业
    "11310000002421390",  # 机关
    "12310101425001234",  # 事业单位
    "51310115MA1K3YJ8A",  # 社会团体
    "52310106MJ4961234",  # 民办非企业单位
    "92310000L01234567",  # 个体工商户
    "Y1310000MA1G2H3JK",  # 其他 (registration authority Y)
]
COMPUTED = [body + reference_check(body) for body in BODIES]
VALID = PUBLISHED + COMPUTED


def test_standard_constants_match_the_published_table():
    # GB 32100-2015 table: the weights are 3^i mod 31.
    assert STANDARD_WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert len(STANDARD_ALPHABET) == 31
    assert not set(FORBIDDEN_LETTERS) & set(STANDARD_ALPHABET)


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert reference_valid(code)
    assert credit_code_error(code) is None
    assert is_valid_credit_code(code)


@pytest.mark.parametrize("code", VALID)
def test_every_single_character_substitution_is_detected(code):
    for position in range(18):
        for replacement in STANDARD_ALPHABET:
            if replacement == code[position]:
                continue
            changed = code[:position] + replacement + code[position + 1:]
            assert not is_valid_credit_code(changed), (position, replacement, changed)
            assert "校验位" in credit_code_error(changed)


@pytest.mark.parametrize("code", VALID)
def test_adjacent_transpositions_in_the_body_are_detected(code):
    for position in range(16):
        a, b = code[position], code[position + 1]
        if a == b:
            continue
        swapped = code[:position] + b + a + code[position + 2:]
        assert not is_valid_credit_code(swapped), swapped


@pytest.mark.parametrize("code", ["91350100m000100y43", "91310115ma1h7kqx8c"])
def test_lower_case_is_refused_as_entered_but_normalised_on_input(code):
    error = credit_code_error(code)
    assert error is not None and "小写" in error
    assert is_valid_credit_code(normalise_credit_code(code))


@pytest.mark.parametrize("length", [0, 1, 17, 19, 36])
def test_wrong_length(length):
    code = ("91350100M000100Y43" * 3)[:length]
    error = credit_code_error(code)
    assert error is not None
    if length:
        assert "18" in error


@pytest.mark.parametrize("letter", list(FORBIDDEN_LETTERS))
@pytest.mark.parametrize("position", [0, 8, 17])
def test_forbidden_letters(letter, position):
    code = "91350100M000100Y43"
    bad = code[:position] + letter + code[position + 1:]
    error = credit_code_error(bad)
    assert error is not None
    assert f"“{letter}”" in error


@pytest.mark.parametrize("code", [
    " 91350100M000100Y43",
    "91350100M000100Y43 ",
    "9135 0100M000100Y4",
    "91350100M000100Y4\t",
    "91350100M000100Y4\n",
    "９1350100M000100Y43",  # full-width digit
    "91350100M000100Y4-",
])
def test_whitespace_and_foreign_characters(code):
    assert not is_valid_credit_code(code)


def test_surrounding_whitespace_is_stripped_by_normalise():
    assert normalise_credit_code("  91350100m000100y43\n") == "91350100M000100Y43"
    assert normalise_credit_code(None) == ""


@pytest.mark.parametrize("value", [None, "", 91350100, ["91350100M000100Y43"], b"91350100M000100Y43"])
def test_non_strings_and_empty_get_a_message_not_an_exception(value):
    error = credit_code_error(value)
    assert error and any("\u4e00" <= ch <= "\u9fff" for ch in error)


body17 = st.text(alphabet=STANDARD_ALPHABET, min_size=17, max_size=17)


@given(body17)
def test_property_the_computed_check_character_validates_and_no_other_does(body):
    good = body + reference_check(body)
    assert is_valid_credit_code(good)
    for other in STANDARD_ALPHABET:
        if other != good[-1]:
            assert not is_valid_credit_code(body + other)


@given(st.one_of(
    st.text(max_size=30),
    st.text(alphabet=STANDARD_ALPHABET + FORBIDDEN_LETTERS + string.ascii_lowercase + " ", min_size=18, max_size=18),
))
def test_property_agrees_with_the_reference_on_any_text(text):
    assert is_valid_credit_code(text) == reference_valid(text)
    assert (credit_code_error(text) is None) == reference_valid(text)
