"""Year-end summary (总结) as .docx and .xlsx, and the result export for the upstream platforms."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from shuangsuiji.oversight.statistics import Table, percent

# Fonts that carry Chinese, in the order they are tried, for the charts drawn into the Word report.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)


def _font(size: int) -> Any:
    from PIL import ImageFont

    for path in CJK_FONTS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default()


def bar_chart_png(table: Table, width: int = 1200) -> bytes | None:
    """A horizontal bar chart of the table's chart columns (Pillow: no plotting library, no network)."""
    from PIL import Image, ImageDraw

    data = table.chart_data()
    if data is None:
        return None
    labels, series = data["labels"][:20], data["series"][:3]
    colours = ["#b4232a", "#1456a8", "#e3a21a"]
    font, small = _font(26), _font(22)
    row_height, left, top = 30 * len(series) + 20, 360, 60
    height = top + row_height * len(labels) + 30
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    largest = max((float(v or 0) for s in series for v in s["data"][:20]), default=0) or 1.0
    x = left
    for index, s in enumerate(series):
        draw.rectangle([x, 18, x + 24, 42], fill=colours[index])
        draw.text((x + 32, 14), s["name"], fill="black", font=small)
        x += 60 + int(draw.textlength(s["name"], font=small))
    for row, label in enumerate(labels):
        y = top + row * row_height
        text = label if len(label) <= 14 else label[:13] + "…"
        draw.text((10, y + 4), text, fill="black", font=font)
        for index, s in enumerate(series):
            value = float(s["data"][row] or 0)
            length = int((width - left - 120) * value / largest)
            y0 = y + index * 30
            draw.rectangle([left, y0 + 4, left + max(length, 1), y0 + 26], fill=colours[index])
            draw.text((left + length + 8, y0 + 2), f"{value:g}", fill="black", font=small)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def summary_intro(year: int, tables: list[Table]) -> list[str]:
    """The summary's opening paragraphs, from the dashboard's tables (by their keys)."""
    by_key = {t.key: t for t in tables}
    progress = by_key["progress_departments"].rows
    drawn = sum(r[1] for r in progress)
    published = sum(r[4] for r in progress)
    on_time = sum(r[5] for r in progress)
    overdue = sum(r[7] for r in progress)
    problems = by_key["results_department"].rows
    results = sum(r[1] for r in problems)
    found = sum(r[2] for r in problems)
    return [
        f"{year}年，共抽取检查对象 {drawn} 户（按部门计），已公示检查结果 {published} 户，其中按期公示 {on_time} 户；"
        f"逾期未公示 {overdue} 户，视为未完成任务。",
        f"已公示检查结果 {results} 项，发现问题 {found} 项，问题发现率 {percent(found, results)}%。",
        by_key["strata"].note or "本年度没有已公示的分层抽查结果。",
    ]


def summary_docx(title: str, year: int, tables: list[Table], intro: list[str]) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.2))
    style = document.styles["Normal"]
    style.font.name, style.font.size = "FangSong", Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold, run.font.size = True, Pt(18)
    document.add_paragraph(
        f"（{year}年度，数据截至 {date.today():%Y年%m月%d日}）"
    ).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_heading("一、工作开展情况", level=2)
    for line in intro:
        document.add_paragraph(line)
    chapters = [("二、抽查实施与结果", tables[:8]), ("三、覆盖、联合抽查与公平性", tables[8:])]
    for chapter, chapter_tables in chapters:
        document.add_heading(chapter, level=2)
        for number, table in enumerate(chapter_tables, 1):
            document.add_heading(f"（{number}）{table.title}", level=3)
            if table.note:
                document.add_paragraph(table.note)
            png = bar_chart_png(table)
            if png is not None:
                document.add_picture(io.BytesIO(png), width=Cm(16))
            grid = document.add_table(rows=1, cols=len(table.headers))
            grid.style = "Table Grid"
            for cell, text in zip(grid.rows[0].cells, table.headers, strict=True):
                cell.text = str(text)
            for row in table.rows[:60]:
                for cell, value in zip(grid.add_row().cells, row, strict=True):
                    cell.text = "" if value is None else str(value)
            if len(table.rows) > 60:
                document.add_paragraph(
                    f"（共 {len(table.rows)} 行，此处列出前 60 行，完整数据见 Excel 版。）"
                )
    document.add_heading("四、存在的问题和改进意见", level=2)
    document.add_paragraph(
        "（请结合以上数据填写：工作短板、逾期未完成的原因、下一年度抽查比例和频次的调整建议。）"
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def summary_xlsx(title: str, tables: list[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    from shuangsuiji.tabular import neutralize

    workbook = Workbook()
    cover = workbook.active
    cover.title = "说明"
    cover.append([title])
    cover["A1"].font = Font(bold=True, size=14)
    for table in tables:
        cover.append([table.title, table.note])
    used: set[str] = set()
    for table in tables:
        name = table.title.replace("（", "(").replace("）", ")")[:28]
        for ch in "[]:*?/\\":
            name = name.replace(ch, " ")
        while name in used:
            name = name[:26] + "_"
        used.add(name)
        sheet = workbook.create_sheet(name)
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([neutralize(v) if isinstance(v, str) else v for v in row])
        if table.note:
            sheet.append([])
            sheet.append([neutralize(table.note)])
        if table.chart and table.rows:
            label, values = table.chart
            chart = BarChart()
            chart.title = table.title
            chart.height, chart.width = 8, 18
            last = len(table.rows) + 1
            for column in values:
                chart.add_data(
                    Reference(sheet, min_col=column + 1, min_row=1, max_row=last), titles_from_data=True
                )
            chart.set_categories(Reference(sheet, min_col=label + 1, min_row=2, max_row=last))
            sheet.add_chart(chart, f"{chr(ord('A') + len(table.headers) + 1)}2")
        for index, header in enumerate(table.headers, 1):
            sheet.column_dimensions[chr(ord("A") + index - 1)].width = max(
                10, min(40, len(str(header)) * 2 + 2)
            )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- the result export for the provincial platform / 国家企业信用信息公示系统 ---------------------------

UPSTREAM_HEADERS = (
    "序号",
    "市场主体名称",
    "统一社会信用代码",
    "注册号",
    "抽查计划编号",
    "抽查任务编号",
    "抽查任务名称",
    "抽查类型",
    "检查实施机关",
    "检查事项",
    "检查日期",
    "检查结果代码",
    "检查结果",
    "公示日期",
    "更正日期",
)


def upstream_rows(year: int, ids: frozenset[int] | None) -> list[list[Any]]:
    from shuangsuiji.disclosure.models import PublishedResult
    from shuangsuiji.planning.models import Plan

    qs = (
        PublishedResult.objects.filter(task__plan__year=year)
        .select_related("task__plan", "record__entity")
        .order_by("pk")
    )
    if ids is not None:
        qs = qs.filter(department_id__in=ids)
    rows = []
    for number, r in enumerate(qs.iterator(2000), 1):
        plan = r.task.plan
        kind = "部门联合双随机抽查" if plan.kind in (Plan.Kind.JOINT, Plan.Kind.TEMPORARY) else "双随机抽查"
        rows.append(
            [
                number,
                r.entity_name,
                r.record.entity.uscc or "",
                r.record.entity.reg_no or "",
                plan.ref,
                r.task.ref,
                r.task.title,
                kind,
                r.department_name,
                r.item_name,
                r.inspected_on,
                r.code_number,
                r.code_label,
                r.published_at.date(),
                r.corrected_at.date() if r.corrected_at else None,
            ]
        )
    return rows
