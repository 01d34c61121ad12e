"""A station manager imports a small GBK CSV through the pages: upload, preview, confirm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import uscc

from shuangsuiji.directory.models import Entity
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_import_with_preview_and_confirm(page: Any, tmp_path: Path) -> None:
    body = "92410381MA7777701"
    code = body + uscc.calc_check_digit(body)
    path = tmp_path / "名录.csv"
    path.write_bytes(
        (
            "单位名称,统一社会信用代码（注册号）,法定代表人,住所,登记机关,管辖单位\r\n"
            f"偃师区城关镇浏览器测试便利店,{code},张三,洛阳市偃师区城关镇华夏路9号,"
            "洛阳市偃师区市场监督管理局,城关市场监管所\r\n"
        ).encode("gbk")
    )
    sign_in(page, "cg.manager")
    page.goto("/staff/directory/entities/")
    page.get_by_role("link", name="导入").click()
    page.get_by_label("文件（.xlsx / .xls / .csv）").set_input_files(str(path))
    page.get_by_role("button", name="上传并检查").click()
    assert "预览：新增 1" in page.content()
    assert not Entity.objects.filter(uscc=code).exists()
    page.get_by_role("button", name="确认导入").click()
    assert "已导入：新增 1" in page.content()
    assert Entity.objects.get(uscc=code).name == "偃师区城关镇浏览器测试便利店"
