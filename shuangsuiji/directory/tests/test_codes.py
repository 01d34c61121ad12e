import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from shuangsuiji.directory.codes import clean_cert_no, clean_uscc

VALID = "91410381MA3X316767"  # from the worked example of DRAW-PROTOCOL.md


def test_full_width_and_spaces_are_normalised() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in VALID)
    assert clean_uscc(f"\u3000{full_width[:6]} {full_width[6:]}\u00a0") == VALID


def test_lower_case_is_upper_cased() -> None:
    assert clean_uscc("91410381ma3x316767") == VALID


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("91410381MA3X31676", "应为18位，实际17位"),
        ("91410381MA3X3167670", "应为18位，实际19位"),
        ("91410381MA3X316768", "第18位应为“7”"),
        ("9141038AMA3X316767", "第3–8位应为登记管理机关行政区划代码"),
    ],
)
def test_bad_codes_are_explained(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_uscc(value)
    assert message in caught.value.messages[0]


@given(
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9),
    st.sampled_from(["91", "92", "93", "12"]),
    st.booleans(),
)
def test_any_valid_code_survives_full_width_and_padding(body: str, prefix: str, wide: bool) -> None:
    base = prefix + "410381" + body
    code = base + stdnum_uscc.calc_check_digit(base)
    typed = "".join(chr(ord(c) + 0xFEE0) for c in code) if wide else code
    assert clean_uscc(f"  {typed}\u3000") == code


def test_certificate_numbers_keep_their_hyphens_but_lose_spaces() -> None:
    assert clean_cert_no(" XF-0381-01 ") == "XF-0381-01"
    assert clean_cert_no("豫执０４１０００１") == "豫执0410001"
    with pytest.raises(ValidationError):
        clean_cert_no("   ")
