"""Money in 元 is exact: stored as integer fen, handled as Decimal, sent as a decimal string."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
MAX_YUAN = Decimal("999999999999.99")


def parse_yuan(value):
    """Parse a non-negative amount of 元 with at most two decimals; ValueError otherwise."""
    if isinstance(value, bool) or value is None:
        raise ValueError("金额格式不正确")
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValueError("金额格式不正确，请填写数字，例如 1250000.00") from None
    if not amount.is_finite():
        raise ValueError("金额格式不正确")
    if amount < 0:
        raise ValueError("金额不能为负数")
    # Before quantizing: quantize raises InvalidOperation on numbers longer than the context.
    if amount > MAX_YUAN:
        raise ValueError("金额超出允许范围")
    if amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):
        raise ValueError("金额最多保留两位小数")
    return abs(amount).quantize(FEN)  # abs: "-0" is plain 0.00


def yuan_to_fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def fen_to_yuan(fen) -> Decimal | None:
    if fen is None:
        return None
    return (Decimal(fen) / 100).quantize(FEN)


def format_yuan(fen) -> str:
    """'1,250,000.00' for pages."""
    amount = fen_to_yuan(fen)
    return "" if amount is None else f"{amount:,.2f}"
