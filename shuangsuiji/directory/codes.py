"""Cleaning of codes typed by hand, with the same rules (and messages) as the file import: one
implementation of the USCC check in `shuangsuiji.tabular`, not two."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from shuangsuiji.tabular import CellError, Code, Uscc

_USCC = Uscc()
_USCC_OR_REGISTRATION = Uscc(allow_registration_number=True)
_CERT_NO = Code("执法证号", max_length=40)


def _clean(normalizer: Uscc | Code, value: str) -> str:
    try:
        return str(normalizer(value))
    except CellError as error:
        raise ValidationError(error.message) from None


def clean_uscc(value: str) -> str:
    return _clean(_USCC, value)


def clean_reg_no(value: str) -> str:
    code = _clean(_USCC_OR_REGISTRATION, value)
    if len(code) == 18:
        raise ValidationError("这是统一社会信用代码，请填在“统一社会信用代码”一栏。")
    return code


def clean_cert_no(value: str) -> str:
    code = _clean(_CERT_NO, value)
    if not code:
        raise ValidationError("请填写执法证号。")
    return code
