from __future__ import annotations

import datetime as dt
import io

import pytest

from shuangsuiji.workdays.cli import parse_date, uncovered_warning, workdays_main


def run(argv: list[str], overrides: dict[dt.date, bool] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = workdays_main(argv, overrides, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "text", ["2025-01-20", "2025/1/20", "2025年1月20日", "2025-1-20", " 2025年1月20 ", "２０２５年１月２０日"]
)
def test_add_accepts_date_forms(text: str) -> None:
    assert run(["add", text, "20"]) == (0, "2025-02-21\n", "")


def test_between() -> None:
    assert run(["between", "2025-01-20", "2025-02-21"]) == (0, "20\n", "")
    assert run(["between", "2025-02-21", "2025/1/20"]) == (0, "-20\n", "")
    assert run(["add", "2025-01-29", "0"]) == (0, "2025-01-29\n", "")


def test_overrides_passed_through() -> None:
    assert run(["add", "2025-01-20", "20"], {dt.date(2025, 1, 27): False})[1] == "2025-02-24\n"


def test_uncovered_warning_line() -> None:
    code, out, err = run(["add", "2026-12-25", "5"])
    assert (code, out) == (0, "2027-01-01\n")
    assert err == "注意：2027-01-01 不在节假日数据覆盖范围内，按周一至周五为工作日推算\n"
    code, out, err = run(["between", "2026-12-25", "2027-01-06"])
    assert (code, out) == (0, "8\n")
    assert err == "注意：2027-01-01 至 2027-01-06 不在节假日数据覆盖范围内，按周一至周五为工作日推算\n"


def test_warning_ranges() -> None:
    d = dt.date
    assert uncovered_warning([]) is None
    text = uncovered_warning([d(2027, 1, 5), d(2027, 1, 2), d(2027, 1, 3), d(2027, 1, 7)])
    assert (
        text
        == "注意：2027-01-02 至 2027-01-03、2027-01-05、2027-01-07 不在节假日数据覆盖范围内，按周一至周五为工作日推算"
    )


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["add", "2025-02-30", "3"], "不存在"),
        (["add", "2025.03.01", "3"], "无法识别的日期"),
        (["add", "2025-03-01", "-3"], "非负整数"),
        (["add", "2025-03-01", "x"], "非负整数"),
        (["add", "2025-03-01"], "需要 2 个参数"),
        (["between", "2025-03-01"], "需要 2 个参数"),
        (["subtract", "2025-03-01", "3"], "未知的子命令"),
        (["add", "9999-12-30", "5"], "超出"),
    ],
)
def test_bad_input_exit_2_in_chinese(argv: list[str], fragment: str) -> None:
    code, out, err = run(argv)
    assert code == 2 and out == ""
    assert err.startswith("错误：") and fragment in err.splitlines()[0]
    assert ("用法" in err) == (fragment != "超出")


def test_help() -> None:
    code, out, _ = run(["--help"])
    assert code == 0 and "用法" in out
    code, out, err = run([])
    assert code == 2 and "用法" in err


def test_parse_date() -> None:
    assert parse_date("2024年2月4日") == dt.date(2024, 2, 4)
    with pytest.raises(ValueError, match="无法识别"):
        parse_date("20240204")


def test_default_streams(capsys: pytest.CaptureFixture[str]) -> None:
    assert workdays_main(["add", "2024-09-27", "7"]) == 0
    assert capsys.readouterr().out == "2024-10-12\n"
