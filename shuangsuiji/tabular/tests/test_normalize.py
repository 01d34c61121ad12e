"""Normalisers: the values people write are accepted, everything else gets a precise Chinese message."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from shuangsuiji.tabular import Boolean, CellError, Code, Date, Integer, Percent, ResidentId, Text, Uscc
from shuangsuiji.tabular.registers import (
    CREDIT_RISK_CLASSES,
    ENTITY_STATUSES,
    ENTITY_TYPES,
    FIRE_SAFETY_CATEGORIES,
    GENDERS,
    METHODS,
)
from shuangsuiji.tabular.tests.helpers import USCC_ALPHABET

FULL_WIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
PADDING = st.text(alphabet=" \t\u3000\u00a0\u200b\ufeff\r\n", max_size=4)


def error(normalizer: object, value: object) -> str:
    with pytest.raises(CellError) as caught:
        normalizer(value)  # type: ignore[operator]
    return caught.value.message


uscc_bases = st.tuples(
    st.sampled_from("159Y"),
    st.sampled_from("123459"),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(uscc_bases, PADDING, PADDING, st.booleans(), st.booleans())
def test_any_valid_uscc_survives_full_width_padding_and_case(
    base: str, left: str, right: str, full_width: bool, lower: bool
) -> None:
    code = base + stdnum_uscc.calc_check_digit(base)
    typed = code.lower() if lower else code
    typed = typed.translate(FULL_WIDTH) if full_width else typed
    assert Uscc()(left + typed + right) == code
    assert Uscc(allow_registration_number=True)(f"'{typed}") == code


@given(uscc_bases, st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET))
def test_any_single_character_mistake_is_caught(base: str, position: int, replacement: str) -> None:
    code = base + stdnum_uscc.calc_check_digit(base)
    typo = code[:position] + replacement + code[position + 1 :]
    if typo == code:
        return
    with pytest.raises(CellError):
        Uscc()(typo)


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
def test_fast_check_digit_is_stdnums(first17: str) -> None:
    from shuangsuiji.tabular.normalize import uscc_check_digit

    assert uscc_check_digit(first17) == stdnum_uscc.calc_check_digit(first17)


def test_uscc_messages() -> None:
    assert error(Uscc(), "91410381MA0000001K") == (
        "统一社会信用代码校验位错误（按前17位计算，第18位应为“J”），请核对代码是否抄错"
    )
    assert error(Uscc(), "91410381MA000000") == "统一社会信用代码应为18位，实际16位"
    assert (
        error(Uscc(), "91410381MAO000001J")
        == "统一社会信用代码含有无效字符“O”（代码中不使用字母 I、O、Z、S、V）"
    )
    assert error(Uscc(), "9141038１MA00000一J") == "统一社会信用代码含有无效字符“一”"
    assert (
        error(Uscc(), "91A10381MA0000001J")
        == "统一社会信用代码格式错误：第3–8位应为登记管理机关行政区划代码（数字）"
    )
    assert error(Uscc(), True) == "统一社会信用代码不能是逻辑值（TRUE/FALSE）"
    assert error(Uscc(), datetime.date(2025, 1, 1)) == "统一社会信用代码不能是日期或时间"


def test_uscc_with_letters_in_the_first_two_places_gb32100() -> None:
    base = "N2410381MA0000001"  # 农村集体经济组织 (registered by 农业农村 departments)
    code = base + stdnum_uscc.calc_check_digit(base)
    assert not stdnum_uscc.is_valid(code)  # stdnum only allows digits there
    assert Uscc()(code) == code


def test_registration_numbers_only_where_allowed() -> None:
    assert Uscc(allow_registration_number=True)("410381600012345") == "410381600012345"
    assert Uscc(allow_registration_number=True)(410381600012345) == "410381600012345"
    assert error(Uscc(), "410381600012345") == "统一社会信用代码应为18位，实际15位"
    assert error(Uscc(allow_registration_number=True), "41038160001234") == (
        "统一社会信用代码应为18位（或15位注册号），实际14位"
    )


def test_resident_id() -> None:
    assert ResidentId()("11010519491231002x") == "11010519491231002X"
    assert error(ResidentId(), "110105194912310021") == "身份证号码校验位错误（按前17位计算，第18位应为“X”）"
    assert error(ResidentId(), "1101051949123100") == "身份证号码应为18位，实际16位"


def test_names_keep_their_exact_characters() -> None:
    text = Text()
    assert text("\u3000偃师区（城关）ＡＢＣ超市\u00a0\ufeff") == "偃师区（城关）ＡＢＣ超市"  # no NFKC
    assert text("张\u3000三") == "张\u3000三"
    assert Text(remove_spaces=True)("张\u3000三 ") == "张三"
    assert text("甲\u200b乙\x00丙") == "甲乙丙"
    assert text("商城路\r\n1号\t2楼") == "商城路 1号 2楼"
    assert Text(single_line=False)("第一条\r\n第二条") == "第一条\n第二条"
    assert text(41001) == "41001" and text(41001.0) == "41001" and text(1.5) == "1.5"
    assert text("𠮷野家") == "𠮷野家" and text("\ue000") == "\ue000"  # rare characters and PUA stay
    assert error(Text(5), "一二三四五六") == "内容过长：6个字符，最多允许5个字符"
    assert error(text, "\u200b\ufeff") == "内容只有空白或不可见字符"


@given(st.text())
def test_text_never_crashes_and_is_trimmed(value: str) -> None:
    try:
        result = Text(max_length=10_000)(value)
    except CellError:
        return
    assert result == result.strip() and "\x00" not in result


def test_codes() -> None:
    code = Code("执法证号")
    assert code(" 豫Ａ０００１ ") == "豫A0001"
    assert code("'41001") == "41001"
    assert code("ab 12") == "AB12"
    assert code(41001.0) == "41001"
    assert error(code, 1.5) == "执法证号不能是小数"
    assert error(Code("编号", max_length=3), "1234") == "编号过长：4位，最多3位"
    assert error(Code("编号", pattern=r"\d+", pattern_message="编号只能是数字"), "A1") == "编号只能是数字"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("A", "A"), ("a", "A"), ("Ａ", "A"), ("A类", "A"), ("A级", "A"), ("低风险", "A"), ("信用风险低", "A"), ("低", "A"),
        ("一般", "B"), ("信用风险一般", "B"), ("较高", "C"), ("较高风险", "C"), ("高", "D"), ("高风险", "D"),
        ("D类（信用风险高）", "D"), (" ｃ ", "C"),
    ],
)  # fmt: skip
def test_credit_risk_class_variants(typed: str, code: str) -> None:
    assert CREDIT_RISK_CLASSES(typed) == code


@pytest.mark.parametrize(
    ("normalizer", "typed", "code"),
    [
        (FIRE_SAFETY_CATEGORIES, "消防安全重点单位", "key"), (FIRE_SAFETY_CATEGORIES, "重点单位", "key"),
        (FIRE_SAFETY_CATEGORIES, "重点", "key"), (FIRE_SAFETY_CATEGORIES, "一般单位", "general"),
        (FIRE_SAFETY_CATEGORIES, "一般", "general"), (FIRE_SAFETY_CATEGORIES, "九小场所", "small"),
        (FIRE_SAFETY_CATEGORIES, "小场所", "small"), (FIRE_SAFETY_CATEGORIES, "九小", "small"),
        (GENDERS, "男", "M"), (GENDERS, "女", "F"), (GENDERS, "M", "M"), (GENDERS, "f", "F"), (GENDERS, "女性", "F"),
        (ENTITY_STATUSES, "存续", "active"), (ENTITY_STATUSES, "在业", "active"), (ENTITY_STATUSES, "开业", "active"),
        (ENTITY_STATUSES, "存续（在营、开业、在册）", "active"), (ENTITY_STATUSES, "注销", "deregistered"),
        (ENTITY_STATUSES, "吊销", "revoked"), (ENTITY_STATUSES, "吊销，未注销", "revoked"),
        (ENTITY_STATUSES, "吊销,未注销", "revoked"), (ENTITY_STATUSES, "迁出", "moved_out"),
        (ENTITY_STATUSES, "停业", "suspended"), (ENTITY_STATUSES, "歇业", "suspended"),
        (ENTITY_TYPES, "有限责任公司（自然人投资或控股）", "company"), (ENTITY_TYPES, "个体", "individual"),
        (ENTITY_TYPES, "个体工商户", "individual"), (ENTITY_TYPES, "某某种植专业合作社", "cooperative"),
    ],
)  # fmt: skip
def test_enumeration_variants(normalizer: object, typed: str, code: str) -> None:
    assert normalizer(typed) == code  # type: ignore[operator]


def test_unknown_enumeration_value_lists_the_choices() -> None:
    assert (
        error(FIRE_SAFETY_CATEGORIES, "特级") == "无法识别“特级”，可填：消防安全重点单位、一般单位、九小场所"
    )


def test_several_methods_in_one_cell() -> None:
    assert METHODS("抽样送检、现场检查") == ["onsite", "sampling"]
    assert METHODS("现场，书面; 网络") == ["onsite", "documentary", "online"]
    assert METHODS.display(["onsite", "sampling"]) == "现场检查、抽样送检"
    assert (
        error(METHODS, "现场、飞检")
        == "无法识别“飞检”，可填：现场检查、书面检查、网络检查、抽样送检、委托专业机构"
    )


@pytest.mark.parametrize(
    "typed",
    [
        "2025-3-1", "2025-03-01", "2025/03/01", "2025/3/1", "2025.3.1", "2025年3月1日", "2025年03月01日",
        "20250301", "２０２５－０３－０１", "2025-03-01 00:00:00", "2025/3/1 8:30", "2025-03-01T10:00:00",
        45717, 45717.0, 45717.75, "45717", 20250301, datetime.date(2025, 3, 1), datetime.datetime(2025, 3, 1, 9),
    ],
)  # fmt: skip
def test_dates_as_people_write_them(typed: object) -> None:
    assert Date()(typed) == datetime.date(2025, 3, 1)  # type: ignore[arg-type]


def test_date_messages() -> None:
    assert error(Date(), "2025-2-30") == "日期不存在：2025年2月30日"
    assert error(Date(), "三月一日") == "日期格式无法识别：“三月一日”，请写成 2025-03-01 或 2025年3月1日"
    assert error(Date(), "1850-01-01") == "日期超出合理范围（1900年至2100年）：1850-01-01"
    assert error(Date(), 3) == "数字3不是有效的日期"
    assert error(Date(), True) == "不是日期"


@given(st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2100, 12, 31)))
def test_every_written_form_of_a_date_round_trips(day: datetime.date) -> None:
    serial = (day - datetime.date(1899, 12, 30)).days
    forms: list[str | int] = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y%m%d"),
        serial,
    ]
    for form in forms:
        assert Date()(form) == day


def test_integers() -> None:
    years = Integer(min_value=0, max_value=60, units=("年",))
    assert years("5") == 5 and years("５年") == 5 and years(5.0) == 5 and years(" 12 ") == 12
    assert error(years, "五") == "应为整数：“五”"
    assert error(years, 2.5) == "应为整数，不能是小数（2.5）"
    assert error(years, "61") == "不能大于60"
    assert error(years, -1) == "不能小于0"
    assert Integer()("1,234") == 1234


@pytest.mark.parametrize(("typed", "expected"), [("是", True), ("否", False), ("Y", True), ("n", False), ("√", True), ("×", False), (1, True), (0, False), (True, True), ("TRUE", True), ("有", True), ("无", False)])  # fmt: skip
def test_booleans(typed: object, expected: bool) -> None:
    assert Boolean()(typed) is expected  # type: ignore[arg-type]


def test_percentages() -> None:
    percent = Percent()
    assert [percent(v) for v in ("5%", "5", "0.05", 0.05, "100%", 1, "２％", "12.5%")] == [
        500,
        500,
        500,
        500,
        10000,
        10000,
        200,
        1250,
    ]
    assert error(percent, "120%") == "比例应在0%至100%之间"
    assert percent.display(500) == "5%"
