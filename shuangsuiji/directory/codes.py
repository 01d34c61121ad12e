"""Cleaning of codes typed by hand: full-width → half-width, spaces removed, check digits verified."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength

# Full-width ASCII (U+FF01–U+FF5E) to half-width, and the ideographic space to a space.
_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_INVISIBLE = "".join(["\u00a0", "\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", " ", "\t", "\r", "\n", "-"])


def to_half_width(value: str) -> str:
    return value.translate(_HALF)


def compact_code(value: str) -> str:
    value = to_half_width(value)
    for char in _INVISIBLE:
        value = value.replace(char, "")
    return value.upper()


def clean_uscc(value: str) -> str:
    code = compact_code(value)
    if len(code) != 18:
        raise ValidationError(f"统一社会信用代码应为 18 位，实际 {len(code)} 位：{code}")
    try:
        return str(stdnum_uscc.validate(code))
    except InvalidChecksum:
        expected = stdnum_uscc.calc_check_digit(code[:17])
        raise ValidationError(
            f"统一社会信用代码校验位错误：末位应为 {expected}，实际为 {code[-1]}。"
        ) from None
    except (InvalidFormat, InvalidLength):
        raise ValidationError(
            "统一社会信用代码含无效字符：前 8 位须为数字，其余为数字或大写字母（不含 I、O、S、V、Z）。"
        ) from None


def clean_reg_no(value: str) -> str:
    code = compact_code(value)
    if not code.isalnum() or not 10 <= len(code) <= 30:
        raise ValidationError("注册号应为 10–30 位数字或字母。")
    return code


def clean_cert_no(value: str) -> str:
    code = to_half_width(value).strip().replace(" ", "")
    if not code:
        raise ValidationError("请填写执法证号。")
    if any(c in code for c in "\t\r\n\x00"):
        raise ValidationError("执法证号不能包含制表符或换行。")
    return code
