"""Per-field normalisers: each turns one cell (as read from CSV or Excel) into a clean value or raises
:class:`CellError` with a Chinese message. They are called once per cell on files of a million rows, so
the common case takes a fast path (a ``str.translate`` table, one precompiled regex, one dict lookup).

The pipeline strips the cell and handles empty cells before calling a normaliser; a normaliser called
directly also copes with surrounding spaces. Each normaliser also knows how to show a stored value in an
export (``display``), what to offer in a template drop-down (``choices``), a hint for the template's
notes sheet (``hint``) and the Excel number format of its template column (``number_format``).
"""

from __future__ import annotations

import datetime
import operator
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from shuangsuiji.tabular._text import (
    CODE_TABLE,
    CRLF_RE,
    HALF_WIDTH,
    MULTI_LINE_TABLE,
    SINGLE_LINE_TABLE,
    SPACES_RE,
    TRIM,
    shorten,
)
from shuangsuiji.tabular.cells import CellValue
from shuangsuiji.tabular.errors import CellError

ExportScalar = str | int | float | bool | datetime.date | datetime.datetime | None

T = TypeVar("T")

_EXCEL_EPOCH: Final = datetime.date(1899, 12, 30)  # serial 1 = 1900-01-01 (after Excel's 1900-02-29 bug)
_MAX_EXACT_FLOAT: Final = 1e15  # Excel keeps 15 significant digits; beyond, digits are already lost


class Normalizer(Generic[T]):
    """Base class. Subclasses implement ``__call__``; the rest has sensible defaults."""

    choices: tuple[str, ...] = ()
    multiple: bool = False  # several choices in one cell ("现场检查、抽样送检"): no drop-down
    hint: str = ""
    number_format: str | None = None
    # Few distinct values over a file (enumerations, dates), and an immutable result that depends on the
    # text alone: the record reader may remember the result for each text it has seen.
    repeats: bool = False

    def __call__(self, value: CellValue, /) -> T:
        raise NotImplementedError

    def display(self, value: T) -> ExportScalar:
        """The value as an export cell (the inverse of ``__call__`` for round trips)."""
        if value is None or isinstance(value, str | int | float | bool | datetime.date):
            return value
        return str(value)


def _as_text(value: CellValue) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < _MAX_EXACT_FLOAT:
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


class Text(Normalizer[str]):
    """Free text: trimmed, invisible characters removed, otherwise the user's exact characters (no NFKC:
    a name keeps its full-width brackets and rare characters). ``single_line`` turns line breaks and
    tabs into spaces; ``remove_spaces`` is for person names ("张　三" → "张三")."""

    def __init__(
        self,
        max_length: int = 200,
        *,
        single_line: bool = True,
        remove_spaces: bool = False,
        repeats: bool = False,
    ) -> None:
        self.max_length = max_length
        self.single_line = single_line
        self.remove_spaces = remove_spaces
        self.repeats = repeats  # a column of few distinct values (a department, a town): see Normalizer
        self.hint = f"不超过{max_length}个字"
        self._table = SINGLE_LINE_TABLE if single_line else MULTI_LINE_TABLE

    def __call__(self, value: CellValue, /) -> str:
        text = value if type(value) is str else _as_text(value)
        if not text.isprintable():  # rare: controls, line breaks, NBSP/U+3000 or invisible characters
            text = CRLF_RE.sub("\n", text).translate(self._table)
            if self.remove_spaces:
                text = SPACES_RE.sub("", text)
            text = text.strip(TRIM)
            if not text:
                raise CellError("内容只有空白或不可见字符")
        elif self.remove_spaces and " " in text:
            text = text.replace(" ", "")
        text = text.strip(TRIM)
        if len(text) > self.max_length:
            raise CellError(f"内容过长：{len(text)}个字符，最多允许{self.max_length}个字符")
        return text


def _code_text(value: CellValue, what: str) -> str:
    """A code cell as text: numbers are accepted while Excel has not damaged them."""
    if isinstance(value, str):
        return value.translate(CODE_TABLE).lstrip("'")
    if isinstance(value, bool):
        raise CellError(f"{what}不能是逻辑值（TRUE/FALSE）")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if abs(value) >= _MAX_EXACT_FLOAT:
            raise CellError(
                f"{what}被 Excel 存成了数字（显示为{value:.6g}），第15位以后的数字已经丢失；"
                "请把该列设置为“文本”格式，重新填写后再导入"
            )
        if value.is_integer():
            return str(int(value))
        raise CellError(f"{what}不能是小数")
    raise CellError(f"{what}不能是日期或时间")


class Code(Normalizer[str]):
    """An identifier typed by hand (执法证号, 事项编码): full-width → half-width, all spaces removed,
    upper-cased, optionally checked against a pattern."""

    number_format = "@"

    def __init__(
        self,
        what: str = "编号",
        *,
        max_length: int = 40,
        upper: bool = True,
        pattern: str | None = None,
        pattern_message: str = "",
    ) -> None:
        self.what = what
        self.max_length = max_length
        self.upper = upper
        self._pattern = re.compile(pattern) if pattern else None
        self._pattern_message = pattern_message or f"{what}格式不正确"
        self.hint = f"{what}，不超过{max_length}位；请将该列设为文本格式"

    def __call__(self, value: CellValue, /) -> str:
        code = _code_text(value, self.what)
        if self.upper:
            code = code.upper()
        if not code.isprintable():
            raise CellError(f"{self.what}含有不可见的控制字符")
        if len(code) > self.max_length:
            raise CellError(f"{self.what}过长：{len(code)}位，最多{self.max_length}位")
        if self._pattern is not None and not self._pattern.fullmatch(code):
            raise CellError(self._pattern_message)
        return code


_USCC_ALPHABET: Final = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")
# GB 32100-2015 check digit, table-driven for the hot path: stdnum's validate() costs ~15 µs a call
# (its clean() walks the string with generator expressions, twice), 15 s at 10^6 rows. A property test
# pins this to stdnum.cn.uscc.calc_check_digit; stdnum still validates everything off the fast path.
_USCC_CHARS: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE: Final = {c: i for i, c in enumerate(_USCC_CHARS)}
_USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_FAST_RE: Final = re.compile(r"[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}")


def uscc_check_digit(first17: str) -> str:
    """The 18th character of a USCC from its first 17 (all in the USCC alphabet)."""
    total = sum(map(operator.mul, map(_USCC_VALUE.__getitem__, first17), _USCC_WEIGHTS))
    return _USCC_CHARS[-total % 31]


# GB 32100-2015: positions 1–2 may be letters (N 农业农村 for 农村集体经济组织, Y 其他) though stdnum
# only accepts digits there; positions 3–8 are the administrative division code.
_USCC_GB_RE: Final = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_USCC_STRIP: Final = str.maketrans("", "", "-")


class Uscc(Normalizer[str]):
    """统一社会信用代码 (GB 32100-2015) validated with ``stdnum.cn.uscc``; with
    ``allow_registration_number`` also the old 15-digit (or 13-digit) 工商注册号 of entities that have no
    USCC yet. Full-width characters, spaces, hyphens and a leading apostrophe are removed."""

    number_format = "@"

    def __init__(self, *, allow_registration_number: bool = False) -> None:
        self.allow_registration_number = allow_registration_number
        self.what = "统一社会信用代码"
        self.hint = "18位统一社会信用代码" + ("；没有的填写15位注册号" if allow_registration_number else "")
        self.hint += "；请将该列设为文本格式"

    def __call__(self, value: CellValue, /) -> str:
        code = _code_text(value, self.what).translate(_USCC_STRIP).upper()
        if _USCC_FAST_RE.fullmatch(code):  # the common case: what stdnum.cn.uscc.validate accepts
            if uscc_check_digit(code[:17]) != code[17]:
                raise self._checksum_error(code)
            return code
        if len(code) == 18 and code.isascii() and code.isalnum():
            try:
                return str(stdnum_uscc.validate(code))
            except InvalidChecksum:
                raise self._checksum_error(code) from None
            except (InvalidFormat, InvalidLength):
                pass
        bad = [c for c in code if c not in _USCC_ALPHABET]
        if bad:
            shown = "、".join(dict.fromkeys(f"“{c}”" for c in bad))
            hint = "（代码中不使用字母 I、O、Z、S、V）" if any(c in "IOZSV" for c in bad) else ""
            raise CellError(f"{self.what}含有无效字符{shown}{hint}")
        n = len(code)
        if n != 18:
            if self.allow_registration_number and n in (13, 15) and code.isdigit():
                return code
            expected = "18位（或15位注册号）" if self.allow_registration_number else "18位"
            raise CellError(f"{self.what}应为{expected}，实际{n}位")
        if not _USCC_GB_RE.fullmatch(code):
            raise CellError(f"{self.what}格式错误：第3–8位应为登记管理机关行政区划代码（数字）")
        if stdnum_uscc.calc_check_digit(code[:17]) != code[17]:
            raise self._checksum_error(code)
        return code

    def _checksum_error(self, code: str) -> CellError:
        expected = stdnum_uscc.calc_check_digit(code[:17])
        return CellError(f"{self.what}校验位错误（按前17位计算，第18位应为“{expected}”），请核对代码是否抄错")


class ResidentId(Normalizer[str]):
    """居民身份证号码 (18 characters, GB 11643) validated with ``stdnum.cn.ric``."""

    number_format = "@"
    hint = "18位居民身份证号码；请将该列设为文本格式"

    def __call__(self, value: CellValue, /) -> str:
        code = _code_text(value, "身份证号码").upper()
        if len(code) != 18:
            raise CellError(f"身份证号码应为18位，实际{len(code)}位")
        if not (code[:17].isdigit() and code.isascii() and (code[17].isdigit() or code[17] == "X")):
            raise CellError("身份证号码只能由数字和末位的 X 组成")
        try:
            return str(stdnum_ric.validate(code))
        except InvalidChecksum:
            expected = stdnum_ric.calc_check_digit(code)  # takes the number with its check digit
            raise CellError(f"身份证号码校验位错误（按前17位计算，第18位应为“{expected}”）") from None
        except (InvalidComponent, InvalidFormat, InvalidLength):
            raise CellError("身份证号码中的出生日期或地区码无效") from None


@dataclass(frozen=True, slots=True)
class Option:
    """One allowed value of an enumeration: the stored ``code``, the ``label`` shown in templates and
    exports, and the other ways people write it."""

    code: str
    label: str
    aliases: tuple[str, ...] = ()
    # Last resort, tried in option order: the text contains one of these ("有限责任公司(自然人投资或控股)"
    # → 企业). Put the more specific options first ("吊销，未注销" is 吊销, not 注销).
    contains: tuple[str, ...] = ()


_ENUM_KEY_DROP: Final = re.compile(r"[\s'\"“”‘’。.]+")


def _enum_key(text: str) -> str:
    return _ENUM_KEY_DROP.sub("", unicodedata.normalize("NFKC", text)).casefold()


class OneOf(Normalizer[str]):
    """An enumeration. Accepts the code, the label and every alias, ignoring case, width and spaces."""

    repeats = True

    def __init__(self, options: Sequence[Option], *, what: str = "") -> None:
        self.options = tuple(options)
        self.what = what
        self.choices = tuple(o.label for o in self.options)
        self._labels = {o.code: o.label for o in self.options}
        exact: dict[str, str] = {}
        loose: dict[str, str] = {}
        for o in self.options:
            for name in (o.code, o.label, *o.aliases):
                exact.setdefault(name, o.code)
                key = _enum_key(name)
                if loose.setdefault(key, o.code) != o.code:
                    raise ValueError(f"ambiguous alias {name!r} in {what or 'enumeration'}")
        self._exact = exact
        self._loose = loose
        self._contains = tuple((part, o.code) for o in self.options for part in o.contains)
        self.hint = "可填：" + "、".join(self.choices)

    def __call__(self, value: CellValue, /) -> str:
        text = value if type(value) is str else _as_text(value)
        code = self._exact.get(text)
        if code is None:
            code = self._loose.get(_enum_key(text))
            if code is None:
                code = next((c for part, c in self._contains if part in text), None)
            if code is None:
                raise CellError(f"无法识别“{shorten(text, 30)}”，可填：{'、'.join(self.choices)}")
        return code

    def display(self, value: str) -> ExportScalar:
        return self._labels.get(value, value)


_MULTI_SPLIT_RE: Final = re.compile(r"[、,，;；/／|｜\s\u3000]+")


class ManyOf(Normalizer[list[str]]):
    """Several options in one cell, separated by 、 , ； / or spaces; returned as codes in option order."""

    multiple = True

    def __init__(self, options: Sequence[Option], *, what: str = "") -> None:
        self._one = OneOf(options, what=what)
        self.choices = self._one.choices
        self.hint = "可填一项或多项，用“、”分隔：" + "、".join(self.choices)
        self._order = {o.code: i for i, o in enumerate(self._one.options)}

    def __call__(self, value: CellValue, /) -> list[str]:
        parts = [p for p in _MULTI_SPLIT_RE.split(_as_text(value)) if p]
        if not parts:
            raise CellError("内容为空")
        codes = {self._one(p) for p in parts}
        return sorted(codes, key=self._order.__getitem__)

    def display(self, value: list[str]) -> ExportScalar:
        return "、".join(str(self._one.display(v)) for v in value)


_DATE_RE: Final = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}(?::\d{1,2}){1,2}(?:\.\d+)?)?"
)
_COMPACT_DATE_RE: Final = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL_RE: Final = re.compile(r"\d{5}(?:\.\d+)?")


class Date(Normalizer[datetime.date]):
    """Dates as people write them: 2025-3-1, 2025/03/01, 2025.3.1, 2025年3月1日, 20250301, with or
    without a time; Excel date cells; Excel serial numbers (45717 = 2025-03-01) in a plausible range."""

    number_format = "yyyy-mm-dd"
    repeats = True

    def __init__(self, *, min_year: int = 1900, max_year: int = 2100, serial_min_year: int = 1950) -> None:
        self.min_year = min_year
        self.max_year = max_year
        # A bare number is only taken for an Excel serial date in a plausible window (45717, not 3).
        self._min_serial = (datetime.date(max(min_year, serial_min_year), 1, 1) - _EXCEL_EPOCH).days
        self._max_serial = (datetime.date(max_year, 12, 31) - _EXCEL_EPOCH).days
        self.hint = "日期，如 2025-03-01、2025/3/1 或 2025年3月1日"

    def __call__(self, value: CellValue, /) -> datetime.date:
        if isinstance(value, datetime.datetime):
            return self._check(value.date())
        if isinstance(value, datetime.date):
            return self._check(value)
        if isinstance(value, bool) or isinstance(value, datetime.time | datetime.timedelta):
            raise CellError("不是日期")
        if isinstance(value, int | float):
            return self._number(value)
        text = value.translate(HALF_WIDTH).strip(TRIM)
        m = _DATE_RE.fullmatch(text) or _COMPACT_DATE_RE.fullmatch(text)
        if m is not None:
            return self._ymd(int(m[1]), int(m[2]), int(m[3]))
        if _SERIAL_RE.fullmatch(text):
            return self._number(float(text))
        raise CellError(f"日期格式无法识别：“{shorten(text, 30)}”，请写成 2025-03-01 或 2025年3月1日")

    def _number(self, number: float) -> datetime.date:
        if float(number).is_integer() and 10_000_000 <= number <= 99_999_999:  # 20250301 typed as a number
            n = int(number)
            return self._ymd(n // 10000, n // 100 % 100, n % 100)
        if not self._min_serial <= number <= self._max_serial:
            raise CellError(f"数字{number:g}不是有效的日期")
        return _EXCEL_EPOCH + datetime.timedelta(days=int(number))

    def _ymd(self, year: int, month: int, day: int) -> datetime.date:
        try:
            result = datetime.date(year, month, day)
        except ValueError:
            raise CellError(f"日期不存在：{year}年{month}月{day}日") from None
        return self._check(result)

    def _check(self, result: datetime.date) -> datetime.date:
        if not self.min_year <= result.year <= self.max_year:
            raise CellError(f"日期超出合理范围（{self.min_year}年至{self.max_year}年）：{result.isoformat()}")
        return result


_INT_RE: Final = re.compile(r"[+-]?\d+(?:\.0*)?")


class Integer(Normalizer[int]):
    """A whole number; full-width digits, thousands separators and a unit suffix (``units``) allowed."""

    def __init__(
        self, *, min_value: int | None = None, max_value: int | None = None, units: Iterable[str] = ()
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.units = tuple(units)
        bounds = ""
        if min_value is not None and max_value is not None:
            bounds = f"，{min_value}至{max_value}"
        self.hint = f"整数{bounds}"

    def __call__(self, value: CellValue, /) -> int:
        if isinstance(value, bool):
            raise CellError("应为整数")
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            if not value.is_integer():
                raise CellError(f"应为整数，不能是小数（{value:g}）")
            number = int(value)
        elif isinstance(value, str):
            text = value.translate(CODE_TABLE).replace(",", "")
            for unit in self.units:
                text = text.removesuffix(unit)
            if not _INT_RE.fullmatch(text):
                raise CellError(f"应为整数：“{shorten(value.strip(TRIM), 30)}”")
            number = int(float(text)) if "." in text else int(text)
        else:
            raise CellError("应为整数")
        if self.min_value is not None and number < self.min_value:
            raise CellError(f"不能小于{self.min_value}")
        if self.max_value is not None and number > self.max_value:
            raise CellError(f"不能大于{self.max_value}")
        return number


_TRUE: Final = frozenset(
    _enum_key(s) for s in ("是", "Y", "yes", "true", "1", "√", "✓", "✔", "对", "有", "T")
)
_FALSE: Final = frozenset(
    _enum_key(s) for s in ("否", "N", "no", "false", "0", "×", "✗", "✘", "错", "无", "F", "不是")
)


class Boolean(Normalizer[bool]):
    """是/否, Y/N, TRUE/FALSE, 1/0, √/×, 有/无."""

    repeats = True

    choices = ("是", "否")
    hint = "填写“是”或“否”"

    def __call__(self, value: CellValue, /) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        key = _enum_key(_as_text(value))
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise CellError(f"无法识别“{shorten(_as_text(value), 20)}”，请填写“是”或“否”")

    def display(self, value: bool) -> ExportScalar:
        return "是" if value else "否"


_PERCENT_RE: Final = re.compile(r"(\d+(?:\.\d+)?)\s*%?")


class Percent(Normalizer[int]):
    """A ratio in basis points (5% → 500). With a % sign it is a percentage; without one, a number up to 1
    is a fraction (an Excel percentage cell holds 0.05 for 5%, 1 for 100%) and a larger one a percentage
    ("5" → 5%)."""

    hint = "百分比，如 5%（0%–100%）"

    def __call__(self, value: CellValue, /) -> int:
        if isinstance(value, bool):
            raise CellError("应为百分比")
        if isinstance(value, int | float):
            number, has_sign = float(value), False
        elif isinstance(value, str):
            text = value.translate(CODE_TABLE)
            m = _PERCENT_RE.fullmatch(text)
            if m is None:
                raise CellError(f"应为百分比，如 5%：“{shorten(value.strip(TRIM), 20)}”")
            number, has_sign = float(m[1]), text.endswith("%")
        else:
            raise CellError("应为百分比")
        if not has_sign and number <= 1:
            number *= 100
        bp = round(number * 100)
        if not 0 <= bp <= 10_000:
            raise CellError("比例应在0%至100%之间")
        return bp

    def display(self, value: int) -> ExportScalar:
        return f"{value / 100:g}%"
