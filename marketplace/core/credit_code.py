"""统一社会信用代码 (GB 32100-2015): 18 characters, the last one a check character."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_error(code) -> str | None:
    """The reason a code is invalid, in Chinese, or None when it is valid."""
    if not isinstance(code, str) or not code:
        return "请填写统一社会信用代码"
    if len(code) != 18:
        return "统一社会信用代码应为 18 位"
    bad = [ch for ch in code if ch not in VALUES]
    if bad:
        return f"统一社会信用代码含有不允许的字符“{bad[0]}”（不使用 I、O、S、V、Z 及小写字母）"
    if check_character(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确，请核对后重新填写"
    return None


def normalise_credit_code(code: str) -> str:
    return (code or "").strip().upper()


def is_valid_credit_code(code) -> bool:
    return credit_code_error(code) is None
