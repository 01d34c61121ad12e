"""The 模板下载 workbook of an import: headers, an example row, drop-downs for enumerations, text-formatted
code columns (so Excel does not turn an 18-digit code into 9.14E+17) and a 填写说明 sheet."""

from __future__ import annotations

from typing import Any, Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from shuangsuiji.tabular.columns import ColumnSpec, TableSpec
from shuangsuiji.tabular.writing import HEADER_FILL, Destination, display_width

OPTIONS_SHEET: Final = "选项"
NOTES_SHEET: Final = "填写说明"
TEMPLATE_ROWS: Final = 10_000  # rows the drop-downs and text formats cover
_REQUIRED_FONT: Final = Font(bold=True, color="C00000")
_EXAMPLE_FONT: Final = Font(italic=True, color="808080")
_WRAP: Final = Alignment(wrap_text=True, vertical="top")
_INVALID_SHEET_CHARS: Final = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


def template_header(column: ColumnSpec) -> str:
    """Required columns are marked with "*" (the importer ignores the mark)."""
    return f"*{column.header}" if column.required else column.header


def example_cell(column: ColumnSpec) -> Any:
    if not column.example:
        return None
    return column.display(column.normalizer(column.example))


def write_template(spec: TableSpec, destination: Destination, *, example: bool = True) -> None:
    wb = Workbook()
    ws = wb.active
    if not (ws is not None):
        raise RuntimeError("internal invariant broken: ws is not None")
    ws.title = spec.title.translate(_INVALID_SHEET_CHARS)[:31]
    options = wb.create_sheet(OPTIONS_SHEET)
    notes = wb.create_sheet(NOTES_SHEET)
    options.sheet_state = "hidden"

    option_col = 0
    for i, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(i)
        header = ws.cell(row=1, column=i, value=template_header(column))
        header.font = _REQUIRED_FONT if column.required else Font(bold=True)
        header.fill = HEADER_FILL
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[letter].width = column.width or max(
            12, min(40, display_width(column.header) + 6)
        )
        number_format = column.normalizer.number_format
        if number_format:
            ws.column_dimensions[letter].number_format = number_format
        if example and column.example:
            cell = ws.cell(row=2, column=i, value=example_cell(column))
            cell.font = _EXAMPLE_FONT
            if number_format:
                cell.number_format = number_format
        choices = column.normalizer.choices
        if choices and not column.normalizer.multiple:
            option_col += 1
            opt_letter = get_column_letter(option_col)
            options.cell(row=1, column=option_col, value=column.header)
            for j, choice in enumerate(choices, start=2):
                options.cell(row=j, column=option_col, value=choice)
            source = f"{quote_sheetname(OPTIONS_SHEET)}!${opt_letter}$2:${opt_letter}${len(choices) + 1}"
            dv = DataValidation(
                type="list",
                formula1=source,
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle="输入值无效",
                error=f"请从下拉列表中选择：{'、'.join(choices)}"[:255],
                showInputMessage=True,
                promptTitle=column.header[:32],
                prompt=column.normalizer.hint[:255],
            )
            dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 30

    _write_notes(spec, notes)
    wb.active = 0
    wb.save(destination)


def _write_notes(spec: TableSpec, notes: Any) -> None:
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 60
    notes.column_dimensions["D"].width = 40
    title = notes.cell(row=1, column=1, value=f"{spec.title}导入模板 填写说明")
    title.font = Font(bold=True, size=14)
    row = 3
    general = (
        "第1行是表头，请勿修改列名；列的顺序可以调整，不需要的非必填列可以删除。",
        "带 * 的红色列为必填列，每一行都必须填写。",
        "第2行是示例，导入前请删除。",
        "代码、证号类的列已设为“文本”格式，请勿改为数字格式，否则长数字会丢失末几位。",
        "请不要使用公式、合并单元格；从其他表格复制时请“选择性粘贴→数值”。",
        "也可以另存为 CSV（UTF-8 或 GBK 编码均可）后导入。",
        *spec.notes,
    )
    for i, text in enumerate(general, start=1):
        cell = notes.cell(row=row, column=1, value=f"{i}. {text}")
        row += 1
        _ = cell
    row += 1
    for j, head in enumerate(("列名", "是否必填", "填写要求", "说明"), start=1):
        cell = notes.cell(row=row, column=j, value=head)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for column in spec.columns:
        row += 1
        values = (column.header, "必填" if column.required else "选填", column.normalizer.hint, column.note)
        for j, value in enumerate(values, start=1):
            cell = notes.cell(row=row, column=j, value=value)
            cell.alignment = _WRAP
